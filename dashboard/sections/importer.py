"""The Train page's import form: one .keras autoencoder (or an encoder and a decoder), inspected in a
separate process, then stored with the bottleneck and dataset the user confirms.

Beside the model, the data it was trained on may be uploaded (.npz or .zip): the import makes it one of the
user's datasets at the model's size, as `python -m aecore import MODEL --dataset FILE` does (named after the file,
never a catalogue name; the same file added before is reused), scores the model on it, and its card names it, so
picking the model in the sidebar opens its own data (aecore.store.serialization.import_model, aecore.data.ownfile).
"""

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from aecore.data import catalog
from aecore.errors import AecoreError
from aecore.store import importdata, serialization
from dashboard.state import caches, roles, sidebar
from dashboard.text import md

if TYPE_CHECKING:
    from aecore.models import foreign

RANGE_LABELS = {"0-1": "0 to 1 (x / 255)", "0-255": "0 to 255 (raw pixels)", "-1-1": "-1 to 1 (x / 127.5 - 1)"}
REPORT = "import-report"  # session key: (what was inspected, the report)
NAMING = ("Empty: the file's name, never a built-in dataset's (mnist.npz becomes mnist-npz), and the dataset made "
          "from the same file before is used again.")


def _write(folder: str, upload, part: str) -> Path | None:
    if upload is None:
        return None
    (Path(folder) / part).mkdir(exist_ok=True)  # an encoder and a decoder may both be called model.keras
    path = Path(folder) / part / Path(upload.name).name  # the user's file name, so messages name their file
    path.write_bytes(upload.getvalue())
    return path


def _settings(report_key: tuple, bottleneck: str | None = None) -> "foreign.ImportSettings":
    from aecore.models import foreign  # Keras: only once a file is given, so the Train page opens without it

    return foreign.ImportSettings(bottleneck, foreign.parse_image_shape(report_key[3]), report_key[2])


def _inspect(model_file, decoder_file, key: tuple):
    with tempfile.TemporaryDirectory() as folder, st.spinner("Inspecting the model in a separate process…"):
        try:
            roles.current().require_owner("import models")  # starts a process: the owner's to spend
            report = serialization.inspect_import(_write(folder, model_file, "model"),
                                                  _write(folder, decoder_file, "decoder"), _settings(key))
            st.session_state[REPORT] = (key, report)
        except AecoreError as error:
            st.session_state.pop(REPORT, None)
            st.error(md(error))


def _data_choice(report: dict, data_file) -> tuple[str | None, str | None]:
    """(dataset, dataset name) for import_model: the uploaded data file's new dataset (its name typed here, or
    None: the file's), else one of the datasets here of the model's size (None when there is none)."""
    if data_file is not None:
        st.caption(f"**{md(data_file.name)}** becomes one of your datasets at the model's size, "
                   f"{md(tuple(report['image_shape']))}, and the model is scored on its test images (the same file "
                   "added before is used again as it is).")
        name = st.text_input("Its dataset's name (optional)", key="import-dataset-name",
                             placeholder="empty: named after the file", help=NAMING)
        return data_file.name, (name.strip() or None)
    datasets = catalog.fitting_datasets(report["image_shape"])
    if not datasets:
        st.warning(f"No dataset here has {tuple(report['image_shape'])} images: the model is stored without test "
                   "metrics and cannot be explored until one is added (upload the data it was trained on above, "
                   "or the Datasets page converts your images to 28, 32, 64 or 96 pixels, grey or colour).")
    return st.selectbox("Dataset it fits (its test metrics are computed on it)", datasets, key="import-dataset"), None


def _import(model_file, decoder_file, data_file, settings, choice: tuple, name: str):
    """Stores the model (and adds its data file as a dataset), with a progress bar while the data converts."""
    dataset, dataset_name = choice
    with tempfile.TemporaryDirectory() as folder, st.spinner("Importing and computing its test metrics…"):
        bar = st.progress(0.0, text="Reading the data file…") if data_file is not None else None

        def progress(done: int, total: int):
            bar.progress(min(1.0, done / max(1, total)), text=f"Converting its data: {done:,} of {total:,} images")

        try:
            roles.current().require_owner("import models")  # checked where the store changes, not by hiding
            data_path = _write(folder, data_file, "data")
            data = importdata.ImportData(str(data_path), dataset_name, data_file.name, progress) if data_path \
                else importdata.ImportData(dataset)
            return serialization.import_model(_write(folder, model_file, "model"), caches.model_store(), name or None,
                                              _write(folder, decoder_file, "decoder"), settings, data)
        except AecoreError as error:
            st.error(md(error))
            return None
        finally:
            if bar is not None:
                bar.empty()


