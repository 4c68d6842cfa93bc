"""The stacked family on real digits and Fashion-MNIST: layer-wise stages really run in order, each one's loss falls,
the fine-tuning follows on the same epoch axis, and --noise makes each stage a denoising autoencoder."""

import numpy as np
import pytest

from aecore.errors import ModelError, TrainingCancelled
from aecore.models import families
from aecore.training import stacked, trainer


def series(history: dict, name: str) -> list[tuple[int, float]]:
    return [(epoch, value) for epoch, value in enumerate(history[name], 1) if value is not None]


def test_stages_run_in_order_and_each_loss_falls(digits):
    options = {"widths": (64, 32), "pretrain_epochs": 4}
    seen = []
    model = trainer.train("stacked", digits, 16, options, trainer.TrainConfig(epochs=4, batch_size=64, patience=0),
                          progress=lambda progress: seen.append((progress.epoch, progress.epochs)))
    history = model.meta["history"]
    stages = [series(history, f"stage {stage} loss") for stage in (1, 2, 3)]
    assert [[epoch for epoch, _ in stage] for stage in stages] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    for stage in stages:
        assert stage[-1][1] < stage[0][1], stages  # every stage's own reconstruction loss falls
    assert [epoch for epoch, _ in series(history, "fine-tuning loss")] == [13, 14, 15, 16]
    assert "val_fine-tuning loss" in history and model.meta["epochs_run"] == 16
    assert max(epoch for epoch, _ in seen) == 16 and {total for _, total in seen} == {16}  # one progress bar


def test_pretraining_changes_the_weights_that_fine_tuning_starts_from(digits, monkeypatch):
    """The stage models share their layers with the network: what stage 1 learns is in encoder_dense0."""
    captured = {}
    original = stacked.pretrain

    def spy(autoencoder, images, config, monitor_for):
        before = autoencoder.encoder.get_layer("encoder_dense0").get_weights()[0].copy()
        used = original(autoencoder, images, config, monitor_for)
        captured["moved"] = float(np.abs(autoencoder.encoder.get_layer("encoder_dense0").get_weights()[0] - before).max())
        return used
    monkeypatch.setattr(stacked, "pretrain", spy)
    model = trainer.train("stacked", digits, 8, {"widths": (32,), "pretrain_epochs": 2},
                          trainer.TrainConfig(epochs=1, batch_size=64, patience=0))
    assert captured["moved"] > 1e-3 and model.meta["epochs_run"] == 5


def test_noise_makes_denoising_stages_and_end_to_end_skips_them(fashion_small):
    options = {"widths": (64,), "pretrain_epochs": 2, "noise": "masking", "noise_level": 0.3}
    denoising = trainer.train("stacked", fashion_small, 16, options, trainer.TrainConfig(epochs=2, batch_size=128, patience=0))
    assert series(denoising.meta["history"], "stage 2 loss")[-1][1] < series(denoising.meta["history"], "stage 2 loss")[0][1]
    clean = fashion_small.x_train[:100].reshape(100, -1)
    noisy = stacked.corrupt(clean, "masking", 0.3, 0, pixels=True)
    assert np.sum((noisy == 0) & (clean != 0)) / np.sum(clean != 0) == pytest.approx(0.3, abs=0.02)
    plain = trainer.train("stacked", fashion_small, 16, {**options, "pretrain": False},
                          trainer.TrainConfig(epochs=2, batch_size=128, patience=0))
    assert set(plain.meta["history"]) == {"loss", "val_loss"}  # the same network, trained end to end only


def test_bad_options_and_stop_during_a_stage(digits):
    with pytest.raises(ModelError, match="noise must be one of none, masking, gaussian; got 'salt_and_pepper'"):
        families.build("stacked", (8, 8, 1), 8, {"noise": "salt_and_pepper"})
    with pytest.raises(ModelError, match="pretrain_epochs must be >= 1; got 0"):
        families.build("stacked", (8, 8, 1), 8, {"pretrain_epochs": 0})

    class Stop:
        pressed = False

        def is_set(self):
            return self.pressed
    stop = Stop()

    def press_in_stage_two(progress):
        stop.pressed = stop.pressed or progress.epoch == 2  # the second stage's first epoch
    with pytest.raises(TrainingCancelled, match="stopped at epoch 2 of 7"):
        trainer.train("stacked", digits, 8, {"widths": (32,), "pretrain_epochs": 1},
                      trainer.TrainConfig(epochs=5, batch_size=64, patience=0), press_in_stage_two, stop)


def test_a_yes_or_no_option_reads_the_word(tmp_path, capsys):
    from aecore.cli import main as cli

    assert cli.main(["train", "--family", "stacked", "--dataset", "digits", "--pretrain", "nope",
                     "--store", str(tmp_path)]) == 2
    assert "--pretrain takes true or false; got 'nope'" in capsys.readouterr().err
