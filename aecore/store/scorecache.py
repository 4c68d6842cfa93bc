"""A model's anomaly scores on its test set, kept beside the model: what the Anomalies page shows first.

Scoring 10,000 Fashion-MNIST test images every way the page shows (reconstruction error, PCA of the code's size, the
distance to the nearest normal training codes, Mahalanobis, a VAE's negative ELBO) encodes and rebuilds the training
set and costs seconds of CPU; the page's first open did it all (#35). The training job scores each model it trained
once its queue is empty (aecore.training.afterqueue.keep_anomaly_scores), for the class the page opens on
(anomaly.first_rare_class), and the page reads them from here:

    <store>/<model>/cache/anomaly-<rare>-<key>.npz    per score: its (n_test,) test scores and its threshold
                                                       ("complete" false: reconstruction error and PCA so far)
    <store>/.cache/<model>/...                         the same for a shipped (read-only) model

`<key>` is a hash of the test images and labels, the training labels, a sample of the training images and how they
are scored, so a dataset replaced under the same name never meets old scores. The file holds the model's `created`
stamp and is ignored when it differs (a model saved again under a freed name); it goes when the model is deleted.
Written atomically; a lock file per score file makes a second process (the page, while the job scores) wait for the
first one's result instead of computing it again, and `computing` tells a page that someone is at it.
"""

import fcntl
import hashlib
import time
import weakref
from pathlib import Path

import numpy as np

from aecore.analysis import anomaly, codespace
from aecore.base import atomic
from aecore.store import modelstore

VERSION = 2  # bump when a score changes, so older files are not read
TRAIN_STRIDE = 64  # every 64th training image goes into the key (hashing all 188 MB of them took 0.2 s a read)


_KEYS: dict = {}  # (ids of the dataset's arrays, seed) -> (weak references to them, key): a page asks every second
KEYS_KEPT = 8


def dataset_key(dataset, seed: int = 0) -> str:
    """16 hex digits naming the test set, the training labels and images (a sample), and how they are scored.
    Remembered for the very same arrays while they live (hashing Fashion-MNIST's takes 0.04-0.12 s)."""
    arrays = [dataset.x_test, dataset.y_test, dataset.y_train, dataset.x_train]
    ids = (tuple(id(array) for array in arrays), seed)
    remembered = _KEYS.get(ids)
    if remembered is not None and all(ref() is array for ref, array in zip(remembered[0], arrays)):
        return remembered[1]
    key = _hash(dataset, seed)
    if all(isinstance(array, np.ndarray) for array in arrays):
        if len(_KEYS) >= KEYS_KEPT:
            _KEYS.pop(next(iter(_KEYS)))
        _KEYS[ids] = ([weakref.ref(array) for array in arrays], key)
    return key


def _hash(dataset, seed: int) -> str:
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"v{VERSION} seed{seed} {codespace.DEFAULT_METRIC} k{codespace.DEFAULT_NEIGHBOURS} "
                  f"t{anomaly.THRESHOLD_TRAIN} {np.shape(dataset.x_train)}".encode())
    for array in (dataset.x_test, dataset.y_test, dataset.y_train, dataset.x_train[::TRAIN_STRIDE]):
        if array is None:  # unlabelled: nothing to hash (nor to score, but the key stays defined)
            digest.update(b"none")
            continue
        digest.update(str(np.shape(array)).encode() + str(getattr(array, "dtype", "")).encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def score_file(store: modelstore.ModelStore, name: str, dataset, rare: int, seed: int = 0) -> Path:
    """Where model `name`'s scores of class `rare` on `dataset` are kept."""
    return store.cache_folder(name) / f"anomaly-{int(rare)}-{dataset_key(dataset, seed)}.npz"


def cached(store: modelstore.ModelStore, name: str, dataset, rare: int, seed: int = 0,
           partial: bool = False) -> dict | None:
    """{score name: anomaly.Detection} as kept for model `name` (keys as anomaly.detect_everything's), or None when
    nothing is kept for this model, dataset and class (never computes). `partial`: also the reconstruction error and
    PCA alone, kept while the code-space scores compute."""
    return _read(score_file(store, name, dataset, rare, seed), store.meta(name), dataset, rare, partial)


def computing(store: modelstore.ModelStore, name: str, dataset, rare: int, seed: int = 0) -> bool:
    """True while another process (the training job) computes these scores: its lock on them is held."""
    lock = _lock_file(score_file(store, name, dataset, rare, seed))
    if not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def scores(store: modelstore.ModelStore, name: str, autoencoder, dataset, rare: int, seed: int = 0) -> dict:
    """{score name: anomaly.Detection}: read from the store, or computed by anomaly.detect_everything and kept the
    first time. Blocks while another process computes the same file, then reads it."""
    path, meta = score_file(store, name, dataset, rare, seed), store.meta(name)
    found = _read(path, meta, dataset, rare)
    if found is not None:
        return found
    with atomic.exclusive(_lock_file(path)):
        found = _read(path, meta, dataset, rare)  # another process may have written it while this one waited
        if found is None:
            started = time.perf_counter()
            found = anomaly.detect_everything(autoencoder, dataset, rare, seed, early=lambda part: _write(
                path, part, meta, time.perf_counter() - started, complete=False))
            _write(path, found, meta, time.perf_counter() - started)
    return found


def _read(path: Path, meta: dict, dataset, rare: int, partial: bool = False) -> dict | None:
    kept = atomic.read_arrays(path)
    if kept is None or str(kept.get("created")) != str(meta.get("created")) or not (partial or kept["complete"]):
        return None
    rare_mask = dataset.y_test == rare
    return {str(name): anomaly.Detection(kept[f"scores_{name}"], rare_mask, float(threshold))
            for name, threshold in zip(kept["names"], kept["thresholds"])}


def _write(path: Path, found: dict, meta: dict, seconds: float, complete: bool = True):
    names = list(found)
    thresholds = np.array([found[name].threshold for name in names])
    atomic.write_arrays(path, {"names": np.array(names), "thresholds": thresholds,
                               **{f"scores_{name}": found[name].scores for name in names},
                               "created": np.array(str(meta.get("created"))), "seconds": np.array(seconds),
                               "complete": np.array(complete)})


def _lock_file(path: Path) -> Path:
    return path.with_name(f".{path.stem}.lock")
