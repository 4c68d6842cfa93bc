"""2-D maps of codes (PCA, UMAP, t-SNE) with their trustworthiness, nearest neighbours, and exports.

No Keras here, so projections can be computed and cached anywhere. UMAP is umap-learn; t-SNE is scikit-learn's
Barnes-Hut up to TSNE_SKLEARN_MAX codes (faster there) and openTSNE's FFT method above (70,000 codes in about
a minute where scikit-learn's takes many). Both big-map methods find neighbours with scikit-learn's exact search,
faster here than their own approximate ones. umap-learn compiles with numba: its compiled functions are cached
on disk (NUMBA_CACHE_DIR, ~/.cache/aecore/numba unless set), so the compile is paid once per machine, including
the functions umap-learn itself compiles without a cache (cache_compiled_functions).
"""

import csv
import io
import os
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore.errors import ModelError

METHODS = ("pca", "umap", "tsne")
TSNE_SKLEARN_MAX = 10_000  # above this many codes t-SNE is openTSNE's FFT method
UMAP_NEIGHBOURS = 15  # umap-learn's defaults: local structure at 15 neighbours, points packed at min_dist 0.1
UMAP_SEEDED_MAX = 10_000  # above this many codes UMAP runs on every core, unseeded (see umap())
UMAP_LARGE_EPOCHS = 100  # above UMAP_SEEDED_MAX; umap-learn's default there is 200: the same map, 10 s sooner
TSNE_ITERATIONS = 500  # early exaggeration: 250 of them in scikit-learn, 125 in openTSNE; the map is still after
TSNE_ANGLE = 0.8  # Barnes-Hut coarseness: 0.8 is ~1.5x faster than 0.5 at the same trustworthiness
TRUST_SAMPLE = 1000  # trustworthiness is O(n^2): measured on a seeded sample of this many points


@dataclass
class Projection:
    method: str
    points: np.ndarray  # (n, 2)
    trustworthiness: float  # 1 = every map neighbour is a code-space neighbour (Venna & Kaski)
    seconds: float


def flatten(codes) -> np.ndarray:
    codes = np.asarray(codes, dtype="float32")
    return codes.reshape(len(codes), -1)


def project(codes, method: str = "pca", seed: int = 0, perplexity: float = 30.0,
            progress: Callable[[float], None] | None = None) -> Projection:
    """Seeded 2-D map of (n, ...) codes; n >= 3. `progress(fraction)` is called as the work goes (t-SNE by
    iterations; UMAP at its stages)."""
    from sklearn.decomposition import PCA

    if method not in METHODS:
        raise ModelError(f"unknown projection {method!r}; choose one of: {', '.join(METHODS)}")
    codes = flatten(codes)
    if len(codes) < 3:
        raise ModelError(f"a map needs at least 3 codes; got {len(codes)}")
    started = time.perf_counter()
    if codes.shape[1] == 1:  # a 1-D code: spread it on x, nothing to project
        points = np.column_stack([codes[:, 0], np.zeros(len(codes))])
    elif method == "pca":
        points = PCA(n_components=2, random_state=seed).fit_transform(codes)
    elif method == "umap":
        points = umap(codes, seed, progress)
    elif len(codes) > TSNE_SKLEARN_MAX:
        points = fast_tsne(codes, seed, perplexity, progress)
    else:
        points = tsne(codes, seed, perplexity)
    if progress is not None:
        progress(1.0)
    seconds = time.perf_counter() - started
    return Projection(method, points.astype("float32"), trustworthiness(codes, points, seed), seconds)


