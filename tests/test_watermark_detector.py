"""The watermark detector's recipe (scripts/train_watermark_detector.py): whole-photo crops, the clean-weighted mask
loss, a run that resumes with its own recipe and a stretched schedule, and the export with its post-processing."""

import json

import keras
import numpy as np
import pytest

from aecore.data import photos
from aecore.photo import detectnet, restoring, unmarking, watermark
from scripts import train_watermark_detector as detector

pytestmark = pytest.mark.skipif(not detector.restore_recipe.START_MODEL.exists(),
                                reason="this copy has no shipped models (the export's store)")


@pytest.fixture(scope="module")
def pool():
    pytest.importorskip("skimage")
    return photos.load_photos().train


def test_whole_photo_crops_are_mostly_clean_and_the_same_for_a_step(pool):
    recipe = detector.RECIPES["whole"]
    drawn = [detector.batch(step, pool, [], recipe) for step in range(4)]
    marked = np.concatenate([targets[0] for _, targets in drawn])  # (24, 192, 192, 1)
    assert drawn[0][0].shape == (recipe["batch"], recipe["crop"], recipe["crop"], 3)
    assert 0.005 < marked.mean() < 0.12, "about a real photo's share of marked pixels (4.5% measured)"
    assert (marked.max(axis=(1, 2, 3)) == 0).any(), "some crops hold no mark at all"
    assert np.array_equal(detector.batch(2, pool, [], recipe)[0], drawn[2][0])
    crops = detector.batch(0, pool, [], detector.RECIPES["crops"])[1][0]
    assert crops.shape[1] == 96 and crops.mean() > marked.mean(), "the fourth session's crops sit over the mark"


def test_a_clean_pixel_wrongly_opened_costs_more_than_a_marked_one_missed():
    marked = np.zeros((2, 8, 8, 1), np.float32)
    marked[:, 2:4, 2:6] = 1.0
    logit = np.where(marked > 0, 3.0, -3.0).astype(np.float32)
    right = float(np.mean(detectnet.whole_mask_loss(marked, logit)))
    opened, missed = logit.copy(), logit.copy()
    opened[:, 6, 6] = 3.0  # one clean pixel taken for the mark
    missed[:, 2, 2] = -3.0  # one marked pixel missed
    cost_open = float(np.mean(detectnet.whole_mask_loss(marked, opened))) - right
    cost_miss = float(np.mean(detectnet.whole_mask_loss(marked, missed))) - right
    assert cost_open > 1.5 * cost_miss > 0
    empty = np.zeros_like(marked)  # a batch with no mark: closing everything is cheap, opening is not
    assert float(np.mean(detectnet.whole_mask_loss(empty, np.full_like(marked, -6.0)))) < 0.3
    assert float(np.mean(detectnet.whole_mask_loss(empty, np.full_like(marked, 1.0)))) > 1.0


def small_run(pool, monkeypatch):
    monkeypatch.setitem(detector.RECIPES, "whole", {**detector.RECIPES["whole"], "crop": 32, "batch": 4,
                                                    "canvas": [64, 128]})
    monkeypatch.setattr(detector, "CHECKPOINT_STEPS", 2)
    monkeypatch.setattr(detector, "JIT", False)  # XLA compiles longer than a few tiny steps run
    monkeypatch.setattr(detector.restore_recipe, "pools", lambda task, train400, wheels: (pool, []))
    crop = photos.centre_crop(pool[0].pixels, 64)
    mark = watermark.text_watermark(64, 64, "PROOF", 16, 0.6)
    monkeypatch.setattr(detector.restore_recipe, "VALIDATION", [(crop, mark.apply(crop))])
    monkeypatch.setattr(detector.restore_recipe, "VALIDATION_MARKS_DRAWN", [mark])
    return crop, mark


