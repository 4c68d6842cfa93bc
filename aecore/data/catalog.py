"""The dataset catalogue: three named datasets, the user's own converted ones (`owndata`) and the user's
files, all as one `Dataset`.

Every loader ends in `_from_arrays`, which checks and converts the arrays, so each source comes
out the same way: images float32 in [0, 1] shaped (n, height, width, channels), labels int64.
(The user's own datasets were checked when they were converted; `owndata.load` gives them in that layout.)

Importing this module is cheap: scikit-learn, Pillow and Keras are imported inside the loaders
that need them, and Keras only when a download is really attempted.

Longer than 300 lines: every source's loader is short, and they share `_from_arrays` and the `Dataset`
they return; split apart, each would import the others' private helpers.
"""

import importlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from aecore import errors
from aecore.data import arrays, idx, imagefolder, owndata
from aecore.data.dataset import (  # noqa: F401  the catalogue's own names, as callers know them
    DATASET_NAMES,
    MAX_IMAGE_FILE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_IMAGES,
    PHOTOS,
    TEST_FRACTION,
    Dataset,
)

OFFLINE_ENV = "AECORE_OFFLINE"  # "1" forbids downloads (tests and air-gapped machines set it)
# Where Debian's dataset-fashion-mnist package puts the files; tests point this elsewhere.
SYSTEM_FASHION_MNIST_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets/fashion-mnist"),)
FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
FASHION_MNIST_CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
DIGIT_CLASS_NAMES = [str(digit) for digit in range(10)]
DIGITS_TEST_COUNT = 300  # of 1797 bundled 8x8 digits
KNOWN_FORMS = (
    "a path to an .npz file, a folder of images or IDX files, or a .zip of images also works"
)
# Limits on a folder or .zip of images (see aecore.data.imagefolder); read at each load.


@dataclass
class DatasetInfo:
    """One named dataset as the catalogue sees it, without loading it."""

    name: str  # one of DATASET_NAMES, or the name of one of the user's own (aecore.data.owndata)
    available: bool  # True when it loads without a download
    source: str  # where it is, or where it would come from
    description: str  # one line for people


# ---------------------------------------------------------------- catalogue


def dataset_names() -> list[str]:
    """The named datasets, in a stable order."""
    return list(DATASET_NAMES)


def downloads_allowed() -> bool:
    """False when AECORE_OFFLINE is set to 1 (or true/yes)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("1", "true", "yes")


def keras_datasets_dir() -> Path:
    """Keras' download cache: $KERAS_HOME/datasets, else ~/.keras/datasets."""
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home).expanduser() / "datasets"


def list_datasets() -> list[DatasetInfo]:
    """The three named datasets, each with whether it is on this machine and where it comes from, then the
    user's own (aecore.data.owndata), read from their small card files: the dashboard asks on every page run."""
    fashion_folder = _find_fashion_mnist()
    fashion_cache = keras_datasets_dir() / "fashion-mnist"
    mnist_file = keras_datasets_dir() / "mnist.npz"
    return [
        DatasetInfo(
            "digits",
            True,
            "scikit-learn bundled",
            "1,797 handwritten digits, 8x8 grayscale, 10 classes",
        ),
        DatasetInfo(
            "fashion_mnist",
            fashion_folder is not None,
            str(fashion_folder) if fashion_folder else _download_source(fashion_cache),
            "70,000 clothing images, 28x28 grayscale, 10 classes",
        ),
        DatasetInfo(
            "mnist",
            mnist_file.is_file(),
            str(mnist_file) if mnist_file.is_file() else _download_source(mnist_file),
            "70,000 handwritten digits, 28x28 grayscale, 10 classes",
        ),
        *_own_datasets(),
    ]


def _own_datasets() -> list[DatasetInfo]:
    infos = []
    for name in owndata.names():
        where = str(owndata.folder() / name)
        try:
            infos.append(DatasetInfo(name, True, where, owndata.describe(owndata.card(name))))
        except errors.DatasetError as error:  # a damaged card: listed, but not offered
            infos.append(DatasetInfo(name, False, where, str(error)))
    return infos


BUILT_IN_SHAPES = {"digits": (8, 8, 1), "fashion_mnist": (28, 28, 1), "mnist": (28, 28, 1)}  # as loaded here


