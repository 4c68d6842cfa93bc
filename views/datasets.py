"""Datasets: what there is to explore on this server, as pictures, and your own images or CSV time series added as
a dataset."""

import contextlib
from pathlib import Path

import streamlit as st

from aecore.data import catalog, owndata, series
from aecore.errors import AecoreError
from dashboard.sections import datasets
from dashboard.state import caches, sidebar
from dashboard.text import md

context = sidebar.sidebar(page="datasets")
st.title("Datasets")
st.caption("The built-in datasets and your own. Add a zip or an .npz of your pictures: it is converted once, to the "
           "size you choose, grey or colour, and then offered on every page and to `python -m aecore`. A CSV time "
           "series is cut into windows the same way.")

own = set(owndata.names())
for info in [info for info in catalog.list_datasets() if info.available]:
    with st.container(border=True):
        left, right = st.columns([3, 1])
        mine = info.name in own
        card = owndata.card(info.name) if mine else None
        left.markdown(f"**{md(info.name)}**" + (" · yours" if mine else " · built in"))
        left.caption(md(datasets.describe(card)) if card else info.description)
        if card and card.get("kind") == series.KIND:
            left.plotly_chart(datasets.series_picture(info.name, caches.dataset_version(info.name)),
                              key=f"series-{info.name}")
        else:
            left.image(datasets.sample_picture(info.name, caches.dataset_version(info.name)), clamp=True,
                       width="stretch")
        if right.button("Explore it", key=f"explore-{info.name}", on_click=sidebar.explore, args=(info.name, None),
                        icon=":material/travel_explore:"):
            st.switch_page(datasets.EXPLORE_PAGE)
        if mine and context.visitor.is_owner:
            right.button("Remove", key=f"remove-{info.name}", on_click=datasets.remove,
                         args=(info.name, context.visitor), icon=":material/delete:",
                         help="Removes the converted images; models trained on them stay in the store.")

st.header("Add your own images or a time series")
if not context.visitor.is_owner:
    st.info("Only the owner of this dashboard adds datasets; you are exploring as a viewer.", icon=":material/lock:")
    st.stop()
st.caption("A **.zip** of images (one subfolder per class, or none), or an **.npz** (`x_train`, `y_train`, `x_test`, "
           "`y_test` as Keras has them, or `x` and `y`). Broken or oversized files inside are skipped and counted. "
           "Or a **.csv** time series: a time column (or none: the rows are the time axis), one or more value "
           "columns, and an optional `is_anomaly` or `label` column (0 or 1 per step).")
choices = ["Upload a .zip, .npz or .csv"] + (["A folder on this machine"] if datasets.is_local() else [])
where = st.radio("From", choices, horizontal=True, key="dataset-from", label_visibility="collapsed")
source_name, source = None, None
if where == choices[0]:
    upload = st.file_uploader("Your images or series", type=["zip", "npz", "csv"], key="dataset-upload")
    if upload is not None:
        source_name = upload.name
else:
    folder = st.text_input("Folder", key="dataset-folder", placeholder="/home/me/pictures/cells",
                           help="Subfolders are the classes; images directly inside make an unlabelled dataset.")
    if folder:
        source = Path(folder).expanduser()
        source_name = source.name
        if not source.exists():
            st.error(f"There is no folder or file at {md(source)}.")
            st.stop()
if source_name is None:
    st.stop()


def add_series(path: Path):
    """A CSV: window, stride, columns and training steps, the series drawn, then Add."""
    chosen = datasets.series_form(path, source_name)
    if chosen is None:
        return
    name, options = chosen
    if st.button(f"Add {md(name)}", type="primary", icon=":material/add_chart:", key="dataset-add"):
        card = datasets.add(name, path, options, context.visitor, source_name=source_name)
        if card:
            st.success(f"Added **{md(card['name'])}**: {md(datasets.describe(card))}. It is in the sidebar on every "
                       "page; train a model on it (a series trains conv1d by default), then find its rare events on "
                       "the Anomalies page.")
            st.session_state["dataset-added"] = card["name"]


def add_images(path: Path):
    """A zip, an .npz or a folder of images: size, colour and fit, a before/after look, then Add."""
    left, middle, right = st.columns(3)
    name = left.text_input("Name", value=datasets.default_name(source_name, "my-images"),
                           key=f"dataset-name-{source_name}")
    if st.session_state.get("dataset-size-for") != source_name:  # a new source: propose its own size
        st.session_state["dataset-size"] = datasets.proposed_size(path)
        st.session_state["dataset-size-for"] = source_name
    size = middle.select_slider("Size (square, pixels)", datasets.SIZES, key="dataset-size",
                                help="Each image is cropped or padded to a square, then resized to this size. "
                                     "Proposed: the largest that does not enlarge your images.")
    colour = right.radio("Colours", ["Colour", "Grey"], horizontal=True, key="dataset-colour") == "Colour"
    fit = st.radio("To make it square", ["crop", "pad"], horizontal=True, key="dataset-fit",
                   format_func={"crop": "crop the middle", "pad": "pad the sides"}.get)
    options = owndata.ConversionOptions(size=size, colour=colour, fit=fit)
    try:
        preview = owndata.preview(path, options)
    except AecoreError as error:
        st.error(md(error))
        st.stop()
    classes = f"{len(preview.class_names)} classes ({', '.join(preview.class_names[:8])}" + (
        "…)" if len(preview.class_names) > 8 else ")") if preview.class_names else "no classes (no subfolders)"
    st.caption(f"{preview.image_count:,} images, {md(classes)}. One of each class first, before (top) and after the conversion:")
    columns = st.columns(max(1, len(preview.names)))
    for column, label, original, converted in zip(columns, preview.names, preview.originals, preview.converted):
        column.image(original, caption=md(label[:28]), width="stretch")
        column.image(converted, caption=f"{size}×{size} {'colour' if colour else 'grey'}",
                     width=size * 2 if size * 2 < 150 else "stretch")  # near its real size: what the model will see
    for line in preview.skipped[:3]:
        st.caption(f"Will be skipped: {md(line)}")
    if st.button(f"Add {md(name)}", type="primary", icon=":material/add_photo_alternate:", key="dataset-add"):
        card = datasets.add(name, path, options, context.visitor, source_name=source_name)
        if card:
            st.success(f"Added **{md(card['name'])}**: {md(datasets.describe(card))}. It is in the sidebar on every page.")
            st.session_state["dataset-added"] = card["name"]


with datasets.uploaded_file(upload) if where == choices[0] else contextlib.nullcontext(source) as path:
    (add_series if Path(source_name).suffix.lower() == ".csv" else add_images)(path)

added = st.session_state.get("dataset-added")
if added in owndata.names():  # shown after the run that added it too: the buttons below rerun the page
    if st.button(f"Explore {md(added)}", on_click=sidebar.explore, args=(added, None), key="dataset-explore-new"):
        st.switch_page(datasets.EXPLORE_PAGE)
    if st.button("Train a model on it", on_click=sidebar.explore, args=(added, None), key="dataset-train-new",
                 icon=":material/model_training:"):
        st.switch_page(sidebar.TRAIN_PAGE)
