"""The probes' baselines, raw pixels and PCA of a code's size, kept in the store: computed once per dataset.

What a classifier reads off the raw pixels, or off PCA codes with as many numbers as a model's code, depends on
the dataset alone (aecore.analysis.probes), yet costs ~5 s on Fashion-MNIST. The training job computes them
when a model lands (aecore.training.worker), and every page, model and `evaluate` reads them from here:

    <store>/.cache/datasets/<dataset>-<key>/pixels.json       {"knn_accuracy", "linear_probe_accuracy", "seconds"}
    <store>/.cache/datasets/<dataset>-<key>/pca-<d>.json      the same and "dimensions" (d, as used)

And beside each model, what the Restore page shows of it first (`keep_sweep`, which the training job calls for
the page's first curve and for its noise slider's images, `slider_indices`):

    <store>/<model>/cache/sweep-<kind>-<key>.npz    denoised pictures (as bytes) and scores at 21 noise levels

`<key>` is a hash of the very images and labels the probes use (and of how they are probed), so a dataset that
changes under the same name (one of your own removed and added again) never meets an old figure. "datasets" is
never a model's name, so this folder never meets a shipped model's `.cache/<model>` (aecore.store.modelstore).
Each file is written atomically; a lock file per figure makes a second process wait for the first one's result
instead of computing it again.
"""

import hashlib
import time
from pathlib import Path

import numpy as np
import threadpoolctl  # scikit-learn's own dependency

from aecore.analysis import probes
from aecore.base import atomic
from aecore.store import modelstore

FOLDER = Path(".cache") / modelstore.DATASETS_FOLDER  # inside the store
VERSION = 1  # bump when the probes change, so older figures are not read
# The figures are computed on one thread: with OpenBLAS's two, the pixel probe took 96 s instead of 13 s on a
# 2-core machine loaded by other work (a training, a server), and a training job's fill should leave the server
# a core anyway. The last digit of an unconverged logistic regression may differ from a two-thread run.
ONE_THREAD = 1


def dataset_key(split, seed: int = 0) -> str:
    """16 hex digits naming the probe split (images and labels, train and test) and how it is probed."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"v{VERSION} k{probes.NEIGHBOURS} seed{seed}".encode())
    for array in split:  # about 30 ms for Fashion-MNIST's 7,000 probe images
        digest.update(str(array.shape).encode() + str(array.dtype).encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def folder(dataset, split, store=None, seed: int = 0) -> Path:
    """Where this dataset's baselines are kept in the store."""
    name = modelstore.sanitize_name(Path(str(dataset.name)).name or "dataset")  # a path given as a dataset: its name
    return modelstore.store_root(store) / FOLDER / f"{name}-{dataset_key(split, seed)}"


def cached_baselines(dataset, dimensions: int, store=None, seed: int = 0) -> dict | None:
    """The baselines when both are in the store, else None (never computes): a page shows them at once, or says
    they are being computed. Also None for a dataset without labels (nothing to probe)."""
    split = probes.probe_split(dataset, seed)
    if split is None:
        return None
    place = folder(dataset, split, store, seed)
    pixels = atomic.read_json(place / "pixels.json")
    pca = atomic.read_json(place / f"pca-{probes.pca_dimensions(split, dimensions)}.json")
    return {"pixels": pixels, "pca": pca} if pixels is not None and pca is not None else None


def baselines(dataset, dimensions: int, store=None, seed: int = 0) -> dict | None:
    """{"pixels": {...}, "pca": {..., "dimensions"}} as probes.baseline_probes gives them, read from the store,
    or computed (and kept) the first time; None for a dataset without labels. Blocks while another process
    computes the same figure, then reads it."""
    split = probes.probe_split(dataset, seed)
    if split is None:
        return None
    place = folder(dataset, split, store, seed)
    dimensions = probes.pca_dimensions(split, dimensions)
    return {"pixels": _kept(place / "pixels.json", lambda: probes.pixel_baseline(split, seed)),
            "pca": _kept(place / f"pca-{dimensions}.json", lambda: probes.pca_baseline(split, dimensions, seed))}


