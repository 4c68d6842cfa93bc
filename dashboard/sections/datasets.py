"""Streamlit helpers for the Datasets page (views/datasets.py): the datasets on this server as pictures, and adding
one of your own (aecore.data.owndata converts it once into the store; the owner adds and removes): images, or a CSV
time series (aecore.data.series: window, stride, columns and training steps defaulting as `datasets add` does, a
preview of the series, and the CLI's own errors, naming the user's file rather than its temporary copy).

An upload is written to a temporary file (a zip must be seekable) that is removed when the conversion ends. The
conversion runs in this page's script run with a progress bar: leaving the page stops it, and owndata then leaves
nothing behind. A folder path is offered only when the browser runs on the server's own machine.
"""

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import streamlit as st

from aecore.data import owndata, series, seriescsv
from aecore.errors import AecoreError
from dashboard import plots, series_plots
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


def series_picture(name: str, version: str):
    """A stored series drawn whole (its first columns), the training part and labelled events shaded."""
    found = caches.dataset(name)
    return series_plots.series_overview(found.values, found.train_steps, found.columns, found.step_labels,
                                        height=120 + 60 * min(found.channels, 3), most_channels=3)


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
    """Converts `source` (images, or a CSV series when `options` is a series.SeriesOptions) with a progress bar; the
    card (which names `source_name`, e.g. an upload's own file name, never its temporary path), or None after an
    error shown on the page."""
    try:
        visitor.require_owner("add datasets")
    except roles.NotAllowed as error:
        st.error(md(error))
        return None
    bar = st.progress(0.0, text="Reading the files…")
    unit = "steps" if isinstance(options, series.SeriesOptions) else "images"

    def progress(done: int, total: int):
        bar.progress(min(1.0, done / max(1, total)), text=f"Converting: {done:,} of {total:,} {unit}")

    try:
        card = owndata.add(name, source, options, progress=progress, source_name=source_name)
    except AecoreError as error:
        bar.empty()
        st.error(md(named(error, source, source_name)))
        return None
    made = card["counts"]["train"] + card["counts"]["test"]
    what = f"Cut {made:,} windows" if card.get("kind") == series.KIND else f"Converted {made:,} images"
    bar.progress(1.0, text=f"{what} in {card.get('seconds', 0):.1f} s")
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


def named(error: Exception, path: Path, source_name: str | None) -> str:
    """The error's message with the temporary copy's path replaced by the user's own file name."""
    return str(error).replace(str(path), source_name) if source_name else str(error)


def default_name(source_name: str, fallback: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(source_name).stem).strip(".-")[:40] or fallback


# ---------------------------------------------------------------- a CSV time series

@st.cache_data(max_entries=4, show_spinner="Reading the CSV…")
def read_series(path: str, digest: str) -> seriescsv.RawSeries:
    """The CSV as read (every value column); `digest` (its bytes' SHA-256) tells uploads of one name apart."""
    return seriescsv.read_csv(path)


@st.cache_data(max_entries=8, show_spinner="Cutting the windows…")
def check_series(path: str, digest: str, window: int, stride: int, columns: tuple, train_steps: int | None) -> dict:
    """What `datasets add` would make of it (the card's fields), converted into a folder thrown away: every check of
    the CLI, run before anything is added."""
    with tempfile.TemporaryDirectory(prefix="aecore-series-check-") as folder:
        return series.convert(Path(folder), Path(path), series.SeriesOptions(window, stride, columns, train_steps))


def series_form(path: Path, source_name: str) -> tuple[str, series.SeriesOptions] | None:
    """The name, window, stride, columns and training steps of a CSV series (defaults as the CLI's), its preview and
    what it would make; None, with the CLI's error shown, when it cannot be added as chosen."""
    digest = owndata.fingerprint(path)
    try:
        raw = read_series(str(path), digest)
    except AecoreError as error:
        st.error(md(named(error, path, source_name)))
        return None
    defaults = series.SeriesOptions()
    left, middle, right = st.columns(3)
    name = left.text_input("Name", value=default_name(source_name, "my-series"), key=f"series-name-{source_name}")
    window = middle.number_input("Window (steps)", min_value=series.MIN_WINDOW, value=defaults.window, step=1,
                                 key=f"series-window-{source_name}", help="Steps per window: what the model sees.")
    stride = right.number_input("Stride (steps between windows)", min_value=1, value=defaults.stride, step=1,
                                key=f"series-stride-{source_name}")
    left, right = st.columns([2, 1])
    columns = left.multiselect("Value columns", raw.columns, default=raw.columns, key=f"series-columns-{source_name}",
                               help="Every column of numbers but the time and label columns, unless you pick some.")
    train_steps = right.number_input("Training steps (the first N)", min_value=1,
                                     value=int(len(raw.values) * series.TRAIN_SHARE), step=1,
                                     key=f"series-train-{source_name}", help="The rest is the test part.")
    if not columns:
        st.error("Pick at least one value column.")
        return None
    st.caption(md(describe_raw(raw, source_name)))
    picked = [raw.columns.index(column) for column in columns]
    st.plotly_chart(series_plots.series_overview(raw.values[:, picked], int(train_steps), columns, raw.labels),
                    key=f"series-preview-{source_name}")
    chosen = tuple(columns) if len(columns) < len(raw.columns) else None
    try:
        made = check_series(str(path), digest, int(window), int(stride), chosen, int(train_steps))
    except AecoreError as error:
        st.error(md(named(error, path, source_name)))
        return None
    st.caption(f"{made['counts']['train']:,} training and {made['counts']['test']:,} test windows of "
               f"{int(window)} steps ({md(made['split'])}).")
    return name, series.SeriesOptions(int(window), int(stride), chosen, int(train_steps))


def describe_raw(raw: seriescsv.RawSeries, source_name: str) -> str:
    """'7,501 steps of 1 value column (value) in kdd.csv; time column timestamp; labels from is_anomaly: 1 event'."""
    time_column = (f"time column {raw.time_column}" if raw.time_column
                   else "no time column: the rows are the time axis")
    if raw.labels is None:
        labels = "no is_anomaly or label column: unlabelled (scores without precision or recall)"
    else:
        events = len(series.step_events(raw.labels))
        labels = f"labels from {raw.label_column}: {events} labelled event{'s' * (events != 1)} (shaded)"
    count = len(raw.columns)
    return (f"{len(raw.values):,} steps of {count} value column{'s' * (count != 1)} ({', '.join(raw.columns[:8])}"
            f"{', ...' if count > 8 else ''}) in {source_name}; {time_column}; {labels}. The training part is shaded "
            "grey.")
