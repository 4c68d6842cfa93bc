"""Reconstruction quality, per image, for batches shaped (n, h, w, c) with values in [0, 1].

Pure NumPy/SciPy so the dashboard can score thousands of reconstructions without Keras. Every
function works in float64, in chunks of images small enough that a chunk's temporaries stay in a core's
cache (half a MB each: 1 MB chunks took twice as long), and returns one value per image: shape (n,).
Every training scores its model on the whole test set with `summarize` (Fashion-MNIST: 10,000 images in
~0.4 s, was ~1 s; bench/RESULTS.md, "The quick start, session 19").
"""

import functools
from collections.abc import Callable

import numpy as np
from scipy import ndimage, special

from aecore import errors

BCE_EPSILON = 1e-7  # Keras clips predictions to [eps, 1 - eps] before taking logs
PSNR_CAP_DB = 100.0  # identical images would give +inf dB; a finite cap keeps means and plots usable
SSIM_SIGMA = 1.5  # Gaussian window of Wang et al. 2004
SSIM_MAX_RADIUS = 5  # 11 x 11 window, as in the paper (skimage: truncate=3.5 with sigma 1.5)
SSIM_K1 = 0.01
SSIM_K2 = 0.03
CHUNK_ELEMENTS = 65_536  # values per chunk (512 KB of float64) for each temporary array

PerImage = Callable[[np.ndarray, np.ndarray], np.ndarray]


def binary_cross_entropy(target: np.ndarray, output: np.ndarray) -> np.ndarray:
    """Mean over pixels of -(t log o + (1 - t) log(1 - o)), output clipped like Keras. (n,)"""

    def chunk_bce(target_chunk: np.ndarray, output_chunk: np.ndarray) -> np.ndarray:
        clipped = np.clip(output_chunk, BCE_EPSILON, 1.0 - BCE_EPSILON)
        loss = target_chunk * np.log(clipped) + (1.0 - target_chunk) * np.log1p(-clipped)
        return -_mean_per_image(loss)

    return _map_chunks(chunk_bce, *_paired(target, output))


def mean_squared_error(target: np.ndarray, output: np.ndarray) -> np.ndarray:
    """Mean over pixels of (t - o)^2. (n,)"""

    def chunk_mse(target_chunk: np.ndarray, output_chunk: np.ndarray) -> np.ndarray:
        return _mean_per_image((target_chunk - output_chunk) ** 2)

    return _map_chunks(chunk_mse, *_paired(target, output))


