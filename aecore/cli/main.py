"""The parser and the entry point: one subcommand each, dispatched to aecore.cli's command modules."""

import argparse
import os
import sys

from aecore.cli import dataset_commands, map_commands, model_commands, photo_commands, training_commands
from aecore.errors import AecoreError

# Commands that need neither Keras nor TensorFlow: their parser skips the family flags, whose import costs
# ~7 s and ~700 MB, most of the memory a dataset conversion may use.
LIGHT_COMMANDS = ("datasets",)


def build_parser(family_flags: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aecore", description="Train, store and explore autoencoders.")
    commands = parser.add_subparsers(dest="command", required=True)
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", help="model store folder (default: $AECORE_STORE or ./models)")
    add_datasets_parser(commands)
    commands.add_parser("families", help="the model families and their options")
    train = commands.add_parser("train", parents=[store], help="train a model and save it in the store")
    train.add_argument("--family", help="model family (default: conv, what we recommend to a newcomer)")
    train.add_argument("--dataset", help="a dataset name or a path to .npz, an IDX folder, an image folder or .zip")
    train.add_argument("--latent-dim", type=int)
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--name")
    train.add_argument("--max-train-images", type=int, help="train on the first N images only")
    train.add_argument("--exclude-class", type=int, help="train without class K (a detector of K: see `anomaly`)")
    train.add_argument("--snapshots", default="on", choices=["on", "off"],
                       help="codes and reconstructions while training, for the timeline (default on)")
    train.add_argument("--validation-split", type=float, default=0.1)
    train.add_argument("--patience", type=int, default=3, help="early stopping patience in epochs (0 = off)")
    train.add_argument("--schedule", default="constant", help="learning rate: constant, or cosine (decays over the epochs)")
    train.add_argument("--strategy", default="auto", help="tf.distribute strategy: auto, default, mirrored, multiworker")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--background", action="store_true",
                       help="queue it as a job (the dashboard shows it; AECORE_MAX_JOBS run at once) and return")
    for name, kind in (training_commands.family_option_flags() if family_flags else {}).items():
        train.add_argument(f"--{name.replace('_', '-')}", dest=f"option_{name}", metavar=kind.__name__.upper(),
                           help="family option (see `families`)" + (", comma-separated" if kind is tuple else ""))
    jobs = commands.add_parser("jobs", parents=[store], help="the training jobs: queued, running and recent")
    jobs.add_argument("--cancel", metavar="JOB", help="stop a queued or running job")
    jobs.add_argument("--work", action="store_true", help="be a worker: train queued jobs until none is left")
    commands.add_parser("list", parents=[store], help="the models in the store")
    evaluate = commands.add_parser("evaluate", parents=[store], help="test metrics of a stored model")
    evaluate.add_argument("name")
    evaluate.add_argument("--dataset", help="default: the dataset the model was trained on")
    timeline = commands.add_parser("timeline", parents=[store], help="the latent space forming while it trained: PNG frames and a GIF")
    timeline.add_argument("name")
    timeline.add_argument("--out", required=True, help="a folder for frame_000.png ... and timeline.gif")
    anomaly = commands.add_parser("anomaly", parents=[store], help="score test images by reconstruction error (a detector)")
    anomaly.add_argument("name")
    anomaly.add_argument("--dataset", help="default: the dataset the model was trained on")
    anomaly.add_argument("--rare", type=int, help="the rare class (default: the class the model was trained without)")
    anomaly.add_argument("--code-metric", default="cosine", choices=["cosine", "euclidean"],
                         help="distance between codes for code_distance (default cosine)")
    anomaly.add_argument("--neighbours", type=int, default=5, help="k nearest training codes for code_distance")
    anomaly.add_argument("--scores-out", metavar="CSV", help="a series: one score per time step (timestamp, score, "
                                                             "is_anomaly, split), each from the windows covering it")
    denoise = commands.add_parser("denoise", parents=[store], help="denoise an image (optionally adding noise first)")
    denoise.add_argument("name_and_image", nargs="+", metavar="[MODEL] IMAGE",
                         help="the model (default: the best photo model, else the one shipped with aecore) and the image")
    denoise.add_argument("--noise-level", type=float, default=None,
                         help="noise added first (0: denoise the file as it is); default 0 with a photo model, else 0.5")
    denoise.add_argument("--noise", default="gaussian", help="gaussian, salt_and_pepper, masking or watermark")
    denoise.add_argument("--seed", type=int, default=0)
    denoise.add_argument("--out", help="the denoised image alone (.png, .jpg, .webp, .bmp): a photo model keeps the "
                                       "file's size and grey/colour; a 28x28 model writes its own 28x28 output")
    denoise.add_argument("--compare", help="PNG file: clean | noisy | denoised side by side")
    denoise.add_argument("--ensemble", type=int, default=1, choices=(1, 2, 4, 8),
                         help="a photo model: average this many passes over the photo flipped and turned (N times "
                              "the time; bench/RESULTS.md has the dB each buys)")
    denoise.add_argument("--chroma", default=None, choices=("rgb", "half", "full"),
                         help="a colour photo's chroma: from the photo model's colour pass (rgb), or from grey passes "
                              "of it over the chroma at half size (half, the default for a photo model: 1.5 times the "
                              "time) or full size (full: 3 times)")
    photo_commands.add_restore_parser(commands, store)
    export = commands.add_parser("export", parents=[store], help="codes CSV and a TensorFlow Projector bundle")
    export.add_argument("name")
    export.add_argument("--dataset", help="default: the dataset the model was trained on")
    export.add_argument("--limit", type=int, default=5000, help="number of test images")
    export.add_argument("--out", required=True, help="folder to write codes.csv and projector.zip into")
    project = commands.add_parser("project", parents=[store], help="a 2-D map of a whole split's codes: CSV, Projector bundle")
    project.add_argument("name")
    project.add_argument("--dataset", help="default: the dataset the model was trained on (any dataset the model fits)")
    project.add_argument("--method", default="umap", choices=["pca", "umap", "tsne"])
    project.add_argument("--split", default="test", choices=["test", "train", "all"],
                         help="all = train then test (70,000 images for Fashion-MNIST)")
    project.add_argument("--seed", type=int, default=0)
    project.add_argument("--out", help="CSV of index, split, label, class, x, y")
    project.add_argument("--projector", metavar="ZIP", help="also a TensorFlow Projector bundle of the split's codes")
    project.add_argument("--quiet", action="store_true", help="no progress bar")
    project.add_argument("--progress-file", help=argparse.SUPPRESS)  # the dashboard's map job reads it
    place = commands.add_parser("place", parents=[store], help="place your own images on a model's map of a split")
    place.add_argument("name")
    place.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG, BMP, GIF or WebP files")
    place.add_argument("--dataset", help="default: the dataset the model was trained on")
    place.add_argument("--method", default="umap", choices=["pca", "umap", "tsne"])
    place.add_argument("--split", default="test", choices=["test", "train", "all"])
    place.add_argument("--seed", type=int, default=0)
    place.add_argument("--placement", default="transform", choices=["transform", "nearby"],
                       help="UMAP/t-SNE: umap-learn's/openTSNE's transform, or the nearest codes' weighted mean")
    place.add_argument("--invert", default="auto", choices=["auto", "always", "never"],
                       help="as the Denoise page: auto inverts an image with a light background")
    place.add_argument("--margin", type=float, default=4 / 28,
                       help="empty fraction of the frame on each side (default MNIST's 4/28; 0 for images that fill it)")
    place.add_argument("--out", help="CSV of image, x, y, neighbours, neighbour_labels, error")
    place.add_argument("--quiet", action="store_true", help="no progress bar")
    importer = commands.add_parser("import", parents=[store], help="import a .keras autoencoder (inspected, then split)")
    importer.add_argument("file", help="the whole autoencoder, or its encoder when --decoder is given")
    importer.add_argument("--decoder", help="the decoder as a second .keras file")
    importer.add_argument("--name")
    importer.add_argument("--bottleneck", metavar="LAYER", help="layer whose output is the code (default: the narrowest)")
    importer.add_argument("--image-shape", metavar="H,W,C", help="how to show a flat model's vectors (default: 784 -> 28,28,1)")
    importer.add_argument("--value-range", default="0-1", help="pixels the model was trained on: 0-1, 0-255 or -1-1")
    importer.add_argument("--dataset", help="the data it was trained on: a dataset name, or a file (.npz, .zip, a folder "
                                            "of images) added as one of your datasets (default: the first of its size)")
    importer.add_argument("--dataset-name", help="name for the data file's dataset (default: the file's name)")
    rename = commands.add_parser("rename", parents=[store], help="rename a stored model")
    rename.add_argument("name")
    rename.add_argument("new_name")
    delete = commands.add_parser("delete", parents=[store], help="delete a stored model")
    delete.add_argument("name")
    return parser


