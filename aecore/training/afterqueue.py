"""What a worker keeps for the pages once its queue is empty, so no page computes it on a first open (#35).

Each step reads the model and dataset the worker already holds, writes into the store's caches, and never fails the
job (the model is saved already; a page computes whatever is missing): the probes' baselines (`fill_baselines`), the
Restore page's first curves (`keep_first_opens`), the Anomalies page's scores (`keep_anomaly_scores`), each for the
page's own model first (`restore_order`, `anomaly_order`), and the Latent map's UMAP of every image (`premap`).
aecore.training.worker runs them.
"""

import math
import os
import sys

from aecore.store import modelstore


def fill_baselines(dataset, meta: dict, store_root=None):
    """The probes' pixel and PCA baselines for the model's dataset and code size, computed into the store once
    (aecore.store.probecache: ~5 s for Fashion-MNIST the first time, nothing after), so no page computes them
    when it first opens the model. Never fails the job: the model is saved already."""
    from aecore.store import probecache

    if meta.get("family") == "photo" or getattr(dataset, "y_train", None) is None:
        return  # photos have no classes, nor does an unlabelled dataset
    try:
        dimensions = math.prod(meta["code_shape"])
        if probecache.cached_baselines(dataset, dimensions, store_root) is None:
            print(f"probing raw pixels and PCA-{dimensions} on {dataset.name} for the pages (once per dataset) ...",
                  file=sys.stderr, flush=True)
            probecache.baselines(dataset, dimensions, store_root)
    except Exception as error:  # noqa: BLE001  a page computes what is missing
        print(f"the probes' baselines were not kept: {type(error).__name__}: {error}", file=sys.stderr, flush=True)


def keep_first_opens(name: str, autoencoder, dataset, store_root=None):
    """What the Restore page would compute when it first opens the model, kept in the store (aecore.store.probecache):
    its first curve (100 test images) and its noise slider's images, at 21 Gaussian levels. Never fails: the page
    computes what is missing."""
    from aecore.store import probecache

    if not _first_opens_apply(autoencoder, dataset):
        return
    store = modelstore.ModelStore(store_root)
    try:
        for indices in (range(probecache.SWEEP_IMAGES), probecache.slider_indices(len(dataset.x_test))):
            probecache.keep_sweep(store, name, autoencoder, dataset.x_test[list(indices)])
    except Exception as error:  # noqa: BLE001
        print(f"the denoising sweep of {name} was not kept: {type(error).__name__}: {error}", file=sys.stderr, flush=True)


def keep_anomaly_scores(name: str, autoencoder, dataset, store_root=None):
    """Every anomaly score of the test set for the class the Anomalies page opens on (anomaly.first_rare_class),
    kept beside the model (aecore.store.scorecache; ~7 s of CPU for a Fashion-MNIST model of code 32, 2 s for a
    code of 2). Labelled images only. Never fails: the page computes what is missing."""
    from aecore.analysis import anomaly
    from aecore.store import scorecache

    if not _first_opens_apply(autoencoder, dataset) or dataset.y_test is None or dataset.y_train is None:
        return  # no class can play the rare one
    try:
        store = modelstore.ModelStore(store_root)
        scorecache.scores(store, name, autoencoder, dataset, anomaly.first_rare_class(store.meta(name)))
    except Exception as error:  # noqa: BLE001
        print(f"the anomaly scores of {name} were not kept: {type(error).__name__}: {error}", file=sys.stderr,
              flush=True)


def anomaly_order(outcome: dict) -> tuple:
    """Sort key: the model the Anomalies page opens on first, as dashboard.state.picks chooses it (a detector, else
    the best test PSNR), so the page of a newcomer who opens it soon after the quick start finds its scores kept."""
    meta = outcome.get("meta") or {}
    return meta.get("excluded_class") is None, -_test_psnr(meta)


def restore_order(outcome: dict) -> tuple:
    """Sort key: the model the Restore page opens on first (a denoising model, else the best test PSNR, as
    dashboard.state.picks chooses it), so its curves are kept first: the quick start's denoiser lands last, and a
    newcomer who opened Restore soon after "done" found the page computing them itself (bench/RESULTS.md, #35)."""
    meta = outcome.get("meta") or {}
    return meta.get("family") != "denoising", meta.get("excluded_class") is not None, -_test_psnr(meta)


def _test_psnr(meta: dict) -> float:
    psnr = (meta.get("metrics") or {}).get("test_psnr")
    return psnr if isinstance(psnr, (int, float)) and math.isfinite(psnr) else -math.inf


def _first_opens_apply(autoencoder, dataset) -> bool:
    """Photos and series have pages of their own; a dataset without test images has nothing to show."""
    return autoencoder is not None and autoencoder.family != "photo" and not getattr(dataset, "is_series", False) \
        and dataset.x_test is not None and len(dataset.x_test) > 0


def premap(name: str, dataset_name: str, store_root=None, method: str | None = None):
    """The map of every image of the dataset by `method` (default $AECORE_PREMAP, "umap"), into the model's cache,
    as `python -m aecore project` makes it. Never fails: the page computes what is missing."""
    from aecore.data import catalog
    from aecore.store import mapcache

    method = os.environ.get("AECORE_PREMAP", "umap") if method is None else method
    if not method:
        return
    try:
        store = modelstore.ModelStore(store_root)
        if store.meta(name).get("family") == "photo":
            return  # any size: no dataset map
        dataset = catalog.load_dataset(dataset_name)
        if mapcache.cached_map(store, name, dataset.name, "all", method) is None:
            print(f"mapping every image of {dataset.name} for {name} ({method}) for the Latent map ...",
                  file=sys.stderr, flush=True)
            mapcache.project(store, name, store.load(name), dataset, "all", method)
    except Exception as error:  # noqa: BLE001  the Latent map's own job computes it then
        print(f"the {method} map of {name} was not kept: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