def tsne(codes: np.ndarray, seed: int, perplexity: float) -> np.ndarray:
    """scikit-learn's Barnes-Hut t-SNE with 500 iterations and angle 0.8: 5,000 codes in ~6 s on 2 cores
    instead of ~18 s at its defaults (1,000 and 0.5), at the same trustworthiness (bench/tsne.py; openTSNE
    was slower here)."""
    from sklearn.manifold import TSNE

    perplexity = min(perplexity, (len(codes) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed, max_iter=TSNE_ITERATIONS,
                angle=TSNE_ANGLE).fit_transform(codes)


def fast_tsne(codes: np.ndarray, seed: int, perplexity: float, progress=None) -> np.ndarray:
    """openTSNE's FFT-accelerated t-SNE, TSNE_ITERATIONS in all (a quarter of them early exaggeration), on exact
    nearest neighbours from scikit-learn: 70,000 codes in about 64 s on 2 cores, 89 s with openTSNE's own approximate
    search (Annoy: 31 s of preparing against 14 s), at the same trustworthiness (bench/maps.py)."""
    from openTSNE import TSNE, affinity, nearest_neighbors

    perplexity = min(perplexity, (len(codes) - 1) / 3)
    neighbours = min(len(codes) - 1, int(3 * perplexity))  # openTSNE's own choice of k for a perplexity
    distances, indices = exact_neighbours(codes, neighbours, itself=False)
    if progress is not None:
        progress(0.1)
    affinities = affinity.PerplexityBasedNN(perplexity=perplexity, n_jobs=os.cpu_count() or 1,
                                            knn_index=nearest_neighbors.PrecomputedNeighbors(indices, distances))
    early = TSNE_ITERATIONS // 4
    done = {"iterations": 0}

    def report(iteration, error, embedding):
        done["iterations"] += 25
        if progress is not None:
            progress(0.1 + 0.9 * min(1.0, done["iterations"] / TSNE_ITERATIONS))

    embedding = TSNE(n_components=2, negative_gradient_method="fft", early_exaggeration_iter=early,
                     n_iter=TSNE_ITERATIONS - early, initialization="pca", random_state=seed,
                     n_jobs=os.cpu_count() or 1, callbacks=report, callbacks_every_iters=25)
    return np.asarray(embedding.fit(codes, affinities=affinities))


def umap(codes: np.ndarray, seed: int, progress=None) -> np.ndarray:
    """umap-learn on exact nearest neighbours from scikit-learn (umap-learn's own search, pynndescent, is slower
    here: 14 s against 11 s at 70,000 codes with its compile cached, 36 s without). Up to UMAP_SEEDED_MAX codes it
    is umap-learn at its defaults, seeded, which makes it run on one thread and give the same map every time.
    Above, it runs on every core unseeded (a whole-dataset map is computed once and cached, so everyone sees the
    same one), starts from PCA instead of the spectral layout (8 s at 70,000 codes) and optimises for
    UMAP_LARGE_EPOCHS epochs instead of 200: 70,000 codes in ~25 s instead of ~45 s, at the same
    trustworthiness and the same clusters (bench/maps.py)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "aecore" / "numba"))
    if progress is not None:
        progress(0.05)
    import umap as umap_learn  # the first import compiles (~1 min) unless numba's cache has it

    cache_compiled_functions(umap_learn)
    neighbours = min(UMAP_NEIGHBOURS, len(codes) - 1)
    distances, indices = exact_neighbours(codes, neighbours, itself=True)  # umap-learn's precomputed_knn counts it
    if progress is not None:
        progress(0.3)
    seeded = len(codes) <= UMAP_SEEDED_MAX
    large = {} if seeded else {"init": "pca", "n_epochs": UMAP_LARGE_EPOCHS}
    reducer = umap_learn.UMAP(n_components=2, n_neighbors=neighbours, precomputed_knn=(indices, distances, None),
                              random_state=seed if seeded else None, n_jobs=1 if seeded else (os.cpu_count() or 1),
                              **large)
    with warnings.catch_warnings():  # "no search index: transform() is unavailable": the map never transforms
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        return reducer.fit_transform(codes)


def cache_compiled_functions(package) -> int:
    """Turn numba's on-disk cache on for the package's jitted functions that do not ask for it (umap-learn's layout
    optimiser, smooth_knn_dist...): compiled in every fresh process otherwise, ~28 of a map job's 53 s at 70,000
    codes (bench/maps.py). numba keys its cache by the Python function, not by options, so where one function is
    jitted twice (umap-learn's serial and parallel layout epochs) only the parallel one is cached: a seeded map must
    never load the parallel code. Functions already compiled keep their code. Returns how many were turned on."""
    from numba.core.dispatcher import Dispatcher

    prefix = package.__name__ + "."
    modules = [module for name, module in list(sys.modules.items()) if module and (name + ".").startswith(prefix)]
    dispatchers = {id(value): value for module in modules for value in list(vars(module).values())
                   if isinstance(value, Dispatcher)}
    by_function = {}
    for dispatcher in dispatchers.values():
        by_function.setdefault(id(dispatcher.py_func), []).append(dispatcher)
    turned_on = 0
    for same in by_function.values():
        chosen = same if len(same) == 1 else [one for one in same if one.targetoptions.get("parallel")][:1]
        for dispatcher in chosen:
            if not dispatcher.overloads:
                dispatcher.enable_caching()
                turned_on += 1
    return turned_on


def trustworthiness(codes, points, seed: int = 0, neighbours: int = 5) -> float:
    from sklearn.manifold import trustworthiness as sklearn_trustworthiness

    codes, points = flatten(codes), np.asarray(points)
    if len(codes) > TRUST_SAMPLE:
        chosen = np.random.default_rng(seed).choice(len(codes), TRUST_SAMPLE, replace=False)
        codes, points = codes[chosen], points[chosen]
    neighbours = min(neighbours, max(1, len(codes) // 2 - 1))
    return float(sklearn_trustworthiness(codes, points, n_neighbors=neighbours))


def nearest_neighbours(codes, index: int, count: int = 8) -> np.ndarray:
    """Indices of the `count` codes closest (Euclidean) to codes[index], itself excluded."""
    codes = flatten(codes)
    distances = np.linalg.norm(codes - codes[index], axis=1)
    distances[index] = np.inf
    return np.argsort(distances)[:count]


def neighbour_agreement(codes_a, codes_b, neighbours: int = 10) -> np.ndarray:
    """(n,): for each image, the share of its `neighbours` nearest codes (Euclidean, itself excluded) in one code
    space that are also among its nearest in the other: 1 where two models group an image alike, 0 where not."""
    found = []
    for codes in (flatten(codes_a), flatten(codes_b)):
        if len(codes) != len(flatten(codes_a)):
            raise ModelError(f"the two code sets differ in length: {len(flatten(codes_a))} and {len(codes)} images")
        found.append(exact_neighbours(codes, neighbours + 1, itself=True)[1])
    shared = np.empty(len(found[0]), np.float32)
    for row, (first, second) in enumerate(zip(*found)):
        shared[row] = len(set(first[first != row][:neighbours]) & set(second[second != row][:neighbours])) / neighbours
    return shared


def exact_neighbours(codes: np.ndarray, count: int, itself: bool) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (n, count): every code's `count` nearest codes by scikit-learn's exact search on
    every core. With `itself` each code counts among its own neighbours (at distance 0); without, it is left out
    (scikit-learn asks for one more and drops the code's own index, whatever the ties)."""
    from sklearn.neighbors import NearestNeighbors

    search = NearestNeighbors(n_neighbors=count, n_jobs=os.cpu_count()).fit(codes)
    return search.kneighbors(codes if itself else None)


def label_names(labels, class_names) -> list[str]:
    if labels is None:
        return [""] * 0
    return [class_names[int(label)] if class_names and int(label) < len(class_names) else str(int(label)) for label in labels]


def codes_csv(codes, labels=None, class_names=None) -> str:
    """One row per image: index, label, class name, z0..z(d-1)."""
    codes = flatten(codes)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["index", "label", "class"] + [f"z{dim}" for dim in range(codes.shape[1])])
    names = label_names(labels, class_names) if labels is not None else [""] * len(codes)
    for row, code in enumerate(codes):
        label = int(labels[row]) if labels is not None else ""
        writer.writerow([row, label, names[row]] + [f"{value:.6g}" for value in code])
    return buffer.getvalue()


def sprite(images) -> np.ndarray:
    """Square sprite sheet (uint8) of (n, h, w, c) images, row-major, as the TensorFlow Projector wants."""
    images = np.asarray(images)
    count, height, width, channels = images.shape
    side = int(np.ceil(np.sqrt(count)))
    sheet = np.zeros((side * height, side * width, channels), dtype="uint8")
    for index, image in enumerate(images):
        row, column = divmod(index, side)
        sheet[row * height : (row + 1) * height, column * width : (column + 1) * width] = np.clip(image * 255, 0, 255)
    return sheet[..., 0] if channels == 1 else sheet


def projector_bundle(codes, images, labels=None, class_names=None) -> bytes:
    """A .zip for projector.tensorflow.org: vectors.tsv, metadata.tsv, sprite.png, projector_config.pbtxt."""
    from aecore.data.images import to_png_bytes

    codes = flatten(codes)
    height, width = np.asarray(images).shape[1:3]
    vectors = "\n".join("\t".join(f"{value:.6g}" for value in code) for code in codes) + "\n"
    names = label_names(labels, class_names) if labels is not None else [str(index) for index in range(len(codes))]
    metadata = "index\tlabel\n" + "".join(f"{index}\t{name}\n" for index, name in enumerate(names))
    config = (
        'embeddings {\n  tensor_path: "vectors.tsv"\n  metadata_path: "metadata.tsv"\n'
        f'  sprite {{\n    image_path: "sprite.png"\n    single_image_dim: {width}\n    single_image_dim: {height}\n  }}\n}}\n'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("vectors.tsv", vectors)
        archive.writestr("metadata.tsv", metadata)
        archive.writestr("sprite.png", to_png_bytes(sprite(images)))
        archive.writestr("projector_config.pbtxt", config)
    return buffer.getvalue()