def fitting_datasets(image_shape) -> list[str]:
    """The available datasets whose images have `image_shape` (height, width, channels): the built-in ones and
    your own (from their cards, without loading them), for a model brought from elsewhere."""
    wanted, found = tuple(int(size) for size in image_shape), []
    for info in list_datasets():
        if not info.available:
            continue
        if info.name in BUILT_IN_SHAPES:
            shape = BUILT_IN_SHAPES[info.name]
        else:
            card = owndata.card(info.name)
            shape = tuple(card["input_shape"]) if "input_shape" in card else (card["size"], card["size"], card["channels"])
        if shape == wanted:
            found.append(info.name)
    return found


def photo_datasets() -> list[DatasetInfo]:
    """The photo datasets, listed apart: the pages' 28x28 pickers must not offer them."""
    from aecore.data import photos

    available = photos.bundled_available()
    source = "scikit-image and scikit-learn bundled" if available else "needs scikit-image (pip install scikit-image)"
    description = (f"{len(photos.SKIMAGE_PHOTOS) + 3} photographs of any size, grey and colour, for the photo "
                   f"family; {len(photos.HELD_OUT)} held out; 'photos:FOLDER' uses your own photos")
    return [DatasetInfo(PHOTOS, available, source, description)]


def default_dataset_name() -> str:
    """$AECORE_DEFAULT_DATASET if set and available, else fashion_mnist if it is on this machine,
    else mnist if cached, else the bundled digits."""
    available = {info.name for info in list_datasets() if info.available}
    preferred = os.environ.get("AECORE_DEFAULT_DATASET", "")
    return next(name for name in (preferred, "fashion_mnist", "mnist", "digits") if name in available)


def load_dataset(name_or_path: str, seed: int = 0) -> Dataset:
    """A named dataset or the user's own files; `seed` drives any train/test split made here."""
    key = name_or_path.strip().lower().replace("-", "_")
    if key == PHOTOS or key.startswith(PHOTOS + ":"):  # variable-size photos for the photo family
        from aecore.data import photos  # lazy: scikit-image is imported only for photos

        folder = name_or_path.strip()[len(PHOTOS) + 1 :]
        return photos.load_photos(folder or PHOTOS, seed)
    if key in DATASET_NAMES:
        return NAMED_LOADERS[key](seed)
    own_names = owndata.names()
    if name_or_path.strip() in own_names:
        return owndata.load(name_or_path.strip(), seed=seed)
    path = Path(name_or_path).expanduser()
    if not path.exists():
        if os.sep not in name_or_path and "/" not in name_or_path and not path.suffix:
            yours = f"yours: {', '.join(own_names)}" if own_names else "none of your own yet"
            raise errors.DatasetError(
                f"Unknown dataset {name_or_path!r}: known names are {', '.join(DATASET_NAMES)}; "
                f"{KNOWN_FORMS}; {yours} in {owndata.folder()} "
                f"(`python -m aecore datasets add NAME PATH` converts one)"
            )
        raise errors.DatasetError(f"No such file or folder: {path}. Check the path; {KNOWN_FORMS}")
    return _load_path(path, name_or_path, seed)


def _download_source(where: Path) -> str:
    if downloads_allowed():
        return f"not cached; would be downloaded by Keras to {where}"
    return f"not cached at {where}; downloads are off ({OFFLINE_ENV}=1)"


def _available_names(excluding: str) -> str:
    names = [info.name for info in list_datasets() if info.available and info.name != excluding]
    return ", ".join(names)


# ---------------------------------------------------------------- named datasets


def _load_digits(seed: int) -> Dataset:
    from sklearn import datasets  # lazy: scikit-learn takes ~1 s to import

    bunch = datasets.load_digits()
    images = (bunch.images / 16.0).astype(np.float32)  # (1797, 8, 8), values 0..16
    train = (images, bunch.target)
    return _from_arrays(
        "digits", "scikit-learn bundled", train, None, seed, DIGIT_CLASS_NAMES, DIGITS_TEST_COUNT
    )


def _find_fashion_mnist() -> Path | None:
    for folder in (keras_datasets_dir() / "fashion-mnist", *SYSTEM_FASHION_MNIST_DIRS):
        if all((folder / file_name).is_file() for file_name in FASHION_MNIST_FILES):
            return folder
    return None


