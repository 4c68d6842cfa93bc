"""The user's own datasets: images converted once into a named dataset kept in the store, then loaded by name.

`add` converts a .zip or folder of images (subfolders are labels; `ownimages`) or an .npz (`ownnpz`) into
<store>/datasets/<name>/images.npz (x_train, y_train, x_test, y_test: uint8 (n, size, size, 1 or 3) and int64
labels, no label arrays when unlabelled) and card.json (what it is and where it came from). A member that
cannot be used is skipped and counted; a source that cannot be used is refused with one DatasetError.

Atomic: everything is written into a hidden `.incoming-*` folder that is renamed into place at the end, and
removed on any failure, Ctrl-C included, so a half-converted dataset is never listed. The conversion itself,
in bounded memory, is `ownconvert`'s.
"""

import datetime
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from aecore import errors
from aecore.base import atomic, layout
from aecore.data import dataset, ownconvert, series

SIZES = ownconvert.SIZES  # sides offered: 28, 32, 64, 96
ConversionOptions = ownconvert.ConversionOptions  # size, colour, fit; checked when made
Preview = ownconvert.Preview  # what preview() returns
FOLDER = "datasets"  # inside the store; aecore.store.modelstore skips it when it lists models
CARD_FILE, IMAGES_FILE = "card.json", ownconvert.IMAGES_FILE
SERIES_FILE = series.SERIES_FILE  # a time series (aecore.data.series) instead of images.npz
NAME_LIMIT = layout.NAME_LIMIT
STALE_SECONDS = 3600  # hidden leftovers older than this are from a crashed conversion and are removed


def folder(store: str | os.PathLike | None = None) -> Path:
    """<store>/datasets: the store is the given path, else $AECORE_STORE, else ./models, the same default as
    aecore.store.modelstore.store_root, so datasets sit beside the models trained on them."""
    return layout.store_root(store) / FOLDER


def names(store=None) -> list[str]:
    """The datasets in the store, sorted; removes leftovers of crashed conversions older than an hour."""
    root = folder(store)
    if not root.is_dir():
        return []
    remove_stale(root)
    return sorted(path.name for path in root.iterdir()
                  if not path.name.startswith(".") and (path / CARD_FILE).is_file()
                  and ((path / IMAGES_FILE).is_file() or (path / SERIES_FILE).is_file()))


def remove_stale(root: Path):
    """Removes the hidden `.incoming-*` and `.trash-*` folders in `root` older than STALE_SECONDS: leftovers of a
    crashed write (a conversion here, a model save in aecore.store.modelstore)."""
    for leftover in root.glob(".*-*"):
        if leftover.name.startswith((".incoming-", ".trash-")):
            try:
                if time.time() - leftover.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass  # another process removed it first


def card(name: str, store=None) -> dict:
    """The dataset's card.json: what it holds and where it came from."""
    path = _existing(name, store) / CARD_FILE
    try:
        found = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise errors.DatasetError(f"dataset {name!r} is damaged: {path} is not readable JSON ({error}); remove it "
                                  f"and add it again") from None
    if not isinstance(found, dict):
        raise errors.DatasetError(f"dataset {name!r} is damaged: {path} does not hold an object; add it again")
    return found


def describe(found: dict) -> str:
    """One line for people: "1,200 images, 64x64 colour, 3 classes — yours, from /home/me/cats.zip"."""
    if found.get("kind") == series.KIND:
        return series.describe(found)
    counts, size = found.get("counts", {}), found.get("size")
    total = int(counts.get("train", 0)) + int(counts.get("test", 0))
    classes = f"{found['classes']} classes" if found.get("classes") else "unlabelled"
    look = "colour" if found.get("colour") else "grayscale"
    return f"{total:,} images, {size}x{size} {look}, {classes} — yours, from {found.get('source')}"


def load(name: str, store=None, seed: int = 0) -> dataset.Dataset:
    """The dataset as float32 in [0, 1]; the split was made once by `add` (seed is the catalogue's interface)."""
    found = card(name, store)
    if found.get("kind") == series.KIND:  # a time series, cut into windows (aecore.data.series)
        return series.load(name, _existing(name, store), found)
    path = _existing(name, store) / IMAGES_FILE
    try:
        with np.load(path, allow_pickle=False) as archive:
            x_train, x_test = _unit_floats(archive["x_train"]), _unit_floats(archive["x_test"])
            labelled = "y_train" in archive.files
            y_train = archive["y_train"].astype(np.int64) if labelled else None
            y_test = archive["y_test"].astype(np.int64) if labelled else None
    except (OSError, KeyError, ValueError, EOFError) as error:
        raise errors.DatasetError(f"dataset {name!r} is damaged: {path} cannot be read ({error}); remove it and "
                                  f"add it again") from None
    return dataset.Dataset(name, x_train, y_train, x_test, y_test, found.get("class_names"), str(found.get("source")))


