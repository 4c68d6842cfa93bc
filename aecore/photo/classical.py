"""Classical denoisers from scikit-image, for comparison with the photo model (page and bench/photos.py).

Each takes a noisy (h, w, 1 or 3) float image in [0, 1] and the noise level sigma (same scale) and
returns the same shape. Settings follow the issue: non-local means with fast_mode, h = 0.8 sigma, sigma
given; wavelet BayesShrink (soft); total variation (Chambolle) with weight 2 sigma. When the user does
not know sigma, `estimate_sigma` gives scikit-image's wavelet estimate.
"""

import time
import warnings
from collections.abc import Callable

import numpy as np

from aecore import errors


def _restoration():
    try:
        from skimage import restoration
    except ImportError as error:
        raise errors.ModelError("the classical denoisers need scikit-image: pip install scikit-image") from error
    return restoration


def _axis(image):
    return -1 if image.shape[-1] == 3 else None


def _squeeze(image):
    return image if image.shape[-1] == 3 else image[..., 0]


def total_variation(image: np.ndarray, sigma: float) -> np.ndarray:
    return _restoration().denoise_tv_chambolle(_squeeze(image), weight=2 * sigma, channel_axis=_axis(image))


def wavelet(image: np.ndarray, sigma: float) -> np.ndarray:
    return _restoration().denoise_wavelet(_squeeze(image), sigma=sigma, mode="soft", method="BayesShrink",
                                          rescale_sigma=True, channel_axis=_axis(image))


def non_local_means(image: np.ndarray, sigma: float) -> np.ndarray:
    return _restoration().denoise_nl_means(_squeeze(image), h=0.8 * sigma, sigma=sigma, fast_mode=True, patch_size=5,
                                           patch_distance=6, channel_axis=_axis(image))


METHODS: dict[str, Callable] = {"non-local means": non_local_means, "wavelet": wavelet, "total variation": total_variation}


def estimate_sigma(image: np.ndarray) -> float:
    """scikit-image's robust wavelet estimate of the Gaussian noise level, averaged over channels."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(_restoration().estimate_sigma(_squeeze(image), channel_axis=_axis(image), average_sigmas=True))


def run(method: str, image: np.ndarray, sigma: float) -> tuple[np.ndarray, float]:
    """(denoised (h, w, c) float32 in [0, 1], seconds) for one of METHODS."""
    if method not in METHODS:
        raise errors.ModelError(f"unknown classical denoiser {method!r}; choose one of: {', '.join(METHODS)}")
    image = np.asarray(image, np.float32)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = METHODS[method](image, float(sigma))
    seconds = time.perf_counter() - started
    return np.clip(np.asarray(result, np.float32).reshape(image.shape), 0.0, 1.0), seconds


# ---------------------------------------------------------------- anchors for colourise and unwatermark

# Mean (Cb, Cr) over the 58 colourful training photos of scripts/train_restore_model.py (each photo weighted equally):
# a faint warm tint, what a model that learnt nothing but the average colour would paint.
MEAN_CHROMA = (-0.038, 0.017)


def mean_colour(image: np.ndarray, chroma: tuple[float, float] = MEAN_CHROMA) -> np.ndarray:
    """The plain baseline for colourise: the image's brightness with one colour everywhere, (h, w, 3)."""
    from aecore.photo import tasks

    brightness = tasks.luma(image)
    colour = np.broadcast_to(np.asarray(chroma, np.float32), brightness.shape[:2] + (2,))
    return tasks.from_luma_chroma(brightness, colour)


def oracle_inpaint(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float]:
    """The anchor that cheats for unwatermark: scikit-image's biharmonic inpainting told where the watermark is.

    (h, w, 1 or 3) image and (h, w) bool mask -> (inpainted (h, w, c) float32 in [0, 1], seconds)."""
    image = np.asarray(image, np.float32)
    mask = np.asarray(mask, bool)
    if mask.shape != image.shape[:2]:
        raise errors.ModelError(f"the watermark mask is {mask.shape} but the photo is {image.shape[:2]}; they must match")
    started = time.perf_counter()
    if not mask.any():
        return image.copy(), 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = _restoration().inpaint_biharmonic(_squeeze(image), mask, channel_axis=_axis(image))
    seconds = time.perf_counter() - started
    return np.clip(np.asarray(result, np.float32).reshape(image.shape), 0.0, 1.0), seconds
