"""The one train entry point: progress, cancel within one batch, NaN stop, config checks, strategies."""

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from aecore.errors import TrainingCancelled, TrainingError
from aecore.training import trainer


def test_progress_reports_batches_epochs_and_eta(digits):
    events = []
    config = trainer.TrainConfig(epochs=3, batch_size=128, patience=0)
    autoencoder = trainer.train("dense", digits, 8, None, config, progress=events.append)
    epochs = [event for event in events if event.phase == "epoch"]
    batches = [event for event in events if event.phase == "batch"]
    assert [event.epoch for event in epochs] == [1, 2, 3]
    assert len(batches) == 3 * batches[0].batches
    assert batches[-1].fraction == pytest.approx(1.0)
    assert all(event.eta is not None and event.eta >= 0 for event in batches)
    assert "val_loss" in epochs[-1].logs
    assert autoencoder.meta["epochs_run"] == 3
    assert set(autoencoder.meta["metrics"]) == {"test_bce", "test_mse", "test_psnr", "test_ssim",
                                                "knn_accuracy", "linear_probe_accuracy"}  # digits are labelled
    assert autoencoder.meta["params"] == autoencoder.model.count_params()


def test_cancel_stops_within_one_batch_and_returns_nothing(digits):
    cancel = threading.Event()
    seen = []

    def report(progress):
        seen.append(progress)
        if progress.phase == "batch" and progress.epoch == 2 and progress.batch == 3:
            cancel.set()

    config = trainer.TrainConfig(epochs=50, batch_size=32, patience=0)
    with pytest.raises(TrainingCancelled, match="stopped at epoch 2 of 50; nothing was saved"):
        trainer.train("conv", digits, 8, None, config, progress=report, cancel=cancel)
    last = seen[-1]
    assert (last.epoch, last.batch) == (2, 3)  # no batch ran after the flag was seen


def test_nan_loss_stops_with_a_clear_message(digits):
    config = trainer.TrainConfig(epochs=20, batch_size=32, learning_rate=9.0, patience=0)
    with pytest.raises(TrainingError, match="the loss became NaN at epoch .* lower the learning rate \\(it was 9\\)"):
        trainer.train("vae", digits, 8, None, config)


@pytest.mark.parametrize("changes, message", [
    ({"epochs": 0}, "epochs must be >= 1; got 0"),
    ({"batch_size": 0}, "batch size must be >= 1; got 0"),
    ({"learning_rate": -1.0}, "learning rate must be between 0 and 10; got -1"),
    ({"validation_split": 0.7}, r"validation split must be in \[0, 0.5\); got 0.7"),
    ({"strategy": "tpu"}, "unknown strategy 'tpu'"),
    ({"schedule": "linear"}, "schedule must be one of constant, cosine; got 'linear'"),
])
def test_bad_settings_are_explained(digits, changes, message):
    with pytest.raises(TrainingError, match=message):
        trainer.train("dense", digits, 8, None, trainer.TrainConfig(**{"epochs": 1, **changes}))


def test_batch_larger_than_the_data_is_clamped_and_noted(digits):
    small = digits.subset(train=40, test=10)
    autoencoder = trainer.train("dense", small, 4, None, trainer.TrainConfig(epochs=2, batch_size=1000))
    assert autoencoder.meta["train_config"]["batch_size"] == 36
    assert "more than the 36 training images" in autoencoder.meta["notes"][0]


def test_cosine_schedule_ends_at_five_percent_of_the_rate(digits):
    config = trainer.TrainConfig(epochs=3, batch_size=128, learning_rate=1e-2, schedule="cosine", patience=0)
    autoencoder = trainer.train("dense", digits, 8, None, config)
    optimizer = autoencoder.model.optimizer
    np.testing.assert_allclose(float(optimizer.learning_rate), 1e-2 * trainer.FINAL_RATE_SHARE, rtol=1e-4)


def test_same_seed_same_model(digits):
    config = trainer.TrainConfig(epochs=2, batch_size=128, seed=7)
    first = trainer.train("dense", digits, 8, None, config)
    second = trainer.train("dense", digits, 8, None, config)
    np.testing.assert_allclose(first.encode(digits.x_test[:8]), second.encode(digits.x_test[:8]), rtol=1e-5, atol=1e-5)


def test_validation_split_is_the_seeded_shuffle_in_one_aligned_copy(fashion_small):
    """The same split as before session 19 (two fancy-indexed copies), now slices of one copy whose training part
    starts on TensorFlow's alignment, so fit borrows it; the dataset's own array is never borrowed."""
    images = fashion_small.x_train[:1000]
    train_images, held_out = trainer.split_validation(images, 0.1, seed=3)
    order = np.random.default_rng(3).permutation(1000)
    np.testing.assert_array_equal(train_images, images[order[100:]])
    np.testing.assert_array_equal(held_out, images[order[:100]])
    assert train_images.ctypes.data % trainer.ALIGNMENT == 0 and not np.shares_memory(train_images, images)
    borrowed = trainer.fit_tensor(train_images, borrow=True)
    np.testing.assert_array_equal(borrowed.numpy(), train_images)
    copied = trainer.fit_tensor(images)  # not borrowed: whatever TensorFlow does with it, the dataset stays as it is
    np.testing.assert_array_equal(copied.numpy(), images)
    assert trainer.split_validation(images[:9], 0.1, seed=3)[1] is None  # too few to hold any out


def test_small_datasets_get_enough_steps_by_default(digits):
    config = trainer.resolve_config(trainer.families.get_family("conv"), None, 1350)
    assert config.epochs * 11 >= trainer.MIN_DEFAULT_STEPS  # 1350 / 128 -> 11 batches per epoch


MIRRORED = """
import json, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from aecore.training import trainer
from aecore.data.catalog import load_dataset
data = load_dataset("digits")
strategy = trainer.choose_strategy("mirrored")
result = {"replicas": strategy.num_replicas_in_sync}
for family in ("conv", "vae"):
    model = trainer.train(family, data, 4, None, trainer.TrainConfig(epochs=3, batch_size=64, strategy="mirrored", patience=0))
    result[family] = model.meta["history"]["loss"]
print(json.dumps(result))
"""


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus():
    run = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    for family in ("conv", "vae"):
        assert result[family][-1] < result[family][0]


def test_auto_strategy_reads_tf_config(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 0}}))
    assert trainer.choose_strategy("auto").num_replicas_in_sync == 1  # one worker: no cluster to join