def psnr(target: np.ndarray, output: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """Peak signal-to-noise ratio in dB, 10 log10(range^2 / mse), capped at PSNR_CAP_DB. (n,)"""
    _check_data_range(data_range)
    return _psnr_of_mse(mean_squared_error(target, output), data_range)


def _psnr_of_mse(mse: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    with np.errstate(divide="ignore"):
        decibels = 10.0 * np.log10(data_range**2 / mse)
    return np.minimum(decibels, PSNR_CAP_DB)


def ssim(target: np.ndarray, output: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """Structural similarity (Wang et al. 2004), Gaussian window, averaged over pixels and channels.

    Window: Gaussian with sigma 1.5 and radius 5 (the paper's 11 x 11 window), shrunk to radius
    (min(h, w) - 1) // 2 for images smaller than 11 px, e.g. radius 3 (7 x 7, truncate = 2.0)
    for 8 x 8 digits, so the window never spans more than the image. Borders are handled by
    reflecting the image (scipy's mode="reflect") and every pixel counts, instead of cropping
    the border as skimage does, which would leave nothing of an 8 x 8 image. Statistics are the
    Gaussian-weighted ones of the paper (no sample-covariance correction). The window is applied as two
    matrix products (`_blur_matrix`: scipy's filter of the identity, so the same numbers at BLAS speed). (n,)
    """
    _check_data_range(data_range)
    target, output = _paired(target, output)
    if target.ndim == 3:  # (n, h, w) -> (n, h, w, 1)
        target, output = target[..., np.newaxis], output[..., np.newaxis]
    if target.ndim != 4:
        raise errors.ModelError(
            f"ssim needs images shaped (n, h, w, c) or (n, h, w); got shape {target.shape}."
        )
    radius = min(SSIM_MAX_RADIUS, (min(target.shape[1:3]) - 1) // 2)
    blur_rows, blur_columns = _blur_matrix(target.shape[1], radius), _blur_matrix(target.shape[2], radius)

    def chunk_ssim(target_chunk: np.ndarray, output_chunk: np.ndarray) -> np.ndarray:
        return _mean_per_image(_ssim_map(target_chunk, output_chunk, data_range, blur_rows, blur_columns))

    return _map_chunks(chunk_ssim, target, output)


def binary_entropy_floor(images: np.ndarray) -> float:
    """Mean per-pixel binary entropy of `images`: the BCE a perfect reconstruction would score.

    BCE never reaches 0 on grey-level data (MNIST pixels are not all 0 or 1), so this is the
    floor to read a BCE loss against. Exactly 0 for binary images, log 2 for images all at 0.5.
    """
    pixels = np.asarray(images, dtype=np.float64)
    if pixels.size == 0:
        raise errors.ModelError("binary_entropy_floor needs at least one image; got an empty array.")
    clipped = np.clip(pixels, 0.0, 1.0)
    entropy = -(_x_log_x(clipped) + _x_log_x(1.0 - clipped))
    return float(entropy.mean())


def summarize(target: np.ndarray, output: np.ndarray) -> dict[str, float]:
    """Means over images of every metric, as plain floats: {"bce", "mse", "psnr", "ssim"}."""
    target, output = _paired(target, output)  # once, not once per metric
    mse = mean_squared_error(target, output)
    return {
        "bce": float(binary_cross_entropy(target, output).mean()),
        "mse": float(mse.mean()),
        "psnr": float(_psnr_of_mse(mse).mean()),
        "ssim": float(ssim(target, output).mean()),
    }


def _ssim_map(target: np.ndarray, output: np.ndarray, data_range: float, blur_rows: np.ndarray,
              blur_columns: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM of a chunk (k, h, w, c), as (k, c, h, w); the window blurs h and w only."""
    count, height, width, channels = target.shape
    target = np.moveaxis(target, 3, 1).reshape(count * channels, height, width)  # a view when c == 1
    output = np.moveaxis(output, 3, 1).reshape(count * channels, height, width)
    # The five local means in one pass: E[t], E[o], E[t^2], E[o^2], E[t o], each (k c, h, w).
    stacked = np.concatenate([target, output, target * target, output * output, target * output])
    blurred = (stacked.reshape(-1, width) @ blur_columns.T).reshape(stacked.shape)  # along w: one product
    mean_t, mean_o, square_t, square_o, product = np.split(np.matmul(blur_rows, blurred), 5)  # along h
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    # In place, in this order (each line names what the array holds after it):
    means = mean_t * mean_o  # mu_t mu_o
    mean_t *= mean_t  # mu_t^2
    mean_o *= mean_o  # mu_o^2
    numerator = product  # E[t o] ...
    numerator -= means  # ... - mu_t mu_o = covariance
    numerator *= 2
    numerator += c2  # 2 cov + c2
    means *= 2
    means += c1  # 2 mu_t mu_o + c1
    numerator *= means
    denominator = square_t  # E[t^2] ...
    denominator += square_o
    denominator -= mean_t
    denominator -= mean_o
    denominator += c2  # var_t + var_o + c2
    mean_t += mean_o
    mean_t += c1  # mu_t^2 + mu_o^2 + c1
    denominator *= mean_t
    numerator /= denominator
    return numerator.reshape(count, channels, height, width)


@functools.lru_cache(maxsize=16)
def _blur_matrix(size: int, radius: int) -> np.ndarray:
    """(size, size) matrix B with B @ v == scipy's gaussian_filter1d(v, SSIM_SIGMA, radius=radius, mode="reflect"):
    the filter applied to each column of the identity. Read-only (shared by every call)."""
    matrix = ndimage.gaussian_filter1d(np.eye(size), SSIM_SIGMA, axis=0, radius=radius, mode="reflect")
    matrix.flags.writeable = False
    return matrix


def _paired(target: np.ndarray, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both batches as float64 arrays of one shape (n, ...) with n >= 1."""
    target = np.asarray(target, dtype=np.float64)
    output = np.asarray(output, dtype=np.float64)
    if target.shape != output.shape:
        raise errors.ModelError(
            f"Target and output shapes differ: {target.shape} vs {output.shape}. "
            "Compare each image with its own reconstruction."
        )
    if target.ndim < 2 or target.shape[0] == 0 or target[0].size == 0:
        raise errors.ModelError(
            f"Metrics need a non-empty batch of images shaped (n, h, w, c); got shape {target.shape}."
        )
    return target, output


def _map_chunks(per_chunk: PerImage, target: np.ndarray, output: np.ndarray) -> np.ndarray:
    """Apply `per_chunk` to slices of whole images and join the results. (n,)"""
    images_per_chunk = max(1, CHUNK_ELEMENTS // target[0].size)
    results = [
        per_chunk(target[start : start + images_per_chunk], output[start : start + images_per_chunk])
        for start in range(0, target.shape[0], images_per_chunk)
    ]
    return np.concatenate(results)


def _mean_per_image(values: np.ndarray) -> np.ndarray:
    """(k, ...) -> (k,)"""
    return values.reshape(values.shape[0], -1).mean(axis=1)


def _x_log_x(values: np.ndarray) -> np.ndarray:
    """x log x with 0 log 0 = 0, so binary pixels have exactly zero entropy."""
    return special.xlogy(values, values)


def _check_data_range(data_range: float) -> None:
    if not (np.isfinite(data_range) and data_range > 0):
        raise errors.ModelError(
            f"data_range must be a positive number (1.0 for images in [0, 1]); got {data_range!r}."
        )