def remove(name: str, store=None):
    """Deletes the dataset: renamed to a hidden folder first, so a reader never meets half of it."""
    path = _existing(name, store)
    trash = path.parent / f".trash-{uuid.uuid4().hex}"
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def preview(source, options: ConversionOptions, count: int = 6, limits=None) -> Preview:
    """The first `count` usable images of a source as they are (each at most 160 px a side, uint8) and as `add`
    would convert them, (count, size, size, channels) uint8: a before/after look."""
    return ownconvert.preview(Path(source).expanduser(), options, count, limits or ownconvert.default_limits())


def add(name: str, source, options: ConversionOptions | None = None, store=None,
        progress: Callable[[int, int], None] | None = None, limits=None, source_name: str | None = None) -> dict:
    """Converts `source` (a .zip, a folder or an .npz) into dataset `name` in the store; returns its card.

    progress(done, total) is called every 64 images (ownconvert.BATCH). limits: an ownimages.Limits, by
    default aecore.data.catalog's. source_name: what the card says it came from, e.g. an upload's own file
    name (default: the source's path). Raises DatasetError for a bad name, options or source.
    """
    started = time.monotonic()
    options = options or ConversionOptions()
    root = folder(store)
    _check_new_name(name, root)
    source_path = Path(source).expanduser().absolute()
    root.mkdir(parents=True, exist_ok=True)
    incoming = root / f".incoming-{uuid.uuid4().hex}"
    incoming.mkdir()
    try:
        is_series = isinstance(options, series.SeriesOptions)  # a CSV time series, else images
        converter = series.convert if is_series else ownconvert.convert
        made = converter(incoming, source_path, options, limits or ownconvert.default_limits(), progress)
        made = {"name": name, **made, "source": source_name or made.get("source", str(source_path)),
                "source_sha256": fingerprint(source_path), "created": _now(),
                "seconds": round(time.monotonic() - started, 2)}
        atomic.write_json(incoming / CARD_FILE, made)
        atomic.fsync_paths(incoming / (SERIES_FILE if is_series else IMAGES_FILE), incoming / CARD_FILE, incoming)
        try:
            os.replace(incoming, root / name)  # atomic; fails when another conversion took the name meanwhile
        except OSError:
            raise errors.DatasetError(_taken(name, root)) from None
    except BaseException:  # KeyboardInterrupt too: nothing half-made stays behind
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    return made


def fingerprint(source: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (relative paths and bytes, in order): the same source
    added again is known by it (aecore.data.ownfile reuses the dataset made from it)."""
    digest = hashlib.sha256()
    files = [source] if source.is_file() else sorted(path for path in source.rglob("*") if path.is_file())
    for path in files:
        if path != source:
            digest.update(str(path.relative_to(source)).encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _unit_floats(pixels: np.ndarray) -> np.ndarray:
    result = np.empty(pixels.shape, np.float32)
    np.divide(pixels, np.float32(255), out=result)
    return result


def _existing(name: str, store) -> Path:
    path = folder(store) / str(name)
    if layout.clean_name(name) != name or not (path / CARD_FILE).is_file():
        known = ", ".join(names(store)) or "none yet"
        raise errors.DatasetError(f"no dataset named {name!r} in {folder(store)} (yours: {known}); "
                                  f"`python -m aecore datasets` lists every dataset")
    return path


def _check_new_name(name: str, root: Path):
    cleaned = layout.clean_name(name)
    if not cleaned or cleaned != name:
        example = f", e.g. {cleaned!r}" if cleaned else ""
        raise errors.DatasetError(f"{name!r} is not a usable dataset name: use up to {NAME_LIMIT} letters, digits, "
                                  f"'.', '_' or '-', not starting with '.' or '-'{example}")
    built_in = (*dataset.DATASET_NAMES, dataset.PHOTOS)
    if name.lower().replace("-", "_") in built_in:
        raise errors.DatasetError(f"{name!r} is a built-in dataset's name ({', '.join(built_in)}): pick another, "
                                  f"e.g. 'my-{name.lower()}'")
    if (root / name).exists():
        raise errors.DatasetError(_taken(name, root))


def _taken(name: str, root: Path) -> str:
    return (f"a dataset named {name!r} exists already in {root}: pick another name, or remove it first with "
            f"`python -m aecore datasets remove {name}`")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")




def is_series(name: str, store=None) -> bool:
    """True when `name` is one of the store's datasets and a time series (read from its card, nothing loaded)."""
    if name not in names(store):
        return False
    try:
        return card(name, store).get("kind") == series.KIND
    except errors.DatasetError:
        return False
