"""A trained model's card: what it was trained on (and without), how long it took, and how well it does.

`describe_run` writes what the store keeps in meta.json: reconstruction metrics on the test set and, for a
labelled dataset, what a classifier reads off the codes (aecore.analysis.probes). `training_images` is the
one place that decides which training images a run may see (--exclude-class, --max-train-images).
`own_dataset` and its neighbours read any card, trained here or imported: which dataset the model belongs to,
and its scores there, so a page opens a model on its own data and says so when it shows it on other data.
"""

import concurrent.futures
import dataclasses
import re
from pathlib import Path

import numpy as np

from aecore.errors import TrainingError


def training_images(dataset, config) -> np.ndarray:
    """The training images this run may see: without `exclude_class` if set, then the first `max_train_images`."""
    images = dataset.x_train
    if config.exclude_class is not None:
        classes = sorted(int(label) for label in np.unique(dataset.y_train)) if dataset.y_train is not None else []
        if int(config.exclude_class) not in classes:
            raise TrainingError(f"cannot leave out class {config.exclude_class}: {dataset.name!r} has "
                                + (f"the classes {classes[0]} to {classes[-1]}" if classes else "no labels")
                                + "; give --exclude-class one of its class numbers, or leave it out")
        images = images[dataset.y_train != int(config.exclude_class)]
    return images[: config.max_train_images] if config.max_train_images else images


def excluded_class(dataset, config) -> dict:
    """What the card keeps of --exclude-class: the class left out and the classes that were trained on."""
    if config.exclude_class is None:
        return {}
    kept = dataset.y_train[dataset.y_train != int(config.exclude_class)]
    kept = kept[: config.max_train_images] if config.max_train_images else kept
    names = dataset.class_names
    return {"excluded_class": int(config.exclude_class), "trained_classes": sorted(int(label) for label in np.unique(kept)),
            "excluded_class_name": names[int(config.exclude_class)] if names else None}


def detector_name(meta: dict) -> str | None:
    """The name a model trained without one class gets when none is given: the store's usual
    family-dataset-latent and the class it never saw ("conv-fashion_mnist-32-without-sandal"), so no page or list
    mistakes it for a model of every class. None for a model of every class (the store's default name then)."""
    if meta.get("excluded_class") is None:
        return None
    label = str(meta.get("excluded_class_name") or meta["excluded_class"])
    label = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or str(meta["excluded_class"])
    dataset = Path(str(meta.get("dataset", "data"))).name  # a dataset given as a path: its name
    return f"{meta.get('family')}-{dataset}-{meta.get('latent_dim', 'z')}-without-{label}"


def describe_run(autoencoder, dataset, config, history, seconds, notes) -> dict:
    """The metadata the store keeps: what was trained on what, how long it took, and how well it does.

    The test scores (NumPy, ~0.4 s for 10,000 images) are computed in a thread while this one encodes the probes'
    images and fits them (TensorFlow and scikit-learn, ~0.3-0.6 s): both release the GIL, and after its fit a
    training has the cores to itself (bench/RESULTS.md, "The quick start, session 19", #35)."""
    # scikit-learn and SciPy: a second to import; the pages that read cards need neither
    from aecore.analysis import metrics, probes

    rebuilt = autoencoder.reconstruct(dataset.x_test)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="aecore-card") as pool:
        scoring = pool.submit(metrics.summarize, dataset.x_test, rebuilt)
        found = probes.code_probes(autoencoder, dataset, config.seed) or {}
        test_metrics = scoring.result()
    return {
        "family": autoencoder.family,
        "options": autoencoder.options,
        "latent_dim": autoencoder.latent_dim,
        "code_shape": list(autoencoder.code_shape),
        "dataset": dataset.name,
        "dataset_source": dataset.source,
        "input_shape": list(dataset.input_shape),
        "class_names": dataset.class_names,
        "params": autoencoder.count_params(),
        "train_seconds": round(seconds, 3),
        "epochs_run": max((len(series) for series in history.values()), default=0),  # stacked: stages + fine-tuning
        "train_images": len(training_images(dataset, config)),
        **excluded_class(dataset, config),
        "train_config": dataclasses.asdict(config),
        "history": history,
        "metrics": {**{f"test_{key}": value for key, value in test_metrics.items()},
                    **{key: value for key, value in found.items() if key.endswith("accuracy")}},
        "probe_images": {"train": found.get("probe_train_images"), "test": found.get("probe_test_images")} if found else None,
        "notes": notes,
    }


# ---------------------------------------------------------------- the model's own dataset, for the pages

NO_DATASET = "imported"  # an imported model's card when no dataset of its size was there to score it on


def own_dataset(meta: dict) -> str | None:
    """The dataset the model was trained on, or (imported) scored on: its card's `dataset`; None without one."""
    name = meta.get("dataset")
    return None if not name or name == NO_DATASET else str(name)


def own_dataset_here(meta: dict, available: list[str] | None = None) -> str | None:
    """own_dataset when it is there to explore (in `available`, default: the catalogue's available ones), else
    None: the dashboard switches to it when a model is picked."""
    name = own_dataset(meta)
    if name is None:
        return None
    if available is None:
        from aecore.data import catalog

        available = [info.name for info in catalog.list_datasets() if info.available]
    return name if name in available else None


def is_own_dataset(meta: dict, dataset_name: str) -> bool:
    """True when `dataset_name` is the one the model was trained or scored on (False when the card names none)."""
    return own_dataset(meta) is not None and own_dataset(meta) == dataset_name


def card_scores(meta: dict, dataset_name: str | None = None) -> dict | None:
    """The card's test scores (test_bce, test_mse, test_psnr, test_ssim and, on labelled data, knn_accuracy and
    linear_probe_accuracy), on its own dataset; None when `dataset_name` is another one or none were recorded."""
    if dataset_name is not None and not is_own_dataset(meta, dataset_name):
        return None
    return dict(meta.get("metrics") or {}) or None


def test_scores(autoencoder, dataset) -> dict:
    """test_bce, test_mse, test_psnr, test_ssim of the model on `dataset`'s test set, for a model viewed on a
    dataset other than its own (one pass over the test set: seconds for 10,000 images, so pages cache it)."""
    from aecore.analysis import metrics

    summary = metrics.summarize(dataset.x_test, autoencoder.reconstruct(dataset.x_test))
    return {f"test_{key}": value for key, value in summary.items()}
