"""The Anomalies page's live threshold (Streamlit components v2; the script is threshold_slider.js).

Dragging the threshold updates precision, recall, the confusion counts and the line on both detectors'
error histograms at screen rate, with no rerun: every stop's counts are computed here, once per detection,
by `aecore.analysis.anomaly.Detection.at`, and the page only looks them up. PCA's errors have their own
scale, so at each stop its threshold flags the same share of the test images as the model's.
"""

from pathlib import Path

import numpy as np
import streamlit as st

from aecore.analysis import anomaly

STOPS = 401  # quantiles of the model's test errors the slider stops at, plus the training rule's threshold
BINS = 60
SCRIPT = Path(__file__).with_name("threshold_slider.js")
COUNT_NAMES = ("true_positive", "false_positive", "false_negative", "true_negative")

HTML = """<div class="threshold-panel">
<label class="head"><span class="title">Threshold: flag every image rebuilt worse than</span>
<b class="value"></b> <span class="rule"></span></label>
<input class="slider" type="range" min="0" step="1" aria-label="threshold">
<button class="reset" type="button">Back to the tutorials' rule</button>
<div class="columns"></div></div>"""

CSS = """
.threshold-panel { font-family: inherit; color: inherit; }
.threshold-panel .head { display: block; margin: 4px 0; font-size: 14px; }
.threshold-panel .rule { color: #6b7280; font-size: 13px; }
.threshold-panel .slider { width: 100%; accent-color: #2563eb; }
.threshold-panel .reset { margin: 2px 0 8px; font-size: 13px; font-family: inherit; padding: 2px 10px; border-radius: 6px;
                          border: 1px solid #d1d5db; background: transparent; color: inherit; cursor: pointer; }
.threshold-panel .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.threshold-panel .numbers { display: flex; gap: 24px; margin: 4px 0; }
.threshold-panel .number span { display: block; font-size: 13px; color: #6b7280; }
.threshold-panel .number b { font-size: 26px; font-weight: 500; }
.threshold-panel .counts { font-size: 13px; color: #4b5563; min-height: 2.6em; }
.threshold-panel svg { width: 100%; height: auto; display: block; }
.threshold-panel .name { font-weight: 600; font-size: 15px; }
"""

_component = st.components.v2.component("aecore_threshold_slider", html=HTML, css=CSS, js=SCRIPT.read_text())


def stops(model: anomaly.Detection) -> np.ndarray:
    """The slider's thresholds on the model's scale: STOPS quantiles of its test errors and the training rule's."""
    quantiles = np.quantile(model.scores, np.linspace(0, 1, STOPS))
    return np.unique(np.append(quantiles, model.threshold))


def matched(detection: anomaly.Detection, model: anomaly.Detection, threshold: float) -> float:
    """The threshold on `detection`'s scale that flags the share of test images the model flags at `threshold`."""
    return float(np.quantile(detection.scores, float(np.mean(model.scores <= threshold))))


def payload(found: dict, labels: dict, rare_name: str) -> dict:
    """Thresholds, confusion counts and histograms for every stop, for the model and for PCA."""
    model = found["model"]
    thresholds = stops(model)
    panels = []
    for name, detection in found.items():
        at = thresholds if name == "model" else np.array([matched(detection, model, value) for value in thresholds])
        counts = [[detection.at(float(value))[count] for count in COUNT_NAMES] for value in at]
        panels.append({"name": name, "label": labels[name], "thresholds": [float(value) for value in at],
                       "counts": counts, "histogram": _histogram(detection)})
    return {"panels": panels, "rare_name": rare_name, "start": int(np.searchsorted(thresholds, model.threshold)),
            "rule": float(model.threshold)}


def _histogram(detection: anomaly.Detection) -> dict:
    """Densities of the normal and rare errors in BINS bins up to the 99.5th percentile (the rest in the last)."""
    top = float(np.quantile(detection.scores, 0.995)) or 1.0
    edges = np.linspace(0.0, top, BINS + 1)
    density = {}
    for name, chosen in (("normal", ~detection.rare), ("rare", detection.rare)):
        counts, _ = np.histogram(np.minimum(detection.scores[chosen], top), edges)
        density[name] = [round(float(value), 5) for value in counts / max(1, counts.sum())]
    return {"top": top, **density}


@st.cache_data(max_entries=8, show_spinner=False)
def _cached_payload(identity: str, _found: dict, labels: dict, rare_name: str) -> dict:
    return payload(_found, labels, rare_name)


def threshold_slider(found: dict, labels: dict, rare_name: str, identity: str):
    """Draws the live threshold for the detections `found` ({"model": ..., "PCA": ...}); `identity` names them."""
    _component(data=_cached_payload(identity, found, labels, rare_name), key=f"threshold-{identity}")
