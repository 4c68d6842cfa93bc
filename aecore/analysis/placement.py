"""New codes placed on an existing 2-D map of a dataset's codes, and the way back: a map spot to a code.

    placer = Placer(codes, points, "umap")         # the map's codes (n, d) and its points (n, 2), as cached
    placer.place(new_codes)                        # (m, 2): PCA exactly; UMAP and t-SNE from the nearest codes
    placer.place(new_codes, refine=True)           #   ... then umap-learn's / openTSNE's transform
    placer.neighbours(new_codes)                   # (m, 10) dataset indices, nearest code first
    placer.inverse(spots)                          # (m, d): PCA exactly; else from the nearest map points' codes
    placer.browser_spec()                          # k, epsilon and (PCA) mean and components, for the page's JS

The nearby formulas are the ones the browser runs (so its live point and the server's agree): the k = NEIGHBOURS
nearest codes (Euclidean) of a new code, each weighted by w = 1 / (distance + WEIGHT_EPSILON), and the point is
sum(w * point) / sum(w); the inverse swaps the roles: the k nearest map points of a spot, their codes averaged by
the same weights of their map distances.

The refinements need the fitted reducer, which the map job does not keep (projections.umap returns only the
points, and a t-SNE of up to 10,000 codes is scikit-learn's, which has no transform). Both are rebuilt here from
the cached codes and points instead, with scikit-learn's exact neighbour search standing in for the search index
the reducers would have built: umap-learn's transform needs the training codes, the embedding and its curve
parameters (a, b); openTSNE's needs the reference embedding and a neighbour index. No Keras here.
"""

import os
import warnings

import numpy as np

from aecore.analysis import projections
from aecore.errors import ModelError

NEIGHBOURS = 10  # k of the nearby placement and inverse (and of the CLI's `neighbours`)
WEIGHT_EPSILON = 1e-6  # keeps the weight finite when a new code equals a dataset code
TSNE_TRANSFORM_PERPLEXITY = 5  # openTSNE's default for new points: a tight neighbourhood
MAP_PERPLEXITY = 30.0  # projections.project's, for the map itself
INVERSES = ("nearby", "umap")


class _ExactIndex:
    """scikit-learn's exact Euclidean search, speaking both reducers' query protocols."""

    _angular_trees = False  # umap-learn reads it to pick its search epsilon

    def __init__(self, codes: np.ndarray):
        from sklearn.neighbors import NearestNeighbors

        self.n_samples = len(codes)
        self.search = NearestNeighbors(n_jobs=os.cpu_count() or 1).fit(codes)

    def query(self, data, k, epsilon=None):  # -> (indices (m, k), distances (m, k)), nearest first
        distances, indices = self.search.kneighbors(np.asarray(data, "float32"), n_neighbors=min(k, self.n_samples))
        return indices.astype(np.int32), distances.astype(np.float32)


