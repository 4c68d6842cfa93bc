"""The codes of a whole dataset and their 2-D maps, cached beside the model they come from.

    <store>/<model>/cache/codes-<dataset>-<split>.npz          codes (n, d), errors (n,) and the model's `created`
    <store>/<model>/cache/map-<dataset>-<split>-<method>.npz   points (n, 2), trustworthiness, seconds, `created`
    <store>/.cache/<model>/...                                  the same for a shipped (read-only) model

A saved model never changes (the store adds a new entry instead of overwriting), and its cache lives in its
folder, so deleting a model drops its maps; each file also holds the model's `created` stamp and is ignored
and removed when that differs (a model saved again under a freed name). Splits: "test", "train", or "all"
(train then test, so index i < n_train is training image i). Files are written atomically (aecore.base.atomic).
"""

import csv
import hashlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore.analysis import projections
from aecore.base import atomic
from aecore.errors import DatasetError
from aecore.store import modelstore

SPLITS = ("test", "train", "all")
ENCODE_BATCH = 2_000  # images encoded between two progress reports


@dataclass
class Split:
    images: np.ndarray | None  # (n, h, w, c); None when not asked for
    labels: np.ndarray | None  # (n,)
    is_train: np.ndarray  # (n,) True for training images


def split(dataset, name: str, with_images: bool = True) -> Split:
    """The split's images (copied together for "all": 220 MB for Fashion-MNIST; `with_images=False` gives None),
    labels and train flags."""
    if name not in SPLITS:
        raise DatasetError(f"unknown split {name!r}; choose one of: {', '.join(SPLITS)}")
    parts = {"train": [(dataset.x_train, dataset.y_train, True)], "test": [(dataset.x_test, dataset.y_test, False)]}
    chosen = parts["train"] + parts["test"] if name == "all" else parts[name]
    labelled = all(labels is not None for _, labels, _ in chosen)
    images = None if not with_images else np.concatenate([x for x, _, _ in chosen]) if len(chosen) > 1 else chosen[0][0]
    return Split(images,
                 np.concatenate([labels for _, labels, _ in chosen]) if labelled else None,
                 np.concatenate([np.full(len(images), train) for images, _, train in chosen]))


def parts(dataset, name: str) -> list[np.ndarray]:
    """The split's image arrays in order, without copying them together (60,000 Fashion-MNIST images are 188 MB)."""
    if name not in SPLITS:
        split(dataset, name)  # raises the message that names the splits
    return {"test": [dataset.x_test], "train": [dataset.x_train], "all": [dataset.x_train, dataset.x_test]}[name]


def images_at(dataset, name: str, indices) -> np.ndarray:
    """(k, h, w, c): the split's images at `indices` (an index into the split, as on its map)."""
    return gather(parts(dataset, name), indices)


def gather(arrays, indices) -> np.ndarray:
    """(k, h, w, c): images `indices` of `arrays` taken one after the other, in that order, without joining them."""
    arrays, indices = list(arrays), np.asarray(indices, dtype=int)
    bounds = np.cumsum([0] + [len(array) for array in arrays])
    output = np.empty((len(indices),) + arrays[0].shape[1:], arrays[0].dtype)
    for number, array in enumerate(arrays):
        inside = (indices >= bounds[number]) & (indices < bounds[number + 1])
        output[inside] = array[indices[inside] - bounds[number]]
    return output


def has_codes(store, name: str, dataset_name: str, split_name: str) -> bool:
    return (folder(store, name) / f"codes-{safe_name(dataset_name)}-{split_name}.npz").exists()


def folder(store: modelstore.ModelStore, name: str) -> Path:
    return store.cache_folder(name)


def safe_name(dataset_name: str) -> str:
    """A file-name-safe dataset name: a catalogue name as it is, a path as its last part plus a short hash."""
    if re.fullmatch(r"[A-Za-z0-9_]+", dataset_name):
        return dataset_name
    tail = re.sub(r"[^A-Za-z0-9_]+", "_", Path(dataset_name).name)[:40]
    return f"{tail}-{hashlib.sha256(dataset_name.encode()).hexdigest()[:10]}"


def _read(path: Path, created: str) -> dict | None:
    found = atomic.read_arrays(path)
    if found is None:
        return None
    if str(found.get("created")) != created:  # left by an earlier model of the same name
        path.unlink(missing_ok=True)
        return None
    return found


