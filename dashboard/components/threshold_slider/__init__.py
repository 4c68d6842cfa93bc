"""The Anomalies page's live threshold (Streamlit components v2; the script is threshold_slider.js).

Dragging the threshold updates precision, recall, the confusion counts and the line on every detector's score
histogram at screen rate, with no rerun: every stop's counts are computed here, once per detection, by
`aecore.analysis.anomaly.Detection.at`, and the page only looks them up. The threshold is on one score, the
`primary` (the model's reconstruction error unless the page picks another); every other score has its own scale,
so at each stop its threshold flags the same share of the test images as the primary's.
"""

import numpy as np
import streamlit as st

from aecore.analysis import anomaly
from dashboard import components

STOPS = 401  # quantiles of the model's test errors the slider stops at, plus the training rule's threshold
BINS = 60
COUNT_NAMES = ("true_positive", "false_positive", "false_negative", "true_negative")



SCRIPTS = ("threshold_slider.js",)  # this folder's, in order
SHARED_SCRIPTS = ()  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def stops(model: anomaly.Detection) -> np.ndarray:
    """The slider's thresholds on the model's scale: STOPS quantiles of its test errors and the training rule's."""
    quantiles = np.quantile(model.scores, np.linspace(0, 1, STOPS))
    return np.unique(np.append(quantiles, model.threshold))


def matched(detection: anomaly.Detection, model: anomaly.Detection, threshold: float) -> float:
    """The threshold on `detection`'s scale that flags the share of test images the model flags at `threshold`."""
    return float(np.quantile(detection.scores, float(np.mean(model.scores <= threshold))))


def payload(found: dict, labels: dict, rare_name: str, primary: str = "model") -> dict:
    """Thresholds, confusion counts and histograms for every stop, for each detection in `found` (the `primary`
    one first: the slider's thresholds are on its scale)."""
    model = found[primary]
    thresholds = stops(model)
    shares = np.searchsorted(np.sort(model.scores), thresholds, side="right") / len(model.scores)  # flagged share
    panels = []
    for name in [primary] + [name for name in found if name != primary]:
        detection = found[name]
        at = thresholds if name == primary else np.quantile(detection.scores, shares)  # `matched`, every stop at once
        counts = [[detection.at(float(value))[count] for count in COUNT_NAMES] for value in at]
        panels.append({"name": name, "label": labels[name], "thresholds": [float(value) for value in at],
                       "counts": counts, "histogram": _histogram(detection)})
    return {"panels": panels, "rare_name": rare_name, "start": int(np.searchsorted(thresholds, model.threshold)),
            "rule": float(model.threshold), "primary_label": labels[primary]}


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
def _cached_payload(identity: str, _found: dict, labels: dict, rare_name: str, primary: str) -> dict:
    return payload(_found, labels, rare_name, primary)


def threshold_slider(found: dict, labels: dict, rare_name: str, identity: str, primary: str = "model"):
    """Draws the live threshold for the detections `found` ({"model": ..., "PCA": ..., ...}), on the `primary`
    one's scale; `identity` names them."""
    _component(data=_cached_payload(identity, found, labels, rare_name, primary), key=f"threshold-{identity}")
