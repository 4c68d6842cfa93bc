"""Corrupt images for denoising autoencoders and for probing how robust a model is.

Pure NumPy, so the dashboard can add noise on every slider move without loading Keras.
"""

import math

import numpy as np

from aecore import errors

NOISE_KINDS = ("gaussian", "salt_and_pepper", "masking")


def add_noise(
    images: np.ndarray, kind: str = "gaussian", level: float = 0.5, seed: int = 0
) -> np.ndarray:
    """Return a noisy float32 copy of `images` (values in [0, 1]); the input is never modified.

    kind:
      "gaussian"        x + level * N(0, 1), clipped to [0, 1] (the Keras denoising example's
                        `noise_factor`).
      "salt_and_pepper" each pixel, with probability `level`, becomes 0 or 1 (half each).
      "masking"         each pixel, with probability `level`, becomes 0.
    level is in [0, 1] for every kind. The same seed gives the same noise.

    For a 4-D batch (n, h, w, c), salt-and-pepper and masking hit whole pixels (every channel
    at once), as a dead or stuck sensor pixel would; for any other shape each element is a pixel.
    """
    _check_options(kind, level)
    noisy = np.array(images, dtype=np.float32, copy=True)
    random = np.random.default_rng(seed)
    if kind == "gaussian":
        noisy += np.float32(level) * random.standard_normal(noisy.shape, dtype=np.float32)
        return np.clip(noisy, 0.0, 1.0, out=noisy)
    # One draw per pixel, broadcast across channels: (n, h, w, 1) for a 4-D batch.
    pixel_shape = noisy.shape[:-1] + (1,) if noisy.ndim == 4 else noisy.shape
    hit = random.random(pixel_shape) < level
    if kind == "masking":
        return np.where(hit, np.float32(0.0), noisy)
    salt = random.random(pixel_shape) < 0.5
    value = np.where(salt, np.float32(1.0), np.float32(0.0))
    return np.where(hit, value, noisy)


def _check_options(kind: str, level: float) -> None:
    """Raise ModelError naming the bad option, what is allowed, and how to fix it."""
    if kind not in NOISE_KINDS:
        allowed = ", ".join(repr(name) for name in NOISE_KINDS)
        raise errors.ModelError(
            f"Unknown noise kind {kind!r}; allowed kinds are {allowed}. Pick one of these."
        )
    try:
        level_value = float(level)
    except (TypeError, ValueError):
        level_value = math.nan
    if not 0.0 <= level_value <= 1.0:  # also False for NaN
        raise errors.ModelError(
            f"Noise level {level!r} is outside the allowed range [0, 1]. "
            "Choose a level between 0 (no noise) and 1."
        )