class Placer:
    """One map (its codes and points) ready to place new codes on it and to decode its spots."""

    def __init__(self, codes, points, method: str, seed: int = 0):
        if method not in projections.METHODS:
            raise ModelError(f"unknown projection {method!r}; choose one of: {', '.join(projections.METHODS)}")
        self.codes = projections.flatten(codes)  # (n, d)
        self.points = np.asarray(points, "float32")  # (n, 2)
        if len(self.codes) != len(self.points) or len(self.codes) < 3:
            raise ModelError(f"a map needs as many codes as points, at least 3; got {len(self.codes)} codes and "
                             f"{len(self.points)} points")
        self.method, self.seed = method, seed
        self.code_index = _ExactIndex(self.codes)
        self._map_index, self._pca, self._umap, self._tsne = None, None, None, None

    # ------------------------------------------------------------------ code -> map
    def place(self, new_codes, refine: bool = False) -> np.ndarray:
        """(m, 2) map points of (m, ...) new codes: PCA exactly; UMAP and t-SNE from the nearest codes, then, with
        `refine`, moved by umap-learn's / openTSNE's transform (starting from their own first guess)."""
        new_codes = self._check(new_codes)
        if self.method == "pca":
            return self.pca_place(new_codes)
        if not refine:
            return self.place_nearby(new_codes)
        return self._umap_transform(new_codes) if self.method == "umap" else self._tsne_transform(new_codes)

    def place_nearby(self, new_codes, count: int = NEIGHBOURS) -> np.ndarray:
        """(m, 2): the distance-weighted mean of the map points of each new code's `count` nearest codes."""
        indices, distances = self.code_index.query(self._check(new_codes), count)
        return weighted_mean(self.points, indices, distances)

    def neighbours(self, new_codes, count: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
        """(indices, distances), each (m, count): the dataset's nearest codes (Euclidean), nearest first."""
        return self.code_index.query(self._check(new_codes), count)

    def pca_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean (d,), components (2, d)): point = (code - mean) @ components.T, as the map job's PCA gives it."""
        if self._pca is None:
            from sklearn.decomposition import PCA

            if self.codes.shape[1] == 1:  # projections spreads a 1-D code on x
                self._pca = (np.zeros(1, "float32"), np.array([[1.0], [0.0]], "float32"))
            else:
                fitted = PCA(n_components=2, random_state=self.seed).fit(self.codes)  # projections.project's PCA
                self._pca = (fitted.mean_.astype("float32"), fitted.components_.astype("float32"))
        return self._pca

    def pca_place(self, new_codes) -> np.ndarray:
        mean, components = self.pca_parameters()
        return (self._check(new_codes) - mean) @ components.T

    def browser_spec(self) -> dict:
        """What the page needs to place and invert as this module does, as plain JSON values: the method, k and
        epsilon of the nearby formulas, and for PCA the mean (d,) and components (2, d)."""
        spec = {"method": self.method, "neighbours": NEIGHBOURS, "weight_epsilon": WEIGHT_EPSILON}
        if self.method == "pca":
            mean, components = self.pca_parameters()
            spec.update(mean=mean.tolist(), components=components.tolist())
        return spec

    # ------------------------------------------------------------------ map -> code
    def inverse(self, spots, how: str = "nearby", count: int = NEIGHBOURS) -> np.ndarray:
        """(m, d) codes for (m, 2) map spots: PCA exactly (the mean plus the two components); UMAP and t-SNE from the
        `count` nearest map points' codes ("nearby"), or umap-learn's inverse_transform ("umap", UMAP maps only)."""
        spots = np.asarray(spots, "float32").reshape(-1, 2)
        if how not in INVERSES:
            raise ModelError(f"unknown inverse {how!r}; choose one of: {', '.join(INVERSES)}")
        if how == "umap" and self.method != "umap":
            raise ModelError(f"umap-learn's inverse_transform needs a UMAP map; this map is {self.method}")
        if self.method == "pca":
            mean, components = self.pca_parameters()
            return mean + spots @ components
        if how == "umap":
            return self._umap_inverse(spots)
        if self._map_index is None:
            self._map_index = _ExactIndex(self.points)
        indices, distances = self._map_index.query(spots, count)
        return weighted_mean(self.codes, indices, distances)

    # ------------------------------------------------------------------ refinements
    def _umap_reducer(self):
        """A umap-learn UMAP whose fitted state is this map's (codes and points), so transform and inverse_transform
        run against it; umap-learn's defaults (15 neighbours, min_dist 0.1), as the map job's."""
        if self._umap is None:
            os.environ.setdefault("NUMBA_CACHE_DIR", os.path.expanduser("~/.cache/aecore/numba"))
            import umap as umap_learn
            from umap import distances as umap_distances
            from umap.umap_ import find_ab_params

            projections.cache_compiled_functions(umap_learn)
            neighbours = min(projections.UMAP_NEIGHBOURS, len(self.codes) - 1)
            reducer = umap_learn.UMAP(n_neighbors=neighbours, random_state=self.seed, transform_seed=self.seed)
            reducer._raw_data, reducer.embedding_ = self.codes, self.points.copy()
            reducer._a, reducer._b = find_ab_params(reducer.spread, reducer.min_dist)
            reducer._n_neighbors, reducer._knn_search_index = neighbours, self.code_index
            reducer._disconnection_distance, reducer._input_hash, reducer._initial_alpha = np.inf, None, 1.0
            reducer._small_data, reducer._sparse_data, reducer._metric_kwds, reducer._output_metric_kwds = (
                False, False, {}, {})
            reducer._input_distance_func = umap_distances.named_distances["euclidean"]
            reducer._inverse_distance_func = umap_distances.named_distances_with_gradients["euclidean"]
            self._umap = reducer
        return self._umap

    def _umap_transform(self, new_codes) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self._umap_reducer().transform(new_codes), "float32")

    def _umap_inverse(self, spots) -> np.ndarray:
        """umap-learn's inverse_transform; it also needs each code's local scale (sigma, rho) from its 15 nearest
        codes, computed here once (the same smooth_knn_dist umap-learn's fit runs)."""
        reducer = self._umap_reducer()
        if not hasattr(reducer, "_sigmas"):
            from umap.umap_ import smooth_knn_dist

            _, distances = self.code_index.query(self.codes, reducer._n_neighbors)  # each code its own first
            reducer._sigmas, reducer._rhos = smooth_knn_dist(distances, float(reducer._n_neighbors))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(reducer.inverse_transform(spots), "float32")

    def _tsne_transform(self, new_codes) -> np.ndarray:
        """openTSNE's transform against this map as the reference; it centres the reference on its own copy, so the
        result is shifted back into the map's frame."""
        import scipy.sparse
        from openTSNE import TSNEEmbedding, affinity

        if self._tsne is None:
            affinities = affinity.PerplexityBasedNN.__new__(affinity.PerplexityBasedNN)  # no fit: only to_new is used
            affinities.knn_index, affinities.perplexity = self.code_index, MAP_PERPLEXITY
            affinities.n_jobs, affinities.verbose = os.cpu_count() or 1, False
            affinities.P = scipy.sparse.csr_matrix((len(self.codes), len(self.codes)), dtype="float32")  # unused: shape
            self._tsne = affinities
        centre = (self.points.max(axis=0) + self.points.min(axis=0)) / 2
        # FFT against the reference's interpolation grid, computed once per call: openTSNE's "auto" picks Barnes-Hut
        # under 10,000 new points, which rebuilds a tree of every map point each iteration (20 s for one image).
        reference = TSNEEmbedding(self.points.astype("float64"), self._tsne, random_state=self.seed,
                                  negative_gradient_method="fft", n_jobs=os.cpu_count() or 1)
        placed = reference.transform(new_codes, perplexity=TSNE_TRANSFORM_PERPLEXITY)
        return (np.asarray(placed) + centre).astype("float32")

    def _check(self, new_codes) -> np.ndarray:
        new_codes = projections.flatten(new_codes)
        if new_codes.ndim != 2 or new_codes.shape[1] != self.codes.shape[1]:
            raise ModelError(f"the map's codes have {self.codes.shape[1]} values each; got codes of shape "
                             f"{tuple(new_codes.shape[1:])}: encode the images with the map's model")
        return new_codes


def weighted_mean(values: np.ndarray, indices: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """(m, ...): sum(w * values[indices]) / sum(w) per row, w = 1 / (distance + WEIGHT_EPSILON)."""
    weights = 1.0 / (np.asarray(distances, "float64") + WEIGHT_EPSILON)  # (m, k)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("mk,mk...->m...", weights, np.asarray(values, "float64")[indices]).astype("float32")
