"""The model store: one folder per model holding `model.keras` and `meta.json`.

Models shipped with aecore (`aecore/store/shipped/`, or the folder in $AECORE_SHIPPED_MODELS; empty for
none) are listed with the store's own, marked `"shipped": true` in their meta, and are read-only: they
load like any other, but are never renamed, deleted or overwritten, and a user's model never takes
their name.

Writes are atomic: a model is written into a hidden `.incoming-*` folder and renamed into place,
so a crash mid-save never leaves a half model in the list. The folder name is the model's name.
"""

import datetime
import json
import os
import platform
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from aecore.base import atomic, layout
from aecore.data import owndata
from aecore.errors import StoreError

SCHEMA_VERSION = 1
MODEL_FILE = "model.keras"
META_FILE = "meta.json"
SNAPSHOTS_FILE = "snapshots.npz"  # the training timeline (aecore.training.snapshots), when there is one
DEFAULT_STORE, NAME_LIMIT = layout.DEFAULT_STORE, layout.NAME_LIMIT
SHIPPED_FOLDER = Path(__file__).with_name("shipped")  # models that come with aecore, read-only
DATASETS_FOLDER = "datasets"  # the user's own datasets (aecore.data.owndata.FOLDER): not a model, never a model's name


@dataclass
class StoreEntry:
    name: str
    path: Path
    meta: dict


@dataclass
class StoreProblem:
    name: str
    path: Path
    reason: str


store_root = layout.store_root  # the store folder: the given path, else $AECORE_STORE, else ./models


def sanitize_name(name: str) -> str:
    """Letters, digits, '.', '_' and '-' only; never hidden, never a path. Raises on nothing left."""
    cleaned = layout.clean_name(name)
    if not cleaned:
        raise StoreError(f"{name!r} is not a usable model name: use letters, digits, '.', '_' or '-'")
    return cleaned


def read_meta(folder: Path) -> dict:
    """Reads and checks an entry's meta.json; raises StoreError with the reason."""
    from aecore.models import families  # lazy: listing must not need Keras

    meta_path, model_path = folder / META_FILE, folder / MODEL_FILE
    if not meta_path.is_file():
        raise StoreError("meta.json is missing")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StoreError(f"meta.json is not valid JSON ({error})") from None
    if not isinstance(meta, dict):
        raise StoreError("meta.json does not hold an object")
    if not isinstance(meta.get("schema_version"), int) or meta["schema_version"] > SCHEMA_VERSION:
        raise StoreError(f"meta.json has schema version {meta.get('schema_version')!r}; this aecore reads <= {SCHEMA_VERSION}")
    if meta.get("family") not in families.FAMILIES:
        raise StoreError(f"meta.json names an unknown family {meta.get('family')!r}")
    if not model_path.is_file() or not zipfile.is_zipfile(model_path):
        raise StoreError("model.keras is missing or is not a .keras archive")
    return meta