def codes(store, name: str, autoencoder, dataset, split_name: str,
          progress: Callable[[float], None] | None = None) -> np.ndarray:
    """(n, d) flat codes of the split, from the cache or encoded now (and cached with `errors`)."""
    return codes_and_errors(store, name, autoencoder, dataset, split_name, progress)[0]


def codes_and_errors(store, name: str, autoencoder, dataset, split_name: str,
                     progress: Callable[[float], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(codes (n, d), reconstruction errors (n,): mean squared error per image, decoded from those codes)."""
    created = str(store.meta(name).get("created"))
    path = folder(store, name) / f"codes-{safe_name(dataset.name)}-{split_name}.npz"
    found = _read(path, created)
    if found is not None:
        return found["codes"], found["errors"]
    from aecore.analysis import metrics  # SciPy's ndimage: imported when codes are encoded, not by every page

    arrays = parts(dataset, split_name)
    total, done, found_codes, errors = sum(len(array) for array in arrays), 0, [], []
    for array in arrays:
        for start in range(0, len(array), ENCODE_BATCH):
            batch = array[start : start + ENCODE_BATCH]
            batch_codes = autoencoder.encode(batch)
            found_codes.append(projections.flatten(batch_codes))
            errors.append(metrics.mean_squared_error(batch, autoencoder.decode(batch_codes)))
            done += len(batch)
            if progress is not None:
                progress(done / total)
    flat = np.concatenate(found_codes) if found_codes else np.zeros((0, 0), np.float32)
    error = np.concatenate(errors).astype(np.float32) if errors else np.zeros(0, np.float32)
    atomic.write_arrays(path, {"codes": flat, "errors": error, "created": np.array(created)})
    return flat, error


def map_file(store, name: str, dataset_name: str, split_name: str, method: str, seed: int) -> Path:
    """Where one map of the model's codes is cached (bench/maps.py removes it to time the map job)."""
    return folder(store, name) / f"map-{safe_name(dataset_name)}-{split_name}-{method}{f'-seed{seed}' if seed else ''}.npz"


def cached_map(store, name: str, dataset_name: str, split_name: str, method: str,
               seed: int = 0) -> projections.Projection | None:
    created = str(store.meta(name).get("created"))
    found = _read(map_file(store, name, dataset_name, split_name, method, seed), created)
    if found is None:
        return None
    return projections.Projection(method, found["points"], float(found["trustworthiness"]), float(found["seconds"]))


def project(store, name: str, autoencoder, dataset, split_name: str, method: str, seed: int = 0,
            progress: Callable[[str, float], None] | None = None) -> projections.Projection:
    """The split's map by `method`, from the cache or computed now (codes first, then the projection) and cached.
    `progress(stage, fraction)` names the stage: "encoding" or "projecting"."""
    if method not in projections.METHODS:
        raise DatasetError(f"unknown projection {method!r}; choose one of: {', '.join(projections.METHODS)}")
    found = cached_map(store, name, dataset.name, split_name, method, seed)
    if found is not None:
        return found
    report = (lambda stage: (lambda fraction: progress(stage, fraction))) if progress else (lambda stage: None)
    started = time.perf_counter()
    flat = codes(store, name, autoencoder, dataset, split_name, report("encoding"))
    projection = projections.project(flat, method, seed, progress=report("projecting"))
    projection.seconds = time.perf_counter() - started
    created = str(store.meta(name).get("created"))
    atomic.write_arrays(map_file(store, name, dataset.name, split_name, method, seed),
                        {"points": projection.points, "trustworthiness": np.array(projection.trustworthiness),
                         "seconds": np.array(projection.seconds), "created": np.array(created)})
    return projection


def points_csv(projection: projections.Projection, chosen: Split, class_names=None) -> str:
    """index, split, label, class, x, y: one row per image (index into the split)."""
    names = projections.label_names(chosen.labels, class_names) if chosen.labels is not None else None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["index", "split", "label", "class", "x", "y"])
    for index, (x, y) in enumerate(projection.points):
        writer.writerow([index, "train" if chosen.is_train[index] else "test",
                         "" if chosen.labels is None else int(chosen.labels[index]), names[index] if names else "",
                         f"{x:.5g}", f"{y:.5g}"])
    return buffer.getvalue()
