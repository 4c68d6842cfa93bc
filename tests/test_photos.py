"""Photo denoising: the photo split, a tiny real photo model, tiled inference, round trips, guards.
Longer than 300 lines: every test here shares the one tiny model trained once for the module (the fixture below);
split across files, each would train its own or need it in conftest for every test file.

Cheap on purpose: one tiny model (a few thousand weights, 60 steps of 64x64 patches) trained once for
the module on the real bundled photos; every other test reuses it.
"""

import io
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from aecore.data import catalog, images, photos
from aecore.errors import DatasetError, ImageError, ModelError, TrainingError
from aecore.photo import denoising, tiling
from aecore.training import trainer

TINY = {"widths": (8, 8), "blocks": 1}


@pytest.fixture(scope="module")
def bundled():
    pytest.importorskip("skimage")
    return catalog.load_dataset("photos")


@pytest.fixture(scope="module")
def tiny_model(bundled):
    """A real photo model, trained briefly on the training photos (held-out photos never seen)."""
    original = photos.STEPS_PER_EPOCH
    photos.STEPS_PER_EPOCH = 30
    try:
        config = trainer.TrainConfig(epochs=2, batch_size=16, learning_rate=3e-3)
        return trainer.train("photo", bundled, 8, TINY, config)
    finally:
        photos.STEPS_PER_EPOCH = original


def png_bytes(pixels: np.ndarray, mode: str | None = None, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format=format)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height with junk pixel data (as in test_images.py): only the header is sound."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 8)) + chunk(b"IEND", b"")


def test_bundled_split_never_shares_a_photo(bundled):
    train_names, test_names = [p.name for p in bundled.train], [p.name for p in bundled.test]
    assert set(train_names).isdisjoint(test_names) and len(set(train_names)) == len(train_names)
    assert set(test_names) == set(photos.HELD_OUT) and len(train_names) >= 12
    for held_out in bundled.test:  # not the same pixels under another name either
        assert not any(p.pixels.shape == held_out.pixels.shape and np.array_equal(p.pixels, held_out.pixels)
                       for p in bundled.train)
    assert {p.pixels.shape[-1] for p in bundled.train} == {1, 3}  # grey and colour


def test_patches_draw_every_photo_equally_and_skip_flat_crops(monkeypatch):
    """A big mostly-black photo (a textured corner) and a small textured one: half the patches each, and
    redrawing flat crops gives the big one's texture several times as often as one draw would."""
    random = np.random.default_rng(0)
    sky = np.zeros((1024, 1024, 3), np.float32)
    sky[:384, :384] = random.uniform(0.0, 0.5, (384, 384, 3))
    small = random.uniform(0.6, 1.0, (96, 96, 3)).astype(np.float32)
    pair = [photos.Photo("sky", sky), photos.Photo("small", small)]

    def textured_share(seed):
        noisy, clean = photos.noisy_patches(pair, 400, np.random.default_rng(seed))
        from_small = clean.mean(axis=(1, 2, 3)) > 0.55
        assert 0.4 < from_small.mean() < 0.6, "drawn by photo, not by area (by area: 1% from the small one)"
        assert noisy.shape == clean.shape == (400, photos.PATCH, photos.PATCH, 3)
        return (clean[~from_small].std(axis=(1, 2, 3)) >= photos.FLAT_SPREAD).mean()

    redrawn = textured_share(1)
    monkeypatch.setattr(photos, "FLAT_RETRIES", 0)
    assert redrawn > 2.5 * textured_share(1), "flat crops of the sky are redrawn"


def test_a_folder_of_photos_splits_by_image(tmp_path):
    random = np.random.default_rng(0)
    for number in range(6):
        pixels = random.integers(0, 255, (40 + number, 50, 3), dtype=np.uint8)
        (tmp_path / f"photo{number}.png").write_bytes(png_bytes(pixels))
    dataset = catalog.load_dataset(f"photos:{tmp_path}", seed=3)
    names = [p.name for p in dataset.train] + [p.name for p in dataset.test]
    assert sorted(names) == [f"photo{number}.png" for number in range(6)] and len(dataset.test) == 1
    assert dataset.train[0].pixels.shape[-1] == 3
    with pytest.raises(DatasetError, match="is not a folder of photos"):
        photos.load_photos(str(tmp_path / "no-such-folder"))
    (tmp_path / "one").mkdir()
    with pytest.raises(DatasetError, match="holds 0 photo"):
        photos.load_photos(str(tmp_path / "one"))


