"""Streamlit helpers for the image pages: Reconstructions and Feature maps (views/reconstructions.py,
views/feature_maps.py): the worst-rebuilt images, samples, per-image probes, code statistics; on a series, the
shown windows and their reconstructions as a CSV.
"""

import csv
import io
import threading
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from aecore.analysis import inspection, metrics, probes
from aecore.data import catalog
from aecore.data.images import to_png_bytes
from aecore.store import modelstore, probecache
from dashboard import plots
from dashboard.state import caches
from dashboard.text import md

DATASET_METRICS = (  # (meta["metrics"] key, title, value format, which way is better)
    ("test_bce", "BCE", "{:.3f}", "lower is better"),
    ("test_mse", "MSE", "{:.4f}", "lower is better"),
    ("test_psnr", "PSNR (dB)", "{:.2f}", "higher is better"),
    ("test_ssim", "SSIM", "{:.3f}", "higher is better"),
)
CODE_SAMPLE = 1000  # test images behind the code statistics (the heat map shows the first 100)


@st.cache_data(max_entries=16, show_spinner="Ranking every test image by its reconstruction error…")
def worst_ranking(ref: caches.ModelRef) -> np.ndarray:
    """Every test index, worst reconstructed first (highest BCE; on a series, highest MSE: its values are not
    pixels in [0, 1]): one pass over the whole test set."""
    current, autoencoder = caches.dataset(ref.dataset), caches.model(ref.name, ref.stamp)
    if getattr(current, "is_series", False):
        errors = metrics.mean_squared_error(current.x_test, autoencoder.reconstruct(current.x_test))
        return np.argsort(-errors, kind="stable")
    return inspection.worst_reconstructed(autoencoder, current.x_test, len(current.x_test))


def worst_indices(ref: caches.ModelRef, count: int) -> tuple:
    return tuple(int(index) for index in worst_ranking(ref)[:count])


def sample_indices(current: catalog.Dataset, count: int, seed: int, label: int | None = None) -> tuple:
    """`count` seeded random test indices, all of class `label` when one is given (hashable for the caches)."""
    pool = np.arange(len(current.x_test))
    if label is not None:
        pool = pool[current.y_test == label]
    return tuple(int(index) for index in np.random.default_rng(seed).choice(pool, min(count, len(pool)), replace=False))


@st.cache_data(max_entries=24, show_spinner="Reconstructing…")
def reconstruction_errors(ref: caches.ModelRef, indices: tuple) -> dict:
    """{"reconstructions", "bce", "mse", "psnr", "ssim"} for the test images at `indices`."""
    return inspection.reconstruction_errors(caches.model(ref.name, ref.stamp), caches.dataset(ref.dataset).x_test[list(indices)])


@dataclass
class ImageProbe:
    code: np.ndarray  # (*code_shape) the image's code; the VAE's is its mean
    reconstruction: np.ndarray  # (h, w, c)
    bce: float  # the reconstruction's binary cross-entropy
    layers: list  # [(label, (h, w, channels))] for every Conv2D layer, encoder first; [] without any


@st.cache_data(max_entries=32, show_spinner="Probing the layers…")
def image_probe(ref: caches.ModelRef, index: int) -> ImageProbe:
    autoencoder, image = caches.model(ref.name, ref.stamp), caches.dataset(ref.dataset).x_test[index : index + 1]
    errors = inspection.reconstruction_errors(autoencoder, image)
    return ImageProbe(autoencoder.encode(image)[0], errors["reconstructions"][0], float(errors["bce"][0]),
                      inspection.feature_maps(autoencoder, image))


@st.cache_data(max_entries=8, show_spinner="Encoding test images…")
def code_statistics(ref: caches.ModelRef, count: int) -> inspection.CodeStatistics:
    return inspection.code_statistics(caches.model(ref.name, ref.stamp), caches.dataset(ref.dataset).x_test[:count])


