"""Anomaly detection by reconstruction error: a model trained without one class rebuilds that class badly.

Every test image gets a score, its mean squared reconstruction error; the "rare" class is the positive one.
Reported: the ROC curve and its AUC, average precision, and the tutorials' rule "flag anything rebuilt worse
than the worst training image" (TensorFlow's ECG example, keras.io's timeseries example) with its precision
and recall. The same for PCA with as many components as the code, fitted on the same normal training
images: the baseline a detector should beat.

Beside reconstruction error, the scores read off the code space (aecore.analysis.codespace): the distance to the
nearest normal training codes, the Mahalanobis distance, and a VAE's negative ELBO. `Scorer` gives every score of
any images (the Anomalies page and the latent map colour by them); `detect_all` makes each one a detector.
"""

import functools
from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from aecore.analysis import codespace, metrics, probes
from aecore.errors import ModelError

THRESHOLD_TRAIN = 5000  # normal training images behind the "largest training error" threshold (seeded sample)


@dataclass
class Detection:
    scores: np.ndarray  # (n_test,) reconstruction error per test image (mean squared error)
    rare: np.ndarray  # (n_test,) True for the rare class
    threshold: float  # the largest reconstruction error of a normal training image

    def summary(self) -> dict:
        return {"auc": float(roc_auc_score(self.rare, self.scores)),
                "average_precision": float(average_precision_score(self.rare, self.scores)),
                "threshold": float(self.threshold), **self.at(self.threshold)}

    def at(self, threshold: float) -> dict:
        """Precision, recall and the confusion counts when everything above `threshold` is flagged. Counted in the
        sorted scores (a binary search each), since the live threshold asks for 401 thresholds per score."""
        rare_sorted, normal_sorted = self._sorted
        true_positive = len(rare_sorted) - int(np.searchsorted(rare_sorted, threshold, side="right"))
        false_positive = len(normal_sorted) - int(np.searchsorted(normal_sorted, threshold, side="right"))
        false_negative = len(rare_sorted) - true_positive
        return {"precision": true_positive / max(1, true_positive + false_positive),
                "recall": true_positive / max(1, true_positive + false_negative),
                "true_positive": true_positive, "false_positive": false_positive, "false_negative": false_negative,
                "true_negative": len(normal_sorted) - false_positive}

    @functools.cached_property
    def _sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """(the rare images' scores, the normal images' scores), each sorted."""
        rare = np.asarray(self.rare, dtype=bool)
        return np.sort(self.scores[rare]), np.sort(self.scores[~rare])

    def roc(self) -> tuple[np.ndarray, np.ndarray]:
        false_positive_rate, true_positive_rate, _ = roc_curve(self.rare, self.scores)
        return false_positive_rate, true_positive_rate


def rare_class(meta: dict, rare: int | None, dataset) -> int:
    """The rare class: the one asked for, else the one the model was trained without."""
    chosen = rare if rare is not None else meta.get("excluded_class")
    if chosen is None:
        raise ModelError(f"say which class is rare (--rare K): model {meta.get('name')!r} was trained on every class "
                         "(train one with --exclude-class K to make a detector of class K)")
    classes = np.unique(dataset.y_test) if dataset.y_test is not None else []
    if int(chosen) not in {int(label) for label in classes}:
        raise ModelError(f"class {chosen} is not among {dataset.name!r}'s test labels {sorted(int(c) for c in classes)}")
    return int(chosen)


def first_rare_class(meta: dict) -> int:
    """The rare class a page opens on: the one the model was trained without, else class 0 (what the training job
    scores ahead, aecore.store.scorecache)."""
    excluded = meta.get("excluded_class")
    return int(excluded) if excluded is not None else 0


def normal_training_images(dataset, rare: int, seed: int = 0) -> np.ndarray:
    normal = dataset.x_train[dataset.y_train != rare] if dataset.y_train is not None else dataset.x_train
    return normal[probes.sample(len(normal), THRESHOLD_TRAIN, seed)]


def detect(autoencoder, dataset, rare: int, seed: int = 0) -> Detection:
    """The model as a detector of class `rare` on the test set."""
    normal = normal_training_images(dataset, rare, seed)
    threshold = metrics.mean_squared_error(normal, autoencoder.reconstruct(normal)).max()
    scores = metrics.mean_squared_error(dataset.x_test, autoencoder.reconstruct(dataset.x_test))
    return Detection(scores, dataset.y_test == rare, float(threshold))


