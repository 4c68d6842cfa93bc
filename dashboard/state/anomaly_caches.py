"""The Anomalies page's caches, shared by every session (as dashboard.state.caches, whose models and datasets they
use): its scores on an image dataset and on a series. Apart from caches because their engine (scikit-learn's
neighbours, SciPy's statistics) takes a second to import, which no other page should pay on its first visit.

Reconstruction error and PCA are cached at once (seconds); the code-space scores take longer (each of 10,000 test
codes against 54,000 training codes), so they are computed once per server in a thread of their own while the page
draws what it has and says how far they are.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import streamlit as st

from aecore.analysis import anomaly, serieseval
from dashboard.state.caches import ModelRef, dataset, model


@st.cache_data(max_entries=8, show_spinner=False)
def reconstruction_detection(ref: ModelRef, rare: int) -> anomaly.Detection:
    """The model as a detector of class `rare` by reconstruction error (anomaly.detect: the test set rebuilt once)."""
    return anomaly.detect(model(ref.name, ref.stamp), dataset(ref.dataset), rare)


class CodeScoring:
    """The code-space scores of one model for one rare class (anomaly.Scorer's, all but reconstruction error, which
    the page has already), computed in a thread: `stage` says what it does, then `result` is {score name: ((n_test,)
    test scores, the largest score of a normal training image)}, or `error` says why not."""

    def __init__(self, autoencoder, data, rare: int):
        self.stage, self.result, self.error, self.started = "starting", None, None, time.monotonic()
        self.thread = threading.Thread(target=self._work, args=(autoencoder, data, rare), daemon=True,
                                       name=f"code-scores-{autoencoder.name}")
        self.thread.start()

    def _work(self, autoencoder, data, rare: int):
        try:
            self.stage = "encoding the normal training images"
            scorer = anomaly.fit_scorer(autoencoder, data, rare)
            self.stage = "scoring a sample of normal training images (each score's threshold)"
            sample = scorer.code_scores(scorer.threshold_images, training=True)
            self.stage = f"scoring the {len(data.x_test):,} test images"
            test = scorer.code_scores(data.x_test)
            self.result = {name: (test[name], float(sample[name].max())) for name in test}
        except Exception as error:  # noqa: BLE001  shown on the page, which stays usable
            self.error = f"{type(error).__name__}: {error}"


@st.cache_resource(max_entries=8, show_spinner=False)
def code_scoring(ref: ModelRef, rare: int) -> CodeScoring:
    """The server's one CodeScoring of this model and rare class, started on the first ask."""
    return CodeScoring(model(ref.name, ref.stamp), dataset(ref.dataset), rare)


@st.cache_data(max_entries=8, show_spinner=False)
def pca_detection(dataset_name: str, version: str, rare: int, components: int) -> anomaly.Detection:
    """PCA of `components` components as a detector of class `rare`: the baseline, the same for every model."""
    return anomaly.detect_with_pca(dataset(dataset_name), rare, components)


@st.cache_data(max_entries=8, show_spinner=False)
def series_step_scores(ref: ModelRef) -> np.ndarray:
    """(steps,) the model's reconstruction score of every time step (`anomaly --scores-out`'s)."""
    return serieseval.step_scores(model(ref.name, ref.stamp), dataset(ref.dataset))


@st.cache_data(max_entries=8, show_spinner=False)
def series_code_scores(ref: ModelRef) -> dict[str, np.ndarray]:
    """{score name: (steps,)} the windows' code-space scores spread over the steps they cover."""
    series = dataset(ref.dataset)
    starts, scores = serieseval.window_scores(model(ref.name, ref.stamp), series)
    return {name: serieseval.spread_windows(values, starts, series) for name, values in scores.items()
            if name != "reconstruction"}
