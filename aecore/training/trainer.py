"""One `train` entry point for every family: seeded, with progress, cancel, NaN stop and metrics.

Training never saves anything: the caller hands the finished `Autoencoder` to the store, so a
cancelled or failed run leaves nothing half-written behind.

Longer than 300 lines: `train` and the pieces it alone uses (config, progress monitor, strategies,
learning-rate schedules); each piece is short and none is used elsewhere.
"""

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import keras
import numpy as np
import tensorflow as tf

from aecore.errors import AecoreError, TrainingCancelled, TrainingError
from aecore.models import families
from aecore.models.autoencoder import Autoencoder
from aecore.training import cards, snapshots

STRATEGIES = ("auto", "default", "mirrored", "multiworker")
SCHEDULES = ("constant", "cosine")
FINAL_RATE_SHARE = 0.05  # a cosine schedule ends at this share of the starting learning rate
MIN_DEFAULT_STEPS = 1200  # default epochs give at least this many batches...
MAX_DEFAULT_EPOCHS = 150  # ...but never more epochs than this
_STRATEGY_CACHE: dict[str, tf.distribute.Strategy] = {}


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


def _tf_config() -> dict:
    return json.loads(os.environ.get("TF_CONFIG") or "{}")


def cluster_workers() -> int:
    """How many processes TF_CONFIG lists (workers and a chief); 0 without TF_CONFIG."""
    cluster = _tf_config().get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def is_chief() -> bool:
    """The process that saves: the chief if TF_CONFIG names one, else worker 0, else a lone process."""
    config = _tf_config()
    task, cluster = config.get("task", {}), config.get("cluster", {})
    if cluster_workers() <= 1 or task.get("type") == "chief":
        return True
    return "chief" not in cluster and task.get("type", "worker") == "worker" and int(task.get("index", 0)) == 0


def choose_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """The default strategy on one device, MirroredStrategy over several GPUs, multi-worker with TF_CONFIG."""
    if name not in STRATEGIES:
        raise TrainingError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    if name == "auto":  # the cluster first: listing devices starts TF, and then collectives can't be set up
        name = "multiworker" if cluster_workers() > 1 else "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    # One instance per process: several MirroredStrategy objects in one process reuse collective
    # keys and abort with "Shape mismatch in the collective instance" on the second model.
    if name not in _STRATEGY_CACHE:
        if name == "multiworker":
            _STRATEGY_CACHE[name] = tf.distribute.MultiWorkerMirroredStrategy()
        else:
            devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
            _STRATEGY_CACHE[name] = tf.distribute.MirroredStrategy(devices=[device.name for device in devices])
    return _STRATEGY_CACHE[name]


def _patch_keras_for_multiworker(model, sample: np.ndarray):
    """Keras 3's fit cannot run under MultiWorkerMirroredStrategy as shipped (keras-team/keras#20585): it
    reduces a distributed input batch eagerly to learn shapes, and averages scalar logs along axis 0.
    Shapes come from a local batch here, and per-replica logs are averaged across workers as scalars."""
    from keras.src.backend.tensorflow import trainer as tf_trainer

    def symbolic_build(iterator=None, data_batch=None):
        with model.distribute_strategy.scope():
            model._symbolic_build(data_batch=(sample, sample))
    model._maybe_symbolic_build = symbolic_build
    original = getattr(tf_trainer.reduce_per_replica, "original", tf_trainer.reduce_per_replica)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            mean = lambda value: strategy.reduce("MEAN", value, axis=None) if tf_trainer._is_per_replica_instance(value) else value  # noqa: E731
            return tf.nest.map_structure(mean, values)
        return original(values, strategy, reduction)
    reduce_per_replica.original = original
    tf_trainer.reduce_per_replica = reduce_per_replica


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
    return keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(1, config.epochs * batches),
                                                  alpha=FINAL_RATE_SHARE)


