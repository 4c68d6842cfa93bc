"""Reconstructions: test images above what each chosen model makes of them, with per-image and test-set errors."""

import numpy as np
import streamlit as st

from dashboard import plots
from dashboard.sections import images, train_form
from dashboard.state import caches, sidebar
from dashboard.text import md

MODES = {"random": "Random", "by class": "One class", "worst": "Worst"}

context = sidebar.sidebar(page="reconstructions")
st.title("Reconstructions")
st.caption("Each column is one test image: the original on top, then what each model rebuilds from its code. "
           "What goes missing is what the code could not keep.")
sidebar.require_model(context, "The reconstructions page")

test_images, labels = context.dataset.x_test, context.dataset.y_test
entries = {entry.name: entry for entry in context.entries}


def ref_of(name: str) -> caches.ModelRef:
    return caches.ModelRef(name, caches.stamp_of(entries[name].meta), context.dataset_name)


modes = [mode for mode in MODES if mode != "by class" or labels is not None]  # no classes without labels

choose, count_column, models_column = st.columns([3, 2, 4])
mode = choose.segmented_control("Which test images", modes, default="random", required=True, format_func=MODES.get)
most = min(16, len(test_images))  # a set of your own may hold fewer test images than the slider's 16
count = count_column.slider("How many", 4, most, min(8, most)) if most > 4 else most
chosen = models_column.multiselect(
    "Models to compare (up to 3)", list(entries), default=[context.model_name], max_selections=3,
    format_func=lambda name: f"{name} · {entries[name].meta.get('family')}",
    help="All run on the same images. Only models trained on images of this size are listed.")
seed_column, detail_column, metric_column = st.columns([3, 2, 4])
error_name = metric_column.segmented_control("Error under each image", ["BCE", "MSE"], default="BCE", required=True,
                                             help="BCE: binary cross-entropy, the training loss of most families. "
                                                  "MSE: mean squared error. Lower is better for both.")
if not chosen:
    st.info("Pick at least one model above to see its reconstructions.")
    st.stop()

if mode == "worst":
    ranked_by = chosen[0]
    indices = images.worst_indices(ref_of(ranked_by), count)
    shown = f"The {len(indices)} test images out of {len(test_images):,}" if len(indices) < len(test_images) \
        else f"All {len(test_images):,} test images, ranked by what"
    seed_column.caption(f"{shown} **{md(ranked_by)}** reconstructs worst (highest BCE), worst first: often unusual "
                        "or ambiguous images.")
else:
    seed = seed_column.number_input("Seed", 0, 100_000, 0, help="Another seed draws other images.")
    label = None
    if mode == "by class":
        label = detail_column.selectbox("Class", sorted(set(labels.tolist())),
                                        format_func=lambda value: sidebar.class_name(context, value))
    indices = images.sample_indices(context.dataset, count, int(seed), label)

rows, row_titles = [list(test_images[list(indices)])], ["original"]
cell_titles = [[sidebar.label_of(context, index) for index in indices]]
for name in chosen:
    try:
        result = images.reconstruction_errors(ref_of(name), indices)
    except Exception as error:  # one broken model must not hide the others
        sidebar.show_error(error)
        continue
    rows.append(list(result["reconstructions"]))
    row_titles.append(name)
    prefix = f"{error_name} " if len(indices) <= 8 else ""  # 16 titles only fit as bare numbers
    cell_titles.append([f"{prefix}{value:.3f}" for value in result[error_name.lower()]])
cell_px = 120 if len(indices) <= 8 else 90 if len(indices) <= 12 else 64  # about as tall as the columns are wide
colours = ["#334155"] + plots.PALETTE[: len(row_titles) - 1]  # a model's colour matches its bars below
st.plotly_chart(plots.labelled_image_rows(rows, row_titles, cell_titles, cell_px, colours), width="stretch")
st.caption(f"The number above each reconstruction is its {error_name} against the original (lower is better).")
for name in chosen:
    seen = entries[name].meta.get("train_images")
    if isinstance(seen, int) and (note := train_form.small_set_note(seen, entries[name].meta.get("family", "this"))):
        st.warning(f"{md(name)}: {note}", icon=":material/warning:")

st.subheader("On the whole test set")
st.caption(f"Means over all {len(test_images):,} test images for {md(', '.join(chosen))}, measured when training finished. "
           "BCE and MSE: lower is better. PSNR and SSIM: higher is better.")
for column, (key, title, value_format, better) in zip(st.columns(len(images.DATASET_METRICS)), images.DATASET_METRICS):
    values = {name: entries[name].meta.get("metrics", {}).get(key) for name in chosen}
    values = {name: value for name, value in values.items() if value is not None}
    if not values:
        column.metric(title, "not recorded", border=True, help="Retrain the model to record its test metrics.")
    elif len(values) == 1:
        column.metric(title, value_format.format(next(iter(values.values()))), border=True, help=better)
    else:
        column.plotly_chart(plots.metric_by_model(values, f"{title}, {better}", value_format), width="stretch")

st.subheader("What the codes are good for")
if context.dataset.y_test is None:
    st.info("This dataset has no labels, so nothing here can say how well the codes separate classes.")
else:
    dimensions = int(np.prod(context.model.code_shape)) if context.model is not None else 32
    model_rows = {name: found for name in chosen if (found := images.code_probes(ref_of(name)))}
    ready = images.stored_baselines(context.dataset_name, dimensions) is not None

    @st.fragment(run_every=None if ready else 1)
    def probe_chart():
        """The models' bars at once (their cards have them); the baselines beside them when the store has them,
        else computed once for this dataset in the background while the rest of the page stays usable."""
        rows, baselines = dict(model_rows), images.stored_baselines(context.dataset_name, dimensions)
        if baselines is None:
            seconds = images.compute_baselines(context.dataset_name, dimensions)
            st.progress(min(seconds / 15, 0.95), text=f"Computing the raw-pixel and PCA baselines for "
                        f"{md(context.dataset_name)}, once for this dataset: {seconds:.0f} s so far (about 10 s for "
                        "Fashion-MNIST on 2 cores). The rest of the page is ready.")
        else:
            if not ready:
                st.rerun(scope="app")  # they have landed: draw the page once more without polling
            rows["raw pixels"] = baselines["pixels"]
            rows[f"PCA, {baselines['pca']['dimensions']} dims"] = baselines["pca"]
        if rows:
            st.plotly_chart(images.probe_figure(rows), width="stretch", key="probes")

    probe_chart()
    fitted, scored = images.probe_counts(context.dataset)
    st.caption("How well a simple classifier reads the class off the codes: k nearest training codes (k = 5, cosine) "
               f"and logistic regression, fitted on {fitted:,} training images and scored on {scored:,} test images. "
               "Raw pixels and PCA of the sidebar model's code size are the baselines. Reconstruction is scored pixel "
               "by pixel, so a model can rebuild well and still separate the classes no better than PCA.")
