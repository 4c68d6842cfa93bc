"""Restoring photos (#39): the colourise and unwatermark pairs, watermarks in several fonts, the classical anchors,
`python -m aecore restore` end to end with the shipped models, `train --task`, and the errors a user reads.

Longer than 300 lines: the two tasks' pairs, anchors and CLI share the bundled photos, read once per module, and the
shipped-models fixture; a split would read them twice (tests/test_restore_recipe.py holds the recipes' own tests)."""

import json

import keras
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from aecore.cli import main as cli
from aecore.data import photos
from aecore.errors import DatasetError, ImageError, ModelError
from aecore.models import photonet
from aecore.photo import blendnet, classical, denoising, detectnet, restoring, tasks, unmarking, watermark
from aecore.store import modelstore
from aecore.training import phototraining, trainer

SHIPPED = modelstore.SHIPPED_FOLDER
BLEND_OPTIONS = photonet.PhotoOptions(widths=(8, 8), blocks=1)


@pytest.fixture(scope="module")
def bundled():
    pytest.importorskip("skimage")
    return photos.load_photos()


@pytest.fixture
def with_shipped(monkeypatch):
    for task in restoring.RESTORE_TASKS:
        if not (SHIPPED / f"photo-{task}" / "model.keras").exists():
            pytest.skip(f"this copy has no shipped photo-{task} model")
    monkeypatch.delenv("AECORE_SHIPPED_MODELS")


def coffee_file(folder, side=96) -> tuple:
    folder.mkdir(parents=True, exist_ok=True)
    coffee = next(photo for photo in photos.load_photos().test if photo.name == "coffee").pixels
    crop = np.round(coffee[150 : 150 + side, 200 : 200 + side] * 255).astype(np.uint8)
    Image.fromarray(crop).save(folder / "coffee.png")
    return folder / "coffee.png", crop.astype(np.float32) / 255


@pytest.mark.parametrize("task", tasks.TASKS)
def test_pairs_have_the_shape_range_and_seed_of_the_task(bundled, task):
    inputs, targets = tasks.pairs(task, bundled.train, 6, np.random.default_rng(3), patch=32)
    again, _ = tasks.pairs(task, bundled.train, 6, np.random.default_rng(3), patch=32)
    other, _ = tasks.pairs(task, bundled.train, 6, np.random.default_rng(4), patch=32)
    assert inputs.shape == targets.shape == (6, 32, 32, 3) and inputs.dtype == np.float32
    assert 0 <= inputs.min() and inputs.max() <= 1 and 0 <= targets.min() and targets.max() <= 1
    assert np.array_equal(inputs, again) and not np.array_equal(inputs, other)
    assert not np.allclose(inputs, targets), "every task changes its input"
    if task == "colourise":
        assert np.array_equal(inputs[..., 0], inputs[..., 2]), "the model sees grey"
        assert np.allclose(inputs[..., :1], tasks.luma(targets), atol=1e-6), "... the target's own brightness"
        assert float(tasks.chroma(targets).std()) > 0.02, "colourise learns from colour photos only"


def test_colourise_refuses_a_pool_of_grey_photos(bundled):
    grey = [photo for photo in bundled.train if photo.pixels.shape[-1] == 1]
    with pytest.raises(DatasetError, match="colourise trains on colour photos, and none of these has colour in it"):
        tasks.pairs("colourise", grey, 2, np.random.default_rng(0))


def test_brightness_is_kept_and_strength_scales_the_colour(bundled):
    photo = photos.centre_crop(next(p for p in bundled.test if p.name == "coffee").pixels, 64)
    assert np.allclose(tasks.from_luma_chroma(tasks.luma(photo), tasks.chroma(photo)), photo, atol=2e-3)
    painted = tasks.with_luma(photo[..., ::-1], photo)  # any colours: the brightness stays the input's
    assert np.allclose(tasks.luma(painted), tasks.luma(photo), atol=0.03)
    grey = tasks.with_luma(photo, photo, strength=0.0)
    assert np.allclose(grey[..., 0], grey[..., 1], atol=1e-6)
    assert restoring.colourfulness(tasks.with_luma(photo, photo, 2.0)) > restoring.colourfulness(photo) > 20
    with pytest.raises(ModelError, match="colour strength must be between 0 and 4; got 5"):
        tasks.with_luma(photo, photo, 5)


