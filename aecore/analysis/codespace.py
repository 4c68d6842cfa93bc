"""Scores read off the code space: how far a code lies from the codes of the normal training images.

A model trained without a class often rebuilds that class almost as well as the others (its reconstruction error
says little), yet puts its codes away from every training code. Two distances, fitted on the normal training codes:
the mean distance to the k nearest of them (cosine or Euclidean), and the Mahalanobis distance to their mean under
their covariance. For a VAE, also the negative ELBO of each image: its reconstruction cross-entropy through the
posterior mean plus the KL divergence of its posterior from the prior.

Codes of any shape are flattened: (n, *code_shape) -> (n, latent_dim).

The k nearest codes come from a k-d tree (scikit-learn's KDTree) for codes of up to TREE_MAX_DIM numbers: the same
distances as comparing every pair (to ~1e-15), at a third of the CPU for Fashion-MNIST's 10,000 test codes of 32
numbers against 54,000 training codes (1.9 s against 5.1 s on one thread; bench/RESULTS.md, #35). On unit vectors
the cosine distance is half the squared Euclidean one, 1 - a.b = |a - b|^2 / 2, so one tree serves both metrics;
a zero code (no direction) is compared pair by pair, as before.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import KDTree

from aecore.errors import ModelError

METRICS = ("cosine", "euclidean")
DEFAULT_METRIC = "cosine"  # the measurement: 0.90 on MNIST's 7s, k = 5
DEFAULT_NEIGHBOURS = 5
RIDGE = 1e-6  # added to the covariance's diagonal (relative to its mean variance): dead code units stay invertible
CHUNK = 256  # query codes per distance block: (256, n_train) floats at a time (55 MB for 54,000 codes)
TREE_MAX_DIM = 32  # codes of up to this many numbers get a k-d tree (measured at 32; a tree loses in high dimensions)


@dataclass
class CodeSpace:
    """The normal training codes and what the distances need of them."""

    codes: np.ndarray  # (n_train, latent_dim) float64; unit length for cosine
    metric: str  # "cosine" or "euclidean"
    neighbours: int  # k
    mean: np.ndarray  # (latent_dim,) of the raw codes
    precision: np.ndarray  # (latent_dim, latent_dim) inverse covariance of the raw codes
    tree: KDTree | None = None  # over `codes`, when they are few numbers each (and, for cosine, none is zero)


def flat(codes) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.float64)
    return codes.reshape(len(codes), -1)


def fit(codes, metric: str = DEFAULT_METRIC, neighbours: int = DEFAULT_NEIGHBOURS) -> CodeSpace:
    """The code space of `codes` (n_train, ...), the normal training codes."""
    if metric not in METRICS:
        raise ModelError(f"unknown code distance {metric!r}: choose one of {', '.join(METRICS)}")
    codes = flat(codes)
    if not 1 <= neighbours < len(codes):
        raise ModelError(f"k = {neighbours} nearest codes needs more than {neighbours} training codes; "
                         f"got {len(codes)}: lower k or use more training images")
    covariance = np.atleast_2d(np.cov(codes, rowvar=False))
    ridge = RIDGE * max(float(np.mean(np.diag(covariance))), 1e-12)
    precision = np.linalg.pinv(covariance + ridge * np.eye(len(covariance)), hermitian=True)
    stored = _unit(codes) if metric == "cosine" else codes
    tree = KDTree(stored) if codes.shape[1] <= TREE_MAX_DIM and _directed(codes, metric) else None
    return CodeSpace(stored, metric, int(neighbours), codes.mean(axis=0), precision, tree)


def _directed(codes: np.ndarray, metric: str) -> bool:
    """False when the cosine distance meets a zero code: 1 - a.b is then 1, not |a - b|^2 / 2, so no tree."""
    return metric != "cosine" or bool(np.all(np.linalg.norm(codes, axis=1) > 1e-12))


def _unit(codes: np.ndarray) -> np.ndarray:
    return codes / np.maximum(np.linalg.norm(codes, axis=1, keepdims=True), 1e-12)


def knn_distance(space: CodeSpace, codes, skip_self: bool = False) -> np.ndarray:
    """(n,) mean distance of each code to its k nearest training codes. `skip_self`: the codes are training
    codes themselves, so each one's nearest (itself, at distance 0) is left out."""
    codes = flat(codes)
    query = _unit(codes) if space.metric == "cosine" else codes
    take = space.neighbours + int(skip_self)
    if space.tree is not None and len(query) and _directed(codes, space.metric):
        nearest = space.tree.query(query, k=take, return_distance=True, sort_results=True)[0][:, int(skip_self):]
        return (nearest**2 / 2.0 if space.metric == "cosine" else nearest).mean(axis=1)
    squared_train = np.sum(space.codes**2, axis=1)  # (n_train,)
    found = []
    for start in range(0, len(query), CHUNK):
        block = query[start:start + CHUNK]  # (b, latent_dim)
        if space.metric == "cosine":
            distances = 1.0 - block @ space.codes.T  # (b, n_train)
        else:
            squared = np.sum(block**2, axis=1)[:, None] + squared_train[None, :] - 2.0 * block @ space.codes.T
            distances = np.sqrt(np.maximum(squared, 0.0))
        nearest = np.sort(np.partition(distances, take - 1, axis=1)[:, :take], axis=1)
        found.append(nearest[:, int(skip_self):].mean(axis=1))
    return np.concatenate(found) if found else np.zeros(0)


def mahalanobis(space: CodeSpace, codes) -> np.ndarray:
    """(n,) sqrt((z - mean)^T covariance^-1 (z - mean)) of each code."""
    centred = flat(codes) - space.mean
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", centred, space.precision, centred), 0.0))


def negative_elbo(autoencoder, images) -> np.ndarray:
    """(n,) for a VAE: the cross-entropy of each image with its decoding from the posterior mean, summed over pixels
    (the VAE's own reconstruction loss, taken at the mean rather than a sample so scores repeat), plus
    KL(q(z|x) || N(0, I)), summed over code units."""
    if not autoencoder.is_variational:
        raise ModelError(f"the negative ELBO needs a VAE; {autoencoder.name!r} is a {autoencoder.family} model")
    means, log_vars = autoencoder.encode_with_variance(images)
    decoded = np.clip(autoencoder.decode(means), 1e-7, 1 - 1e-7).astype(np.float64)
    images = autoencoder.check_images(images).astype(np.float64)
    cross_entropy = -(images * np.log(decoded) + (1 - images) * np.log(1 - decoded))
    reconstruction = cross_entropy.reshape(len(images), -1).sum(axis=1)
    means, log_vars = flat(means), flat(log_vars)
    kl = -0.5 * np.sum(1.0 + log_vars - means**2 - np.exp(log_vars), axis=1)
    return reconstruction + kl