def test_the_photo_family_refuses_small_image_datasets(digits):
    with pytest.raises(TrainingError, match="trains on full-size photos, not on 'digits'"):
        trainer.train("photo", digits)


def test_tiled_result_equals_one_whole_pass(tiny_model, bundled):
    photo = bundled.test[0].pixels[:150, :203]  # odd sizes: padding and stride grids must still line up
    whole = tiling.denoise(tiny_model, photo, tiling.TileConfig(tile=4096))
    calls = []
    tiled = tiling.denoise(tiny_model, photo, tiling.TileConfig(tile=32), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1] == len(calls) > 20
    assert np.abs(tiled - whole).max() < 1e-4
    with pytest.raises(ModelError, match="multiple of 4"):
        tiling.denoise(tiny_model, photo, tiling.TileConfig(tile=30))


@pytest.mark.parametrize("mode, shape", [("RGB", (37, 53, 3)), ("L", (41, 29))])
def test_colour_and_grey_keep_size_and_mode(tiny_model, tmp_path, mode, shape):
    pixels = np.random.default_rng(1).integers(0, 255, shape, dtype=np.uint8)
    result = denoising.denoise_bytes(tiny_model, png_bytes(pixels), "upload.png", level=0.1)
    assert result.full_size and result.denoised.shape[:2] == shape[:2]
    denoising.write_image(tmp_path / "out.png", result.denoised)
    with Image.open(tmp_path / "out.png") as written:
        assert written.mode == mode and written.size == (shape[1], shape[0])


def test_save_and_load_give_the_same_outputs(tiny_model, store, bundled):
    entry = store.save(tiny_model, "tiny-photo")
    loaded = store.load(entry.name)
    photo = bundled.test[1].pixels[:64, :96]
    assert loaded.family == "photo" and entry.meta["input_shape"] == [None, None, 3]
    assert np.abs(tiling.denoise(loaded, photo) - tiling.denoise(tiny_model, photo)).max() < 1e-6