def test_watermarks_in_several_fonts_differ_and_held_out_ones_are_never_trained_on():
    train_fonts, held_fonts = watermark.font_files(), watermark.font_files(held_out=True)
    assert len(train_fonts) >= 3 and held_fonts and not set(train_fonts) & set(held_fonts)
    assert not set(watermark.TRAIN_WORDS) & set(watermark.HELD_OUT_WORDS)
    drawn = [watermark.text_watermark(80, 240, "Sample 2024", 40, 1.0, angle=0, tiled=False, font=font).alpha
             for font in (train_fonts[0], train_fonts[len(train_fonts) // 2], held_fonts[0])]
    assert all(coverage.max() > 0.9 and 0.05 < (coverage > 0.5).mean() < 0.6 for coverage in drawn)
    landed = [watermark.draw_text(64, 64, np.random.default_rng(seed)).max() > 0.5 for seed in range(60)]
    assert 0.7 < np.mean(landed) < 1.0, "most 64-px patches get some watermark; a few none (leave clean pixels alone)"
    assert not np.allclose(drawn[0], drawn[1]) and not np.allclose(drawn[1], drawn[2]), "each font draws its own"


def test_a_watermark_blends_its_colour_where_it_lies_and_nowhere_else():
    mark = watermark.random_watermark(64, 96, np.random.default_rng(1))
    again = watermark.random_watermark(64, 96, np.random.default_rng(1))
    assert np.array_equal(mark.alpha, again.alpha) and np.array_equal(mark.colour, again.colour)
    photo = np.random.default_rng(2).uniform(0, 1, (64, 96, 3)).astype(np.float32)
    marked = mark.apply(photo)
    assert np.array_equal(marked[mark.alpha == 0], photo[mark.alpha == 0]) and mark.mask().any()
    assert 0.0 < mark.alpha.max() <= 0.75 + 1e-6
    typed = watermark.text_watermark(64, 96, "©", 20, 0.5, tiled=False)
    assert np.isclose(typed.alpha.max(), 0.5, atol=0.01) and typed.alpha[:8].max() == 0, "once, in the middle"
    with pytest.raises(ModelError, match="the watermark text is empty; type a few letters"):
        watermark.text_watermark(64, 96, "  ", 20, 0.5)
    with pytest.raises(ModelError, match=r"watermark opacity must be in \(0, 1\]; got 1.5"):
        watermark.text_watermark(64, 96, "x", 20, 1.5)


def test_the_blend_inverted_with_the_true_alpha_and_colour_gives_back_the_photo_and_shut_pixels_stay(bundled):
    photo = photos.centre_crop(next(p for p in bundled.test if p.name == "coffee").pixels, 64)
    mark = watermark.text_watermark(64, 64, "PROOF ©", 20, 0.75, colour=(1.0, 0.2, 0.0))
    marked = mark.apply(photo)
    assert restoring.psnr(photo, marked) < 25
    np.testing.assert_allclose(blendnet.invert(marked, mark.alpha, mark.colour), photo, atol=1e-5)  # exactly, to float
    shut = blendnet.invert(marked, mark.alpha, mark.colour, gate=np.zeros((64, 64)), gate_threshold=0.5)
    assert np.array_equal(shut, marked), "a shut gate returns the pixels as they came in"
    floored = blendnet.invert(marked, mark.alpha, mark.colour, alpha_floor=0.5)
    assert np.array_equal(floored[mark.alpha < 0.5], marked[mark.alpha < 0.5])
    # the network does the same arithmetic in plain Keras layers (alpha / (1 - alpha) = exp of alpha's logit)
    _, training_model = blendnet.blend_models(8, BLEND_OPTIONS)
    heads = blendnet.heads(training_model, marked)
    ungated = np.asarray(blendnet.single_output(training_model)(marked[None]))[0]
    np.testing.assert_allclose(ungated, blendnet.invert(marked, heads["alpha"], heads["colour"]), atol=1e-5)
    threshold = float(np.median(heads["gate"]))
    gated = np.asarray(blendnet.single_output(training_model, gate_threshold=threshold)(marked[None]))[0]
    closed, opened = heads["gate"] < threshold, heads["gate"] > threshold + 0.01
    assert np.array_equal(gated[closed], marked[closed]) and not np.allclose(gated[opened], marked[opened], atol=1e-4)


def noisy_heads(mark: watermark.Watermark, seed: int = 0) -> np.ndarray:
    """(h, w, 5) guesses as a network makes them: the mask's chance with faint ends (0.35-0.65 on a third of the
    marked pixels) and noise on clean ones (up to 0.25), alpha 0.15 off per pixel, the colour 0.1 off per pixel."""
    random = np.random.default_rng(seed)
    marked = mark.mask()
    chance = np.where(marked, random.uniform(0.75, 1.0, marked.shape), random.uniform(0.0, 0.25, marked.shape))
    faint = marked & (random.random(marked.shape) < 0.33)
    chance[faint] = random.uniform(0.35, 0.65, int(faint.sum()))
    alpha = np.clip(mark.alpha + random.normal(0, 0.15, marked.shape), 0, 1)
    colour = np.clip(mark.colour + random.normal(0, 0.1, marked.shape + (3,)), 0, 1)
    return np.concatenate([chance[..., None], alpha[..., None], colour], axis=-1).astype(np.float32)


def test_pooling_noisy_guesses_over_a_mark_gives_the_photo_back_and_leaves_clean_pixels_exactly(bundled):
    photo = photos.centre_crop(next(p for p in bundled.test if p.name == "coffee").pixels, 128)
    mark = watermark.text_watermark(128, 128, "PROOF ©", 22, 0.55, colour=(1.0, 0.9, 0.2))
    marked, heads = mark.apply(photo), noisy_heads(mark)
    settings = unmarking.UnmarkSettings()
    restored = unmarking.recover(marked, heads, settings)
    per_pixel = blendnet.invert(marked, heads[..., 1], heads[..., 2:], heads[..., 0], gate_threshold=settings.high)
    scores = {name: restoring.psnr(photo, image) for name, image in
              (("marked", marked), ("per_pixel", per_pixel), ("pooled", restored))}
    assert scores["pooled"] > scores["marked"] + 8 and scores["pooled"] > scores["per_pixel"] + 5, scores
    oracle = restoring.psnr(photo, classical.oracle_inpaint(marked, mark.mask())[0])  # told the mask: 40.6 dB
    assert scores["pooled"] > oracle - 2.5, scores  # measured 38.8 (marked 30.1, per pixel 30.8)
    found = unmarking.find_marks(heads[..., 0], settings)
    assert found[mark.mask()].mean() > 0.99, "the faint ends grow from the confident cores (hysteresis)"
    assert np.array_equal(restored[~found], marked[~found]), "pixels outside the marks come out exactly as given"
    assert np.array_equal(unmarking.recover(photo, np.where(np.arange(5) == 0, 0.25, 0.5) * np.ones_like(heads)),
                          photo), "nothing confident: the photo comes back exactly"
    greyed = heads.copy()
    greyed[..., 2:] = 0.6  # a colour head that says grey for a yellow mark: the fit finds the colour from the pixels
    by_head, by_fit = (restoring.psnr(photo, unmarking.recover(marked, greyed, unmarking.UnmarkSettings(colour=mode)))
                       for mode in ("head", "fit"))
    assert by_fit > by_head + 5, (by_head, by_fit)  # measured 37.6 against 30.1
    inpainted = unmarking.recover(marked, heads, unmarking.UnmarkSettings(inpaint_above=0.2))
    assert restoring.psnr(photo, inpainted) > scores["marked"] + 3  # too opaque to invert: inpainted (measured +3.8)


def test_a_mark_the_mask_head_doubts_is_found_from_alpha_seeds_and_clean_pixels_stay(bundled):
    photo = photos.centre_crop(next(p for p in bundled.test if p.name == "coffee").pixels, 128)
    mark = watermark.text_watermark(128, 128, "PROOF ©", 22, 0.5, colour=(0.1, 0.8, 0.9))
    marked, heads = mark.apply(photo), noisy_heads(mark, seed=3)
    truth = mark.mask()
    heads[..., 0] = np.where(truth, np.minimum(heads[..., 0], 0.7), heads[..., 0])  # never above high: no seed
    heads[..., 1] = np.where(truth, heads[..., 1], 0.1)  # alpha sure where marked, low elsewhere
    settings = unmarking.UnmarkSettings(low=0.5, high=0.85, min_pixels=10, colour="fit")
    assert not unmarking.find_marks(heads[..., 0], settings, heads[..., 1]).any(), "the mask head alone seeds nothing"
    seeded = unmarking.UnmarkSettings(**{**settings.__dict__, "seed_alpha": 0.3})
    found = unmarking.find_marks(heads[..., 0], seeded, heads[..., 1])
    assert found[truth].mean() > 0.5 and found[~truth].mean() < 0.05, (found[truth].mean(), found[~truth].mean())
    restored = unmarking.recover(marked, heads, seeded)
    assert restoring.psnr(photo, restored) > restoring.psnr(photo, marked) + 5  # measured 24.7 -> 31.7 dB
    assert np.array_equal(restored[~found], marked[~found])
    assert np.array_equal(unmarking.find_marks(heads[..., 0], settings), unmarking.find_marks(
        heads[..., 0], unmarking.UnmarkSettings(**{**settings.__dict__, "seed_alpha": None}), heads[..., 1]))


def test_a_false_mark_the_gate_never_vouches_for_is_dropped_and_the_vouched_one_restored(bundled):
    photo = photos.centre_crop(next(p for p in bundled.test if p.name == "coffee").pixels, 128)
    mark = watermark.text_watermark(128, 128, "PROOF", 22, 0.5)
    marked, heads = mark.apply(photo), noisy_heads(mark, seed=4)
    truth = mark.mask()
    false_mark = np.zeros(truth.shape, bool)
    false_mark[100:112, 4:40] = True  # a clean highlight the mask head takes for a mark
    false_mark &= ~ndimage.binary_dilation(truth, iterations=3)
    heads[..., 0] = np.where(false_mark, 0.95, heads[..., 0])
    gate = np.where(truth, 0.9, 0.1) * (np.arange(128)[None, :] % 16 == 0)  # sure on a few marked pixels only
    heads = np.concatenate([heads, gate[..., None].astype(np.float32)], axis=-1)  # (128, 128, 6)
    settings = unmarking.UnmarkSettings(low=0.5, high=0.85, min_pixels=10)
    plain = unmarking.recover(marked, heads, settings)
    assert not np.array_equal(plain[false_mark], marked[false_mark]), "the mask head alone opens the false mark"
    restored = unmarking.recover(marked, heads, unmarking.UnmarkSettings(**{**settings.__dict__, "seed_gate": 0.85}))
    assert np.array_equal(restored[false_mark], marked[false_mark]), "no gate in it: left exactly as given"
    assert restoring.psnr(photo, restored) > restoring.psnr(photo, marked) + 5, "the vouched mark is still undone"
    with pytest.raises(ModelError, match="seed_gate keeps marks by a refined blend model's gate, a sixth head; this "
                                         "model has 5 heads"):
        unmarking.recover(marked, heads[..., :5], unmarking.UnmarkSettings(seed_gate=0.85))
    with pytest.raises(ModelError, match=r"seed_gate must be in \(0, 1\], or null .*; got 0"):
        unmarking.recover(marked, heads, unmarking.UnmarkSettings(seed_gate=0.0))


def test_unmark_settings_say_what_is_allowed():
    heads = np.zeros((8, 8, 5), np.float32)
    with pytest.raises(ModelError, match="alpha must be one of project, head; got 'mean'"):
        unmarking.recover(np.zeros((8, 8, 3)), heads, unmarking.UnmarkSettings(alpha="mean"))
    with pytest.raises(ModelError, match="colour must be one of head, fit; got 'mean'"):
        unmarking.recover(np.zeros((8, 8, 3)), heads, unmarking.UnmarkSettings(colour="mean"))
    with pytest.raises(ModelError, match="0 <= low <= high <= 1; got low 0.8, high 0.5"):
        unmarking.recover(np.zeros((8, 8, 3)), heads, unmarking.UnmarkSettings(low=0.8, high=0.5))
    with pytest.raises(ModelError, match=r"seed_alpha must be in \(0, 1\], or null to seed from the mask alone; got 1.5"):
        unmarking.recover(np.zeros((8, 8, 3)), heads, unmarking.UnmarkSettings(seed_alpha=1.5))


def test_a_refined_blend_model_trains_only_its_refiner_and_shuts_where_the_mask_is_unlikely(bundled):
    photo = photos.centre_crop(next(p for p in bundled.test if p.name == "coffee").pixels, 64)
    marked = watermark.text_watermark(64, 64, "PROOF", 16, 0.6).apply(photo)
    keras.utils.set_random_seed(0)
    blend = blendnet.blend_models(8, BLEND_OPTIONS)[1]
    model, training = detectnet.refined_models(blend)
    assert detectnet.is_detector(training) and detectnet.is_refined(model) and detectnet.radius(model) == 64
    refiner = training.get_layer("refiner")
    assert {id(weight) for weight in training.trainable_weights} == {id(weight) for weight in refiner.trainable_weights}
    heads = np.asarray(detectnet.heads_model(training)(marked[None]))[0]  # (64, 64, 6): chance, alpha, colour, gate
    assert heads.shape == (64, 64, 6) and 0 <= heads.min() and heads.max() <= 1 and heads[..., 1].max() <= 0.9 + 1e-6
    np.testing.assert_allclose(heads[..., 5], np.asarray(blend(marked[None])[1])[0, ..., 0], atol=1e-5)  # its gate
    restored = np.asarray(model(marked[None]))[0]
    shut = heads[..., 0] < detectnet.SHUT_UNDER
    assert shut.any() and np.array_equal(restored[shut], marked[shut]), "where the mask is unlikely: as given"


def test_the_classical_anchors_keep_brightness_and_inpaint_the_masked_pixels(bundled):
    photo = photos.centre_crop(next(p for p in bundled.test if p.name == "coffee").pixels, 96)
    baseline = classical.mean_colour(photo)
    assert np.allclose(tasks.luma(baseline), tasks.luma(photo), atol=0.02) and baseline.shape == photo.shape
    mark = watermark.text_watermark(96, 96, "PROOF", 24, 0.6)
    marked = mark.apply(photo)
    inpainted, seconds = classical.oracle_inpaint(marked, mark.mask())
    assert restoring.psnr(photo, inpainted) > restoring.psnr(photo, marked) + 5 and seconds >= 0
    with pytest.raises(ModelError, match=r"the watermark mask is \(4, 4\) but the photo is \(96, 96\)"):
        classical.oracle_inpaint(marked, np.zeros((4, 4), bool))


def test_train_task_colourise_learns_colour_on_a_tiny_model(bundled, monkeypatch):
    monkeypatch.setattr(photos, "STEPS_PER_EPOCH", 8)
    few = photos.PhotoDataset("photos", bundled.train, bundled.test[:3], bundled.source)  # astronaut, coffee, china
    config = trainer.TrainConfig(epochs=2, batch_size=8, learning_rate=3e-3)
    model = trainer.train("photo", few, 8, {"widths": (8, 8), "blocks": 1, "task": "colourise"}, config)
    assert model.options["task"] == "colourise" and tasks.task_of(model.meta) == "colourise"
    assert set(model.meta["metrics"]) == {"test_psnr_damaged", "test_psnr", "test_colourfulness_ratio"}
    assert model.meta["metrics"]["test_colourfulness_ratio"] > 0, "it paints some colour"
    with pytest.raises(ModelError, match="unknown task 'sharpen'; the photo family's tasks are: denoise, colourise"):
        trainer.train("photo", few, 8, {"task": "sharpen"}, config)
    assert isinstance(phototraining.PatchBatches(bundled.train, 2, 1, 0, 32, "unwatermark")[0], tuple)


def test_restore_from_the_cli_with_the_shipped_models(with_shipped, tmp_path, capsys):
    path, clean = coffee_file(tmp_path)
    # unwatermark on a larger crop: on this 96-px one (the cup's white rim, 12-px text) the models shipped so far take
    # the rim's highlights for white text (29.0 -> 27.5 dB gated, 28.6 blend); on 240 px they gain 5.2 and 3.9 dB
    marked_path, _ = coffee_file(tmp_path / "large", side=240)
    store = ["--store", str(tmp_path / "models")]
    lines = {}
    for task, image, side, extra in (("colourise", path, 96, []),
                                     ("unwatermark", marked_path, 240, ["--add-watermark", "Lumière ©"])):
        out, strip = tmp_path / f"{task}.png", tmp_path / f"{task}-strip.png"
        code = cli.main(["restore", str(image), "--task", task, "--out", str(out), "--compare", str(strip), *store, *extra])
        assert code == 0
        lines[task] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert {"task", "model", "seconds", "width", "height"} <= set(lines[task])
        assert lines[task]["model"] == f"photo-{task}" and (lines[task]["width"], lines[task]["height"]) == (side, side)
        assert Image.open(out).size == (side, side) and Image.open(strip).size == (3 * side, side)
    coloured = np.asarray(Image.open(tmp_path / "colourise.png"), np.float32) / 255
    assert float(tasks.chroma(coloured).std()) > 0.01 and np.allclose(tasks.luma(coloured), tasks.luma(clean), atol=0.03)
    # measured +5.9 dB with the heads post-processed (aecore.photo.unmarking; the blend model's own output +3.9)
    assert lines["unwatermark"]["psnr_restored"] > lines["unwatermark"]["psnr_damaged"] + 4.5
    shipped = modelstore.ModelStore(tmp_path / "models")
    assert denoising.default_photo_model(shipped) == "photo-shipped", "denoise never picks a restore model"


def test_the_shipped_unwatermark_model_leaves_a_clean_photo_as_it_was(with_shipped, tmp_path, bundled):
    model = modelstore.ModelStore(tmp_path / "models").load("photo-unwatermark")
    camera = np.repeat(next(p for p in bundled.test if p.name == "camera").pixels[:256, 128:384], 3, axis=-1)
    restored = restoring.unwatermark(model, camera)  # grey, bright highlights: what earlier models took for text
    assert (restored == camera).all(axis=-1).mean() > 0.999, "no mark found: clean pixels exactly as they came"
    assert restoring.psnr(camera, restored) > 40  # measured 100 (untouched; the Keras output alone 44.9)


def test_restore_errors_say_what_to_do(with_shipped, tmp_path, capsys):
    path, _ = coffee_file(tmp_path, 32)
    store = ["--store", str(tmp_path / "models")]
    cases = (
        (["--task", "colourise"], "say where to write the result: --out FILE"),
        (["--task", "colourise", "--out", str(tmp_path / "a.png"), "--add-watermark", "x"],
         "--add-watermark goes with --task unwatermark"),
        (["--task", "colourise", "--out", str(tmp_path / "a.png"), "--model", "photo-unwatermark"],
         "model 'photo-unwatermark' was trained for unwatermark, not colourise"),
        (["--task", "unwatermark", "--out", str(tmp_path / "a.tiff")], "the suffix '.tiff' names no format we write"),
    )
    for arguments, message in cases:
        assert cli.main(["restore", str(path), *arguments, *store]) == 2
        assert message in capsys.readouterr().err
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    assert cli.main(["restore", str(tmp_path / "broken.png"), "--task", "colourise", "--out", str(tmp_path / "b.png"),
                     *store]) == 2
    assert "broken.png" in capsys.readouterr().err
    with pytest.raises(ModelError, match="unknown restore task 'denoise'; choose one of: colourise, unwatermark"):
        restoring.check_model(modelstore.ModelStore(tmp_path / "models").load("photo-colourise"), "denoise")
    assert cli.main(["denoise", "photo-unwatermark", str(path), "--out", str(tmp_path / "d.png"), *store]) == 2
    assert "model 'photo-unwatermark' was trained to unwatermark, not to denoise" in capsys.readouterr().err
    with pytest.raises(ImageError, match="Cannot read"):
        restoring.restore_file(None, tmp_path / "missing.png", "colourise")


def test_ci_installs_every_font_package_the_watermarks_are_drawn_from():
    ci = (modelstore.SHIPPED_FOLDER.parents[2] / ".ci" / "run").read_text()
    assert all(package in ci for package in watermark.FONT_PACKAGES)
