"""Anomalies: a model trained without one class flags that class by how badly it rebuilds it, against PCA."""

import numpy as np
import streamlit as st

from dashboard import plots
from dashboard.components import threshold_slider
from dashboard.sections import anomaly
from dashboard.state import sidebar
from dashboard.text import md

context = sidebar.sidebar(page="anomaly")
st.title("Anomalies")
st.caption("Train on normal data only, then flag what the model rebuilds badly: the recipe of the classic "
           "anomaly-detection tutorials. Every test image gets a score, its reconstruction error; a threshold "
           "turns scores into flags. PCA with as many components as the code is the baseline to beat.")
sidebar.require_model(context, "The Anomalies page")
dataset, meta = context.dataset, context.meta
if dataset.y_test is None:
    st.info(f"{md(context.dataset_name)} has no labels, so no class can play the rare one here. Pick a labelled "
            "dataset.")
    st.stop()

classes = dataset.class_names or [str(label) for label in sorted({int(label) for label in dataset.y_test})]
excluded = meta.get("excluded_class")
rare = st.selectbox("The rare class (what should be flagged)", range(len(classes)),
                    index=int(excluded) if excluded is not None else 0, key=f"rare-{context.model_name}",
                    format_func=lambda index: f"{index}: {classes[index]}" + ("  (never seen in training)" if index == excluded else ""))
if excluded is None:
    st.warning(f"**{md(context.model_name)}** was trained on every class, {md(classes[rare])} included, so it "
               "rebuilds them all about as well. A detector is trained without the rare class: on the Train page, choose "
               "\"Leave out a class\".", icon=":material/info:")
    if st.button(f"Train a detector of {md(classes[rare])}", icon=":material/model_training:",
                 help=f"Opens Train / load with {md(classes[rare])} left out."):
        st.session_state["train-exclude"] = int(rare)  # the Train form's "Leave out a class" opens on it
        st.switch_page(sidebar.TRAIN_PAGE)
elif excluded != rare:
    st.caption(f"This model never saw class {excluded} ({md(classes[excluded])}); here it is asked to flag "
               f"{md(classes[rare])}.")

found = anomaly.detections(context.ref, int(rare))
model = found["model"]
labels = {"model": context.model_name, "PCA": f"PCA, {int(np.prod(context.model.code_shape))} components"}
columns = st.columns(2)
for column, (name, detection) in zip(columns, found.items()):
    summary = detection.summary()
    with column:
        st.subheader(md(labels[name]))
        top = st.columns(2)
        top[0].metric("ROC AUC", f"{summary['auc']:.3f}", help="The chance that a random rare image scores above a "
                      "random normal one: 1 is perfect, 0.5 is chance. It needs no threshold.")
        top[1].metric("Average precision", f"{summary['average_precision']:.3f}")
st.caption("Drag the threshold: precision, recall and the counts follow at once. It starts at the tutorials' rule, "
           "the worst-rebuilt normal training image; lower catches more rare images and flags more normal ones. "
           "PCA's errors have their own scale, so its threshold flags the same share of the test images as the model's.")
threshold_slider.threshold_slider(found, labels, classes[rare], identity=f"{context.model_name}-{context.stamp}-"
                                  f"{context.dataset_name}-{rare}")

st.plotly_chart(anomaly.roc_figure(found), key="roc")
st.subheader("Most anomalous test images by the model")
order = np.argsort(-model.scores)[:24]
st.plotly_chart(plots.single_image(plots.mosaic(dataset.x_test[order], 12), "worst rebuilt first", height=260),
                width="stretch", key="most-anomalous")
caught = int(np.sum(model.rare[order]))
st.caption(f"Worst rebuilt first; {caught} of these {len(order)} are {md(classes[rare])}. "
           + ", ".join(f"#{index} {md(classes[int(dataset.y_test[index])])}" for index in order[:12]) + ", …")
