"""Latent map: the codes of test images, or of the whole dataset, in 2-D (PCA, UMAP or t-SNE); click or lasso
points to see their images."""

import contextlib
from collections import Counter
from functools import partial

import numpy as np
import streamlit as st

from aecore.analysis import projections
from aecore.errors import AecoreError
from dashboard import plots
from dashboard.components import hover_map
from dashboard.sections import latent, whole_map
from dashboard.state import caches, sidebar
from dashboard.text import md

MAX_MOSAIC = 64  # images shown for a lasso selection
NEIGHBOURS = 8

context = sidebar.sidebar(page="latent_map")
st.title("Latent map")
sidebar.require_model(context, "The latent map")
st.caption("Every image becomes a code; the map squeezes the codes to 2-D so you can see which images the model puts "
           "close together. Colours are the true classes, which the autoencoder never saw. Pick *the whole dataset* "
           "below to see every training and test image at once.")

test_size = len(context.dataset.x_test)
whole = len(context.dataset.x_train) + test_size
counts = sorted({min(count, test_size) for count in (1000, 2000, 5000)})
left, right = st.columns(2)
method = left.radio("Projection", projections.METHODS, horizontal=True, key="map_method",
                    format_func={"pca": "PCA (fast, linear)", "umap": "UMAP (keeps neighbours and groups)",
                                 "tsne": "t-SNE (keeps neighbours)"}.get)
count = right.selectbox("Images", [*counts, whole], index=len(counts) - 1, key="map_count",
                        format_func=lambda n: f"the whole dataset: all {n:,}, train and test" if n == whole and n != test_size
                        else f"{n:,} test images")
if count == whole and whole != test_size:
    whole_map.section(context, method)
    st.stop()

codes = latent.flat_codes(context.ref, count)
try:
    slow = st.spinner(f"{'UMAP' if method == 'umap' else 't-SNE'} of {count:,} codes: up to ~20 s the first time "
                      "(UMAP's very first run on a machine also compiles, about a minute), then cached.", show_time=True)
    with slow if method != "pca" else contextlib.nullcontext():  # PCA takes milliseconds
        projection = caches.projection(context.ref, count, method)
except AecoreError as error:  # e.g. fewer than 3 codes
    sidebar.show_error(error)
    st.stop()

labels = None if context.dataset.y_test is None else context.dataset.y_test[:count]
columns = st.columns(3)
columns[0].metric("Trustworthiness", f"{projection.trustworthiness:.3f}",
                  help="1.0 means the map's nearest neighbours are also neighbours in code space (Venna & Kaski).")
columns[1].metric("Computed in", f"{projection.seconds:.2g} s", help="Cached: switching back is instant.")
columns[2].metric("Codes", f"{count:,} × {codes.shape[1]}")


def show_one(index: int):
    image = context.dataset.x_test[index]
    neighbours = projections.nearest_neighbours(codes, index, NEIGHBOURS)
    first, second, third = st.columns([1, 1, 2])
    first.plotly_chart(plots.single_image(image, f"original {sidebar.label_of(context, index)}"), width="stretch")
    second.plotly_chart(plots.single_image(context.model.reconstruct(image)[0], "reconstruction"), width="stretch")
    third.plotly_chart(plots.code_bars(codes[index], "its code"), width="stretch")
    titles = [sidebar.label_of(context, neighbour) for neighbour in neighbours]
    st.plotly_chart(plots.image_strip(context.dataset.x_test[neighbours], titles), width="stretch")
    st.caption(f"The {NEIGHBOURS} nearest codes (Euclidean, in the full code space, not on the map).")


def show_many(indices: list[int]):
    shown = indices[:MAX_MOSAIC]
    if labels is not None:
        names = context.dataset.class_names
        tally = Counter(names[int(label)] if names else str(int(label)) for label in labels[indices])
        st.caption(f"{len(indices)} images selected: " + ", ".join(f"{md(name)}: {n}" for name, n in tally.most_common()))
    sheet = plots.mosaic(context.dataset.x_test[shown], min(16, len(shown)))
    title = f"the first {len(shown)} of {len(indices)} selected" if len(indices) > len(shown) else "selected originals"
    st.plotly_chart(plots.single_image(sheet, title, height=120 + 40 * int(np.ceil(len(shown) / 16))), width="stretch")


@st.fragment
def map_and_selection():
    """Selecting points reruns only this part of the page."""
    view = st.segmented_control("Map", ["Thumbnails on hover", "Zoom and lasso"], default="Thumbnails on hover",
                                key="map_view") or "Thumbnails on hover"
    title = f"{method.upper()} of {count:,} codes ({context.model_name})"
    if view == "Thumbnails on hover":
        st.caption(f"**{md(title)}**. Hover a point to see its image; click it to see its reconstruction, code and "
                   "neighbours below. Switch to *Zoom and lasso* to zoom or select a group.")
        clicked = hover_map.hover_map(projection.points, context.dataset.x_test[:count], labels,
                                     context.dataset.class_names, key=f"hover-{context.dataset_name}-{context.stamp}-{method}-{count}")
        if clicked is not None:
            st.session_state["map_clicked"] = int(clicked)
        chosen = [st.session_state["map_clicked"]] if st.session_state.get("map_clicked", count) < count else []
    else:
        figure = plots.latent_scatter(projection.points, labels, context.dataset.class_names, title)
        figure.update_layout(dragmode="pan")  # Streamlit turns click-to-select off while the lasso is the drag tool
        event = st.plotly_chart(figure, on_select="rerun", selection_mode=("points", "lasso"), width="stretch",
                                key=f"map-{context.stamp}-{method}-{count}")
        st.caption("Click a point to see its images below, or pick the lasso in the chart's toolbar (top right) and "
                   "circle a group. Double-click clears the selection.")
        chosen = latent.selected_indices(event)
    typed = st.columns(3)[0].number_input("…or type an image index", 0, count - 1, value=None, key="map_index",
                                          placeholder=f"0 to {count - 1}")
    if len(chosen) > 1:
        show_many(chosen)
    elif chosen or typed is not None:
        show_one(chosen[0] if chosen else int(typed))


map_and_selection()

st.subheader("Export")
st.caption("The codes as a table, or a bundle for projector.tensorflow.org (click *Load* there and pick the "
           "files from the unzipped folder).")
left, right = st.columns(2)
images = context.dataset.x_test[:count]
left.download_button("Codes (CSV)", partial(projections.codes_csv, codes, labels, context.dataset.class_names),
                     f"{context.model_name}-codes.csv", "text/csv", on_click="ignore", icon=":material/table:")
right.download_button("TensorFlow Projector (zip)",  # both files are built only when clicked
                      partial(projections.projector_bundle, codes, images, labels, context.dataset.class_names),
                      f"{context.model_name}-projector.zip", "application/zip", on_click="ignore",
                      icon=":material/folder_zip:")
