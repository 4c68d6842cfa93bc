"""Time series as datasets: a CSV (`seriescsv`) kept whole in the store and cut into windows when loaded.

The series is split in time: the first `train_steps` steps are the training part, the rest the test part. Each
value column is scaled to [0, 1] by its minimum and maximum over the training part only, so nothing of the test
part leaks into training; test steps may fall outside [0, 1], and that is what makes them stand out. A window is
`window` consecutive steps, one every `stride` steps, cut from one part only (the last window of each part ends at
the part's end, so every step is covered): no window mixes training and test steps.

A window is a (window, channels, 1) array, an image whose rows are time steps and whose columns are channels, so
every room that takes images takes windows (the sequence families read them as (time, channels)). A window's
label is 1 when any of its steps is labelled anomalous (the CSV's `is_anomaly` or `label` column), else 0; labels
are never a value column. The time axis and the per-step labels stay with the dataset (`SeriesDataset`).

Stored as <store>/datasets/<name>/series.npz (timestamps, raw values, per-step labels) and card.json (owndata's
atomic folder; `owndata.add` calls `convert` when given `SeriesOptions`).
"""

import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from aecore import errors
from aecore.data import dataset, seriescsv

SERIES_FILE = "series.npz"
KIND = "series"  # card["kind"]
CLASS_NAMES = ["normal", "anomaly"]
MIN_WINDOW = 4
TRAIN_SHARE = 0.5  # the first half trains when no train_steps is given
MIN_TRAIN_WINDOWS = 8
# Labelled and unlabelled series inside aeon's wheel (aeon/datasets/data/), read as files: aeon is never imported.
# KDD-TSAD 135 (UCR anomaly archive, InternalBleeding16): its TRAIN file is the first 1,200 steps of the TEST file.
BUNDLED = {"kdd-tsad-135": ("KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_TEST.csv", 1200),
           "daphnet-s06r02e0": ("Daphnet_S06R02E0/S06R02E0.csv", None)}  # no labelled step in aeon's excerpt
BUNDLED_LABELLED = ("kdd-tsad-135",)


