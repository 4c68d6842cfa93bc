"""What every training loop here shares (trainer's, the photo family's, the stacked family's stages): the run's
config and its validation, the progress reports, the cancel flag, the learning-rate schedule and the Keras callback
that reports, honours Stop within a batch and stops on a NaN loss. The bottom of the training room: it imports none
of the room's other modules, so the trainers it serves never import each other.

Importing it does not import Keras (nor TensorFlow, seconds to load): the job records (aecore.training.jobs), which
a dashboard page reads on every rerun, need only `TrainConfig` and `Progress`. `Monitor`, a Keras callback, is made
on first use (the module's `__getattr__`), and `learning_rate` imports Keras when called.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aecore.errors import TrainingError

if TYPE_CHECKING:  # the family table imports Keras (its builders): only its type is named here
    from aecore.models import families

SCHEDULES = ("constant", "cosine")
FINAL_RATE_SHARE = 0.05  # a cosine schedule ends at this share of the starting learning rate
MIN_DEFAULT_STEPS = 1200  # default epochs give at least this many batches...
MAX_DEFAULT_EPOCHS = 150  # ...but never more epochs than this

@dataclass
class TrainConfig:
    epochs: int | None = None  # None: the family's default
    batch_size: int | None = None  # None: the family's default; clamped to the number of images
    learning_rate: float | None = None  # None: the family's default (Adam)
    schedule: str = "constant"  # or "cosine": decays to 5% of the rate over the planned epochs (for long runs)
    seed: int = 0  # seeds weights, the validation split, shuffling, noise and sampling
    validation_split: float = 0.1  # share of training images held out for the validation loss
    patience: int = 3  # early stopping after this many epochs without a better val loss; 0 = off
    max_train_images: int | None = None  # train on the first N images only (quick runs)
    strategy: str = "auto"  # tf.distribute: "auto", "default", "mirrored" or "multiworker"
    warm_start: str | None = None  # a stored model to start from: its weights go into layers of the same name and shape
    exclude_class: int | None = None  # train without this class (anomaly detection: the "rare" class is never seen)
    snapshots: str = "on"  # "on": codes and reconstructions while training, for the timeline; "off": none
    live_snapshots: str | None = None  # a file the snapshots also go to as they land (a job's folder)
    snapshot_frames: int = 0  # at least this many snapshots, the extra ones in the first epoch (short runs)


@dataclass
class Progress:
    phase: str  # "batch" or "epoch"
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    logs: dict  # the latest loss terms (and val_ terms at epoch end)
    history: dict  # per-epoch lists of every loss term so far
    elapsed: float  # seconds since training started
    eta: float | None  # seconds left at the current pace

    @property
    def fraction(self) -> float:
        return min(1.0, ((self.epoch - 1) * self.batches + self.batch) / max(1, self.epochs * self.batches))


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


def resolve_config(family: families.Family, config: TrainConfig | None, train_images: int) -> TrainConfig:
    config = dataclasses.replace(config or TrainConfig())
    if config.epochs is None:
        # Small datasets (digits: ~1,350 training images) get enough steps to learn, not just epochs.
        batches = max(1, math.ceil(train_images / (config.batch_size or family.batch_size)))
        config.epochs = min(MAX_DEFAULT_EPOCHS, max(family.epochs, math.ceil(MIN_DEFAULT_STEPS / batches)))
    config.batch_size = config.batch_size if config.batch_size is not None else family.batch_size
    config.learning_rate = config.learning_rate if config.learning_rate is not None else family.learning_rate
    checks = [
        (config.epochs >= 1, f"epochs must be >= 1; got {config.epochs}"),
        (config.batch_size >= 1, f"batch size must be >= 1; got {config.batch_size}"),
        (0 < config.learning_rate < 10, f"learning rate must be between 0 and 10; got {config.learning_rate}"),
        (0 <= config.validation_split < 0.5, f"validation split must be in [0, 0.5); got {config.validation_split}"),
        (config.patience >= 0, f"patience must be >= 0; got {config.patience}"),
        (config.schedule in SCHEDULES, f"schedule must be one of {', '.join(SCHEDULES)}; got {config.schedule!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise TrainingError(message)
    return config


def learning_rate(config: TrainConfig, batches: int):
    if config.schedule == "constant":
        return config.learning_rate
    import keras  # only a training calls this; see the module's docstring

    return keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(1, config.epochs * batches),
                                                  alpha=FINAL_RATE_SHARE)


class _Monitoring:
    """What `Monitor` does; Keras's callback class is its other base, added on first use (see `__getattr__`)."""

    def __init__(self, epochs, batches, report, cancel, offset=0, history=None, prefix=""):
        """`offset` epochs came before on the same axis (stacked pretraining stages, which share `history`);
        `prefix` names this run's terms there ("stage 1 loss", "val_fine-tuning loss")."""
        super().__init__()
        self.epochs, self.batches, self.report, self.cancel = epochs, batches, report, cancel
        self.offset, self.prefix = offset, prefix
        self.history: dict[str, list[float | None]] = {} if history is None else history
        self.start = time.perf_counter()
        self.epoch = offset + 1
        self.cancelled = False
        self.nan_at: tuple[int, int] | None = None

    def _named(self, logs: dict) -> dict:
        return {(f"val_{self.prefix}{key[4:]}" if key.startswith("val_") else f"{self.prefix}{key}"): float(value)
                for key, value in (logs or {}).items()}

    def _emit(self, phase, batch, logs):
        if self.report is None:
            return
        elapsed = time.perf_counter() - self.start
        done = (self.epoch - 1) * self.batches + batch
        eta = elapsed / done * (self.epochs * self.batches - done) if done else None
        self.report(Progress(phase, self.epoch, self.epochs, batch, self.batches, logs, self.history, elapsed, eta))

    def _check_cancel(self):
        if self.cancel is not None and self.cancel.is_set():
            self.cancelled = True
            self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = self.offset + epoch + 1

    def on_train_batch_begin(self, batch, logs=None):
        self._check_cancel()

    def on_train_batch_end(self, batch, logs=None):
        logs = {key: float(value) for key, value in (logs or {}).items()}
        if not math.isfinite(logs.get("loss", 0.0)):
            self.nan_at = (self.epoch, batch + 1)
            self.model.stop_training = True
            return
        self._emit("batch", batch + 1, self._named(logs))
        self._check_cancel()  # after the report too: a flag set while reporting stops before the next batch

    def on_epoch_end(self, epoch, logs=None):
        logs = self._named(logs)
        for key, value in logs.items():
            series = self.history.setdefault(key, [])
            series.extend([None] * (self.epoch - 1 - len(series)))  # a term that starts later (stacked stages)
            series.append(value)
        if not self.cancelled and self.nan_at is None:
            self._emit("epoch", self.batches, logs)


def __getattr__(name: str):
    """`loop.Monitor`, a `keras.callbacks.Callback` that reports progress, honours the cancel flag within one batch,
    and stops on a NaN loss: made (and Keras imported) the first time a trainer asks for it."""
    if name != "Monitor":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if "Monitor" not in _MADE:
        import keras

        _MADE["Monitor"] = type("Monitor", (_Monitoring, keras.callbacks.Callback), {"__module__": __name__})
    return _MADE["Monitor"]


_MADE: dict[str, type] = {}  # the Monitor class, once made