def detect_with_pca(dataset, rare: int, components: int, seed: int = 0) -> Detection:
    """PCA with `components` components, fitted on the normal training images, as the same kind of detector."""
    normal = normal_training_images(dataset, rare, seed)
    flat = normal.reshape(len(normal), -1)
    pca = PCA(n_components=min(components, *flat.shape), random_state=seed).fit(flat)

    def rebuild(images):
        flat_images = images.reshape(len(images), -1)
        return pca.inverse_transform(pca.transform(flat_images)).reshape(images.shape)
    threshold = metrics.mean_squared_error(normal, rebuild(normal)).max()
    return Detection(metrics.mean_squared_error(dataset.x_test, rebuild(dataset.x_test)), dataset.y_test == rare, float(threshold))


# ---------------------------------------------------------------- every score of a model, side by side

SCORE_NAMES = ("reconstruction", "code_distance", "mahalanobis", "negative_elbo")  # negative_elbo: VAEs only


@dataclass
class Scorer:
    """Every anomaly score of one model, fitted on normal training images: call `scores` on any images."""

    autoencoder: object  # aecore.models.autoencoder.Autoencoder
    space: codespace.CodeSpace  # the normal training codes
    threshold_images: np.ndarray  # the normal training images behind each score's "largest training score"

    @property
    def names(self) -> list[str]:
        return [name for name in SCORE_NAMES if name != "negative_elbo" or self.autoencoder.is_variational]

    def scores(self, images, training: bool = False) -> dict[str, np.ndarray]:
        """{score name: (n,) scores}, higher = more unusual. `training`: the images are among the fitted training
        images, so each one's own code is not counted among its nearest."""
        found = {"reconstruction": metrics.mean_squared_error(images, self.autoencoder.reconstruct(images))}
        return found | self.code_scores(images, training)

    def code_scores(self, images, training: bool = False) -> dict[str, np.ndarray]:
        """`scores` without the reconstruction error: the images encoded once."""
        codes = self.autoencoder.encode(images)
        found = {"code_distance": codespace.knn_distance(self.space, codes, skip_self=training),
                 "mahalanobis": codespace.mahalanobis(self.space, codes)}
        if self.autoencoder.is_variational:
            found["negative_elbo"] = codespace.negative_elbo(self.autoencoder, images)
        return found

    def thresholds(self) -> dict[str, float]:
        """The largest score of a normal training image, for each score (the tutorials' rule)."""
        return {name: float(values.max()) for name, values in self.scores(self.threshold_images, training=True).items()}


def fit_scorer(autoencoder, dataset, rare: int | None, seed: int = 0, metric: str = codespace.DEFAULT_METRIC,
               neighbours: int = codespace.DEFAULT_NEIGHBOURS) -> Scorer:
    """The scorer of `autoencoder`, its code space fitted on every training image not of class `rare` (all of them
    when `rare` is None or the dataset is unlabelled)."""
    normal = dataset.x_train
    if rare is not None and dataset.y_train is not None:
        normal = normal[dataset.y_train != rare]
    space = codespace.fit(autoencoder.encode(normal), metric, neighbours)
    return Scorer(autoencoder, space, normal[probes.sample(len(normal), THRESHOLD_TRAIN, seed)])


def detect_all(autoencoder, dataset, rare: int, seed: int = 0, metric: str = codespace.DEFAULT_METRIC,
               neighbours: int = codespace.DEFAULT_NEIGHBOURS) -> dict[str, Detection]:
    """{score name: the model as a detector of class `rare` by that score}, reconstruction error included."""
    scorer = fit_scorer(autoencoder, dataset, rare, seed, metric, neighbours)
    thresholds, test_scores = scorer.thresholds(), scorer.scores(dataset.x_test)
    rare_mask = dataset.y_test == rare
    return {name: Detection(test_scores[name], rare_mask, thresholds[name]) for name in scorer.names}


def detect_everything(autoencoder, dataset, rare: int, seed: int = 0, early=None) -> dict[str, Detection]:
    """What the Anomalies page shows of a model on images: reconstruction error (key "reconstruction"), PCA with as
    many components as the code ("PCA"), then the code-space scores of `detect_all` (default metric and k), each a
    detector of class `rare` on the whole test set: `detect_all`'s figures and `detect_with_pca`'s. `early`, if
    given, gets the first two while the code-space scores compute (about half the time)."""
    found = {"reconstruction": detect(autoencoder, dataset, rare, seed),
             "PCA": detect_with_pca(dataset, rare, int(np.prod(autoencoder.code_shape)), seed)}
    if early is not None:
        early(dict(found))
    scorer = fit_scorer(autoencoder, dataset, rare, seed)
    sample, test = scorer.code_scores(scorer.threshold_images, training=True), scorer.code_scores(dataset.x_test)
    rare_mask = dataset.y_test == rare
    return found | {name: Detection(test[name], rare_mask, float(sample[name].max())) for name in test}
