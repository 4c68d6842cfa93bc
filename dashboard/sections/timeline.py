"""Streamlit helpers for the Training timeline page (views/timeline.py): a model's snapshots (stored, or a running
job's so far) as aligned maps, and the message for the in-browser player (dashboard/components/timeline_player/);
a series model's windows and reconstructions drawn as curves."""

import numpy as np
import streamlit as st

from aecore.analysis import timeline
from aecore.base import atomic
from dashboard import series_plots
from dashboard.components import timeline_player
from dashboard.state import caches


@st.cache_data(max_entries=8, show_spinner="Aligning one map per snapshot…")
def stored_frames(model_name: str, stamp: str) -> dict | None:
    found = caches.model_store().snapshots(model_name)
    return _with_maps(found)


@st.cache_data(max_entries=4, show_spinner=False)
def live_frames(path: str, modified: float) -> dict | None:
    """A running job's snapshots so far (`modified` keys the cache: the file is replaced as snapshots land)."""
    from pathlib import Path

    return _with_maps(atomic.read_arrays(Path(path)))


def _with_maps(found: dict | None) -> dict | None:
    if found is None or len(found["epochs"]) == 0:
        return None
    return {**found, "maps": timeline.aligned_maps(found["codes"].astype(np.float32))}


@st.cache_data(max_entries=8, show_spinner=False)
def message(key: str, version: float, _found: dict, _dataset) -> dict:
    """`key` names the frames (a model and its stamp, or a running job), `version` their state (a running job's
    snapshot file's time: the player keeps its place as they grow). The player's message
    (dashboard/components/timeline_player/), with the sample's test images for hover thumbnails; on a series, the
    windows drawn as curves instead (`as_curves`)."""
    images = None
    if _dataset.x_test is not None and len(_dataset.x_test) > int(np.max(_found["indices"], initial=-1)):
        images = _dataset.x_test[_found["indices"]]
    series = getattr(_dataset, "is_series", False)
    if series:
        _found, images = as_curves(_found, images)
    return timeline_player.payload(key, _found, _dataset.class_names, images, live=key.startswith("live-"),
                                   noun="window" if series else "image")


def as_curves(found: dict, windows: np.ndarray | None) -> tuple[dict, np.ndarray | None]:
    """A series model's snapshots as the player shows pictures: the kept windows drawn as curves (the top row) and,
    at each snapshot, each window in grey with that snapshot's reconstruction over it in amber (the snapshots keep
    them as pixels: clipped to the training part's [0, 1]); the sample's windows as curves for the hover."""
    originals = found["originals"].astype(np.float32) / 255  # (k, window, channels, 1)
    if windows is not None:
        originals = windows[: len(originals)]
    to_bytes = lambda pictures: np.round(np.clip(pictures, 0, 1) * 255).astype(np.uint8)  # noqa: E731
    height = series_plots.thumb_height(originals.shape[2])
    rebuilt = [to_bytes(series_plots.overlay_pictures(originals, frame.astype(np.float32) / 255, height=height))
               for frame in found["reconstructions"]]
    drawn = series_plots.curve_pictures(originals, height=height)
    shown = {**found, "originals": to_bytes(drawn[..., [0, 0, 0]] if drawn.shape[-1] == 1 else drawn),
             "reconstructions": np.stack(rebuilt) if rebuilt else found["reconstructions"]}
    return shown, None if windows is None else series_plots.curve_pictures(windows)
