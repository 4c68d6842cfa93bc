"""The Anomalies page's live threshold on a time series (Streamlit components v2; the script is series_threshold.js).

The series on top (every value column, scaled as the model sees it), the score of every time step under it, the
labelled events shaded across both, the training part greyed. Dragging the threshold (the slider, or the dashed line
on the score itself) moves the flagged steps and updates event-level and point-wise precision and recall at screen
rate, with no rerun: every stop's figures are computed here, once per score, by
`aecore.analysis.serieseval.evaluate`, and the script only looks them up. A long series is drawn in at most
`MAX_BUCKETS` columns, each the minimum and maximum of its steps, so a one-step spike still shows; a column is
flagged when any test step in it scores above the threshold.
"""

import numpy as np
import streamlit as st

from aecore.analysis import serieseval
from aecore.data import series
from dashboard import components

MAX_BUCKETS = 1200  # columns drawn across the width
QUANTILE_STOPS = 151  # quantiles of the test steps' scores the slider stops at ...
LINEAR_STOPS = 250  # ... and evenly spaced values from the lowest to the highest score (the rare top is where it matters)
MAX_CHANNELS = 9  # value columns drawn
TICKS = 6  # time labels under the charts
FIGURES = ("precision", "recall", "event_precision", "event_recall", "events_found", "flagged_runs")

SCRIPTS = ("series_threshold.js",)  # this folder's, in order
SHARED_SCRIPTS = ()  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def stops(scores: np.ndarray, dataset) -> np.ndarray:
    """The slider's thresholds: quantiles of the test part's scores, evenly spaced values, and the tutorials' rule
    (the largest training-part score), ascending."""
    test = scores[dataset.train_steps:]
    found = np.concatenate([np.quantile(test, np.linspace(0, 1, QUANTILE_STOPS)),
                            np.linspace(float(scores.min()), float(scores.max()), LINEAR_STOPS),
                            [rule(scores, dataset)]])
    return np.unique(found)


def rule(scores: np.ndarray, dataset) -> float:
    return float(scores[:dataset.train_steps].max())


def buckets(steps: int) -> np.ndarray:
    """The first step of each drawn column: one column per step up to MAX_BUCKETS steps."""
    return np.arange(0, steps, int(np.ceil(steps / MAX_BUCKETS)), dtype=np.int64)


def envelope(values: np.ndarray, starts: np.ndarray) -> tuple[list, list]:
    """Each column's lowest and highest value (values (steps,)), rounded for the wire."""
    low, high = np.minimum.reduceat(values, starts), np.maximum.reduceat(values, starts)
    return np.round(low, 6).tolist(), np.round(high, 6).tolist()


def payload(scores: np.ndarray, dataset, score_label: str) -> dict:
    """What the script draws and looks up: columns, events, the time axis and every stop's figures."""
    scores = np.asarray(scores, np.float64)
    starts = buckets(len(scores))
    labelled = dataset.step_labels is not None
    thresholds = stops(scores, dataset)
    evaluated = [serieseval.evaluate(scores, dataset, float(value)) for value in thresholds]
    test_scores = scores[dataset.train_steps:]
    shown = min(dataset.channels, MAX_CHANNELS)
    ticks = np.linspace(0, len(scores) - 1, TICKS).round().astype(int)
    return {
        "steps": int(len(scores)), "train_steps": int(dataset.train_steps), "starts": starts.tolist(),
        "score": envelope(scores, starts), "score_label": score_label,
        "values": [envelope(dataset.values[:, channel].astype(np.float64), starts) for channel in range(shown)],
        "columns": [str(name) for name in dataset.columns[:shown]], "hidden_columns": int(dataset.channels - shown),
        "events": series.step_events(dataset.step_labels) if labelled else [], "labelled": labelled,
        "ticks": [[int(step), str(dataset.timestamps[step])] for step in ticks],
        "thresholds": thresholds.tolist(), "rule": rule(scores, dataset),
        "start": int(np.searchsorted(thresholds, rule(scores, dataset))),
        "flagged_steps": [int(np.sum(test_scores > value)) for value in thresholds],
        "figures": {name: [found.get(name) for found in evaluated] for name in FIGURES} if labelled else None,
        "events_total": int(evaluated[0].get("events", 0)) if labelled else 0,
        "test_steps": int(len(test_scores))}


@st.cache_data(max_entries=8, show_spinner=False)
def _cached_payload(identity: str, _scores: np.ndarray, _dataset, score_label: str) -> dict:
    return payload(_scores, _dataset, score_label)


def series_threshold(scores: np.ndarray, dataset, score_label: str, identity: str):
    """Draws the series, its step `scores` and the live threshold; `identity` names the model, dataset and score."""
    _component(data=_cached_payload(identity, scores, dataset, score_label), key=f"series-threshold-{identity}")