def _kept(path: Path, compute) -> dict:
    found = atomic.read_json(path)
    if found is not None:
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic.exclusive(path.with_name(f".{path.stem}.lock")):
        found = atomic.read_json(path)  # another process may have written it while this one waited
        if found is None:
            started = time.perf_counter()
            with threadpoolctl.threadpool_limits(limits=ONE_THREAD):  # see ONE_THREAD
                found = {**compute(), "seconds": round(time.perf_counter() - started, 2)}
            atomic.write_json(path, found)
    return found


# ---------------------------------------------------------------- a model's denoising sweep, for the Denoise page

SWEEP_KIND, SWEEP_SEED, SWEEP_IMAGES = "gaussian", 0, 100  # what the Denoise page's curve shows first
SWEEP_LEVELS = tuple(float(level) for level in np.linspace(0.0, 1.0, 21))  # its 21 noise levels
SLIDER_IMAGES = 6  # the test images of the page's noise slider


def slider_indices(test_count: int, seed: int = SWEEP_SEED, count: int = SLIDER_IMAGES) -> tuple[int, ...]:
    """The test images the page's noise slider shows for `seed`, sorted: the job keeps their sweep for the first seed."""
    chosen = np.random.default_rng(seed).choice(np.arange(test_count), min(count, test_count), replace=False)
    return tuple(sorted(int(index) for index in chosen))


def sweep_file(store: modelstore.ModelStore, name: str, images: np.ndarray, kind: str, levels, seed: int) -> Path:
    """<model's cache folder>/sweep-<kind>-<16 hex digits of the very images, levels and seed>.npz"""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{kind} {seed} {[round(float(level), 6) for level in levels]} {images.shape}".encode())
    digest.update(np.ascontiguousarray(images, np.float32).data)
    return store.cache_folder(name) / f"sweep-{kind}-{digest.hexdigest()}.npz"


def cached_sweep(store: modelstore.ModelStore, name: str, images: np.ndarray, kind: str, levels, seed: int):
    """Model `name`'s aecore.analysis.inspection.DenoiseSweep of `images` as the job kept it (the noisy inputs made
    again from the seed, the outputs to 1/255), or None when it is not kept: the caller computes it."""
    from aecore.analysis import inspection
    from aecore.data import noise

    found = atomic.read_arrays(sweep_file(store, name, images, kind, levels, seed))
    if found is None or str(found.get("created")) != str(store.meta(name).get("created")):
        return None
    levels = np.asarray(levels, dtype="float32")
    noisy = np.stack([noise.add_noise(images, kind, float(level), seed) for level in levels])
    return inspection.DenoiseSweep(levels, noisy, found["denoised"].astype(np.float32) / 255.0, found["psnr_noisy"],
                                   found["psnr_denoised"], found["ssim_noisy"], found["ssim_denoised"])


def keep_sweep(store: modelstore.ModelStore, name: str, autoencoder, images: np.ndarray,
               kind: str = SWEEP_KIND, levels=SWEEP_LEVELS, seed: int = SWEEP_SEED):
    """Computes the model's sweep of `images` (inspection.denoise_sweep) and keeps it in its cache folder: the
    denoised pictures as bytes, the scores as computed (about a second for 100 Fashion-MNIST images)."""
    from aecore.analysis import inspection

    sweep = inspection.denoise_sweep(autoencoder, images, kind, np.asarray(levels), seed)
    path = sweep_file(store, name, images, kind, levels, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_arrays(path, {"denoised": np.round(np.clip(sweep.denoised, 0, 1) * 255).astype(np.uint8),
                               "psnr_noisy": sweep.psnr_noisy, "psnr_denoised": sweep.psnr_denoised,
                               "ssim_noisy": sweep.ssim_noisy, "ssim_denoised": sweep.ssim_denoised,
                               "created": np.array(str(store.meta(name).get("created")))})
    return sweep