@dataclass(frozen=True)
class SeriesOptions:
    """How a CSV becomes windows; checked when made."""

    window: int = 64  # steps per window
    stride: int = 1  # steps between the starts of two windows
    columns: tuple[str, ...] | None = None  # value columns to use (None: all but the time and label columns)
    train_steps: int | None = None  # the first steps that train (None: the first half)

    def __post_init__(self):
        for name, value, low in (("window", self.window, MIN_WINDOW), ("stride", self.stride, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise errors.DatasetError(f"{name} {value!r} must be a whole number >= {low}, e.g. --{name} "
                                          f"{64 if name == 'window' else 1}")
        if self.train_steps is not None and (not isinstance(self.train_steps, int) or self.train_steps < 1):
            raise errors.DatasetError(f"train_steps {self.train_steps!r} must be a positive whole number of steps")


@dataclass
class SeriesDataset(dataset.Dataset):
    """A dataset.Dataset of windows that also keeps the whole series."""

    timestamps: np.ndarray = None  # (steps,) str: the time axis as the CSV gave it
    values: np.ndarray = None  # (steps, channels) float32, scaled by the training part's minimum and maximum
    step_labels: np.ndarray | None = None  # (steps,) int64 0/1, or None when unlabelled
    columns: list = None  # value column names
    window: int = 64
    stride: int = 1
    train_steps: int = 0  # steps [0, train_steps) train, the rest test
    train_starts: np.ndarray = None  # (n_train,) first step of each training window
    test_starts: np.ndarray = None  # (n_test,) first step of each test window
    minimum: np.ndarray = None  # (channels,) raw value mapped to 0, per column
    maximum: np.ndarray = None  # (channels,) raw value mapped to 1, per column

    @property
    def is_series(self) -> bool:
        return True

    @property
    def channels(self) -> int:
        return int(self.values.shape[1])

    def subset(self, train: int | None = None, test: int | None = None) -> "SeriesDataset":
        smaller = super().subset(train, test)
        return replace(smaller, train_starts=self.train_starts[:train], test_starts=self.test_starts[:test])

    def all_windows(self, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(starts, windows (n, window, channels, 1)) across the whole series, both parts: for scoring every step."""
        starts = window_starts(0, len(self.values), self.window, stride)
        return starts, cut(self.values, starts, self.window)


def window_starts(begin: int, end: int, window: int, stride: int) -> np.ndarray:
    """Starts of the windows inside steps [begin, end), one every `stride`, the last one ending at `end`."""
    if end - begin < window:
        return np.zeros(0, np.int64)
    starts = np.arange(begin, end - window + 1, stride, dtype=np.int64)
    return starts if starts[-1] == end - window else np.append(starts, end - window)


def cut(values: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """(len(starts), window, channels, 1) float32 windows of `values` (steps, channels)."""
    views = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)  # (steps - window + 1, channels, window)
    return np.ascontiguousarray(views[starts].transpose(0, 2, 1)[..., None], dtype=np.float32)


def window_labels(step_labels: np.ndarray | None, starts: np.ndarray, window: int) -> np.ndarray | None:
    """1 for a window with any anomalous step, else 0; None when the series is unlabelled."""
    if step_labels is None:
        return None
    counts = np.concatenate([[0], np.cumsum(step_labels)])
    return (counts[starts + window] - counts[starts] > 0).astype(np.int64)


def convert(folder: Path, source: Path, options: SeriesOptions, limits=None, progress=None) -> dict:
    """Reads and checks the CSV, writes folder/series.npz, and returns the card's fields (owndata.add's converter)."""
    raw = seriescsv.read_csv(source, options.columns)
    steps = len(raw.values)
    train_steps = options.train_steps if options.train_steps is not None else int(steps * TRAIN_SHARE)
    _check_split(source, steps, train_steps, options)
    np.savez_compressed(folder / SERIES_FILE, timestamps=raw.timestamps, values=raw.values,
                        **({"labels": raw.labels} if raw.labels is not None else {}))
    loaded = _windows(raw.timestamps, raw.values, raw.labels, raw.columns, options.window, options.stride, train_steps)
    if progress is not None:
        progress(steps, steps)
    events = step_events(raw.labels) if raw.labels is not None else []
    return {"kind": KIND, "source": str(source), "columns": raw.columns, "time_column": raw.time_column,
            "label_column": raw.label_column, "window": options.window, "stride": options.stride,
            "channels": len(raw.columns), "steps": steps, "train_steps": train_steps,
            "input_shape": [options.window, len(raw.columns), 1],
            "class_names": CLASS_NAMES if raw.labels is not None else None,
            "classes": 2 if raw.labels is not None else None,
            "anomalous_steps": int(raw.labels.sum()) if raw.labels is not None else None, "events": len(events),
            "counts": {"train": len(loaded.x_train), "test": len(loaded.x_test), "skipped": 0},
            "split": f"in time: steps 0-{train_steps - 1} train, {train_steps}-{steps - 1} test"}


def _check_split(source, steps: int, train_steps: int, options: SeriesOptions):
    if train_steps >= steps:
        raise errors.DatasetError(f"{source}: train_steps {train_steps} leaves no test steps of its {steps}; give "
                                  f"fewer, e.g. --train-steps {steps // 2}")
    needed = options.window + (MIN_TRAIN_WINDOWS - 1) * options.stride
    if train_steps < needed or steps - train_steps < options.window:
        raise errors.DatasetError(
            f"{source}: {steps} steps ({train_steps} train, {steps - train_steps} test) are too few for windows of "
            f"{options.window} every {options.stride}: training needs at least {needed} steps ({MIN_TRAIN_WINDOWS} "
            f"windows) and the test part one window; use a smaller --window or --stride, or a longer series")


def _windows(timestamps, raw_values, labels, columns, window, stride, train_steps, name="", source="") -> SeriesDataset:
    minimum = raw_values[:train_steps].min(axis=0)
    maximum = raw_values[:train_steps].max(axis=0)
    span = np.where(maximum > minimum, maximum - minimum, 1.0)  # a flat training column stays at 0
    values = ((raw_values - minimum) / span).astype(np.float32)
    train_starts = window_starts(0, train_steps, window, stride)
    test_starts = window_starts(train_steps, len(values), window, stride)
    return SeriesDataset(
        name, cut(values, train_starts, window), window_labels(labels, train_starts, window),
        cut(values, test_starts, window), window_labels(labels, test_starts, window),
        CLASS_NAMES if labels is not None else None, source, timestamps=timestamps, values=values,
        step_labels=labels, columns=list(columns), window=window, stride=stride, train_steps=train_steps,
        train_starts=train_starts, test_starts=test_starts, minimum=minimum, maximum=minimum + span)


def load(name: str, folder: Path, card: dict) -> SeriesDataset:
    """The stored series of dataset `name` (its folder and card), cut into windows."""
    path = folder / SERIES_FILE
    try:
        with np.load(path, allow_pickle=False) as archive:
            timestamps, raw_values = archive["timestamps"], archive["values"]
            labels = archive["labels"].astype(np.int64) if "labels" in archive.files else None
        return _windows(timestamps, raw_values, labels, card["columns"], int(card["window"]), int(card["stride"]),
                        int(card["train_steps"]), name, str(card.get("source")))
    except (OSError, KeyError, ValueError, EOFError) as error:
        raise errors.DatasetError(f"dataset {name!r} is damaged: {path} cannot be read ({error}); remove it and "
                                  f"add it again") from None


def describe(card: dict) -> str:
    """One line for people: "7,501 steps of 1 column (value), windows of 64, 1 labelled event — yours, from ..."."""
    columns = card.get("columns") or []
    shown = ", ".join(columns[:4]) + (", ..." if len(columns) > 4 else "")
    events = int(card.get("events") or 0)
    labels = f"{events} labelled event{'s' * (events != 1)}" if card.get("classes") else "unlabelled"
    return (f"{int(card.get('steps', 0)):,} steps of {len(columns)} column{'s' * (len(columns) != 1)} ({shown}), "
            f"windows of {card.get('window')}, {labels} — yours, from {card.get('source')}")


def step_events(labels: np.ndarray) -> list[tuple[int, int]]:
    """[(first, last)] steps of each run of anomalous steps."""
    edges = np.diff(np.concatenate([[0], (np.asarray(labels) > 0).astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def aeon_data_folder() -> Path | None:
    """aeon's bundled data folder (aeon/datasets/data) when aeon is installed; aeon itself is not imported."""
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    return folder if folder.is_dir() else None


def bundled_series(labelled_only: bool = False) -> dict[str, tuple[Path, int | None]]:
    """{name: (CSV path, train_steps)} of the series in aeon's wheel that are on this machine."""
    folder = aeon_data_folder()
    if folder is None:
        return {}
    return {name: (folder / file, train_steps) for name, (file, train_steps) in BUNDLED.items()
            if (folder / file).is_file() and (name in BUNDLED_LABELLED or not labelled_only)}
