"""Anomalies: a model trained without one class flags that class by how badly it rebuilds it, against PCA, and by
where its codes land; on a time series, every step is scored and a threshold flags the rare events."""

import numpy as np
import streamlit as st

from aecore.analysis import serieseval
from dashboard import plots
from dashboard.components import series_threshold, threshold_slider
from dashboard.sections import anomaly
from dashboard.state import sidebar
from dashboard.text import md

context = sidebar.sidebar(page="anomaly")
st.title("Anomalies")
dataset, meta = context.dataset, context.meta


def series_page():
    """A series: the score of every time step under the series, the events shaded, a threshold to drag."""
    st.caption("Train on the normal part of a series, then flag the steps the model cannot rebuild: the recipe of "
               "keras.io's timeseries example and the LSTM autoencoder for rare events. Every time step gets a score, "
               "the mean of its squared reconstruction error over the windows covering it (or the windows' code-space "
               "scores, spread the same way); a threshold turns scores into flagged steps.")
    sidebar.require_model(context, "The Anomalies page")
    scores = anomaly.series_scores(context.ref)
    chosen = st.radio("Score", anomaly.SERIES_SCORES, horizontal=True, format_func=anomaly.NAMES.get,
                      key=f"series-score-{context.model_name}",
                      help="Reconstruction error: how badly the windows around a step rebuild it. Code distance and "
                           "Mahalanobis: how far the windows' codes lie from the training windows' codes.")
    summary = serieseval.evaluate(scores[chosen], dataset)
    if dataset.step_labels is None:
        st.info(f"{md(context.dataset_name)} has no labels (no `is_anomaly` or `label` column), so nothing here "
                "says which flags are right: the scores and the flagged steps are shown, precision and recall are not.",
                icon=":material/label_off:")
    elif summary["auc"] is not None:
        top = st.columns(3)
        top[0].metric("Point-wise ROC AUC", f"{summary['auc']:.3f}", help="The chance that a random labelled test "
                      "step scores above a random normal one: 1 is perfect, 0.5 is chance. It needs no threshold.")
        top[1].metric("Average precision", f"{summary['average_precision']:.3f}")
        top[2].metric("Labelled events", f"{summary['events']}", help="Runs of labelled steps in the test part.")
    st.caption("Drag the threshold (the slider, or the dashed line on the score): the flagged steps (red, under the "
               "series) and the figures follow at once. An event (shaded) is found when any of its steps is flagged; "
               "a flagged run is right when it touches an event. It starts at the tutorials' rule, the largest score "
               "of a training-part step (greyed); only test steps are flagged and counted.")
    series_threshold.series_threshold(scores[chosen], dataset, anomaly.NAMES[chosen],
                                      identity=f"{context.stamp}-{context.dataset_name}-{chosen}")
    st.download_button("Download the step scores (CSV)", serieseval.scores_csv(dataset, scores[chosen]),
                       file_name=f"{context.model_name}-{chosen}-scores.csv", mime="text/csv",
                       icon=":material/download:", key="series-scores-csv",
                       help="timestamp, score, is_anomaly, split: one row per time step, as "
                            "`python -m aecore anomaly MODEL --scores-out` writes it.")


def rare_class_picker(classes: list) -> int:
    excluded = meta.get("excluded_class")
    rare = st.selectbox("The rare class (what should be flagged)", range(len(classes)),
                        index=anomaly.first_rare_class(meta), key=f"rare-{context.model_name}",  # the job's scored one
                        format_func=lambda index: f"{index}: {classes[index]}" + (
                            "  (never seen in training)" if index == excluded else ""))
    if excluded is None:
        st.warning(f"**{md(context.model_name)}** was trained on every class, {md(classes[rare])} included, so it "
                   "rebuilds them all about as well. A detector is trained without the rare class: on the Train page, "
                   "choose \"Leave out a class\".", icon=":material/info:")
        if st.button(f"Train a detector of {md(classes[rare])}", icon=":material/model_training:",
                     help=f"Opens Train / load with {md(classes[rare])} left out."):
            st.session_state["train-exclude"] = int(rare)  # the Train form's "Leave out a class" opens on it
            st.switch_page(sidebar.TRAIN_PAGE)
    elif excluded != rare:
        st.caption(f"This model never saw class {excluded} ({md(classes[excluded])}); here it is asked to flag "
                   f"{md(classes[rare])}.")
    return int(rare)


