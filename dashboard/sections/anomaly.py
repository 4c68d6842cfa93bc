"""Streamlit helpers for the Anomalies page (views/anomaly.py): every anomaly score of the model, read from the store
(aecore.store.scorecache) where the training job or this server has scored it, the page following whoever is at it;
should scoring into the store fail, computed once per model, dataset and rare class (dashboard.state.anomaly_caches:
reconstruction error and PCA under a progress bar, the code-space scores in a thread while the page is usable); and
the figures the page draws from them.
On images: reconstruction error, PCA of the same size, and the code-space scores (distance to the nearest normal
codes, Mahalanobis, a VAE's negative ELBO), side by side. On a series: one score per time step."""

import threading
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.analysis import anomaly, serieseval
from aecore.store import scorecache
from dashboard.state import anomaly_caches, caches
from dashboard.text import md

COLOURS = {"normal": "#64748b", "rare": "#dc2626", "model": "#2563eb", "PCA": "#f59e0b", "code_distance": "#059669",
           "mahalanobis": "#7c3aed", "negative_elbo": "#db2777"}
# What each score is called on the page; "model" is the model's reconstruction error, the classic detector.
NAMES = {"model": "reconstruction error", "PCA": "PCA", "code_distance": "code distance (kNN)",
         "mahalanobis": "Mahalanobis", "negative_elbo": "negative ELBO", "reconstruction": "reconstruction error"}
SERIES_SCORES = ("reconstruction", "code_distance", "mahalanobis")
MODEL_SCORES = ("model", "code_distance", "mahalanobis", "negative_elbo")  # the model's own, beside PCA
JOIN_SECONDS = 3.0  # how long a page on a small dataset waits for its code-space scores before drawing without them
SMALL_DATASET = 20_000  # training images: below it they land within JOIN_SECONDS (digits: well under a second)


KEPT_NAMES = {"reconstruction": "model"}  # the store's (aecore.analysis.anomaly's) score names -> the page's
PAGE_ORDER = ("model", "PCA", "code_distance", "mahalanobis", "negative_elbo")
first_rare_class = anomaly.first_rare_class  # the class the page opens on: the one the training job scores ahead


def kept_detections(ref: caches.ModelRef, rare: int) -> dict | None:
    """{score name: Detection} in the page's order, as the training job kept them: every score, or reconstruction
    error and PCA alone while it computes the code-space ones; None if it has kept nothing (yet)."""
    kept = scorecache.cached(caches.model_store(), ref.name, caches.dataset(ref.dataset), rare, partial=True)
    if kept is None:
        return None
    renamed = {KEPT_NAMES.get(name, name): detection for name, detection in kept.items()}
    return {name: renamed[name] for name in PAGE_ORDER if name in renamed}


def job_scoring(ref: caches.ModelRef, rare: int) -> bool:
    """True while someone (the training job, or this server's kept_scoring) computes these scores: their lock is held."""
    return scorecache.computing(caches.model_store(), ref.name, caches.dataset(ref.dataset), rare)


@st.cache_resource(max_entries=8, show_spinner=False)
def kept_scoring(ref: caches.ModelRef, rare: int) -> threading.Thread:
    """Scores model `ref` every way for rare class `rare` into the store (scorecache.scores: reconstruction error and
    PCA kept first, then the code-space scores), in a thread of this server, once: a page that opens a model before
    its training job has scored it follows the file as it follows the job's, and the job then finds it kept."""
    thread = threading.Thread(target=scorecache.scores, daemon=True, name=f"anomaly-scores-{ref.name}-{rare}",
                              args=(caches.model_store(), ref.name, caches.model(ref.name, ref.stamp),
                                    caches.dataset(ref.dataset), rare))
    thread.start()
    return thread


def score_into_store(ref: caches.ModelRef, rare: int) -> dict | None:
    """Nothing kept and nobody at it (the page opened before the training job reached this model, or on another
    class): this server scores it into the store in a thread (kept_scoring), which the page then follows. A
    small dataset's scores all land within JOIN_SECONDS and are drawn in this run (its reconstruction error and PCA,
    well under a second, are waited for in any case); a large one's page waits at most a second for the first and
    otherwise says how far they are. Returns what is kept by then, if anything."""
    if not job_scoring(ref, rare):
        run, small = kept_scoring(ref, rare), len(caches.dataset(ref.dataset).x_train) < SMALL_DATASET
        if small:
            run.join(timeout=JOIN_SECONDS)
        deadline = time.monotonic() + (30.0 if small else 1.0)
        while run.is_alive() and time.monotonic() < deadline and kept_detections(ref, rare) is None:
            run.join(timeout=0.05)
    return kept_detections(ref, rare)


def wait_for_job(ref: caches.ModelRef, rare: int):
    """While someone (the training job, or this server) scores this model and has kept nothing yet, says so every
    second and draws the page again once it has, then stops the script here: computing them twice would slow both
    down."""
    if job_scoring(ref, rare):
        follow_job(ref, rare, "the reconstruction error and PCA first")
        st.stop()


