"""Server-side latency of each user action, p50 and p95 over repeated runs (issue: interaction latency).

Usage: python bench/latency.py MODEL_NAME [--store DIR] [--dataset NAME] [--runs 100]
Prints a Markdown table; paste it into bench/RESULTS.md with the machine's description.
"""

import argparse
import statistics
import time

import numpy as np

from aecore.analysis import inspection, projections
from aecore.data import catalog, noise
from aecore.store import modelstore


def timed(action, runs: int) -> tuple[float, float]:
    action()  # warm-up: the first call traces the model's graph
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return statistics.median(seconds), seconds[min(len(seconds) - 1, int(round(0.95 * len(seconds))) - 1)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--store")
    parser.add_argument("--dataset")
    parser.add_argument("--runs", type=int, default=100)
    arguments = parser.parse_args()
    autoencoder = modelstore.ModelStore(arguments.store).load(arguments.model)
    dataset = catalog.load_dataset(arguments.dataset or autoencoder.meta["dataset"])
    images = dataset.x_test
    codes = autoencoder.encode(images[:5000])
    point = codes[:1]
    levels = iter(np.tile(np.linspace(0, 1, 21), 1000))
    rows = [
        ("decode one latent point", lambda: autoencoder.decode(point), arguments.runs, "5 ms"),
        ("decode a 20x20 grid", lambda: inspection.latent_grid(autoencoder, (0, 1), 20, codes), arguments.runs, "30 ms"),
        ("denoise 16 images at a new noise level", lambda: autoencoder.reconstruct(
            noise.add_noise(images[:16], "gaussian", float(next(levels)))), arguments.runs, "30 ms"),
        ("all 21 noise-slider frames for 6 images", lambda: inspection.denoise_sweep(autoencoder, images[:6]), 20, "30 ms/level"),
        ("reconstruct 64 images", lambda: autoencoder.reconstruct(images[:64]), arguments.runs, "30 ms"),
        (f"PCA map of {len(codes)} codes", lambda: projections.project(codes, "pca"), 20, "0.1 s"),
        (f"t-SNE map of {len(codes)} codes (cold)", lambda: projections.project(codes, "tsne"), 3, "8 s"),
    ]
    print(f"model {arguments.model} ({autoencoder.family}, code {autoencoder.code_shape}), dataset {dataset.name}\n")
    print("| action | runs | p50 | p95 | target (p95) |\n|---|---|---|---|---|")
    for label, action, runs, target in rows:
        p50, p95 = timed(action, runs)
        print(f"| {label} | {runs} | {p50 * 1000:.1f} ms | {p95 * 1000:.1f} ms | {target} |", flush=True)


if __name__ == "__main__":
    main()
