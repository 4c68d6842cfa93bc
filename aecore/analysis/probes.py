"""What the codes are good for: how well a simple classifier reads the classes off them.

Two probes, both fitted on training codes and scored on test codes: k nearest neighbours (k = 5, cosine
distance, the training codes as the index) and a linear probe (logistic regression on standardised codes).
The same two are run on the raw pixels and on PCA with as many dimensions as the code, so a model's numbers
read against "no model at all" and "the best linear code of that size". A high reconstruction score with
a low probe score is the write-up's warning in numbers: pixel-level reconstruction need not learn features
that separate the classes.

Bounded for the pages and the end of every training: at most PROBE_TRAIN training images (a seeded sample)
and PROBE_TEST test images (the first ones); the card says how many were used. The model's own probes go on
its card when training ends (about a second); the pixel and PCA baselines take longer (about 5 s for
Fashion-MNIST) and depend on the dataset only: the training job computes them once per dataset and code size
into the store (aecore.store.probecache), where `evaluate` and the Reconstructions page read them.
"""

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

PROBE_TRAIN = 5000  # training images behind each probe (a seeded sample when there are more)
PROBE_TEST = 2000  # test images each probe is scored on (the first ones, so every model sees the same)
NEIGHBOURS = 5


def sample(count: int, limit: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded sample of at most `limit` of `count` items (all of them when fewer)."""
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, limit, replace=False))


def probe_accuracies(train_features, train_labels, test_features, test_labels, seed: int = 0) -> dict:
    """{'knn_accuracy', 'linear_probe_accuracy'} of features (n, d) with integer labels (n,)."""
    train_features = np.asarray(train_features, np.float32).reshape(len(train_features), -1)
    test_features = np.asarray(test_features, np.float32).reshape(len(test_features), -1)
    knn = KNeighborsClassifier(n_neighbors=NEIGHBOURS, metric="cosine", algorithm="brute")
    knn.fit(train_features, train_labels)
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300, random_state=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs may stop at max_iter on raw pixels; the score is still the score
        linear.fit(train_features, train_labels)
    return {"knn_accuracy": float(knn.score(test_features, test_labels)),
            "linear_probe_accuracy": float(linear.score(test_features, test_labels))}


def probe_split(dataset, seed: int = 0):
    """(train images, train labels, test images, test labels) that every probe of this dataset uses, or None
    for a dataset without labels (or with one class only)."""
    if dataset.y_train is None or dataset.y_test is None or len(np.unique(dataset.y_train)) < 2:
        return None
    chosen = sample(len(dataset.x_train), PROBE_TRAIN, seed)
    return dataset.x_train[chosen], dataset.y_train[chosen], dataset.x_test[:PROBE_TEST], dataset.y_test[:PROBE_TEST]


def code_probes(autoencoder, dataset, seed: int = 0) -> dict | None:
    """{'knn_accuracy', 'linear_probe_accuracy', 'probe_train_images', 'probe_test_images'} of the model's codes
    (VAE: the mean), or None without labels. About a second on 2 cores: every model card carries it."""
    split = probe_split(dataset, seed)
    if split is None:
        return None
    train_images, train_labels, test_images, test_labels = split
    scores = probe_accuracies(autoencoder.encode(train_images), train_labels, autoencoder.encode(test_images),
                              test_labels, seed)
    return {**scores, "probe_train_images": len(train_images), "probe_test_images": len(test_images)}


def pixel_baseline(split, seed: int = 0) -> dict:
    """The probes on the raw pixels of a probe split (probe_split): {'knn_accuracy', 'linear_probe_accuracy'}.
    About 4 s for Fashion-MNIST on one core (logistic regression on 784 numbers), whatever the model."""
    train_images, train_labels, test_images, test_labels = split
    return probe_accuracies(train_images.reshape(len(train_images), -1), train_labels,
                            test_images.reshape(len(test_images), -1), test_labels, seed)


def pca_dimensions(split, dimensions: int) -> int:
    """The PCA size a baseline really uses: at most the pixels and the probe's training images."""
    train_images = split[0]
    return min(int(dimensions), len(train_images), int(np.prod(train_images.shape[1:])))


def pca_baseline(split, dimensions: int, seed: int = 0) -> dict:
    """The probes on PCA codes with `dimensions` components fitted on the split's training images: the best
    linear code of the model's size. {'knn_accuracy', 'linear_probe_accuracy', 'dimensions'}."""
    train_images, train_labels, test_images, test_labels = split
    pixels_train, pixels_test = train_images.reshape(len(train_images), -1), test_images.reshape(len(test_images), -1)
    dimensions = pca_dimensions(split, dimensions)
    pca = PCA(n_components=dimensions, random_state=seed).fit(pixels_train)
    scores = probe_accuracies(pca.transform(pixels_train), train_labels, pca.transform(pixels_test), test_labels, seed)
    return {**scores, "dimensions": dimensions}


def baseline_probes(dataset, dimensions: int, seed: int = 0) -> dict | None:
    """The same probes on the raw pixels and on PCA with `dimensions` components (fitted on the probe's training
    images): {"pixels": {...}, "pca": {..., "dimensions"}}. Several seconds (logistic regression on pixels); they
    depend on the dataset only, so aecore.store.probecache keeps them in the store, computed once."""
    split = probe_split(dataset, seed)
    if split is None:
        return None
    return {"pixels": pixel_baseline(split, seed), "pca": pca_baseline(split, dimensions, seed)}
