"""Times the Home page's quick start: its four jobs trained one after another, as the job runner does.

Usage: python bench/quick_start.py [--dataset fashion_mnist] [--store DIR]
Prints each model's training time, the time from the start until it landed, its test BCE and PSNR, and
the total, for bench/RESULTS.md. The models are saved as the app saves them (the denoiser starts from the
conv model in the store), into `--store DIR` (for scripts/screenshots.py) or a temporary folder.
"""

import argparse
import os
import tempfile
import time

from aecore.data import catalog
from aecore.store import modelstore
from aecore.training import trainer
from dashboard.state.job_runner import quick_start_specs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--store", help="save the models into this store folder (default: a temporary one)")
    arguments = parser.parse_args()
    os.environ["AECORE_STORE"] = arguments.store or tempfile.mkdtemp(prefix="quick-start-")
    dataset = catalog.load_dataset(arguments.dataset)
    saved = modelstore.ModelStore()
    total = 0.0
    print("| model | train images | epochs | wall time (build, fit, score) | landed after | test BCE | test PSNR |\n"
          "|---|---|---|---|---|---|---|")
    for spec in quick_start_specs(dataset.name, len(dataset.x_train)):
        started = time.perf_counter()
        autoencoder = trainer.train(spec.family, dataset, spec.latent_dim, spec.options, spec.config)
        saved.save(autoencoder, spec.name)
        seconds = time.perf_counter() - started
        total += seconds
        scores = autoencoder.meta["metrics"]
        print(f"| {spec.name} | {autoencoder.meta['train_images']:,} | {autoencoder.meta['epochs_run']} | {seconds:.1f} s "
              f"| {total:.1f} s | {scores['test_bce']:.4f} | {scores['test_psnr']:.2f} dB |", flush=True)
    print(f"\ntotal: {total:.1f} s")


if __name__ == "__main__":
    main()
