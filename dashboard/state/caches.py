"""The server's caches, shared by every session: the store, datasets and models (`st.cache_resource`, treated as
read-only: nothing here trains or mutates them), and what pages compute from a model on a dataset
(`st.cache_data(max_entries=...)`), each keyed by one `ModelRef`: the model's name, the stamp that changes when the
entry is replaced, and the dataset.

Importing this module does not import Keras (TensorFlow takes seconds to load): every page imports it, and Home,
Train and Datasets draw without a model. What needs Keras (inspection, the browser export, the live decoder) is
imported inside the function that uses it; a model's load imports it (aecore.store.modelstore). dashboard.state.warmup
loads it, and the models the pages open on, in a thread of its own once a page has drawn (Home calls it), so the
explore pages find them loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aecore.analysis import projections
from aecore.data import catalog, owndata
from aecore.errors import AecoreError
from aecore.store import mapcache, modelstore
from dashboard.components import big_map, latent_pad
from dashboard.server import sheets
from dashboard.state.job_runner import JobRunner

if TYPE_CHECKING:  # imports Keras (aecore.models.webexport): loaded where the decoder is made
    from dashboard.components import live_decoder


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
    """The model's noisy and denoised test images at every level, with their scores: as the training job kept them
    (aecore.store.probecache.keep_sweep: the Denoise page's first curve), else computed."""
    from aecore.analysis import inspection  # Keras
    from aecore.store import probecache

    images = dataset(ref.dataset).x_test[list(indices)]
    kept = probecache.cached_sweep(model_store(), ref.name, images, kind, levels, seed)
    if kept is not None:
        return kept
    return inspection.denoise_sweep(model(ref.name, ref.stamp), images, kind, np.asarray(levels), seed)


@st.cache_data(max_entries=8, show_spinner="Preparing the live decoder…")
def live_decoder_of(name: str, stamp: str) -> live_decoder.LiveModel:
    """The model's decoder as the page runs it (or why it cannot)."""
    from dashboard.components import live_decoder  # imports Keras (aecore.models.webexport)

    return live_decoder.live_model(model(name, stamp).decoder, stamp)


@st.cache_data(max_entries=4, show_spinner="Reading the cached codes…")
def codes_and_errors(ref: ModelRef) -> tuple[np.ndarray, np.ndarray]:
    """The whole dataset's (train, then test) from the map cache, which the map job wrote: (codes (n, d), errors (n,))."""
    return mapcache.codes_and_errors(model_store(), ref.name, model(ref.name, ref.stamp),
                                     dataset(ref.dataset), "all")


@st.cache_data(max_entries=4, show_spinner="PCA of the codes…")
def pca_map(ref: ModelRef) -> projections.Projection:
    return projections.project(codes_and_errors(ref)[0], "pca")


@st.cache_data(max_entries=2, show_spinner="Preparing the pad: the encoder, the decoder and every code for the page…")
def pad_parts(ref: ModelRef, method: str, _points: np.ndarray) -> dict:
    """What the pad's message is made of, for the map of `method` whose points are `_points` (the map job's, or PCA)."""
    from aecore.models import webexport  # Keras

    autoencoder, current = model(ref.name, ref.stamp), dataset(ref.dataset)
    codes = codes_and_errors(ref)[0].reshape(len(_points), -1)
    try:
        encoder, note = webexport.export_encoder(autoencoder), ""
    except webexport.WebExportError as error:
        encoder, note = None, f"This model's encoder cannot run in the page ({error}), so the pad cannot place drawings."
    unit = big_map.unit_square(_points)
    search = None
    if codes.shape[1] > latent_pad.SEARCH_DIMS:  # neighbours are found among the codes' top principal components
        from sklearn.decomposition import PCA

        reducer = PCA(n_components=latent_pad.SEARCH_DIMS, random_state=0).fit(codes)
        search = {"mean": reducer.mean_.tolist(), "basis": reducer.components_.tolist(),
                  "kept": float(reducer.explained_variance_ratio_.sum())}
        codes_sent = reducer.transform(codes)
    placement = {"kind": "neighbours", "k": latent_pad.NEIGHBOURS_K}
    if method == "pca":  # the same fit as the map's (projections.project), so a code lands exactly where the map has it
        exact = placement_pca(codes, _points)
        placement = exact or placement
    border = np.concatenate([current.x_test[:500, 0].ravel(), current.x_test[:500, -1].ravel()])
    order = big_map.sheet_order(_points)
    token = sheets.register(f"{ref.dataset}/all/{big_map.base_key(ref.stamp, ref.dataset, method)}",
                            mapcache.parts(current, "all"), order)
    rank = np.empty(len(order), np.uint32)
    rank[np.asarray(order)] = np.arange(len(order), dtype=np.uint32)
    labels = None if current.y_train is None or current.y_test is None else np.concatenate([current.y_train, current.y_test])
    return {"encoder": encoder, "decoder": webexport.export_decoder(autoencoder.decoder),
            "codes": codes if search is None else codes_sent, "search": search,
            "unit_points": unit, "placement": placement, "image_shape": current.x_test.shape[1:], "labels": labels,
            "class_names": current.class_names, "rank": rank, "note": note,
            "sheet": {"sheet_url": f"{sheets.PATH}/{token}", "sheet_side": sheets.SHEET_SIDE,
                      "side_h": int(current.x_test.shape[1]), "side_w": int(current.x_test.shape[2])},
            "dark_background": bool(border.mean() < 0.5)}


def placement_pca(codes: np.ndarray, points: np.ndarray) -> dict | None:
    """The PCA the map was drawn with, as the page places a code: mean, two components, and the unit square's centre
    and span. None when refitting does not give the map's points back (then the page places by neighbours)."""
    from sklearn.decomposition import PCA

    fitted = PCA(n_components=2, random_state=0).fit(codes)
    again = fitted.transform(codes)
    low, high = points.min(axis=0), points.max(axis=0)
    span = float(max(high - low)) or 1.0
    if np.abs(again - points).max() > 1e-3 * span:
        return None
    return {"kind": "pca", "mean": fitted.mean_.tolist(), "components": fitted.components_.tolist(),
            "centre": ((low + high) / 2).tolist(), "span": span, "k": latent_pad.NEIGHBOURS_K}


@st.cache_resource(max_entries=2, show_spinner=False)
def placer(ref: ModelRef, method: str, _points: np.ndarray):
    """The map of `method` (its codes and `_points`) ready to place a new code by its reducer's transform: built once
    per map and kept, since umap-learn's and openTSNE's refits of the map's state take seconds the first time."""
    from aecore.analysis import placement

    codes = codes_and_errors(ref)[0].reshape(len(_points), -1)
    return placement.Placer(codes, _points, method)
