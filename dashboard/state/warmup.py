"""Home's warm-up: once a page has drawn, a thread of the server imports Keras (seconds, mostly TensorFlow) and loads
into the shared caches (dashboard.state.caches) the models the explore pages open on, tracing their graphs, so those
pages find them ready. Nothing here imports Keras at import time: Home, Train and Datasets draw without it."""

import importlib
import os
import threading

from dashboard.state import caches, picks

KERAS_MODULES = ("aecore.models.families", "aecore.store.serialization", "aecore.analysis.inspection",
                 "aecore.models.webexport")  # what loading and showing a model imports: seconds, mostly TensorFlow
_warming = threading.Lock()  # held while the warm-up thread imports them


WARM_MODELS = 4  # models of the dataset loaded by the warm-up: the quick start's four (picks.warm_order)


def warm_up(dataset_name: str | None = None) -> bool:
    """In a daemon thread: imports Keras and what pages use with it (once per server), then loads WARM_MODELS models
    that fit `dataset_name` into `caches.model`'s cache (each once): the ones the explore pages open on first, then the
    newest (picks.warm_order), and traces each one's graphs (`_trace`). True if it started the thread.
    A page calls this as its script ends: its own run never waits for it, and the next page finds Keras and its
    model loaded, or loading (Python's import lock and the cache's per-key lock then wait only for the rest).
    AECORE_WARM=0: never."""
    if os.environ.get("AECORE_WARM", "1") == "0" or not _warming.acquire(blocking=False):
        return False  # off, or warming already
    threading.Thread(target=_warm, args=(dataset_name,), name="aecore-warm-keras", daemon=True).start()
    return True


def _warm(dataset_name: str | None):
    try:
        for name in KERAS_MODULES:
            importlib.import_module(name)
        if dataset_name:
            data = caches.dataset(dataset_name)
            fitting = {entry.name: entry for entry in caches.model_store().entries()
                       if tuple(entry.meta.get("input_shape", ())) == data.input_shape}
            newest = sorted(fitting.values(), key=lambda entry: str(entry.meta.get("created")), reverse=True)
            metas = [{**entry.meta, "name": entry.name} for entry in newest]
            for name in picks.warm_order(metas, dataset_name, WARM_MODELS):
                _trace(caches.model(name, caches.stamp_of(fitting[name].meta)), data)
    except Exception:  # noqa: BLE001  a failed warm-up only means a page loads it itself, and says why
        pass
    finally:
        _warming.release()


def _trace(loaded, data):
    """Traces `loaded`'s encoder, decoder and whole model on one test image (its graphs are traced once per model,
    0.03-0.13 s of CPU each: bench/RESULTS.md, session 17), so a page's first call of them only runs them."""
    if data.x_test is not None and len(data.x_test):
        loaded.decode(loaded.encode(data.x_test[:1]))
        loaded.reconstruct(data.x_test[:1])
