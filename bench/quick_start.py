"""Times the Home page's quick start: its four jobs trained one after another, as the job runner does.

Usage: python bench/quick_start.py [--dataset fashion_mnist]
Prints each model's training time and test BCE, and the total, for bench/RESULTS.md.
"""

import argparse
import time

from aecore import data, training
from dashboard.jobs import quick_start_specs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="fashion_mnist")
    arguments = parser.parse_args()
    dataset = data.load_dataset(arguments.dataset)
    total = 0.0
    print("| model | train images | epochs | wall time (build, fit, score) | test BCE |\n|---|---|---|---|---|")
    for spec in quick_start_specs(dataset.name, len(dataset.x_train)):
        started = time.perf_counter()
        autoencoder = training.train(spec.family, dataset, spec.latent_dim, spec.options, spec.config)
        seconds = time.perf_counter() - started
        total += seconds
        print(f"| {spec.name} | {autoencoder.meta['train_images']:,} | {autoencoder.meta['epochs_run']} | {seconds:.1f} s "
              f"| {autoencoder.meta['metrics']['test_bce']:.4f} |", flush=True)
    print(f"\ntotal: {total:.1f} s")


if __name__ == "__main__":
    main()
