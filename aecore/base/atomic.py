"""Files written so that a reader, or a kill at any moment, never meets half of one: each is written beside
its place under a hidden temporary name, flushed, and renamed over it (os.replace is atomic on one file system).
"""

import contextlib
import fcntl
import io
import json
import os
import uuid
from pathlib import Path

import numpy as np


def write_json(path: Path, data: dict):
    """Writes JSON next to `path` and renames it over, so readers never see half a file."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "w") as handle:
        json.dump(data, handle, indent=2, default=float)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def fsync_paths(*paths: Path):
    """Flushes each file or folder to disk (before a rename makes it visible)."""
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def fsync_tree(folder: Path):
    """Flushes every file of a folder, and the folder itself, to disk before it is renamed into the store."""
    fsync_paths(*folder.iterdir(), folder)


def write_arrays(path: Path, arrays: dict, compressed: bool = True):
    """An .npz written beside `path` and renamed over it: a reader, or a kill, never meets half a file.
    `compressed=False` for a file rewritten often (a training's live snapshots: 50x faster to write, 13% larger)."""
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(buffer.getvalue())
    os.replace(temporary, path)


def read_arrays(path: Path) -> dict | None:
    """The arrays in an .npz, or None when the file is missing or unreadable."""
    try:
        with np.load(path) as found:
            return {key: found[key] for key in found.files}
    except (OSError, ValueError):
        return None


def read_json(path: Path) -> dict | None:
    """The JSON object in `path`, or None when the file is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def exclusive(path: Path):
    """Holds an exclusive lock on file `path` (made if missing) while the block runs: a second process (or another
    open of it in this one) waits, then typically finds the result the first one wrote."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
