"""The unwatermark network (#39): aecore.photo.gatednet (`input + gate * correction`) and its training pairs cut from
watermarks drawn for whole photos (aecore.photo.watermark.patch_watermark, aecore.photo.tasks.unwatermark_pairs)."""

import keras
import numpy as np
import pytest

from aecore.data import photos
from aecore.models import photonet
from aecore.models.autoencoder import Autoencoder
from aecore.photo import gatednet, tasks, tiling, watermark
from aecore.store import modelstore

EXPECTED_ALPHA_SUM = 352.66  # measured with the watermark module as committed in 7b3700f (the shipped figures)
OPTIONS = photonet.PhotoOptions(widths=(8, 16), blocks=1, task="unwatermark")


@pytest.fixture(scope="module")
def bundled():
    pytest.importorskip("skimage")
    return photos.load_photos()


def as_autoencoder(model) -> Autoencoder:
    options = {"widths": list(OPTIONS.widths), "blocks": OPTIONS.blocks, "task": "unwatermark"}
    return Autoencoder("photo", model, model.get_layer("encoder"), model.get_layer("decoder"), options,
                       {"input_shape": [None, None, 3], "latent_dim": 8})


def test_training_patches_hold_as_much_watermark_as_a_photo_and_the_mask_says_where(bundled):
    watermarked, clean, marked = tasks.unwatermark_pairs(bundled.train, 48, np.random.default_rng(0), patch=32)
    assert watermarked.shape == clean.shape == (48, 32, 32, 3) and marked.shape == (48, 32, 32, 1)
    change = np.abs(watermarked - clean).max(axis=-1, keepdims=True)
    assert change[marked == 0].max() <= 0.02 + 1e-6, "outside the mask (alpha <= 0.02) only faint edges change"
    assert change[marked == 1].mean() > 0.05
    per_patch = marked.mean(axis=(1, 2, 3))
    assert 0.03 < per_patch.mean() < 0.4, "a few letters' strokes, not a patch filled with text"
    assert (per_patch == 0).any() and (per_patch > 0).sum() > 24, "mostly over the watermark, some wholly clean"
    again = tasks.unwatermark_pairs(bundled.train, 48, np.random.default_rng(0), patch=32)[0]
    np.testing.assert_array_equal(watermarked, again)


def test_the_gated_network_starts_as_the_identity_from_a_denoiser_and_round_trips_through_the_store(tmp_path):
    keras.utils.set_random_seed(0)
    denoiser = photonet.build_photo((None, None, 3), 8, OPTIONS).model
    model, training_model = gatednet.from_denoiser(denoiser, OPTIONS)
    for name in ("full_conv", "block_0_a"):
        np.testing.assert_array_equal(model.get_layer("encoder").get_layer(name).get_weights()[0],
                                      denoiser.get_layer("encoder").get_layer(name).get_weights()[0])
    photo = np.random.default_rng(0).random((1, 40, 48, 3), dtype=np.float32)
    restored, gate = (keras.ops.convert_to_numpy(tensor) for tensor in training_model(photo))
    assert gate.shape == (1, 40, 48, 1) and gate.max() < 0.05, "nearly closed (sigmoid of its bias, -4: 0.018)"
    denoised = keras.ops.convert_to_numpy(denoiser(photo))
    assert np.abs(restored - photo).max() <= gate.max() * np.abs(denoised - photo).max() + 1e-6, "a fraction of it"
    autoencoder = as_autoencoder(model)
    store = modelstore.ModelStore(tmp_path / "models")
    store.save(autoencoder, "gated")
    loaded = store.load("gated")
    assert gatednet.is_gated(loaded.model) and not gatednet.is_gated(denoiser)
    image = np.random.default_rng(1).random((70, 90, 3), dtype=np.float32)  # not a multiple of 4: the tiler pads
    np.testing.assert_allclose(tiling.denoise(loaded, image), tiling.denoise(autoencoder, image), atol=1e-5)


def test_a_threshold_shuts_the_gate_where_the_model_is_unsure():
    keras.utils.set_random_seed(0)
    _, training_model = gatednet.gated_models(8, OPTIONS)
    gate_layer = training_model.get_layer("decoder").get_layer("gate")
    kernel, bias = gate_layer.get_weights()
    gate_layer.set_weights([kernel, np.full_like(bias, 1.0)])  # an open gate: sigmoid(1) = 0.73 and around it
    photo = np.random.default_rng(0).random((1, 32, 32, 3), dtype=np.float32)
    open_gate = keras.ops.convert_to_numpy(gatednet.single_output(training_model)(photo))
    shut = keras.ops.convert_to_numpy(gatednet.single_output(training_model, threshold=0.99)(photo))
    assert not np.allclose(open_gate, photo, atol=1e-4)
    np.testing.assert_allclose(shut, photo, atol=1e-6)


def test_the_bench_watermarks_are_the_ones_they_always_were():
    """bench/restore.py's figures in RESULTS.md are comparable across sessions only if a seed keeps its watermark."""
    mark = watermark.random_watermark(64, 80, np.random.default_rng([0, 0]), held_out=True)
    assert mark.alpha.shape == (64, 80) and mark.alpha.max() > 0.1
    assert round(float(mark.alpha.sum()), 2) == pytest.approx(EXPECTED_ALPHA_SUM, abs=0.05)