def versions() -> dict:
    import keras
    import numpy
    import tensorflow

    from aecore import __version__

    return {"aecore": __version__, "keras": keras.__version__, "tensorflow": tensorflow.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def shipped_root() -> Path | None:
    """The folder of shipped models: $AECORE_SHIPPED_MODELS if set (empty: none), else aecore's own."""
    chosen = os.environ.get("AECORE_SHIPPED_MODELS")
    if chosen is None:
        return SHIPPED_FOLDER
    return Path(chosen).resolve() if chosen.strip() else None


class ModelStore:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = store_root(root).resolve()
        self.shipped = shipped_root()

    def _folder(self, name: str) -> Path:
        if sanitize_name(name) != name:
            raise StoreError(f"no model named {name!r} in {self.root} (names use letters, digits, '.', '_', '-')")
        folder = (self.root / name).resolve()
        if folder.parent != self.root:
            raise StoreError(f"{name!r} is outside the store {self.root}")
        return folder

    def scan(self) -> tuple[list[StoreEntry], list[StoreProblem]]:
        """Every entry that looks loadable, newest first (the shipped ones last), and every broken one with its reason."""
        entries, problems = [], []
        if self.root.is_dir():
            self._remove_stale()
            self._scan_folder(self.root, entries, problems, skip={DATASETS_FOLDER})
        entries.sort(key=lambda entry: str(entry.meta.get("created", "")), reverse=True)
        shipped = []
        if self.shipped is not None and self.shipped.is_dir():
            self._scan_folder(self.shipped, shipped, problems)
        for entry in shipped:
            entry.meta["shipped"] = True
        return entries + shipped, problems

    @staticmethod
    def _scan_folder(root: Path, entries: list, problems: list, skip: set[str] = frozenset()):
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(".") or folder.name in skip or not folder.is_dir():
                continue
            try:
                entries.append(StoreEntry(folder.name, folder, read_meta(folder)))
            except StoreError as error:
                problems.append(StoreProblem(folder.name, folder, str(error)))

    def is_shipped(self, name: str) -> bool:
        return self.shipped is not None and sanitize_name(name) == name and (self.shipped / name / META_FILE).is_file()

    def _existing(self, name: str) -> Path:
        """The folder holding model `name`: the store's own, else a shipped one; raises when there is none."""
        folder = self._folder(name)
        if folder.is_dir():
            return folder
        if self.is_shipped(name):
            return self.shipped / name
        raise StoreError(f"no model named {name!r} in {self.root}; `python -m aecore list` shows what is there")

    def cache_folder(self, name: str) -> Path:
        """A writable folder for what is computed from model `name` (aecore.store.mapcache): inside its own folder,
        so it goes with the model; for a shipped model, under the store's hidden .cache folder."""
        folder = self._existing(name)
        place = self.root / ".cache" / name if folder.parent == self.shipped else folder / "cache"
        place.mkdir(parents=True, exist_ok=True)
        return place

    def _refuse_shipped(self, name: str, action: str):
        if self.is_shipped(name) and not self._folder(name).is_dir():
            raise StoreError(f"{name!r} is shipped with aecore and read-only: it cannot be {action}. "
                             "Train your own photo model to have one you can change")

    def entries(self) -> list[StoreEntry]:
        return self.scan()[0]

    def names(self) -> list[str]:
        return [entry.name for entry in self.entries()]

    def meta(self, name: str) -> dict:
        folder = self._existing(name)
        try:
            meta = read_meta(folder)
        except StoreError as error:
            raise StoreError(f"model {name!r} is damaged: {error}") from None
        return {**meta, "shipped": True} if folder.parent == self.shipped else meta

    def save(self, autoencoder, name: str | None = None) -> StoreEntry:
        """Saves atomically under `name` (or a name made from the run); never overwrites: adds -2, -3..."""
        base = sanitize_name(name or default_name(autoencoder.meta, autoencoder.family))
        self.root.mkdir(parents=True, exist_ok=True)
        incoming = self.root / f".incoming-{uuid.uuid4().hex}"
        incoming.mkdir()
        try:
            autoencoder.model.save(incoming / MODEL_FILE)
            if getattr(autoencoder, "snapshots", None):  # inside the same atomic rename as the model
                atomic.write_arrays(incoming / SNAPSHOTS_FILE, autoencoder.snapshots)
            meta = {**autoencoder.meta, "family": autoencoder.family, "options": autoencoder.options,
                    "schema_version": SCHEMA_VERSION, "versions": versions(),
                    "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
            for attempt in range(1, 1000):
                candidate = base if attempt == 1 else f"{base[: NAME_LIMIT - 5]}-{attempt}"
                if self.is_shipped(candidate) or candidate == DATASETS_FOLDER:
                    continue
                meta["name"] = candidate
                atomic.write_json(incoming / META_FILE, meta)
                atomic.fsync_tree(incoming)
                try:
                    os.rename(incoming, self.root / candidate)  # atomic; fails if the name is taken
                except OSError:
                    continue
                autoencoder.meta = meta
                return StoreEntry(candidate, self.root / candidate, meta)
            raise StoreError(f"could not find a free name starting with {base!r}")
        finally:
            if incoming.exists():
                shutil.rmtree(incoming, ignore_errors=True)

    def load(self, name: str):
        """Loads a saved model with its encoder, decoder and optimizer state."""
        from aecore.store import serialization

        meta = self.meta(name)
        return serialization.load_autoencoder(self._existing(name) / MODEL_FILE, meta)

    def snapshots(self, name: str) -> dict | None:
        """The model's training snapshots (aecore.training.snapshots), or None: imported, trained with them off,
        or trained before they existed."""
        return atomic.read_arrays(self._existing(name) / SNAPSHOTS_FILE)

    def delete(self, name: str):
        self._refuse_shipped(name, "deleted")
        folder = self._folder(name)
        if not folder.is_dir():
            raise StoreError(f"no model named {name!r} in {self.root}")
        trash = self.root / f".trash-{uuid.uuid4().hex}"
        os.rename(folder, trash)  # leaves the list at once, even if removal is interrupted
        shutil.rmtree(trash, ignore_errors=True)

    def rename(self, name: str, new_name: str) -> StoreEntry:
        self._refuse_shipped(name, "renamed")
        folder, new_clean = self._folder(name), sanitize_name(new_name)
        target = self._folder(new_clean)
        if not folder.is_dir():
            raise StoreError(f"no model named {name!r} in {self.root}")
        if new_clean == DATASETS_FOLDER:
            raise StoreError(f"{new_clean!r} holds your own datasets in the store {self.root}; pick another name")
        if target.exists() or self.is_shipped(new_clean):
            raise StoreError(f"a model named {new_clean!r} exists already; pick another name")
        os.rename(folder, target)
        meta = self.meta(new_clean)
        meta["name"] = new_clean
        atomic.write_json(target / META_FILE, meta)
        return StoreEntry(new_clean, target, meta)

    def archive(self, name: str) -> bytes:
        """The model's folder as a .zip (model.keras + meta.json), for downloads."""
        import io

        folder, buffer = self._existing(name), io.BytesIO()
        self.meta(name)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for filename in (MODEL_FILE, META_FILE, SNAPSHOTS_FILE):
                if (folder / filename).is_file():
                    archive.write(folder / filename, f"{name}/{filename}")
        return buffer.getvalue()

    def _remove_stale(self):
        owndata.remove_stale(self.root)  # the same hidden leftovers, the same age


def default_name(meta: dict, family: str) -> str:
    dataset = Path(str(meta.get("dataset", "data"))).name
    return f"{family}-{dataset}-{meta.get('latent_dim', 'z')}"
