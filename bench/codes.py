"""What the codes are good for, and anomaly detection, for every family's default model (issue #25).

Usage:  python bench/codes.py probes [--dataset fashion_mnist] [--store DIR]     every family's default: test BCE,
                                                                                k-NN and linear-probe accuracy, baselines
        python bench/codes.py anomaly [--rare 5] [--families conv,dense,...]   each default trained without class K:
                                                                                AUC, AP, the training-max rule, PCA beside
        python bench/codes.py stacked [--epochs 20]                            stacked with pretraining, the same net end
                                                                                to end, and deep, at the same training time

Each trains through the CLI (a job, like a user's), then reads the store. Prints a markdown table.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aecore.models.families import fixed_size_families  # noqa: E402


def train(store: str, dataset: str, family: str, *flags: str) -> dict:
    command = [sys.executable, "-m", "aecore", "train", "--family", family, "--dataset", dataset, "--store", store,
               "--quiet", *flags]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{family}: {run.stderr[-500:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def cli(store: str, *arguments: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "aecore", *arguments, "--store", store], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{arguments}: {run.stderr[-500:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def probes(arguments):
    print("| family | latent | train s | test BCE | k-NN | linear probe | pixels k-NN / linear | PCA k-NN / linear |")
    print("|---|---|---|---|---|---|---|---|")
    for family in arguments.families or fixed_size_families():
        trained = train(arguments.store, arguments.dataset, family)
        found = cli(arguments.store, "evaluate", trained["name"])
        print(f"| {family} | {trained['latent_dim']} | {trained['train_seconds']:.0f} | {found['test_bce']:.4f} | "
              f"{found['knn_accuracy']:.3f} | {found['linear_probe_accuracy']:.3f} | "
              f"{found['pixels']['knn_accuracy']:.3f} / {found['pixels']['linear_probe_accuracy']:.3f} | "
              f"{found['pca']['knn_accuracy']:.3f} / {found['pca']['linear_probe_accuracy']:.3f} |", flush=True)


def anomaly(arguments):
    print("| family | rare class | AUC | average precision | training-max rule: precision / recall | PCA AUC | PCA AP |")
    print("|---|---|---|---|---|---|---|")
    for family in arguments.families or ["dense", "deep", "conv", "vae"]:
        trained = train(arguments.store, arguments.dataset, family, "--exclude-class", str(arguments.rare),
                        "--name", f"{family}-without-{arguments.rare}")
        found = cli(arguments.store, "anomaly", trained["name"])
        print(f"| {family} | {arguments.rare} | {found['auc']:.3f} | {found['average_precision']:.3f} | "
              f"{found['precision']:.2f} / {found['recall']:.3f} | {found['pca']['auc']:.3f} | "
              f"{found['pca']['average_precision']:.3f} |", flush=True)


def stacked(arguments):
    """The pretrained run first, at its defaults plus --epochs fine-tuning; its training time is the budget the other
    two get (epochs from a 3-epoch timing run of each, which still counts its one-off tracing: a slight undercount)."""
    print("| run | epochs (pretraining + fine-tuning) | train s | test BCE | k-NN | linear probe |")
    print("|---|---|---|---|---|---|")
    budget = None
    runs = {"stacked, pretrained then fine-tuned": ("stacked", []),
            "same network, end to end": ("stacked", ["--pretrain", "false"]),
            "deep (256-128 dense, end to end)": ("deep", [])}
    for title, (family, flags) in runs.items():
        pretrain = 12 if family == "stacked" and not flags else 0  # 3 stages x 4 epochs (the default)
        if budget is None:
            epochs = arguments.epochs
        else:
            probe = train(arguments.store, arguments.dataset, family, *flags, "--epochs", "3", "--patience", "0",
                          "--snapshots", "off")
            epochs = max(1, round(budget / (probe["train_seconds"] / 3)))
        trained = train(arguments.store, arguments.dataset, family, *flags, "--epochs", str(epochs), "--patience", "0",
                        "--snapshots", "off", "--name", f"{family}-{len(flags)}-timed")
        budget = budget or trained["train_seconds"]
        found = cli(arguments.store, "evaluate", trained["name"])
        print(f"| {title} | {pretrain} + {epochs} | {trained['train_seconds']:.0f} | {found['test_bce']:.4f} | "
              f"{found['knn_accuracy']:.3f} | {found['linear_probe_accuracy']:.3f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["probes", "anomaly", "stacked"])
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--store", default=None)
    parser.add_argument("--families", type=lambda text: text.split(","), default=None)
    parser.add_argument("--rare", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20, help="stacked: fine-tuning epochs of the pretrained run")
    arguments = parser.parse_args()
    arguments.store = arguments.store or tempfile.mkdtemp(prefix="bench-codes-")
    {"probes": probes, "anomaly": anomaly, "stacked": stacked}[arguments.what](arguments)


if __name__ == "__main__":
    main()
