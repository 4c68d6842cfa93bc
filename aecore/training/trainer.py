"""One `train` entry point for every family: seeded, with progress, cancel, NaN stop and metrics.

Training never saves anything: the caller hands the finished `Autoencoder` to the store, so a
cancelled or failed run leaves nothing half-written behind.

What every loop shares (config, progress, the reporting callback, schedules) is in `aecore.training.loop`.
"""

import json
import math
import os
import time
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from aecore.errors import AecoreError, TrainingCancelled, TrainingError
from aecore.models import families
from aecore.models.autoencoder import Autoencoder
from aecore.training import cards, loop, snapshots
from aecore.training.loop import (  # noqa: F401  the names callers know trainer by
    FINAL_RATE_SHARE,
    MIN_DEFAULT_STEPS,
    SCHEDULES,
    CancelFlag,
    Progress,
    TrainConfig,
    learning_rate,
    resolve_config,
)

STRATEGIES = ("auto", "default", "mirrored", "multiworker")
_STRATEGY_CACHE: dict[str, tf.distribute.Strategy] = {}


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


def split_validation(images: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(training images, held-out images): `share` of them held out by a seeded shuffle (the first ones of it),
    the rest in the shuffle's order. Both are slices of one copy, the training images first in it, so they start
    on a 64-byte boundary and TensorFlow can train on them without copying them again (`fit_tensor`)."""
    if share == 0 or len(images) < 10:
        return images, None
    order = np.random.default_rng(seed).permutation(len(images))
    held_out = max(1, int(round(len(images) * share)))
    shuffled = _aligned_empty(images.shape, images.dtype)
    np.take(images, np.concatenate([order[held_out:], order[:held_out]]), axis=0, out=shuffled)
    return shuffled[: len(images) - held_out], shuffled[len(images) - held_out :]


ALIGNMENT = 64  # bytes: TensorFlow's tensors start on this boundary (it aborts on a borrowed buffer that does not)


def _aligned_empty(shape: tuple, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    raw = np.empty(count * dtype.itemsize + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + count * dtype.itemsize].view(dtype).reshape(shape)


def fit_tensor(images: np.ndarray, borrow: bool = False) -> tf.Tensor:
    """`images` as one tensor that `fit` reads for both its inputs and its targets. With `borrow` (a copy of the
    training's own: split_validation's, never the dataset's), TensorFlow uses the array's memory when it is float32,
    C-ordered and aligned; else it is copied once. Keras copied the array twice, as inputs and as targets: 0.5-1 s
    for 54,000 Fashion-MNIST images (bench/RESULTS.md, "The quick start, session 19", #35)."""
    if borrow and images.dtype == np.float32 and images.flags.c_contiguous and images.ctypes.data % ALIGNMENT == 0:
        return tf.experimental.dlpack.from_dlpack(images.__dlpack__())  # holds `images` alive while it lives
    return tf.convert_to_tensor(images)


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
    monitor = loop.Monitor(offset + config.epochs, batches, progress, cancel, offset, history, "fine-tuning " if offset else "")
    callbacks = [monitor, *(callbacks or [])]
    if config.patience and validation_images is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=config.patience, restore_best_weights=True))
    validation = (fit_tensor(validation_images),) * 2 if validation_images is not None else None
    recorder = _snapshot_recorder(autoencoder, dataset, config, batches, strategy)
    callbacks += [recorder] if recorder else []
    if stopped is None:
        inputs = fit_tensor(train_images, borrow=validation_images is not None)  # split_validation's copy
        autoencoder.model.fit(
            inputs, inputs, batch_size=config.batch_size, epochs=config.epochs,
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

    def monitor_for(stage: int, before: int) -> loop.Monitor:
        stages.append(loop.Monitor(total, batches, progress, cancel, before, history, f"stage {stage} "))
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