def _confirm(model_file, decoder_file, data_file, key: tuple, report: dict):
    kinds = {"single": "one model, split at its narrowest layer", "pair": "an encoder and a decoder",
             "vae": "a variational encoder ([z_mean, z_log_var…]) and a decoder"}
    st.info(f"Found {kinds[report['kind']]}: {report['family']} family, images {tuple(report['image_shape'])}, "
            f"code {tuple(report['code_shape'])} from layer **{md(report['bottleneck'])}**.")
    bottleneck = None
    if report["candidates"]:
        shapes = {layer: tuple(shape) for layer, shape in report["candidates"]}
        bottleneck = st.selectbox("Bottleneck: the layer whose output is the code", list(shapes),
                                  index=list(shapes).index(report["bottleneck"]), key="import-bottleneck",
                                  format_func=lambda layer: f"{layer} {shapes[layer]}")
    choice = _data_choice(report, data_file)
    name = st.text_input("Name", Path(model_file.name).stem, key="import-name")
    if st.button("Import", type="primary", key="import-confirm"):
        entry = _import(model_file, decoder_file, data_file, _settings(key, bottleneck), choice, name)
        if entry is None:
            return
        st.session_state.pop(REPORT, None)
        st.session_state["import-done"] = (entry.name, entry.meta["dataset"], entry.meta["imported"]["bottleneck"],
                                           entry.meta.get("dataset_added"))
        st.rerun()  # the sidebar lists the new model (and the data file's dataset)


def _done():
    name, dataset, bottleneck, added = st.session_state["import-done"]
    metrics = f"test metrics on {md(dataset)}" if dataset != "imported" else \
        "no dataset of its size here, so no test metrics"
    if added:
        metrics += (f" (the dataset made from {md(added['file'])} before)" if added["reused"] else
                    f" (your new dataset, made from {md(added['file'])})")
    st.success(f"Imported as **{md(name)}**, code from layer **{md(bottleneck)}**, {metrics}.")
    if dataset != "imported":
        st.button(f"Explore {md(name)} on {md(dataset)}", key="import-explore", on_click=sidebar.explore,
                  args=(dataset, name), icon=":material/travel_explore:")


def import_section():
    """Upload, inspect (separate process), confirm the bottleneck and dataset, import."""
    st.caption("A whole autoencoder, or its encoder and decoder as two files. Each file is checked (size, only plain "
               "Keras layers, no Lambda) and loaded in a separate process before anything is accepted; the code is "
               "the narrowest layer's output unless you pick another. HDF5 (.h5) files are refused.")
    model_file = st.file_uploader("The autoencoder, or its encoder (.keras)", type=["keras"], key="import-model")
    decoder_file = st.file_uploader("Its decoder, when saved as a second file (optional)", type=["keras"],
                                    key="import-decoder")
    data_file = st.file_uploader("The data it was trained on (optional: .npz as Keras saves MNIST, or a .zip of "
                                 "images, one folder per class)", type=["npz", "zip"], key="import-data",
                                 help="It becomes one of your datasets, and the model opens on it.")
    left, right = st.columns(2)
    value_range = left.selectbox("Pixel range it was trained on", list(RANGE_LABELS), format_func=RANGE_LABELS.get,
                                 key="import-range")
    image_shape = right.text_input("Image shape of flat inputs (H,W,C; empty: 784 → 28,28,1)", key="import-shape")
    if st.session_state.get("import-done"):
        _done()
    if model_file is None:
        return
    key = (model_file.file_id, getattr(decoder_file, "file_id", None), value_range, image_shape)
    if st.button("Inspect", key="import-inspect"):
        st.session_state.pop("import-done", None)
        _inspect(model_file, decoder_file, key)
    found = st.session_state.get(REPORT)
    if found and found[0] == key:
        _confirm(model_file, decoder_file, data_file, key, found[1])
