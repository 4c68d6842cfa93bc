"""Classical denoisers from scikit-image, for comparison with the photo model (page and bench/photos.py).

Each takes a noisy (h, w, 1 or 3) float image in [0, 1] and the noise level sigma (same scale) and
returns the same shape. Settings follow the issue: non-local means with fast_mode, h = 0.8 sigma, sigma
given; wavelet BayesShrink (soft); total variation (Chambolle) with weight 2 sigma. When the user does
not know sigma, `estimate_sigma` gives scikit-image's wavelet estimate.
"""

import time
import warnings
from typing import Callable

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
