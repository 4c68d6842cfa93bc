"""A model of windows as a detector along a whole series: one score per time step, checked against labelled events.

Every window of the series is scored (one per start, across both parts), and each step's score is the mean, over
the windows covering it, of that step's squared reconstruction error (mean over channels): a step stands out when
the windows around it cannot rebuild it. Reported on the test part (steps the model never trained on): point-wise
ROC AUC and average precision, and at the tutorials' threshold (the largest score of a training-part step) the
point-wise precision and recall, plus the event-level ones: an event (a run of labelled steps) is found when any of
its steps is flagged; a flagged run is a true detection when it touches an event. Scikit-learn's IsolationForest
on the same windows is the baseline. The code-space scores of aecore.analysis.anomaly score the windows too
(`window_scores`), and a window's score can be spread over its steps the same way.
"""

import io

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

from aecore.analysis import anomaly
from aecore.data import series
from aecore.errors import DatasetError

FOREST_TREES = 200


def require_series(dataset):
    if not getattr(dataset, "is_series", False):
        raise DatasetError(f"{dataset.name!r} is not a time series: scores per time step need a series dataset "
                           "(`python -m aecore datasets add NAME FILE.csv`)")


def spread(window_scores: np.ndarray, starts: np.ndarray, steps: int) -> np.ndarray:
    """(steps,) mean over the windows covering each step of their per-step scores (n_windows, window)."""
    window = window_scores.shape[1]
    totals, counts = np.zeros(steps), np.zeros(steps)
    for offset in range(window):  # one vectorised pass per position in the window (starts are distinct)
        totals[starts + offset] += window_scores[:, offset]
        counts[starts + offset] += 1
    return totals / np.maximum(counts, 1)


def step_scores(autoencoder, dataset) -> np.ndarray:
    """(steps,) the model's score of every time step of the series (see the module docstring)."""
    require_series(dataset)
    starts, windows = dataset.all_windows()
    squared = (windows - autoencoder.reconstruct(windows)) ** 2  # (n, window, channels, 1)
    return spread(squared.mean(axis=(2, 3)), starts, len(dataset.values))


def window_scores(autoencoder, dataset) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(starts, {score name: (n_windows,)}) of every window of the series (one per start), each score of
    aecore.analysis.anomaly.Scorer fitted on the training windows: for the latent map of windows, coloured by score."""
    require_series(dataset)
    starts, windows = dataset.all_windows()
    return starts, anomaly.fit_scorer(autoencoder, dataset, None).scores(windows)


def code_step_scores(autoencoder, dataset) -> np.ndarray:
    """(steps,) the distance of each window's code to its k nearest training codes, spread over the steps it covers."""
    starts, scores = window_scores(autoencoder, dataset)
    return spread_windows(scores["code_distance"], starts, dataset)


def spread_windows(per_window: np.ndarray, starts: np.ndarray, dataset) -> np.ndarray:
    """(steps,) one score per window, (n_windows,), spread as the mean over the windows covering each step."""
    return spread(np.repeat(np.asarray(per_window, float)[:, None], dataset.window, axis=1), starts, len(dataset.values))


def isolation_forest_scores(dataset, seed: int = 0) -> np.ndarray:
    """(steps,) IsolationForest fitted on the training windows (flattened), every window scored, spread to steps."""
    require_series(dataset)
    forest = IsolationForest(n_estimators=FOREST_TREES, random_state=seed)
    forest.fit(dataset.x_train.reshape(len(dataset.x_train), -1))
    starts, windows = dataset.all_windows()
    per_window = -forest.score_samples(windows.reshape(len(windows), -1))  # higher = more anomalous
    return spread_windows(per_window, starts, dataset)


def evaluate(scores: np.ndarray, dataset, threshold: float | None = None) -> dict:
    """Point-wise and event-level figures of step `scores` on the test part; `threshold` defaults to the largest
    training-part score. Without labelled anomalous and normal test steps, the AUCs are None."""
    require_series(dataset)
    split = dataset.train_steps
    threshold = float(scores[:split].max()) if threshold is None else float(threshold)
    found = {"threshold": threshold, "test_steps": int(len(scores) - split)}
    if dataset.step_labels is None:
        return found | {"auc": None, "average_precision": None, "labelled": False}
    labels, test_scores = dataset.step_labels[split:], scores[split:]
    both = 0 < labels.sum() < len(labels)
    flagged = test_scores > threshold
    return found | {
        "auc": float(roc_auc_score(labels, test_scores)) if both else None,
        "average_precision": float(average_precision_score(labels, test_scores)) if both else None,
        "precision": float((flagged & (labels == 1)).sum() / max(1, flagged.sum())),
        "recall": float((flagged & (labels == 1)).sum() / max(1, labels.sum())),
        **event_scores(labels, flagged)}


def event_scores(labels: np.ndarray, flagged: np.ndarray) -> dict:
    """Event-level precision and recall: an event is found when any of its steps is flagged; a flagged run counts
    as a true detection when any of its steps is labelled."""
    events, runs = series.step_events(labels), series.step_events(flagged.astype(np.int64))
    found = sum(bool(flagged[first:last + 1].any()) for first, last in events)
    true_runs = sum(bool(labels[first:last + 1].any()) for first, last in runs)
    return {"events": len(events), "events_found": found, "flagged_runs": len(runs),
            "event_precision": true_runs / len(runs) if runs else 0.0,
            "event_recall": found / len(events) if events else None}


def scores_csv(dataset, scores: np.ndarray) -> str:
    """timestamp,score,is_anomaly,split: one row per time step (is_anomaly empty when unlabelled)."""
    require_series(dataset)
    out = io.StringIO()
    out.write("timestamp,score,is_anomaly,split\n")
    labels = dataset.step_labels
    for step, (stamp, score) in enumerate(zip(dataset.timestamps, scores)):
        label = "" if labels is None else int(labels[step])
        stamp = str(stamp)
        quoted = '"' + stamp.replace('"', '""') + '"' if any(mark in stamp for mark in ',"\n') else stamp
        out.write(f"{quoted},{float(score):.6g},{label},{'train' if step < dataset.train_steps else 'test'}\n")
    return out.getvalue()
