"""Reconstructions: test images above what each chosen model makes of them, with per-image and test-set errors; on
a series, test windows and each model's reconstruction as lines, where they lie in the series, and a CSV of them."""

import numpy as np
import streamlit as st

from dashboard import plots, series_plots, vega_plots
from dashboard.sections import images, train_form
from dashboard.state import caches, sidebar
from dashboard.text import md

MODES = {"random": "Random", "by class": "One class", "worst": "Worst"}

context = sidebar.sidebar(page="reconstructions")
st.title("Reconstructions")
if context.is_series:
    st.caption("Each panel is one test window of the series: the window itself (solid) and what each model rebuilds "
               "from its code (dashed). Where they part is what the code could not keep; a window a model rebuilds "
               "badly is what the Anomalies page flags.")
else:
    st.caption("Each column is one test image: the original on top, then what each model rebuilds from its code. "
               "What goes missing is what the code could not keep.")
sidebar.require_model(context, "The reconstructions page")

test_images, labels = context.dataset.x_test, context.dataset.y_test
entries = {entry.name: entry for entry in context.entries}


def ref_of(name: str) -> caches.ModelRef:
    return caches.ModelRef(name, caches.stamp_of(entries[name].meta), context.dataset_name)


modes = [mode for mode in MODES if mode != "by class" or labels is not None]  # no classes without labels

choose, count_column, models_column = st.columns([3, 2, 4])
mode = choose.segmented_control(f"Which test {context.noun}s", modes, default="random", required=True, format_func=MODES.get)
most = min(16, len(test_images))  # a set of your own may hold fewer test images than the slider's 16
count = count_column.slider("How many", 4, most, min(8, most)) if most > 4 else most
chosen = models_column.multiselect(
    "Models to compare (up to 3)", list(entries), default=[context.model_name], max_selections=3,
    format_func=lambda name: f"{name} · {entries[name].meta.get('family')}",
    help=f"All run on the same {context.noun}s. Only models that take {context.noun}s of this size are listed.")
seed_column, detail_column, metric_column = st.columns([3, 2, 4])
if context.is_series:  # a series' values are not pixels in [0, 1]: the sequence families train on squared error
    error_name = "MSE"
    channel = metric_column.selectbox("Channel", range(context.dataset.channels), disabled=context.dataset.channels == 1,
                                      format_func=lambda number: context.dataset.columns[number],
                                      help="The value column drawn in the panels (the whole series shows up to four).")
else:
    error_name = metric_column.segmented_control("Error under each image", ["BCE", "MSE"], default="BCE",
                                                 required=True, help="BCE: binary cross-entropy, the training loss of "
                                                 "most families. MSE: mean squared error. Lower is better for both.")
if not chosen:
    st.info("Pick at least one model above to see its reconstructions.")
    st.stop()

if mode == "worst":
    ranked_by = chosen[0]
    indices = images.worst_indices(ref_of(ranked_by), count)
    shown = f"The {len(indices)} test {context.noun}s out of {len(test_images):,}" if len(indices) < len(test_images) \
        else f"All {len(test_images):,} test {context.noun}s, ranked by what"
    seed_column.caption(f"{shown} **{md(ranked_by)}** reconstructs worst (highest {'MSE' if context.is_series else 'BCE'}), "
                        f"worst first: often unusual or ambiguous {context.noun}s.")
else:
    seed = seed_column.number_input("Seed", 0, 100_000, 0, help=f"Another seed draws other {context.noun}s.")
    label = None
    if mode == "by class":
        label = detail_column.selectbox("Class", sorted(set(labels.tolist())),
                                        format_func=lambda value: sidebar.class_name(context, value))
    indices = images.sample_indices(context.dataset, count, int(seed), label)



def show_windows(indices: tuple, chosen: list[str]):
    """The series with the shown windows marked, then one panel per window: it and each model's reconstruction."""
    current, results = context.dataset, {}
    for name in chosen:
        try:
            results[name] = images.reconstruction_errors(ref_of(name), indices)
        except Exception as error:  # one broken model must not hide the others
            sidebar.show_error(error)
    marks = [(int(current.test_starts[index]), int(current.test_starts[index]) + current.window - 1, f"#{index}")
             for index in indices]
    st.plotly_chart(series_plots.series_overview(current.values, current.train_steps, current.columns,
                                                 current.step_labels, marks), width="stretch")
    st.caption("The whole series, scaled as the models see it (the training part's minimum and maximum are 0 and 1): "
               "the training part shaded grey, labelled anomalies red, the windows below indigo.")
    titles = [sidebar.label_of(context, index) + "".join(f"\nMSE {result['mse'][row]:.4f}" for result in results.values())
              for row, index in enumerate(indices)]
    curves = [("window", test_images[list(indices)])] + [(name, result["reconstructions"]) for name, result in results.items()]
    st.plotly_chart(series_plots.window_grid(curves, titles, channel, columns=4), width="stretch")
    st.caption("Under each window's steps, each model's MSE against it, in the order of the legend (lower is better).")
    st.download_button("These windows and their reconstructions (CSV)", images.windows_csv(
        current, indices, {name: result["reconstructions"] for name, result in results.items()}),
        f"{context.dataset_name}-windows.csv", "text/csv", on_click="ignore", icon=":material/download:")


if context.is_series:
    show_windows(indices, chosen)
    st.subheader("On the whole test part")
    st.caption(f"Mean squared error over all {len(test_images):,} test windows, measured when training finished "
               "(lower is better).")
    values = {name: entries[name].meta.get("metrics", {}).get("test_mse") for name in chosen}
    values = {name: value for name, value in values.items() if value is not None}
    if values:
        st.vega_lite_chart(spec=vega_plots.metric_by_model(values, "MSE, lower is better", "{:.4f}"), width="stretch")
    st.info("The windows' labels mark anomalies, not classes: the Anomalies page scores every step of the series.",
            icon=":material/troubleshoot:")
    st.stop()

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
st.vega_lite_chart(spec=vega_plots.image_rows(rows, row_titles, cell_titles, cell_px, colours), width="stretch")
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
        column.vega_lite_chart(spec=vega_plots.metric_by_model(values, f"{title}, {better}", value_format),
                               width="stretch")

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
            st.vega_lite_chart(spec=vega_plots.probe_bars(rows), width="stretch", key="probes")

    probe_chart()
    fitted, scored = images.probe_counts(context.dataset)
    st.caption("How well a simple classifier reads the class off the codes: k nearest training codes (k = 5, cosine) "
               f"and logistic regression, fitted on {fitted:,} training images and scored on {scored:,} test images. "
               "Raw pixels and PCA of the sidebar model's code size are the baselines. Reconstruction is scored pixel "
               "by pixel, so a model can rebuild well and still separate the classes no better than PCA.")
