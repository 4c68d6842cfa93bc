"""Latent map: the codes of every image of the dataset in 2-D (PCA at once, UMAP or t-SNE from a map job) on one WebGL
map; hover, click or lasso points; and your own picture, drawn or dropped, placed on the map while you draw."""

import streamlit as st

from aecore.analysis import projections
from aecore.store import mapcache
from dashboard.sections import latent_pad, whole_map
from dashboard.state import caches, sidebar

METHOD_LABELS = {"pca": "PCA (at once, linear)", "umap": "UMAP (keeps neighbours and groups)",
                 "tsne": "t-SNE (keeps neighbours)"}

context = sidebar.sidebar(page="latent_map")
st.title("Latent map")
sidebar.require_model(context, "The latent map")
if context.is_series:
    st.caption("Every window of the series, train and test, becomes a code; the map squeezes the codes to 2-D so you "
               "can see which windows the model puts close together. Hover a point for its curve; colour by time to "
               "see where in the series a group comes from, or by an anomaly score to see where the unusual windows "
               "land. Colours by class are the labels (normal, anomaly), which the autoencoder never saw.")
else:
    st.caption("Every image of the dataset, train and test, becomes a code; the map squeezes the codes to 2-D so you "
               "can see which images the model puts close together. Colours are the true classes, which the "
               "autoencoder never saw. Below the map, draw or drop a picture of your own and watch where its code lands.")

if "map_method" not in st.session_state:  # open on UMAP when its map is ready, else on PCA, which shows at once
    ready = mapcache.cached_map(caches.model_store(), context.model_name, context.dataset_name, "all", "umap")
    st.session_state["map_method"] = "umap" if ready is not None else "pca"
method = st.radio("Projection", projections.METHODS, horizontal=True, key="map_method", format_func=METHOD_LABELS.get)
if context.is_series:  # no pad: a window is not drawn with a pen
    whole_map.section(context, method)
    st.stop()
map_column, pad_column = st.columns([3, 2], gap="medium")  # side by side: the star moves in sight of the pen
with map_column:
    shown = whole_map.section(context, method)
if shown is not None:
    with pad_column:
        latent_pad.section(context, *shown)
