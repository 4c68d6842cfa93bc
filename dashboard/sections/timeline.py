"""Streamlit helpers for the Training timeline page (views/timeline.py): a model's snapshots (stored, or a running
job's so far) as aligned maps, and the message for the in-browser player (dashboard/components/timeline_player/)."""

import numpy as np
import streamlit as st

from aecore.analysis import timeline
from aecore.base import atomic
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
    snapshot file's time: the player keeps its place as they grow). The player's message (dashboard/components/timeline_player/), with the sample's test images for hover thumbnails."""
    images = None
    if _dataset.x_test is not None and len(_dataset.x_test) > int(np.max(_found["indices"], initial=-1)):
        images = _dataset.x_test[_found["indices"]]
    return timeline_player.payload(key, _found, _dataset.class_names, images, live=key.startswith("live-"))