def test_a_run_resumes_with_its_own_recipe_and_its_schedule_stretched(pool, tmp_path, monkeypatch):
    small_run(pool, monkeypatch)
    checkpoints = tmp_path / "detect"
    detector.train(checkpoints, None, None, 4)
    state = json.loads((checkpoints / "state.json").read_text())
    assert state["step"] == 4 and [entry["step"] for entry in state["log"]] == [2, 4]
    assert {"f1@0.5", "clean_opened@0.5", "f1@0.85", "ap", "auc", "chance_marked", "alpha_error"} <= set(state["log"][-1])
    assert 0 < state["log"][-1]["ap"] <= 1 and 0 <= state["log"][-1]["auc"] <= 1
    assert state["recipe"]["crop"] == 32 and state["log"][-1]["rate"] == pytest.approx(1e-3 * 0.05, rel=1e-3)
    monkeypatch.setitem(detector.RECIPES, "whole", {**detector.RECIPES["whole"], "crop": 48})  # the defaults move on
    detector.train(checkpoints, None, None, 8)  # resumed with more steps: the cosine stretched from step 4
    state = json.loads((checkpoints / "state.json").read_text())
    assert state["step"] == 8 and state["recipe"]["crop"] == 32 and state["stretched"] == [{"at": 4, "from": 4, "to": 8}]
    assert state["log"][-2]["rate"] == pytest.approx(1e-3 * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * 6 / 8))), rel=1e-3)
    assert sorted(path.name for path in (checkpoints / "steps").iterdir()) == [f"{s}.keras" for s in (2, 4, 6, 8)]
    started, state = detector.resume(tmp_path / "warm", 10, start=checkpoints / "steps" / "4.keras")
    assert state["start"].endswith("4.keras") and int(started.optimizer.iterations) == 0, "its weights, a fresh Adam"
    for mine, theirs in zip(started.get_weights(), keras.models.load_model(checkpoints / "steps" / "4.keras").get_weights(),
                            strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_an_exported_detector_ships_with_its_post_processing_on_the_card(pool, tmp_path, monkeypatch):
    from aecore.store import modelstore

    crop, mark = small_run(pool, monkeypatch)
    checkpoints = tmp_path / "detect"
    detector.train(checkpoints, None, None, 2)
    monkeypatch.setattr(modelstore, "SHIPPED_FOLDER", tmp_path / "shipped")
    monkeypatch.setenv("AECORE_SHIPPED_MODELS", "")
    monkeypatch.setattr(photos, "EVAL_SIDE", 64)
    unmark = {"low": 0.2, "high": 0.4, "colour": "fit", "seed_alpha": 0.5}
    detector.export(checkpoints, 2, unmark)
    loaded = modelstore.ModelStore(tmp_path / "shipped").load("photo-unwatermark")  # safe mode: plain layers
    assert loaded.meta["unmark"] == unmark and loaded.meta["network"] == "detector" and loaded.meta["train_steps"] == 2
    assert "train_watermark_detector.py --steps 2" in loaded.meta["recipe"] and "weighted 3" in loaded.meta["notes"][0]
    assert detectnet.is_detector(loaded.model) and set(loaded.meta["metrics"]) == {"test_psnr_damaged", "test_psnr"}
    marked = mark.apply(crop)
    heads = restoring.unmark_heads(loaded, marked)  # the detector's chance, alpha and colour, in tiles
    assert heads.shape == (64, 64, 5) and 0 <= heads.min() and heads.max() <= 1
    expected = unmarking.recover(marked, heads, unmarking.UnmarkSettings(**unmark))
    np.testing.assert_array_equal(restoring.unwatermark(loaded, marked), expected)


def test_the_tune_recipe_trains_the_blend_trunk_under_the_refiner_from_a_refiners_weights(pool, tmp_path, monkeypatch):
    from aecore.models import photonet
    from aecore.photo import blendnet

    monkeypatch.setattr(detector, "JIT", False)
    recipe = {**detector.RECIPES["tune"], "crop": 32, "batch": 4, "canvas": [64, 128]}
    keras.utils.set_random_seed(0)
    blend, start = tmp_path / "blend.keras", tmp_path / "refined.keras"
    blendnet.blend_models(8, photonet.PhotoOptions(widths=(8, 16), blocks=1))[1].save(blend)
    keras.utils.set_random_seed(1)  # a refiner of other weights than build's own (seeded from restore_recipe.SEED)
    refined = detectnet.refined_models(keras.models.load_model(blend, compile=False))[1]
    assert len(refined.trainable_weights) < len(refined.weights), "refined_models freezes the blend model"
    refined.save(start)
    built = detector.build(recipe, 2, blend, start)
    assert len(built.trainable_weights) == len(built.weights), "the trunk and the blend heads train too"
    for mine, theirs in zip(built.get_weights(), refined.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    built.train_on_batch(*detector.batch(0, pool, [], recipe))
    assert not np.array_equal(refined.get_layer("encoder").get_weights()[0], built.get_layer("encoder").get_weights()[0])
    built.save(tmp_path / "model.keras")  # a resumed run loads its checkpoint compiled, with its optimizer
    resumed = keras.models.load_model(tmp_path / "model.keras", compile=True)
    assert len(resumed.trainable_weights) == len(resumed.weights) and int(resumed.optimizer.iterations) == 1


def test_checkpoints_averaged_give_the_mean_of_their_weights(tmp_path):
    paths = []
    for seed in (0, 1):
        keras.utils.set_random_seed(seed)
        paths.append(tmp_path / f"{seed}.keras")
        detectnet.detector_models((4, 8, 8))[1].save(paths[-1])
    first, second = (keras.models.load_model(path, compile=False).get_weights() for path in paths)
    mean = detector.averaged(paths).get_weights()
    assert not np.allclose(first[0], second[0]), "two different checkpoints"
    for one, other, both in zip(first, second, mean, strict=True):
        np.testing.assert_allclose(both, (one + other) / 2, rtol=1e-6)


def tiny_shipped(path):
    """A refined blend model of tiny widths as it ships (photo -> restored, one output), saved to `path` and loaded."""
    from aecore.models import photonet
    from aecore.photo import blendnet

    keras.utils.set_random_seed(0)
    blend = blendnet.blend_models(8, photonet.PhotoOptions(widths=(8, 16), blocks=1))[1]
    detectnet.refined_models(blend)[0].save(path)
    return keras.models.load_model(path, compile=False)


def test_the_training_network_rebuilt_from_a_shipped_model_has_its_heads(pool, tmp_path):
    shipped = tiny_shipped(tmp_path / "shipped.keras")
    training = detectnet.training_from_shipped(shipped)
    photo = photos.centre_crop(pool[0].pixels, 64)[None]
    mask_logit, alpha, colour = (keras.ops.convert_to_numpy(part) for part in training(photo))
    heads = keras.ops.convert_to_numpy(detectnet.heads_model(shipped)(photo))  # (1, 64, 64, 6): + the blend gate
    np.testing.assert_allclose(heads[..., :5], np.concatenate([1 / (1 + np.exp(-mask_logit)), alpha, colour], -1),
                               atol=1e-6)
    assert {id(weight) for weight in training.weights} == {id(weight) for weight in shipped.weights}, "shared"
    with pytest.raises(ValueError, match="no 'refiner' layer"):
        detectnet.training_from_shipped(detectnet.detector_models((4, 8, 8))[1])


def test_tune_ema_goes_on_from_a_shipped_model_and_saves_its_running_average_too(pool, tmp_path, monkeypatch):
    small_run(pool, monkeypatch)
    monkeypatch.setitem(detector.RECIPES, "tune-ema", {**detector.RECIPES["tune-ema"], "crop": 32, "batch": 4,
                                                       "canvas": [64, 128]})
    shipped = tiny_shipped(tmp_path / "shipped.keras")
    assert detector.is_shipped(tmp_path / "shipped.keras") and not detector.is_shipped(None)
    checkpoints = tmp_path / "ema"
    detector.train(checkpoints, None, None, 2, recipe="tune-ema", start=tmp_path / "shipped.keras")
    state = json.loads((checkpoints / "state.json").read_text())
    assert state["recipe"]["ema_momentum"] == 0.99 and {"ap", "f1@0.5"} <= set(state["log"][-1]["ema"])
    live, average = (keras.models.load_model(checkpoints / "steps" / name, compile=True) for name in ("2.keras",
                                                                                                      "2-ema.keras"))
    assert len(live.trainable_weights) == len(live.weights), "the trunk trains too"
    first = shipped.get_layer("encoder").get_weights()[0]
    assert not np.array_equal(live.get_layer("encoder").get_weights()[0], first), "it trained"
    for mine, kept in zip(average.get_weights(), live.optimizer._model_variables_moving_average, strict=True):
        np.testing.assert_array_equal(mine, keras.ops.convert_to_numpy(kept))  # the average, swapped in and saved
    moved = [not np.array_equal(a, b) for a, b in zip(average.get_weights(), live.get_weights(), strict=True)]
    assert any(moved), "the live weights were swapped back before model.keras was saved"
    detector.train(checkpoints, None, None, 4, recipe="tune-ema", start=tmp_path / "shipped.keras")  # resumed
    state = json.loads((checkpoints / "state.json").read_text())
    assert [entry["step"] for entry in state["log"]] == [2, 4] and (checkpoints / "steps" / "4-ema.keras").exists()
    note, line = detector.note(state, "4-ema", True), detector.recipe_line(state, "4-ema", {"low": 0.3})
    assert "shipped before it" in note and "running average of its weights" in note and "trained for 4 steps" in note
    assert "--recipe tune-ema --start " in line and "--export 4-ema --unmark" in line and "--from-blend" not in line
    with pytest.raises(Exception, match="600-ema"):
        detector.checkpoint_name("ema")
    paths = [detector.checkpoint_path(checkpoints, name) for name in ("4-ema", str(tmp_path / "shipped.keras"))]
    assert paths[0] == checkpoints / "steps" / "4-ema.keras"  # and the shipped model the run started from:
    for both, one, other in zip(detector.averaged(paths).get_weights(), keras.models.load_model(paths[0]).get_weights(),
                                shipped.get_weights(), strict=True):  # the same weights in the same order
        np.testing.assert_allclose(both, (one + other) / 2, rtol=1e-6)
    assert "running average" in detector.note(state, "4-ema", True, (str(paths[1]),))
