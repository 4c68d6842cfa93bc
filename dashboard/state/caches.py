"""The server's caches, shared by every session: the store, datasets and models (`st.cache_resource`, treated as
read-only: nothing here trains or mutates them), and what pages compute from a model on a dataset
(`st.cache_data(max_entries=...)`), each keyed by one `ModelRef`: the model's name, the stamp that changes when the
entry is replaced, and the dataset.
"""

from dataclasses import dataclass

import numpy as np
import streamlit as st

from aecore.analysis import inspection, projections
from aecore.data import catalog, owndata
from aecore.errors import AecoreError
from aecore.store import modelstore
from dashboard.components import live_decoder
from dashboard.state.job_runner import JobRunner


@dataclass(frozen=True)
class ModelRef:
    """Which model on which dataset: what every cached analysis is keyed by (hashable, so Streamlit hashes it)."""
    name: str
    stamp: str  # the entry's name@created: a replaced or renamed entry computes afresh
    dataset: str

@st.cache_resource
def job_runner() -> JobRunner:
    """One training worker for the whole server: every session sees the same jobs."""
    return JobRunner()  # resolves the store (AECORE_STORE) when each job saves


def model_store() -> modelstore.ModelStore:
    return modelstore.ModelStore()


def dataset(name: str) -> catalog.Dataset:
    """The dataset `name`; one of your own is loaded afresh when it was removed and added again under that name."""
    return _dataset(name, dataset_version(name))


def dataset_version(name: str) -> str:
    """What changes when a dataset of that name is replaced: its card's time (built-ins never change)."""
    if name in catalog.DATASET_NAMES:
        return "built-in"
    try:
        return str(owndata.card(name).get("created"))
    except AecoreError:  # removed meanwhile: loading it says so
        return "gone"


@st.cache_resource(max_entries=3, show_spinner="Loading the dataset…")
def _dataset(name: str, version: str) -> catalog.Dataset:
    return catalog.load_dataset(name)


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def model(name: str, stamp: str):
    """`stamp` (the entry's created time) makes a replaced or renamed entry load afresh."""
    return model_store().load(name)


def stamp_of(meta: dict) -> str:
    return f"{meta.get('name')}@{meta.get('created')}"


@st.cache_data(max_entries=16, show_spinner="Encoding images…")
def codes(ref: ModelRef, count: int) -> np.ndarray:
    return model(ref.name, ref.stamp).encode(dataset(ref.dataset).x_test[:count])


@st.cache_data(max_entries=16, show_spinner="Projecting the codes to 2-D…")
def projection(ref: ModelRef, count: int, method: str, seed: int = 0):
    return projections.project(codes(ref, count), method, seed)


@st.cache_data(max_entries=12, show_spinner="Computing denoised frames…")
def denoise_sweep(ref: ModelRef, indices: tuple, kind: str, levels: tuple, seed: int = 0):
    images = dataset(ref.dataset).x_test[list(indices)]
    return inspection.denoise_sweep(model(ref.name, ref.stamp), images, kind, np.asarray(levels), seed)




@st.cache_data(max_entries=8, show_spinner="Preparing the live decoder…")
def live_decoder_of(name: str, stamp: str) -> live_decoder.LiveModel:
    """The model's decoder as the page runs it (or why it cannot)."""
    return live_decoder.live_model(model(name, stamp).decoder, stamp)
