"""Anomalies: a model trained without one class flags that class by how badly it rebuilds it, against PCA."""

import numpy as np
import streamlit as st

from dashboard import anomaly_ui, plots, ui

context = ui.sidebar(page="anomaly")
st.title("Anomalies")
st.caption("Train on normal data only, then flag what the model rebuilds badly: the recipe of the classic "
           "anomaly-detection tutorials. Every test image gets a score, its reconstruction error; a threshold "
           "turns scores into flags. PCA with as many components as the code is the baseline to beat.")
ui.require_model(context, "The Anomalies page")
dataset, meta = context.dataset, context.meta
if dataset.y_test is None:
    st.info(f"{context.dataset_name} has no labels, so no class can play the rare one here. Pick a labelled dataset.")
    st.stop()

classes = dataset.class_names or [str(label) for label in sorted(set(int(label) for label in dataset.y_test))]
excluded = meta.get("excluded_class")
rare = st.selectbox("The rare class (what should be flagged)", range(len(classes)),
                    index=int(excluded) if excluded is not None else 0, key=f"rare-{context.model_name}",
                    format_func=lambda index: f"{index}: {classes[index]}" + ("  (never seen in training)" if index == excluded else ""))
if excluded is None:
    st.warning(f"**{context.model_name}** was trained on every class, {classes[rare]} included, so it rebuilds them "
               "all about as well. A detector is trained without the rare class: on the Train page, choose "
               "\"Leave out a class\".", icon=":material/info:")
    st.page_link(ui.TRAIN_PAGE, label="Train a detector", icon=":material/model_training:")
elif excluded != rare:
    st.caption(f"This model never saw class {excluded} ({classes[excluded]}); here it is asked to flag {classes[rare]}.")

found = anomaly_ui.detections(context.model_name, context.stamp, context.dataset_name, int(rare))
model, pca = found["model"], found["PCA"]
steps = anomaly_ui.threshold_steps(model)
threshold = st.select_slider(
    "Threshold: flag every image rebuilt worse than this", steps, value=float(model.threshold),
    format_func=lambda value: f"{value:.4f}" + ("  (largest training error)" if value == model.threshold else ""),
    help="Starts at the tutorials' rule: the worst-rebuilt normal training image. Lower catches more rare "
         "images and flags more normal ones.")

columns = st.columns(2)
for column, (name, detection, at) in zip(columns, (("model", model, threshold), ("PCA", pca, None))):
    # PCA's errors have their own scale: its threshold flags the same share of the test images as the model's.
    if at is None:
        share = float(np.mean(model.scores <= threshold))
        at = float(np.quantile(detection.scores, share))
    summary, counts = detection.summary(), detection.at(at)
    with column:
        st.subheader(f"{context.model_name}" if name == "model" else f"PCA, {int(np.prod(context.model.code_shape))} components")
        top = st.columns(4)
        top[0].metric("ROC AUC", f"{summary['auc']:.3f}")
        top[1].metric("Average precision", f"{summary['average_precision']:.3f}")
        top[2].metric("Precision", f"{counts['precision']:.2f}")
        top[3].metric("Recall", f"{counts['recall']:.2f}")
        st.caption(("At this threshold" if name == "model" else "Flagging the same share of test images") +
                   f": {counts['true_positive']} rare caught, {counts['false_negative']} missed; "
                   f"{counts['false_positive']} normal flagged, {counts['true_negative']} passed.")
        st.plotly_chart(anomaly_ui.histogram(detection, at, "Error of normal and rare test images"),
                        key=f"histogram-{name}")

st.plotly_chart(anomaly_ui.roc_figure(found), key="roc")
st.subheader("Most anomalous test images by the model")
order = np.argsort(-model.scores)[:24]
st.plotly_chart(plots.single_image(plots.mosaic(dataset.x_test[order], 12), "worst rebuilt first", height=260),
                width="stretch", key="most-anomalous")
caught = int(np.sum(model.rare[order]))
st.caption(f"Worst rebuilt first; {caught} of these {len(order)} are {classes[rare]}. "
           + ", ".join(f"#{index} {classes[int(dataset.y_test[index])]}" for index in order[:12]) + ", …")