def split_validation(images: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    if share == 0 or len(images) < 10:
        return images, None
    order = np.random.default_rng(seed).permutation(len(images))
    held_out = max(1, int(round(len(images) * share)))
    return images[order[held_out:]], images[order[:held_out]]


class _Monitor(keras.callbacks.Callback):
    """Reports progress, honours the cancel flag within one batch, and stops on a NaN loss."""

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


def own_trainer(family: str):
    """The module that trains a family marked `extra["trainer"]` in the family table (which names no module: the table
    sits in a lower room); each has `train` with the same contract as this module's."""
    if family == "photo":
        from aecore.training import phototraining  # imports this module: loaded on first use

        return phototraining
    raise TrainingError(f"family {family!r} is marked as having its own trainer, but none is known; "
                        "add it to aecore.training.trainer.own_trainer")


def train(
    family: str,
    dataset,
    latent_dim: int | None = None,
    options: dict | None = None,
    config: TrainConfig | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelFlag | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> Autoencoder:
    """Builds and trains a model of `family` on `dataset`; raises TrainingCancelled or TrainingError.

    `callbacks` are extra Keras callbacks (bench/reference.py records the test loss with one).
    """
    spec = families.get_family(family)
    _check_kind(spec, dataset)
    if spec.extra.get("trainer"):  # a family with its own data flow (photo: noisy patches of variable-size photos)
        return own_trainer(family).train(dataset, latent_dim, options, config, progress, cancel, callbacks)
    latent_dim = spec.latent_dim if latent_dim is None else latent_dim
    config = config or TrainConfig()
    images = cards.training_images(dataset, config)
    config = resolve_config(spec, config, int(len(images) * (1 - config.validation_split)))
    train_images, validation_images = split_validation(images, config.validation_split, config.seed)
    notes = []
    if config.batch_size > len(train_images):
        notes.append(f"batch size {config.batch_size} is more than the {len(train_images)} training images: used {len(train_images)}")
        config.batch_size = len(train_images)

    batches = math.ceil(len(train_images) / config.batch_size)
    strategy = choose_strategy(config.strategy)  # before any other TF op (a multi-worker strategy must be first)
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        autoencoder = families.build(family, dataset.input_shape, latent_dim, options)
        if config.warm_start:
            notes.append(warm_start(autoencoder, config.warm_start, dataset.name))
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate(config, batches))
        loss = None if spec.loss == "vae" else spec.loss
        autoencoder.model.compile(optimizer=optimizer, loss=loss)
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        _patch_keras_for_multiworker(autoencoder.model, train_images[:2])

    started = time.perf_counter()
    history, offset, stopped = {}, 0, None
    if "pretrain" in spec.extra:  # stacked: each layer's own autoencoder first, on the same epoch axis
        offset, stopped = _pretrain(spec, autoencoder, train_images, config, batches, progress, cancel, history)
    monitor = _Monitor(offset + config.epochs, batches, progress, cancel, offset, history, "fine-tuning " if offset else "")
    callbacks = [monitor, *(callbacks or [])]
    if config.patience and validation_images is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=config.patience, restore_best_weights=True))
    validation = (validation_images, validation_images) if validation_images is not None else None
    recorder = _snapshot_recorder(autoencoder, dataset, config, batches, strategy)
    callbacks += [recorder] if recorder else []
    if stopped is None:
        autoencoder.model.fit(
            train_images, train_images, batch_size=config.batch_size, epochs=config.epochs,
            validation_data=validation, shuffle=True, callbacks=callbacks, verbose=0,
        )
    monitor = stopped or monitor
    seconds = time.perf_counter() - started
    if monitor.nan_at is not None:
        epoch, batch = monitor.nan_at
        raise TrainingError(
            f"the loss became NaN at epoch {epoch}, batch {batch}, so training stopped and nothing was saved; "
            f"lower the learning rate (it was {config.learning_rate:g}) and try again"
        )
    if monitor.cancelled:
        raise TrainingCancelled(f"training was stopped at epoch {monitor.epoch} of {monitor.epochs}; nothing was saved")
    autoencoder.meta.update(
        cards.describe_run(autoencoder, dataset, config, monitor.history, seconds, notes)
    )
    autoencoder.snapshots = recorder.arrays() if recorder and recorder.frames else None  # saved with the model
    autoencoder.meta["snapshots"] = len(recorder.frames) if recorder else 0  # the card says whether there is a timeline
    return autoencoder


