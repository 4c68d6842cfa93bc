"""The restore recipe (scripts/train_restore_model.py): seeded batches, the identity start (unwatermark gated),
resuming, the export."""

import json

import keras
import numpy as np
import pytest

from aecore.data import photos
from aecore.photo import blendnet, tasks
from scripts import train_restore_model as recipe

pytestmark = pytest.mark.skipif(not recipe.START_MODEL.exists(), reason="this copy has no shipped denoiser to start from")


@pytest.fixture(scope="module")
def pool():
    pytest.importorskip("skimage")
    return photos.load_photos().train


def test_a_step_draws_the_same_batch_whether_or_not_the_run_was_resumed(pool):
    grey = [photo for photo in pool if photo.pixels.shape[-1] == 1]
    inputs, (clean, marked, alpha, colour_and_marked) = recipe.batch("unwatermark", 7, pool, grey)  # every head's
    again, _ = recipe.batch("unwatermark", 7, pool, grey)
    assert inputs.shape == clean.shape == (recipe.BATCH, photos.PATCH, photos.PATCH, 3)
    assert marked.shape == alpha.shape == (recipe.BATCH, photos.PATCH, photos.PATCH, 1) and 0 < marked.mean() < 0.5
    colour = colour_and_marked[..., :3]
    np.testing.assert_allclose(inputs, clean * (1 - alpha) + colour * alpha, atol=1e-6)  # the blend the model inverts
    assert np.array_equal(marked, (alpha > 0.02).astype(np.float32)) and np.array_equal(colour_and_marked[..., 3:], marked)
    assert 0 < alpha.max() <= 0.75 + 1e-6 and np.array_equal(inputs[alpha[..., 0] == 0], clean[alpha[..., 0] == 0])
    assert np.array_equal(inputs, again) and not np.array_equal(inputs, recipe.batch("unwatermark", 8, pool, grey)[0])
    colour_inputs, _ = recipe.batch("colourise", 7, pool, [])
    assert np.array_equal(colour_inputs[..., 0], colour_inputs[..., 1]), "colourise sees grey"


def test_bright_crops_are_drawn_as_often_as_asked(pool):
    def bright_pixels(share):
        drawn = tasks.blend_pairs(pool, 24, np.random.default_rng(5), patch=32, bright_share=share)
        return float((tasks.luma(drawn["clean"]) > 0.8).mean())

    assert bright_pixels(1.0) > 2 * bright_pixels(0.0) > 0, "the brightest of four crops: highlights, white coins"


def test_unwatermark_starts_from_the_gated_model_and_colourise_as_the_denoiser(pool, tmp_path):
    patch = tasks.pairs("unwatermark", pool, 2, np.random.default_rng(0), patch=32)[0]
    blend = recipe.build("unwatermark", 10, tmp_path)  # from the gated model shipped before it: trunk and gate
    assert (tmp_path / "start.keras").exists(), "the start is kept beside the checkpoints"
    restored, gate, alpha, colour = (np.asarray(output) for output in blend(patch, training=False))
    assert restored.shape == colour.shape == (2, 32, 32, 3) and gate.shape == alpha.shape == (2, 32, 32, 1)
    start = keras.models.load_model(tmp_path / "start.keras", compile=False)
    if not blendnet.is_blend(start):  # a gated start (a shipped blend model is continued as it is)
        kernel, bias = start.get_layer("decoder").get_layer("gate").get_weights()
        assert np.array_equal(blend.get_layer("decoder").get_layer("gate").get_weights()[0], kernel)
        assert np.allclose(blend.get_layer("decoder").get_layer("alpha_logit").get_weights()[1], bias - 4)
    shut = gate[..., 0] < 0.99
    shipped = np.asarray(recipe.shipped_model(blend, "unwatermark", 0.99)(patch))
    assert shut.mean() > 0.5 and np.array_equal(shipped[shut], patch[shut]), "shut pixels stay exactly as they were"
    denoiser = recipe.build("colourise", 10)
    assert not np.allclose(np.asarray(denoiser(patch, training=False)), patch, atol=1e-3)


def test_the_second_phase_gets_a_fresh_optimizer_and_the_export_is_a_photo_model(tmp_path, monkeypatch):
    model = recipe.build("colourise", 10)
    state = {"step": recipe.FIRST_PHASE_STEPS, "log": [{"step": 1, "seconds": 2.0}], "best": None}
    recipe.save_checkpoint(model, state, tmp_path)
    resumed, resumed_state = recipe.resume("colourise", tmp_path, recipe.STEPS)
    assert resumed_state["optimizer_from"] == recipe.FIRST_PHASE_STEPS
    assert int(resumed.optimizer.iterations) == 0
    assert json.loads((tmp_path / "state.json").read_text())["step"] == recipe.FIRST_PHASE_STEPS
    wrapped = recipe.wrap(resumed, "colourise")
    assert wrapped.options["task"] == "colourise" and wrapped.family == "photo"


def test_a_blend_checkpoint_resumes_with_its_losses_and_ships_as_plain_keras_layers(pool, tmp_path):
    from aecore.store import modelstore

    model = recipe.build("unwatermark", 10, tmp_path)
    recipe.save_checkpoint(model, {"step": 3, "log": [], "best": None, "optimizer_from": 10}, tmp_path)
    resumed, state = recipe.resume("unwatermark", tmp_path, 10)
    assert state["step"] == 3 and resumed.loss[1] is blendnet.gate_loss and resumed.loss[3] is blendnet.colour_loss
    shipped = recipe.wrap(recipe.shipped_model(resumed, "unwatermark", 0.9, 0.02), "unwatermark")
    store = modelstore.ModelStore(tmp_path / "models")
    loaded = store.load(store.save(shipped, "blend").name)  # safe mode: no custom class in the shipped graph
    patch = tasks.pairs("unwatermark", pool, 1, np.random.default_rng(1), patch=32)[0]
    np.testing.assert_array_equal(np.asarray(loaded.model(patch)), np.asarray(shipped.model(patch)))
    assert blendnet.is_blend(loaded.model) and loaded.options["task"] == "unwatermark"
