"""Streamlit helpers for the Anomalies page (views/anomaly.py): the model's and PCA's detections, cached per
model, dataset and rare class, and the figures the page draws from them."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.analysis import anomaly
from dashboard.state import caches

COLOURS = {"normal": "#64748b", "rare": "#dc2626", "model": "#2563eb", "PCA": "#f59e0b"}


@st.cache_data(max_entries=8, show_spinner="Scoring every test image by its reconstruction error…")
def detections(ref: caches.ModelRef, rare: int) -> dict:
    """{"model": Detection, "PCA": Detection} for the whole test set."""
    autoencoder, dataset = caches.model(ref.name, ref.stamp), caches.dataset(ref.dataset)
    return {"model": anomaly.detect(autoencoder, dataset, rare),
            "PCA": anomaly.detect_with_pca(dataset, rare, int(np.prod(autoencoder.code_shape)))}


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
