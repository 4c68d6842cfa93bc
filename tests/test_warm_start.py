"""Warm start (issue #10, quick start quality): a training can start from a stored model's weights.

The quick start's denoiser starts from the quick conv model; both have the same encoder and decoder layers.
"""

import numpy as np

from aecore.models import families
from aecore.store.modelstore import ModelStore
from aecore.training import trainer


def test_denoiser_starts_from_the_stored_conv_weights_layer_by_layer(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path))
    conv = trainer.train("conv", digits, 8, None, trainer.TrainConfig(epochs=2, batch_size=64, patience=0))
    ModelStore(tmp_path).save(conv, "quick-conv-8")
    denoiser = families.build("denoising", digits.input_shape, 8, {"noise_level": 0.4})
    note = trainer.warm_start(denoiser, "quick-conv-8")
    weighted = [layer for part in ("encoder", "decoder") for layer in getattr(conv, part).layers if layer.weights]
    assert note == f"started from the weights of 'quick-conv-8' ({len(weighted)} layers)"
    for part in ("encoder", "decoder"):
        for mine, theirs in zip(getattr(denoiser, part).get_weights(), getattr(conv, part).get_weights()):
            np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_allclose(denoiser.reconstruct(digits.x_test[:16]), conv.reconstruct(digits.x_test[:16]), atol=1e-6)


def test_a_missing_or_different_source_trains_from_scratch_and_says_so(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path))
    config = trainer.TrainConfig(epochs=1, batch_size=64, patience=0, warm_start="quick-conv-32")
    trained = trainer.train("denoising", digits, 8, None, config)
    assert any(note.startswith("started from scratch (no model named 'quick-conv-32'") for note in trained.meta["notes"])
    ModelStore(tmp_path).save(trainer.train("dense", digits, 4, None, trainer.TrainConfig(epochs=1, patience=0)), "dense")
    denoiser = families.build("denoising", digits.input_shape, 8, None)
    assert trainer.warm_start(denoiser, "dense") == "started from scratch ('dense' has no layer of the same name and shape)"


def test_a_source_trained_on_another_dataset_is_not_used(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path))
    ModelStore(tmp_path).save(trainer.train("conv", digits, 8, None, trainer.TrainConfig(epochs=1, patience=0)), "conv")
    denoiser = families.build("denoising", digits.input_shape, 8, None)
    assert trainer.warm_start(denoiser, "conv", "fashion_mnist") == \
        "started from scratch ('conv' was trained on 'digits', not 'fashion_mnist')"