@st.cache_data(max_entries=16, show_spinner="Probing the codes with k-NN and a linear classifier…")
def code_probes(ref: caches.ModelRef) -> dict | None:
    """The model's probe accuracies (its card has them when trained here; imported models get them now)."""
    meta = caches.model_store().meta(ref.name)
    if meta.get("dataset") == ref.dataset and "knn_accuracy" in meta.get("metrics", {}):
        return {key: meta["metrics"][key] for key in ("knn_accuracy", "linear_probe_accuracy")}
    return probes.code_probes(caches.model(ref.name, ref.stamp), caches.dataset(ref.dataset))


_BASELINE_RUNS: dict = {}  # (store, dataset, dimensions) -> (thread, monotonic start): computing into the store
_RUNS_LOCK = threading.Lock()


def stored_baselines(dataset_name: str, dimensions: int) -> dict | None:
    """The raw-pixel and PCA baselines when the store has them (a training job fills them), else None: never
    computes, so a page opens at once."""
    return probecache.cached_baselines(caches.dataset(dataset_name), dimensions)


def compute_baselines(dataset_name: str, dimensions: int) -> float:
    """Starts computing the baselines into the store in a thread of this server (once: every session asking
    meanwhile joins that one); returns the seconds it has been running. The page polls stored_baselines."""
    key = (str(modelstore.store_root(None)), dataset_name, int(dimensions))
    with _RUNS_LOCK:
        run = _BASELINE_RUNS.get(key)
        if run is None or not run[0].is_alive() and time.monotonic() - run[1] > 60:  # none, or one that failed
            thread = threading.Thread(target=probecache.baselines, args=(caches.dataset(dataset_name), dimensions),
                                      name=f"baselines-{dataset_name}", daemon=True)
            thread.start()
            run = _BASELINE_RUNS[key] = (thread, time.monotonic())
    return time.monotonic() - run[1]


def probe_counts(current: catalog.Dataset) -> tuple[int, int]:
    """(training images, test images) the probes really use on this dataset: at most 5,000 and 2,000."""
    return min(len(current.x_train), probes.PROBE_TRAIN), min(len(current.x_test), probes.PROBE_TEST)


def show_picture(column, image: np.ndarray, title: str, columns: int | None = None):
    """A picture at `column`'s width under its bold title (wrapped, never cut), as an <img>: no chart library to load
    on a first open. Activations (h, w, channels) with more than 3 channels become a mosaic of grey tiles, `columns`
    wide (default near-square), each channel scaled to its own range. Scaled up here by whole pixels to 320 or more
    a side, so the browser's smoothing keeps them crisp."""
    if image.ndim == 3 and image.shape[-1] not in (1, 3):
        tiles = plots.channel_tiles(image)
        image = plots.mosaic(tiles, min(columns or int(np.ceil(np.sqrt(len(tiles)))), len(tiles)))
    factor = max(1, int(np.ceil(320 / max(image.shape[:2]))))
    column.markdown(f"**{md(title)}**")
    column.image(to_png_bytes(np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)), width="stretch")


def windows_csv(current, indices, reconstructions: dict[str, np.ndarray]) -> str:
    """The test windows at `indices` and each model's reconstruction (name -> (n, window, channels, 1)), one row per
    step and channel: window, start, step, timestamp, channel, value, then one column per model (values scaled as
    the models see them: the training part's minimum and maximum are 0 and 1)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["window", "start", "step", "timestamp", "channel", "value", *reconstructions])
    windows = current.x_test[list(indices)]
    for row, index in enumerate(indices):
        start = int(current.test_starts[index])
        for offset in range(current.window):
            for channel, column in enumerate(current.columns):
                writer.writerow([index, start, start + offset, current.timestamps[start + offset], column,
                                 f"{windows[row, offset, channel, 0]:.6g}",
                                 *(f"{rebuilt[row, offset, channel, 0]:.6g}" for rebuilt in reconstructions.values())])
    return buffer.getvalue()