def test_a_held_out_photo_gains_psnr_through_the_cli(tiny_model, bundled, tmp_path):
    root = tmp_path / "models"
    from aecore.store.modelstore import ModelStore

    ModelStore(root).save(tiny_model, "tiny")
    camera = next(p for p in bundled.test if p.name == "camera").pixels[100:300, 150:350, 0]
    (tmp_path / "camera.png").write_bytes(png_bytes(np.round(camera * 255).astype(np.uint8)))
    command = [sys.executable, "-m", "aecore", "denoise", "tiny", str(tmp_path / "camera.png"), "--noise-level",
               "0.12", "--out", str(tmp_path / "out.png"), "--compare", str(tmp_path / "strip.png"), "--ensemble", "2",
               "--chroma", "half"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "AECORE_STORE": str(root)})
    assert result.returncode == 0, result.stderr[-1500:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["psnr_denoised"] > report["psnr_noisy"] + 1.0, report
    assert report["mode"] == "L" and report["ensemble"] == 2 and report["chroma"] == "half" and Image.open(tmp_path / "out.png").size == (200, 200)
    assert Image.open(tmp_path / "strip.png").size == (600, 200)


def test_upload_guards_hold_at_full_size(tiny_model):
    with pytest.raises(ImageError, match=r"49,000,000 pixels \(7000x7000\); the limit is 40,000,000"):
        denoising.denoise_bytes(tiny_model, png_header_only(7000, 7000), "bomb.png")  # refused from its header
    with pytest.raises(ImageError, match="the upload limit is 10 MB"):
        denoising.denoise_bytes(tiny_model, b"\x89PNG" + bytes(images.MAX_UPLOAD_BYTES), "huge.png")
    sixteen_bit = Image.fromarray(np.full((20, 30), 40000, np.uint16))
    buffer = io.BytesIO()
    sixteen_bit.save(buffer, format="PNG")
    pixels, notes = images.read_photo(buffer.getvalue(), "deep.png")
    assert pixels.shape == (20, 30, 1) and abs(float(pixels.mean()) - 40000 / 65535) < 0.01 and notes
    rgba = png_bytes(np.full((10, 12, 4), 128, np.uint8), "RGBA")
    assert images.read_photo(rgba, "alpha.png")[0].shape == (10, 12, 3)


def test_user_errors_say_what_to_do(tiny_model, digits, tmp_path):
    with pytest.raises(ImageError, match="names no format"):
        denoising.write_image(tmp_path / "out.tiff", np.zeros((4, 4, 3)))
    with pytest.raises(ModelError, match="Unknown noise kind"):
        denoising.denoise_bytes(tiny_model, png_bytes(np.zeros((8, 8), np.uint8)), "x.png", kind="pink")
    from aecore.models import families

    with pytest.raises(ModelError, match="widths must be two positive integers"):
        families.get_family("photo").build((None, None, 3), 8, families.make_options("photo", {"widths": (8, 8, 8)}))
    assert families.default_family("photos") == "photo" and families.default_family("photos:/x") == "photo"
    assert families.default_family("digits") == "conv"


# ---------------------------------------------------------------- the Denoise page's photo flow


@pytest.fixture
def page_store(tmp_path, tiny_model, digits, monkeypatch):
    """A store with a small digits model (the page's 28x28 part) and the tiny photo model."""
    from aecore.store.modelstore import ModelStore

    root = tmp_path / "models"
    monkeypatch.setenv("AECORE_STORE", str(root))
    config = trainer.TrainConfig(epochs=1, batch_size=256, patience=0, max_train_images=300)
    ModelStore(root).save(trainer.train("dense", digits, 8, None, config), "digits-dense")
    ModelStore(root).save(tiny_model, "tiny-photo")
    return root


def run_denoise_page(**state):
    from pages import open_app

    return open_app("denoise", **state)


def test_the_page_denoises_a_photo_at_full_size(page_store, bundled):
    coffee = next(p for p in bundled.test if p.name == "coffee").pixels[:120, :160]
    data = png_bytes(np.round(coffee * 255).astype(np.uint8))
    app = run_denoise_page()
    assert "tiny-photo" in " ".join(caption.value for caption in app.caption)
    app.file_uploader(key="photo_upload").set_value(("coffee.png", data, "image/png")).run()
    assert not app.exception, [item.value for item in app.exception]
    assert any("160×120 px, colour" in caption.value for caption in app.caption)
    labels = [button.label for button in app.get("download_button")]
    assert "Denoised photo, full size (160×120 PNG)" in labels
    app.slider(key="photo_noise").set_value(25).run()
    psnr = next(metric for metric in app.metric if metric.label == "PSNR against your original")
    assert float(psnr.value.split()[0]) > 20 and psnr.delta.startswith("+")  # the model gains on the noisy input
    app.toggle(key="photo_classical").set_value(True).run()
    assert not app.exception, [item.value for item in app.exception]
    captions = [picture.caption for element in app.get("image") for picture in element.proto.imgs]
    names = sorted(caption.split(" · ")[0] for caption in captions)  # the tree lists them column by column
    assert names == sorted(["original", "noisy input", "photo model", "non-local means", "wavelet", "total variation"])
    assert sum(caption.endswith(" dB") for caption in captions) == 5  # each scored against the original


def test_the_page_offers_to_train_a_photo_model_when_there_is_none(tmp_path, digits, monkeypatch):
    from aecore.store.modelstore import ModelStore

    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "models"))
    config = trainer.TrainConfig(epochs=1, batch_size=256, patience=0, max_train_images=300)
    ModelStore(tmp_path / "models").save(trainer.train("dense", digits, 8, None, config), "digits-dense")
    app = run_denoise_page()
    assert [button.label for button in app.button if button.key == "train_photo"] == ["Train a photo model (about 10 minutes)"]
    assert any("no photo model yet" in info.value for info in app.info)


