"""Rare events (issue #38): code-space scores against reconstruction error and PCA, and series detectors.

images: Fashion-MNIST with each class left out of training in turn: a small conv model per class, then the
    test set scored by reconstruction error, the distance to the k=5 nearest training codes (cosine and
    Euclidean), the Mahalanobis distance and PCA; ROC AUC of each. One JSON line per class.
series: each bundled labelled series (aeon's wheel) added as a dataset, the default sequence family trained,
    every step scored; point-wise ROC AUC against scikit-learn's IsolationForest on the same windows.
    One JSON line per series and family.

Usage (one at a time on the machine, under the training lock):
    flock /tmp/aecore-train.lock nice -n 19 python bench/rare_events.py images [--classes 0,1] [--epochs 3]
    flock /tmp/aecore-train.lock nice -n 19 python bench/rare_events.py series [--families conv1d,lstm_seq]
"""

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def images(arguments):
    from aecore.analysis import anomaly
    from aecore.data import catalog
    from aecore.training import trainer

    dataset = catalog.load_dataset("fashion_mnist")
    for rare in [int(part) for part in arguments.classes.split(",")]:
        started = time.perf_counter()
        config = trainer.TrainConfig(epochs=arguments.epochs, batch_size=128, patience=0, exclude_class=rare,
                                     snapshots="off", max_train_images=arguments.max_train_images)
        model = trainer.train("conv", dataset, arguments.latent_dim, {"filters": (16, 32)}, config)
        trained = time.perf_counter() - started
        aucs = {name: detection.summary()["auc"] for name, detection in anomaly.detect_all(model, dataset, rare).items()}
        aucs["code_distance_euclidean"] = anomaly.detect_all(model, dataset, rare, metric="euclidean")["code_distance"].summary()["auc"]
        aucs["pca"] = anomaly.detect_with_pca(dataset, rare, arguments.latent_dim).summary()["auc"]
        print(json.dumps({"rare": rare, "class": catalog.FASHION_MNIST_CLASS_NAMES[rare],
                          **{key: round(value, 4) for key, value in aucs.items()},
                          "train_seconds": round(trained, 1), "seconds": round(time.perf_counter() - started, 1)}),
              flush=True)


def series(arguments):
    from aecore.analysis import serieseval
    from aecore.data import owndata
    from aecore.data import series as series_data
    from aecore.training import trainer

    store = tempfile.mkdtemp(prefix="bench-rare-events-")
    for name, (path, train_steps) in series_data.bundled_series(labelled_only=True).items():
        owndata.add(name, path, series_data.SeriesOptions(window=arguments.window, train_steps=train_steps), store)
        dataset = owndata.load(name, store)
        forest = serieseval.isolation_forest_scores(dataset)
        curves = {"IsolationForest": forest}
        for family in arguments.families.split(","):
            started = time.perf_counter()
            model = trainer.train(family, dataset)  # every default, as `train --dataset NAME` trains it
            seconds = time.perf_counter() - started
            curves[family] = serieseval.step_scores(model, dataset)
            scored = serieseval.evaluate(curves[family], dataset)
            baseline = serieseval.evaluate(forest, dataset)
            code = serieseval.evaluate(serieseval.code_step_scores(model, dataset), dataset)
            print(json.dumps({"series": name, "family": family, "steps": len(dataset.values),
                              "train_windows": len(dataset.x_train), "epochs_run": model.meta["epochs_run"],
                              "train_seconds": round(seconds, 1), "auc": round(scored["auc"], 4),
                              "event_precision": scored["event_precision"], "event_recall": scored["event_recall"],
                              "isolation_forest_auc": round(baseline["auc"], 4),
                              "code_distance_auc": round(code["auc"], 4)}), flush=True)
        if arguments.plot:
            plot_series(dataset, curves, arguments.plot)


def plot_series(dataset, curves: dict, path: str):
    """Each detector's step scores (scaled to its own training-part maximum) over the test part, events shaded."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    from aecore.data import series as series_data

    figure, axes = pyplot.subplots(len(curves) + 1, 1, figsize=(10, 1.6 * (len(curves) + 1)), sharex=True)
    steps = range(dataset.train_steps, len(dataset.values))
    axes[0].plot(steps, dataset.values[dataset.train_steps:, 0], linewidth=0.6)
    axes[0].set_ylabel(dataset.columns[0])
    for axis, (name, scores) in zip(axes[1:], curves.items()):
        axis.plot(steps, scores[dataset.train_steps:] / scores[:dataset.train_steps].max(), linewidth=0.6)
        axis.axhline(1.0, color="grey", linewidth=0.5)  # the training-max threshold
        axis.set_ylabel(name, fontsize=8)
    for axis in axes:
        for first, last in series_data.step_events(dataset.step_labels):
            axis.axvspan(first, last, color="red", alpha=0.3)
    axes[-1].set_xlabel(f"step ({dataset.name}: test part; red = labelled event; grey = largest training score)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = parser.add_subparsers(dest="part", required=True)
    image_part = parts.add_parser("images")
    image_part.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    image_part.add_argument("--epochs", type=int, default=3)
    image_part.add_argument("--latent-dim", type=int, default=32)
    image_part.add_argument("--max-train-images", type=int, default=None)
    series_part = parts.add_parser("series")
    series_part.add_argument("--families", default="conv1d,lstm_seq")
    series_part.add_argument("--window", type=int, default=64)
    series_part.add_argument("--plot", help="a PNG of each detector's scores along the test part")
    arguments = parser.parse_args()
    {"images": images, "series": series}[arguments.part](arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