def follow_job(ref: caches.ModelRef, rare: int, what: str) -> bool:
    """While someone scores this model into the store: a line that says so every second, and the page drawn again
    when more is kept (False, drawing nothing, when nobody is at it)."""
    if not job_scoring(ref, rare):
        return False
    seen = st.session_state.setdefault(f"anomaly-job-seen-{ref.stamp}-{rare}", time.monotonic())
    shown = set(kept_detections(ref, rare) or {})

    @st.fragment(run_every=1)
    def waiting():
        if set(kept_detections(ref, rare) or {}) != shown or not job_scoring(ref, rare):
            st.rerun(scope="app")
        st.progress(min((time.monotonic() - seen) / 15, 0.95), text=(
            f"Scoring {md(ref.name)} on the {len(caches.dataset(ref.dataset).x_test):,} test images (once per model "
            f"and class, kept beside it), {what}: {time.monotonic() - seen:.0f} s so far. They show here as soon as "
            "they are kept."))
    waiting()
    return True


def detections(ref: caches.ModelRef, rare: int, components: int) -> dict:
    """{"model": by reconstruction error, "PCA": PCA of `components` components} on the whole test set, under a
    progress bar (each cached, so a later open, in any session, skips them)."""
    bar = st.progress(0.0, text="Rebuilding the normal training sample and the test images: the reconstruction "
                                "error of each…")
    model = anomaly_caches.reconstruction_detection(ref, rare)
    bar.progress(0.6, text=f"Fitting PCA with {components} components, the baseline…")
    pca = anomaly_caches.pca_detection(ref.dataset, caches.dataset_version(ref.dataset), rare, components)
    bar.empty()
    return {"model": model, "PCA": pca}


def code_detections(ref: caches.ModelRef, rare: int,
                    rare_mask: np.ndarray) -> tuple[dict, anomaly_caches.CodeScoring]:
    """({score name: Detection} of the code-space scores, or {} while they compute; the run computing them). A
    small dataset's land within JOIN_SECONDS and are drawn at once, with no second run of the page; a large one's
    page draws at once without them (Fashion-MNIST's take tens of seconds on 2 cores)."""
    run = anomaly_caches.code_scoring(ref, rare)
    run.thread.join(timeout=JOIN_SECONDS if len(caches.dataset(ref.dataset).x_train) < SMALL_DATASET else 0.0)
    if run.result is None:
        return {}, run
    return {name: anomaly.Detection(scores, rare_mask, threshold) for name, (scores, threshold) in run.result.items()}, run


def code_progress(run: anomaly_caches.CodeScoring):
    """Says how far the code-space scores are, every second, and draws the page again once they land."""
    if run.error:
        st.error(f"The code-space scores could not be computed: {md(run.error)}")
        return

    @st.fragment(run_every=1)
    def waiting():
        if run.result is not None or run.error:
            st.rerun(scope="app")
        seconds = time.monotonic() - run.started
        st.progress(min(seconds / 30, 0.95), text=f"Scoring in code space, once for this model and class: "
                    f"{run.stage}, {seconds:.0f} s so far. The rest of the page is ready; the code distance, "
                    "Mahalanobis and (for a VAE) negative ELBO join it when they land.")
    waiting()


def series_scores(ref: caches.ModelRef) -> dict:
    """{score name: (steps,)}: the reconstruction score of every step, then the windows' code-space scores spread over
    their steps, under a progress bar."""
    bar = st.progress(0.0, text="Scoring every window of the series and spreading the errors over their steps…")
    found = {"reconstruction": anomaly_caches.series_step_scores(ref)}
    bar.progress(0.5, text="Measuring every window's code against the training windows' codes…")
    found |= anomaly_caches.series_code_scores(ref)
    bar.empty()
    return found


def roc_figure(found: dict) -> go.Figure:
    """Every detector's ROC curve, its AUC in the legend, and chance as the diagonal."""
    figure = go.Figure()
    for name, detection in found.items():
        false_positive_rate, true_positive_rate = detection.roc()
        auc = detection.summary()["auc"]
        label = name if name in ("model", "PCA") else NAMES[name]  # "model": its reconstruction error
        figure.add_trace(go.Scatter(x=false_positive_rate, y=true_positive_rate, name=f"{label} (AUC {auc:.3f})",
                                    mode="lines", line=dict(color=COLOURS[name], width=2)))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], name="chance (AUC 0.5)", mode="lines",
                                line=dict(color="#9ca3af", dash="dot")))
    figure.update_layout(title="ROC curve: every threshold at once", height=360, margin=dict(l=10, r=10, t=40, b=30),
                         xaxis_title="false positive rate (normal images flagged)",
                         yaxis_title="true positive rate (rare images caught)", legend=dict(x=0.4, y=0.05))
    return figure


def auc_figure(found: dict) -> go.Figure:
    """One bar per score: its ROC AUC, chance (0.5) as a dotted line."""
    names = list(found)
    aucs = [found[name].summary()["auc"] for name in names]
    figure = go.Figure(go.Bar(x=aucs, y=[NAMES[name] for name in names], orientation="h",
                              marker_color=[COLOURS[name] for name in names], text=[f"{auc:.3f}" for auc in aucs],
                              textposition="outside", cliponaxis=False))
    figure.add_vline(x=0.5, line=dict(color="#9ca3af", dash="dot"))
    figure.update_layout(title="ROC AUC of each score (1 is perfect, 0.5 is chance)", height=360,
                         margin=dict(l=10, r=40, t=40, b=30), xaxis=dict(range=[0, 1.08], title="ROC AUC"),
                         yaxis=dict(autorange="reversed"), showlegend=False)
    return figure


def series_summary(scores: np.ndarray, dataset) -> dict:
    """serieseval.evaluate at the tutorials' rule: the point-wise AUC and average precision the page shows."""
    return serieseval.evaluate(scores, dataset)