def test_evaluate_scores_held_out_photos_and_export_explains_why_not(tiny_model, tmp_path, capsys):
    from aecore.cli import main as cli
    from aecore.store.modelstore import ModelStore

    root = str(tmp_path / "models")
    ModelStore(root).save(tiny_model, "tiny")
    assert cli.main(["evaluate", "tiny", "--store", root]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["family"] == "photo" and report["test_psnr_sigma25"] > report["test_psnr_noisy_sigma25"]
    assert cli.main(["export", "tiny", "--out", str(tmp_path / "export"), "--store", root]) == 2
    assert "is a photo model: its code is a feature map" in capsys.readouterr().err


def test_the_ensemble_averages_passes_over_flips_and_turns(tiny_model, bundled):
    photo = bundled.test[0].pixels[:37, :53]  # not square, odd: turning swaps height and width
    once, calls = tiling.denoise(tiny_model, photo), []
    twice = tiling.denoise(tiny_model, photo, tiling.TileConfig(tile=32), ensemble=2,
                           progress=lambda done, total: calls.append((done, total)))
    transposed = tiling.denoise(tiny_model, photo.transpose(1, 0, 2)).transpose(1, 0, 2)
    np.testing.assert_allclose(twice, (once + transposed) / 2, atol=1e-5)  # the reference, computed by hand
    assert calls == [(done, 12) for done in range(1, 13)]  # 2 passes of 6 tiles (padded to 56x72: 2 by 3 tiles)
    # all eight together do not depend on how the photo was turned: its turned copy gives the same result turned
    eight = tiling.denoise(tiny_model, photo, ensemble=8)
    np.testing.assert_allclose(np.rot90(tiling.denoise(tiny_model, np.rot90(photo), ensemble=8), -1), eight, atol=1e-5)
    assert not np.allclose(eight, once, atol=1e-3)
    grey = tiling.denoise(tiny_model, photo[..., :1], ensemble=4)
    assert grey.shape == (37, 53, 1) and grey.dtype == np.float32
    with pytest.raises(ModelError, match="ensemble must be one of 1, 2, 4, 8 .*got 3"):
        tiling.denoise(tiny_model, photo, ensemble=3)
    with pytest.raises(ModelError, match="ensemble must be one of 1, 2, 4, 8 .*got 0"):
        denoising.denoise_bytes(tiny_model, png_bytes(np.zeros((8, 8, 3), np.uint8)), "a.png", ensemble=0)


def test_chroma_from_grey_passes_keeps_the_colour_pass_luma(tiny_model, bundled):
    np.testing.assert_allclose(tiling.OPPONENT @ tiling.OPPONENT.T, np.eye(3), atol=1e-6)  # orthonormal
    corners = np.array([[r, g, b] for r in (0, 1) for g in (0, 1) for b in (0, 1)], np.float32)
    scaled = corners @ tiling.OPPONENT.T * tiling.CHROMA_SCALES + tiling.CHROMA_OFFSETS
    assert scaled.min() > -1e-6 and scaled.max() < 1 + 1e-6  # every colour reaches the model inside [0, 1]
    photo = bundled.test[0].pixels[:37, :53]
    colour_pass = tiling.denoise(tiny_model, photo)
    calls = []
    full = tiling.denoise(tiny_model, photo, chroma="full", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(done, 3) for done in range(1, 4)]  # the colour pass, then a grey pass per chroma channel
    by_hand = colour_pass @ tiling.OPPONENT.T
    noisy_chroma = photo @ tiling.OPPONENT.T * tiling.CHROMA_SCALES + tiling.CHROMA_OFFSETS
    for channel in (1, 2):
        grey = tiling.denoise(tiny_model, noisy_chroma[..., channel : channel + 1])[..., 0]
        by_hand[..., channel] = (grey - tiling.CHROMA_OFFSETS[channel]) / tiling.CHROMA_SCALES[channel]
    np.testing.assert_allclose(full, np.clip(by_hand @ tiling.OPPONENT, 0, 1), atol=1e-5)
    inside = ((full > 0) & (full < 1)).all(axis=-1)  # where the final clip did not move it, the luma is the colour pass's
    np.testing.assert_allclose((full @ tiling.OPPONENT.T)[inside, 0], (colour_pass @ tiling.OPPONENT.T)[inside, 0], atol=1e-5)
    half = tiling.denoise(tiny_model, photo, chroma="half", ensemble=2)  # odd sides: halved with a repeated edge
    assert half.shape == photo.shape and half.dtype == np.float32 and 0 <= half.min() and half.max() <= 1
    assert not np.allclose(half, colour_pass, atol=1e-3)
    grey = photo[..., :1]  # a grey photo has no chroma: the option leaves it exactly as it was
    np.testing.assert_array_equal(tiling.denoise(tiny_model, grey, chroma="half"), tiling.denoise(tiny_model, grey))
    with pytest.raises(ModelError, match="chroma must be one of rgb, half, full .*got 'lab'"):
        tiling.denoise(tiny_model, photo, chroma="lab")
    eight_bit = np.round(photo * 255).astype(np.uint8)
    result = denoising.denoise_bytes(tiny_model, png_bytes(eight_bit), "colour.png", chroma="full")
    np.testing.assert_allclose(result.denoised, tiling.denoise(tiny_model, eight_bit / np.float32(255), chroma="full"),
                               atol=1e-5)
    with pytest.raises(ModelError, match="chroma must be one of rgb, half, full .*got 'yuv'"):
        denoising.denoise_bytes(tiny_model, png_bytes(eight_bit), "colour.png", chroma="yuv")
    by_default = denoising.denoise_bytes(tiny_model, png_bytes(eight_bit), "colour.png").denoised  # the page's call
    np.testing.assert_allclose(by_default, tiling.denoise(tiny_model, eight_bit / np.float32(255), chroma="half"),
                               atol=1e-5)  # a photo model's default: the chroma from grey passes at half size
