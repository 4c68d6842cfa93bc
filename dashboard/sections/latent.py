"""Streamlit helpers for the latent pages: Latent map, Latent sampler and Denoise (views/latent_map.py,
views/latent_sampler.py, views/denoise.py): flattened codes, latent grids, samples, uploads to denoise.
"""

from dataclasses import dataclass

import numpy as np
import streamlit as st

from aecore.analysis import inspection
from aecore.data import images as aecore_images
from aecore.data import noise as aecore_noise
from aecore.errors import AecoreError
from dashboard.state import caches, sidebar

NOISE_LEVELS = tuple(float(level) for level in np.linspace(0.0, 1.0, 21))  # the denoise slider's 21 frames


def flat_codes(ref: caches.ModelRef, count: int) -> np.ndarray:
    """(count, latent_dim): spatial conv codes are flattened, so a dimension indexes the flat code."""
    found = caches.codes(ref, count)
    return found.reshape(len(found), -1)


@st.cache_data(max_entries=16, show_spinner="Decoding the grid…")
def latent_grid(ref: caches.ModelRef, dims: tuple, steps: int):
    """inspection.latent_grid: (images (steps, steps, h, w, c), row values, column values). Non-VAE models
    sweep percentiles of 2,000 test codes with the other dimensions at the median code."""
    return inspection.latent_grid(caches.model(ref.name, ref.stamp), dims, steps,
                                codes=flat_codes(ref, 2000))


@st.cache_data(max_entries=16, show_spinner=False)
def interpolation(ref: caches.ModelRef, first: int, second: int, steps: int) -> np.ndarray:
    """(steps, h, w, c): the decoded straight line between the codes of two test images."""
    images = caches.dataset(ref.dataset).x_test
    return inspection.interpolate(caches.model(ref.name, ref.stamp), images[first], images[second], steps)


def slider_ranges(autoencoder, test_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, high, start) per flat dimension: [-3, 3] from 0 for the VAE (its prior), else the
    1st..99th percentile of the test codes starting at the median code."""
    if autoencoder.is_variational:
        size = autoencoder.latent_dim
        return np.full(size, -3.0), np.full(size, 3.0), np.zeros(size)
    low, high = np.percentile(test_codes, 1, axis=0), np.percentile(test_codes, 99, axis=0)
    high = np.maximum(high, low + 1e-3)  # a dead unit still gets a usable slider
    return low, high, np.clip(inspection.base_code(autoencoder, test_codes), low, high)


@st.cache_data(max_entries=8, show_spinner="Sampling…")
def random_samples(ref: caches.ModelRef, count: int, seed: int) -> np.ndarray:
    """(count, h, w, c) decoded from N(0, I) for the VAE, else from a Gaussian fitted to the test codes."""
    autoencoder, random = caches.model(ref.name, ref.stamp), np.random.default_rng(seed)
    if autoencoder.is_variational:
        sampled = random.standard_normal((count, autoencoder.latent_dim))
    else:
        test_codes = flat_codes(ref, 2000)
        covariance = np.atleast_2d(np.cov(test_codes, rowvar=False))
        sampled = random.multivariate_normal(test_codes.mean(axis=0), covariance, size=count, method="eigh")
    return autoencoder.decode(sampled.astype("float32"))


def comparable_models(context: sidebar.Context, limit: int = 4) -> list:
    """Up to `limit` entries with the current model's input shape: the current one, then denoising models.
    `context.entries` holds only models that fit the dataset, so they all share that shape."""
    ranked = sorted(context.entries,
                    key=lambda entry: (entry.name != context.model_name, entry.meta.get("family") != "denoising"))
    return ranked[:limit]


@dataclass
class UploadResult:
    name: str
    converted: object | None = None  # aecore.data.images.ConvertedImage: steps, array, inverted, notes
    noisy: np.ndarray | None = None  # (h, w, c) what the model saw
    denoised: np.ndarray | None = None  # (h, w, c)
    png: bytes | None = None  # the denoised image as a PNG file
    error: str | None = None  # a message for the user when the file could not be used


def process_upload(data: bytes, name: str, autoencoder, level: float = 0.0, invert: str = "auto",
                   kind: str = "gaussian", seed: int = 0) -> UploadResult:
    """One uploaded file -> converted, noised, denoised; a bad file gives `error` instead of raising."""
    try:
        converted = aecore_images.convert_for_model(data, autoencoder.input_shape, name, invert=invert)
        noisy = aecore_noise.add_noise(converted.array, kind, level, seed)
        denoised = autoencoder.reconstruct(noisy)[0]
        return UploadResult(name, converted, noisy, denoised, aecore_images.to_png_bytes(denoised))
    except AecoreError as error:
        return UploadResult(name, error=str(error))


