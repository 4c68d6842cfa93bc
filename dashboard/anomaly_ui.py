"""Streamlit helpers for the Anomalies page (views/anomaly.py): the model's and PCA's detections, cached per
model, dataset and rare class, and the figures the page draws from them."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.analysis import anomaly
from dashboard import ui

COLOURS = {"normal": "#64748b", "rare": "#dc2626", "model": "#2563eb", "PCA": "#f59e0b"}


@st.cache_data(max_entries=8, show_spinner="Scoring every test image by its reconstruction error…")
def detections(model_name: str, stamp: str, dataset_name: str, rare: int) -> dict:
    """{"model": Detection, "PCA": Detection} for the whole test set."""
    autoencoder, dataset = ui.model(model_name, stamp), ui.dataset(dataset_name)
    return {"model": anomaly.detect(autoencoder, dataset, rare),
            "PCA": anomaly.detect_with_pca(dataset, rare, int(np.prod(autoencoder.code_shape)))}


def histogram(detection: anomaly.Detection, threshold: float, title: str) -> go.Figure:
    """Reconstruction errors of normal and rare test images, overlaid, with the threshold as a line."""
    figure = go.Figure()
    edges = np.linspace(0, float(np.quantile(detection.scores, 0.995)), 60)
    for name, chosen in (("normal", ~detection.rare), ("rare", detection.rare)):
        figure.add_trace(go.Histogram(x=np.minimum(detection.scores[chosen], edges[-1]), name=name, opacity=0.65,
                                      xbins=dict(start=0, end=float(edges[-1]), size=float(edges[1] - edges[0])),
                                      histnorm="probability density", marker_color=COLOURS[name]))
    figure.add_vline(x=threshold, line_dash="dash", line_color="#111827", annotation_text="threshold")
    figure.update_layout(barmode="overlay", title=title, height=300, margin=dict(l=10, r=10, t=40, b=30),
                         xaxis_title="reconstruction error (MSE)", yaxis_title="density", legend=dict(x=0.7, y=0.95))
    return figure


def roc_figure(found: dict) -> go.Figure:
    """Both detectors' ROC curves, their AUC in the legend, and chance as the diagonal."""
    figure = go.Figure()
    for name, detection in found.items():
        false_positive_rate, true_positive_rate = detection.roc()
        auc = detection.summary()["auc"]
        figure.add_trace(go.Scatter(x=false_positive_rate, y=true_positive_rate, name=f"{name} (AUC {auc:.3f})",
                                    mode="lines", line=dict(color=COLOURS[name], width=2)))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], name="chance (AUC 0.5)", mode="lines",
                                line=dict(color="#9ca3af", dash="dot")))
    figure.update_layout(title="ROC curve: every threshold at once", height=340, margin=dict(l=10, r=10, t=40, b=30),
                         xaxis_title="false positive rate (normal images flagged)",
                         yaxis_title="true positive rate (rare images caught)", legend=dict(x=0.45, y=0.1))
    return figure


def threshold_steps(detection: anomaly.Detection) -> list[float]:
    """The slider's stops: 101 quantiles of the test errors, plus the training rule's threshold."""
    stops = set(float(value) for value in np.quantile(detection.scores, np.linspace(0, 1, 101)))
    return sorted(stops | {float(detection.threshold)})
