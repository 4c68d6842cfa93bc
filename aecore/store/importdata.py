"""The data an imported model is measured on: a dataset's name, used as it is, or the data file it was trained on,
which becomes one of the user's datasets at the model's size (aecore.data.ownfile), or the one made from the same
file before. `serialization.import_model` takes a name, a path or an `ImportData`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aecore.data import catalog, owndata, ownfile
from aecore.errors import DatasetError


@dataclass
class ImportData:
    """What to measure an import on, and how to keep a data file."""

    dataset: str | None = None  # a dataset's name or a data file (.npz, .zip, folder); None: the first of its size
    name: str | None = None  # the data file's dataset name; None: after the file (never a catalogue name)
    source_name: str | None = None  # what the dataset's card says it came from (an upload's own file name)
    progress: Callable[[int, int], None] | None = None  # progress(done, total) while a data file is converted


def as_import_data(dataset) -> ImportData:
    """A name, a path, None or an ImportData, as an ImportData."""
    return dataset if isinstance(dataset, ImportData) else ImportData(None if dataset is None else str(dataset))


def is_data_file(choice: ImportData, store_root) -> bool:
    """True when `choice.dataset` is a data file to keep (not a dataset's name, nor None); refuses a name for the
    file that cannot be used, before anything is loaded."""
    dataset, name = choice.dataset, choice.name
    is_file = dataset is not None and not ownfile.is_catalogue_name(dataset) \
        and dataset not in owndata.names(store_root) and Path(dataset).expanduser().exists()
    if name is not None:
        if dataset is None:
            raise DatasetError(f"--dataset-name {name!r} names a data file's dataset; give the file too "
                               "(--dataset PATH)")
        if not is_file:
            raise DatasetError(f"--dataset {dataset!r} is a dataset's name, used as it is; --dataset-name only names "
                               "a data file given with --dataset PATH")
        if ownfile.is_catalogue_name(name):
            raise DatasetError(f"{name!r} is a built-in dataset's name: pick another for your file, e.g. 'my-{name}'")
    return is_file


def resolve(choice: ImportData, image_shape, store_root) -> dict:
    """{"dataset": the name to measure on, or None when no dataset fits; "added": None, or {"file", "reused"} when
    a data file was kept (or found kept before) as one of the user's datasets}."""
    if not is_data_file(choice, store_root):
        if choice.dataset is not None:
            return {"dataset": choice.dataset, "added": None}  # a name, as it is (an unknown one fails on loading)
        fitting = catalog.fitting_datasets(image_shape)
        return {"dataset": fitting[0] if fitting else None, "added": None}
    added = ownfile.add_once(choice.dataset, image_shape, choice.name, store_root, choice.progress, choice.source_name)
    return {"dataset": added.name, "added": {"file": choice.source_name or Path(choice.dataset).name,
                                             "reused": added.reused}}


def load(name: str, store_root=None):
    """A dataset by name; one of the user's own is read from the store at `store_root` (default: $AECORE_STORE)."""
    if name in owndata.names(store_root) and not ownfile.is_catalogue_name(name):
        return owndata.load(name, store_root)
    return catalog.load_dataset(name)
