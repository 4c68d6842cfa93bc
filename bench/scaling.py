"""How training time and the 2-D map time grow with the number of samples (issue #5, part 3).

Usage: python bench/scaling.py [--dataset fashion_mnist] [--family conv] [--epochs 2] [--plot bench/scaling.png]
Trains the family for a fixed number of epochs on the first 1k, 5k, 20k and 60k training images, then
maps that many codes with PCA and t-SNE; prints a Markdown table and draws a log-log plot.
"""

import argparse

from aecore.analysis import projections
from aecore.data import catalog
from aecore.training import trainer

SIZES = (1000, 5000, 20000, 60000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--family", default="conv")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--plot", default="bench/scaling.png")
    arguments = parser.parse_args()
    dataset = catalog.load_dataset(arguments.dataset)
    rows = []
    print(f"| samples | train {arguments.family}, {arguments.epochs} epochs | PCA map | t-SNE map | t-SNE trustworthiness |")
    print("|---|---|---|---|---|")
    for size in SIZES:
        config = trainer.TrainConfig(epochs=arguments.epochs, max_train_images=size, validation_split=0, patience=0)
        autoencoder = trainer.train(arguments.family, dataset, config=config)
        train_seconds = autoencoder.meta["train_seconds"]  # the fit alone, not the scoring of the test set
        codes = autoencoder.encode(dataset.x_train[:size])
        pca = projections.project(codes, "pca")
        tsne = projections.project(codes, "tsne")
        rows.append((size, train_seconds, pca.seconds, tsne.seconds))
        print(f"| {size:,} | {train_seconds:.1f} s | {pca.seconds:.2f} s | {tsne.seconds:.1f} s | {tsne.trustworthiness:.3f} |",
              flush=True)
    plot(rows, arguments)


def plot(rows, arguments):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = [row[0] for row in rows]
    figure, axes = pyplot.subplots(figsize=(6, 4), dpi=120)
    for column, label in ((1, f"train {arguments.family} ({arguments.epochs} epochs)"), (2, "PCA map"), (3, "t-SNE map")):
        axes.loglog(sizes, [row[column] for row in rows], marker="o", label=label)
    axes.set_xlabel("samples")
    axes.set_ylabel("seconds")
    axes.set_title(f"Scaling on {arguments.dataset} (2 CPU cores)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(arguments.plot)
    print(f"plot: {arguments.plot}")


if __name__ == "__main__":
    main()