def _check_kind(spec: families.Family, dataset):
    """A series trains a sequence family, and a sequence family trains on a series (aecore.data.series)."""
    is_series, takes_series = getattr(dataset, "is_series", False), spec.extra.get("input") == "series"
    if is_series and not takes_series:
        raise TrainingError(f"{dataset.name!r} is a time series: train one of the sequence families "
                            f"({', '.join(families.series_families())}) on it, e.g. --family {families.SERIES_FAMILY}")
    if takes_series and not is_series:
        raise TrainingError(f"family {spec.name!r} takes windows of a time series, and {dataset.name!r} holds images: "
                            "add a series with `python -m aecore datasets add NAME FILE.csv`, or pick an image family")


def _snapshot_recorder(autoencoder, dataset, config, batches, strategy):
    """The timeline's recorder, or None: snapshots off, no test images, or a multi-worker run (whose collective
    ops a snapshot's extra model calls would interleave with)."""
    if config.snapshots not in ("on", "off"):
        raise TrainingError(f"snapshots must be on or off; got {config.snapshots!r}")
    if config.snapshots == "off" or dataset.x_test is None or len(dataset.x_test) == 0 \
            or isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return None
    return snapshots.Recorder(autoencoder, dataset.x_test, dataset.y_test, config.epochs, batches, config.seed,
                              config.live_snapshots, config.snapshot_frames)


def _pretrain(spec, autoencoder, train_images, config, batches, progress, cancel, history):
    """The family's layer-wise pretraining (aecore.training.stacked); returns (epochs used, the stage monitor
    that saw Stop or a NaN, else None)."""
    from aecore.training import stacked  # the one family pretrained layer by layer (extra "pretrain")

    pretrainer = stacked
    total = pretrainer.planned_epochs(autoencoder.options) + config.epochs
    stages = []

    def monitor_for(stage: int, before: int) -> _Monitor:
        stages.append(_Monitor(total, batches, progress, cancel, before, history, f"stage {stage} "))
        return stages[-1]
    offset = pretrainer.pretrain(autoencoder, train_images, config, monitor_for)
    return offset, next((stage for stage in stages if stage.cancelled or stage.nan_at is not None), None)


def warm_start(autoencoder: Autoencoder, name: str, dataset_name: str | None = None) -> str:
    """Copies stored model `name`'s weights into every encoder and decoder layer of the same name and shapes.

    The quick start's denoiser starts from the quick conv model (same layers): ~1.5 dB more test PSNR at the
    same cost. A missing source (its job failed or has not landed yet) is no error: training starts from
    scratch, and the returned note, kept in the model's metadata, says which happened.
    """
    from aecore.store import modelstore  # read only here; the store never imports training

    try:
        source = modelstore.ModelStore().load(name)  # $AECORE_STORE: a job's worker runs with its store there
    except AecoreError as error:
        return f"started from scratch ({error})"
    if dataset_name and source.meta.get("dataset") != dataset_name:  # e.g. an older quick start on other data
        return f"started from scratch ({name!r} was trained on {source.meta.get('dataset')!r}, not {dataset_name!r})"
    copied = 0
    for part in ("encoder", "decoder"):
        theirs = {layer.name: layer for layer in getattr(source, part).layers}
        for layer in getattr(autoencoder, part).layers:
            other = theirs.get(layer.name)
            shapes = [tuple(weight.shape) for weight in layer.weights]
            if shapes and other is not None and shapes == [tuple(weight.shape) for weight in other.weights]:
                layer.set_weights(other.get_weights())
                copied += 1
    return f"started from the weights of {name!r} ({copied} layers)" if copied else \
        f"started from scratch ({name!r} has no layer of the same name and shape)"