def images_page():
    st.caption("Train on normal data only, then flag what the model rebuilds badly: the recipe of the classic "
               "anomaly-detection tutorials. Every test image gets a score, its reconstruction error; a threshold "
               "turns scores into flags. PCA with as many components as the code is the baseline to beat; the "
               "code-space scores ask instead how far an image's code lands from the normal training codes.")
    sidebar.require_model(context, "The Anomalies page")
    if dataset.y_test is None:
        st.info(f"{md(context.dataset_name)} has no labels, so no class can play the rare one here. Pick a labelled "
                "dataset.")
        st.stop()
    classes = dataset.class_names or [str(label) for label in sorted({int(label) for label in dataset.y_test})]
    rare = rare_class_picker(classes)
    components = int(np.prod(context.model.code_shape))
    found = anomaly.kept_detections(context.ref, rare)  # what the training job has kept of them, if anything
    if found is None:
        found = anomaly.score_into_store(context.ref, rare)  # else this server scores them, kept for everyone
    if found is None:
        anomaly.wait_for_job(context.ref, rare)
        found = anomaly.detections(context.ref, rare, components)  # only if scoring into the store failed
    labels = {name: f"{anomaly.NAMES[name]} ({context.model_name})" for name in anomaly.MODEL_SCORES} | {
        "PCA": f"PCA, {components} components"}
    columns = st.columns(2)
    for column, name in zip(columns, ("model", "PCA")):
        summary = found[name].summary()
        with column:
            st.subheader(md(context.model_name if name == "model" else labels[name]))
            top = st.columns(2)
            top[0].metric("ROC AUC", f"{summary['auc']:.3f}", help="The chance that a random rare image scores above "
                          "a random normal one: 1 is perfect, 0.5 is chance. It needs no threshold.")
            top[1].metric("Average precision", f"{summary['average_precision']:.3f}")
    st.subheader("Every score side by side")
    if "code_distance" not in found and not anomaly.follow_job(context.ref, rare, "the code-space scores now"):
        code_space, run = anomaly.code_detections(context.ref, rare, found["model"].rare)
        if not code_space:
            anomaly.code_progress(run)
        found |= code_space
    left, right = st.columns(2)
    left.plotly_chart(anomaly.auc_figure(found), key="aucs")
    right.plotly_chart(anomaly.roc_figure(found), key="roc")
    primary = st.radio("Threshold on", list(found), horizontal=True, format_func=anomaly.NAMES.get,
                       key=f"primary-{context.model_name}-{rare}")
    st.caption("Drag the threshold: precision, recall and the counts of every score follow at once. It starts at the "
               "tutorials' rule, the largest score of a normal training image; lower catches more rare images and "
               "flags more normal ones. Each other score has its own scale, so its threshold flags the same share of "
               "the test images. The histograms: normal test images (grey) against the rare class (red).")
    threshold_slider.threshold_slider(found, labels, classes[rare], primary=primary, identity=(
        f"{context.model_name}-{context.stamp}-{context.dataset_name}-{rare}-{primary}-{len(found)}"))
    most_anomalous(found[primary], classes, primary)


def most_anomalous(detection, classes: list, primary: str):
    st.subheader(f"Most anomalous test images by the {md(anomaly.NAMES[primary])}")
    order = np.argsort(-detection.scores)[:24]
    st.plotly_chart(plots.single_image(plots.mosaic(dataset.x_test[order], 12), "most anomalous first", height=260),
                    width="stretch", key="most-anomalous")
    caught = int(np.sum(detection.rare[order]))
    rare_name = classes[int(dataset.y_test[np.flatnonzero(detection.rare)[0]])] if detection.rare.any() else "rare"
    st.caption(f"Most anomalous first; {caught} of these {len(order)} are {md(rare_name)}. "
               + ", ".join(f"#{index} {md(classes[int(dataset.y_test[index])])}" for index in order[:12]) + ", …")


if getattr(dataset, "is_series", False):
    series_page()
else:
    images_page()