def add_datasets_parser(commands):
    """`datasets` lists them; `datasets add NAME PATH` converts the user's images; `datasets remove NAME`."""
    store_help = "store folder holding your datasets (default: $AECORE_STORE or ./models)"
    datasets = commands.add_parser("datasets", help="the datasets and where each comes from; add or remove your own")
    datasets.add_argument("--store", help=store_help)
    actions = datasets.add_subparsers(dest="action", metavar="{add,remove}")  # none: list them
    add = actions.add_parser("add", help="convert a .zip or folder of images (subfolders = labels), an .npz, or a "
                                         ".csv time series into a named dataset in the store")
    add.add_argument("name", help="letters, digits, '.', '_' or '-'; then `train --dataset NAME`")
    add.add_argument("path", help="a .zip or a folder of images (one subfolder per label, or none), an .npz, or a "
                                  ".csv series (a time column, value columns, an optional is_anomaly/label column)")
    add.add_argument("--size", type=int, default=64, help="pixels a side: 28, 32, 64 or 96 (default 64)")
    colour = add.add_mutually_exclusive_group()
    colour.add_argument("--colour", dest="colour", action="store_true", default=True, help="3 channels (default)")
    colour.add_argument("--grey", dest="colour", action="store_false", help="1 grey channel")
    add.add_argument("--fit", default="crop", help="crop: the centre square (default); pad: the whole image on a "
                                                  "square of its border colour")
    series = add.add_argument_group("a .csv time series")
    series.add_argument("--window", type=int, default=64, help="steps per window (default 64)")
    series.add_argument("--stride", type=int, default=1, help="steps between window starts (default 1)")
    series.add_argument("--columns", help="value columns to use, comma-separated (default: all but time and label)")
    series.add_argument("--train-steps", type=int, help="the first N steps train, the rest test (default: half)")
    remove = actions.add_parser("remove", help="delete one of your datasets")
    remove.add_argument("name")
    for action in (add, remove):  # SUPPRESS: `datasets --store DIR add ...` keeps DIR
        action.add_argument("--store", default=argparse.SUPPRESS, help=store_help)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    arguments = build_parser(family_flags=bool(argv) and argv[0] not in LIGHT_COMMANDS).parse_args(argv)
    if getattr(arguments, "store", None):  # the store's own datasets (aecore.data.owndata) are found by name too
        os.environ["AECORE_STORE"] = str(arguments.store)
    name = f"command_{arguments.command}"
    handler = (getattr(dataset_commands, name, None) or getattr(training_commands, name, None)
               or getattr(map_commands, name, None) or getattr(photo_commands, name, None)
               or getattr(model_commands, name))
    try:
        handler(arguments)
    except AecoreError as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncancelled; nothing was saved", file=sys.stderr)
        return 130
    except Exception as error:  # a user should see one line, not a Keras traceback
        if os.environ.get("AECORE_DEBUG"):
            raise
        print(f"\nerror: unexpected {type(error).__name__}: {str(error).strip()[:300]} (AECORE_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1
    return 0
