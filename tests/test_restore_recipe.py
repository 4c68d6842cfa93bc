"""The restore recipe (scripts/train_restore_model.py): seeded batches, the identity start (unwatermark gated),
resuming, the export."""

import json

import numpy as np
import pytest

from aecore.data import photos
from aecore.photo import tasks
from scripts import train_restore_model as recipe

pytestmark = pytest.mark.skipif(not recipe.START_MODEL.exists(), reason="this copy has no shipped denoiser to start from")


@pytest.fixture(scope="module")
def pool():
    pytest.importorskip("skimage")
    return photos.load_photos().train


def test_a_step_draws_the_same_batch_whether_or_not_the_run_was_resumed(pool):
    grey = [photo for photo in pool if photo.pixels.shape[-1] == 1]
    inputs, (targets, marked) = recipe.batch("unwatermark", 7, pool, grey)  # the gated model learns the mask too
    again, _ = recipe.batch("unwatermark", 7, pool, grey)
    assert inputs.shape == targets.shape == (recipe.BATCH, photos.PATCH, photos.PATCH, 3)
    assert marked.shape == (recipe.BATCH, photos.PATCH, photos.PATCH, 1) and 0 < marked.mean() < 0.5
    assert np.array_equal(inputs, again) and not np.array_equal(inputs, recipe.batch("unwatermark", 8, pool, grey)[0])
    colour_inputs, _ = recipe.batch("colourise", 7, pool, [])
    assert np.array_equal(colour_inputs[..., 0], colour_inputs[..., 1]), "colourise sees grey"


def test_unwatermark_starts_as_the_identity_and_colourise_as_the_denoiser(pool):
    patch = tasks.pairs("unwatermark", pool, 2, np.random.default_rng(0), patch=32)[0]
    identity = recipe.build("unwatermark", 10)  # gated, its correction zeroed and its gate nearly shut
    restored, gate = (np.asarray(output) for output in identity(patch, training=False))
    assert np.allclose(restored, patch, atol=1e-6) and gate.shape == (2, 32, 32, 1) and gate.max() < 0.05
    assert np.allclose(np.asarray(recipe.shipped_model(identity, "unwatermark", 0.5)(patch)), patch, atol=1e-6)
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