def _load_fashion_mnist(seed: int) -> Dataset:
    folder = _find_fashion_mnist()
    if folder is not None:
        return _load_idx_folder(folder, "fashion_mnist", seed, FASHION_MNIST_CLASS_NAMES)
    cache = keras_datasets_dir() / "fashion-mnist"
    how_to_cache = (
        f"put {', '.join(FASHION_MNIST_FILES)} in {cache}/ "
        f"(or install the Debian package dataset-fashion-mnist)"
    )
    train, test = _download_with_keras("fashion_mnist", "Fashion-MNIST", how_to_cache)
    source = f"downloaded by Keras to {cache}"
    return _from_arrays("fashion_mnist", source, train, test, seed, FASHION_MNIST_CLASS_NAMES)


def _load_mnist(seed: int) -> Dataset:
    cached = keras_datasets_dir() / "mnist.npz"
    if cached.is_file():
        dataset = _load_npz(cached, "mnist", seed)
        return replace(dataset, class_names=DIGIT_CLASS_NAMES)
    how_to_cache = f"put mnist.npz in {keras_datasets_dir()}/"
    train, test = _download_with_keras("mnist", "MNIST", how_to_cache)
    source = f"downloaded by Keras to {cached}"
    return _from_arrays("mnist", source, train, test, seed, DIGIT_CLASS_NAMES)


def _download_with_keras(name: str, title: str, how_to_cache: str) -> tuple[tuple, tuple]:
    """(x_train, y_train), (x_test, y_test) from keras.datasets.<name>, or one DatasetError."""
    fix = f"{how_to_cache} or pick another dataset (available: {_available_names(excluding=name)})"
    if not downloads_allowed():
        raise errors.DatasetError(
            f"{title} is not cached and was not downloaded because {OFFLINE_ENV}=1: {fix}"
        )
    try:
        # Imported here: Keras takes seconds to import and most runs never download.
        module = importlib.import_module(f"keras.datasets.{name}")
        return module.load_data()
    except Exception as error:  # Keras raises bare Exception for network failures
        raise errors.DatasetError(
            f"{title} is not cached and could not be downloaded (no network?): {fix} "
            f"[{type(error).__name__}: {error}]"
        ) from error


NAMED_LOADERS = {"digits": _load_digits, "fashion_mnist": _load_fashion_mnist, "mnist": _load_mnist}


# ---------------------------------------------------------------- the user's own files


def _load_path(path: Path, name: str, seed: int) -> Dataset:
    if path.is_dir():
        if idx.find_idx_files(path) is not None:
            return _load_idx_folder(path, name, seed, class_names=None)
        return _load_images(path, name, seed)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _load_npz(path, name, seed)
    if suffix == ".zip":
        return _load_images(path, name, seed)
    raise errors.DatasetError(
        f"Cannot load {path}: unsupported file type {suffix or '(none)'!r}; expected an .npz file, "
        f"a .zip of images, or a folder of images or IDX files"
    )


def _load_idx_folder(folder: Path, name: str, seed: int, class_names: list[str] | None) -> Dataset:
    files = idx.find_idx_files(folder)
    train_images, train_labels = idx.read_images_and_labels(files.train_images, files.train_labels)
    train = (train_images, train_labels)
    if files.test_images is None:
        return _from_arrays(name, str(folder), train, None, seed, class_names)
    test_images, test_labels = idx.read_images_and_labels(files.test_images, files.test_labels)
    if train_labels is None or test_labels is None:
        train, test = (train_images, None), (test_images, None)  # half-labelled -> unlabelled
    else:
        test = (test_images, test_labels)
    return _from_arrays(name, str(folder), train, test, seed, class_names)


def _load_npz(path: Path, name: str, seed: int) -> Dataset:
    train, test = arrays.read_npz(path)
    return _from_arrays(name, str(path), train, test, seed, class_names=None)


def _load_images(path: Path, name: str, seed: int) -> Dataset:
    """A folder or .zip of images; subfolder names are the labels (see aecore.data.imagefolder)."""
    limits = imagefolder.ImageLimits(
        MAX_IMAGES, MAX_IMAGE_FILE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE
    )
    pixels, labels, class_names = imagefolder.read_images(path, limits)
    return _from_arrays(name, str(path), (pixels, labels), None, seed, class_names)


def _from_arrays(
    name: str,
    source: str,
    train: arrays.ArrayPair,
    test: arrays.ArrayPair | None,
    seed: int,
    class_names: list[str] | None,
    test_count: int | None = None,
) -> Dataset:
    """Check (images, labels) pairs and convert them; with no test pair, split train by `seed`."""
    x_train, y_train, x_test, y_test = arrays.checked_splits(
        train, test, source, seed, test_count, TEST_FRACTION
    )
    return Dataset(name, x_train, y_train, x_test, y_test, class_names, source)
