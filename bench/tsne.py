"""scikit-learn's t-SNE against openTSNE on the same codes: wall time and trustworthiness (issue #5, part 2).

Usage: python bench/tsne.py MODEL [--store DIR] [--points 5000] [--runs 3]
Prints a Markdown table for bench/RESULTS.md. Needs `pip install -r bench/requirements.txt` (openTSNE).
"""

import argparse
import statistics
import time

from aecore.analysis import projections
from aecore.data import catalog
from aecore.store import modelstore


def sklearn_defaults(codes, seed):
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, perplexity=30, init="pca", random_state=seed).fit_transform(codes)


def opentsne(method):
    def run(codes, seed):
        from openTSNE import TSNE

        return TSNE(n_components=2, perplexity=30, initialization="pca", random_state=seed, n_jobs=2,
                    negative_gradient_method=method).fit(codes.astype("float64"))
    return run


def project_tsne(codes, seed):
    return projections.project(codes, "tsne", seed).points


CANDIDATES = [
    ("scikit-learn TSNE, defaults (1,000 iterations, angle 0.5)", sklearn_defaults),
    ("scikit-learn TSNE, 500 iterations, angle 0.8 (what the app uses: aecore.analysis.projections)", project_tsne),
    ("openTSNE, Barnes-Hut, 2 threads", opentsne("bh")),
    ("openTSNE, FFT-accelerated, 2 threads", opentsne("fft")),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--store")
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    autoencoder = modelstore.ModelStore(arguments.store).load(arguments.model)
    dataset = catalog.load_dataset(autoencoder.meta["dataset"])
    codes = projections.flatten(autoencoder.encode(dataset.x_test[: arguments.points]))
    print(f"{len(codes)} codes of {codes.shape[1]} dims from {arguments.model}\n")
    print("| implementation | runs | median time | worst time | trustworthiness (k=5) |\n|---|---|---|---|---|")
    for label, method in CANDIDATES:
        seconds, trust = [], []
        for run in range(arguments.runs):
            started = time.perf_counter()
            points = method(codes, run)
            seconds.append(time.perf_counter() - started)
            trust.append(projections.trustworthiness(codes, points))
        print(f"| {label} | {arguments.runs} | {statistics.median(seconds):.1f} s | {max(seconds):.1f} s "
              f"| {statistics.mean(trust):.3f} |", flush=True)


if __name__ == "__main__":
    main()
