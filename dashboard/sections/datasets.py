"""Streamlit helpers for the Datasets page (views/datasets.py): the datasets on this server as pictures, and adding
one of your own (aecore.data.owndata converts it once into the store; the owner adds and removes).

An upload is written to a temporary file (a zip must be seekable) that is removed when the conversion ends. The
conversion runs in this page's script run with a progress bar: leaving the page stops it, and owndata then leaves
nothing behind. A folder path is offered only when the browser runs on the server's own machine.
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import streamlit as st

from aecore.data import owndata
from aecore.errors import AecoreError
from dashboard import plots
from dashboard.state import caches, roles
from dashboard.text import md

SIZES = owndata.SIZES
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_local() -> bool:
    """True when the browser talks to the server on the same machine (so a folder path means the same folder)."""
    host = (st.context.headers.get("Host") or "").rsplit(":", 1)[0].lower() if st.context.headers else ""
    return host in LOCAL_HOSTS


@st.cache_data(max_entries=32, show_spinner=False)
def sample_picture(name: str, version: str, count: int = 12) -> np.ndarray:
    """A strip of the dataset's first test images (one of each class first, where there are classes)."""
    found = caches.dataset(name)
    chosen = list(range(min(count, len(found.x_test))))
    if found.y_test is not None:
        firsts = [int(np.argmax(found.y_test == label)) for label in np.unique(found.y_test)][:count]
        chosen = firsts + [index for index in chosen if index not in firsts][: count - len(firsts)]
    return plots.mosaic(found.x_test[chosen], len(chosen))


def describe(card: dict) -> str:
    """owndata's line, with the split and what was skipped."""
    counts = card.get("counts", {})
    line = f"{owndata.describe(card)} · {counts.get('train', 0):,} train, {counts.get('test', 0):,} test ({card.get('split')})"
    return line + (f" · {counts['skipped']:,} files skipped" if counts.get("skipped") else "")


@contextmanager
def uploaded_file(upload):
    """The upload as a file on disk (zip files need seeking), removed afterwards."""
    suffix = Path(upload.name).suffix.lower()
    handle, path = tempfile.mkstemp(prefix="aecore-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as target:
            upload.seek(0)
            while chunk := upload.read(8 * 2**20):
                target.write(chunk)
        yield Path(path)
    finally:
        Path(path).unlink(missing_ok=True)


EXPLORE_PAGE = "views/reconstructions.py"  # where "Explore" goes: the first explore page (it says how to train)


def proposed_size(source: Path) -> int:
    """The largest size offered that does not enlarge the source's images (their smaller side, the smallest of
    the first few), else the smallest offered: 40-px images get 32, not 64."""
    try:
        found = owndata.preview(source, owndata.ConversionOptions(size=min(SIZES)))
    except AecoreError:
        return 64  # the page shows the error itself
    sides = [min(original.shape[:2]) for original in found.originals]
    if not sides:
        return 64
    return max([size for size in SIZES if size <= min(sides)] or [min(SIZES)])


def add(name: str, source: Path, options, visitor: roles.Visitor, source_name: str | None = None) -> dict | None:
    """Converts `source` with a progress bar; the card (which names `source_name`, e.g. an upload's own file name,
    never its temporary path), or None after an error shown on the page."""
    try:
        visitor.require_owner("add datasets")
    except roles.NotAllowed as error:
        st.error(md(error))
        return None
    bar = st.progress(0.0, text="Reading the files…")

    def progress(done: int, total: int):
        bar.progress(min(1.0, done / max(1, total)), text=f"Converting: {done:,} of {total:,} images")

    try:
        card = owndata.add(name, source, options, progress=progress, source_name=source_name)
    except AecoreError as error:
        bar.empty()
        st.error(md(error))
        return None
    bar.progress(1.0, text=f"Converted {card['counts']['train'] + card['counts']['test']:,} images in "
                           f"{card.get('seconds', 0):.1f} s")
    return card


def remove(name: str, visitor: roles.Visitor):
    """A Remove button's callback: the owner only, checked here, not in the widget."""
    try:
        visitor.require_owner("remove datasets")
        owndata.remove(name)
        if st.session_state.get("dataset") == name:
            st.session_state.pop("dataset", None)
            st.session_state.pop("dataset_pick", None)
        st.toast(f"Removed the dataset {md(name)}. Models trained on it stay in the store.")
    except AecoreError as error:  # NotAllowed is one too
        st.toast(md(error))
