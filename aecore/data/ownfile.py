"""A data file brought with a model: made one of the user's datasets (`owndata`) once, then found again.

`python -m aecore import MODEL.keras --dataset PATH` gives the file an imported model was trained on. It is
converted as `datasets add` converts any file (same checks), at the model's own image size and channels,
and named after the file (`cells.zip` -> `cells`) unless a name is given. A name is never a catalogue name:
`mnist.npz` becomes `mnist-npz`, so the user's MNIST and the Keras cache's stay apart. The same file (by its
SHA-256, `owndata.fingerprint`) converted to the same size and channels before is reused as it is, under
whatever name it was given, so importing two models trained on one file leaves one dataset.
"""

from dataclasses import dataclass
from pathlib import Path

from aecore import errors
from aecore.base import layout
from aecore.data import dataset, owndata

FALLBACK_NAME = "imported-data"  # when nothing usable is left of the file's name


@dataclass
class Added:
    name: str  # the dataset's name in the store
    card: dict  # its card (owndata.card)
    reused: bool  # True: the same file at this size was added before, and nothing was converted


def is_catalogue_name(name: str) -> bool:
    """True for a name the catalogue answers itself (`mnist`, `Fashion-MNIST`, `photos` ...)."""
    return name.strip().lower().replace("-", "_") in (*dataset.DATASET_NAMES, dataset.PHOTOS)


def name_for(path: Path) -> str:
    """The dataset name a file gets: its stem, cleaned; `<stem>-<suffix>` when the stem is a catalogue name."""
    stem = layout.clean_name(path.stem if path.is_file() else path.name) or FALLBACK_NAME
    if is_catalogue_name(stem):
        stem = f"{stem}-{path.suffix.lstrip('.').lower() or 'folder'}"
    return stem


def options_for(image_shape) -> owndata.ConversionOptions:
    """The conversion that gives a model's own images: its side (square only) and its channels."""
    height, width, channels = (int(size) for size in image_shape)
    if height != width:
        raise errors.DatasetError(f"the model takes {height}x{width} images; a data file becomes a dataset of square "
                                  "images, so give the name of a dataset of that size instead")
    return owndata.ConversionOptions(height, channels == 3, "crop", any_size=True)


def made_from(name: str, digest: str, options: owndata.ConversionOptions, store=None) -> bool:
    """True when dataset `name` was converted from the file with this SHA-256 at this size and channels."""
    try:
        found = owndata.card(name, store)
    except errors.DatasetError:
        return False  # missing or damaged: never reused
    return found.get("source_sha256") == digest and found.get("size") == options.size \
        and found.get("channels") == options.channels


def find(digest: str, options: owndata.ConversionOptions, store=None) -> str | None:
    """The dataset made from the file with this SHA-256 at this size and channels, if there is one."""
    return next((name for name in owndata.names(store) if made_from(name, digest, options, store)), None)


def add_once(source, image_shape, name: str | None = None, store=None, progress=None,
             source_name: str | None = None) -> Added:
    """The dataset for `source` at `image_shape`: the one made from this file before, else a new one.

    Without `name` the file's name is used (with -2, -3 ... when a dataset from another file holds it) and any
    dataset made from the same file is reused; a `name` is checked as `datasets add` checks it, and reused only
    when it holds this file. `source_name`: what a new dataset's card says it came from (default: the path)."""
    path = Path(source).expanduser().absolute()
    if not path.exists():
        raise errors.DatasetError(f"No such file or folder: {path}. Give the data file the model was trained on "
                                  "(.npz, .zip or a folder of images), or a dataset name")
    options = options_for(image_shape)
    if name is not None and is_catalogue_name(name):
        raise errors.DatasetError(f"{name!r} is a built-in dataset's name: pick another for your file, e.g. 'my-{name}'")
    digest = owndata.fingerprint(path)
    reused = name if name is not None and made_from(name, digest, options, store) else \
        find(digest, options, store) if name is None else None
    if reused is not None:
        return Added(reused, owndata.card(reused, store), True)
    chosen = name or _free_name(name_for(path), store)
    return Added(chosen, owndata.add(chosen, path, options, store, progress, source_name=source_name), False)


def _free_name(base: str, store) -> str:
    taken = set(owndata.names(store))
    if base not in taken:
        return base
    return next(f"{base[: owndata.NAME_LIMIT - 4]}-{count}" for count in range(2, 1000)
                if f"{base[: owndata.NAME_LIMIT - 4]}-{count}" not in taken)
