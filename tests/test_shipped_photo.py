"""The photo model shipped with aecore: listed in every store, read-only, used by default by `denoise` and the
Denoise page, and small enough for the repository. The conftest hides it; each test here puts it back."""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from aecore.data import photos
from aecore.errors import StoreError
from aecore.photo import denoising
from aecore.store import modelstore
from aecore.training import trainer

SHIPPED = modelstore.SHIPPED_FOLDER / "photo-shipped"
pytestmark = pytest.mark.skipif(not (SHIPPED / "model.keras").exists(), reason="this copy has no shipped photo model")


@pytest.fixture
def with_shipped(monkeypatch):
    monkeypatch.delenv("AECORE_SHIPPED_MODELS")


def digests() -> dict:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in SHIPPED.iterdir()}


def test_the_weights_fit_the_repository_and_the_card_says_how_they_were_made():
    assert (SHIPPED / "model.keras").stat().st_size <= 10 * 2**20
    meta = json.loads((SHIPPED / "meta.json").read_text())
    assert meta["family"] == "photo" and meta["recipe"].startswith("python scripts/train_photo_model.py")
    assert set(meta["held_out_photos"]) == set(photos.HELD_OUT)
    assert meta["metrics"]["test_psnr_sigma25"] > meta["metrics"]["test_psnr_noisy_sigma25"] + 5


def test_it_is_listed_in_an_empty_store_and_cannot_be_changed(with_shipped, tmp_path, digits):
    store = modelstore.ModelStore(tmp_path / "models")
    before = digests()
    shipped = ["photo-colourise", "photo-shipped", "photo-unwatermark"]  # the denoiser and the two restore models (#39)
    assert sorted(store.names()) == shipped and all(store.meta(name)["shipped"] is True for name in shipped)
    with pytest.raises(StoreError, match="'photo-shipped' is shipped with aecore and read-only: it cannot be deleted"):
        store.delete("photo-shipped")
    with pytest.raises(StoreError, match="read-only: it cannot be renamed"):
        store.rename("photo-shipped", "mine")
    config = trainer.TrainConfig(epochs=1, batch_size=256, patience=0, max_train_images=200)
    saved = store.save(trainer.train("dense", digits, 4, None, config), "photo-shipped")
    assert saved.name == "photo-shipped-2", "a user's model never takes a shipped model's name"
    with pytest.raises(StoreError, match="a model named 'photo-shipped' exists already"):
        store.rename("photo-shipped-2", "photo-shipped")
    assert digests() == before and sorted(store.names()) == sorted(["photo-shipped-2", *shipped])


def test_denoise_without_a_model_name_uses_the_shipped_model(tmp_path):
    camera = next(photo for photo in photos.load_photos().test if photo.name == "camera").pixels[100:356, 120:376, 0]
    Image.fromarray(np.round(camera * 255).astype(np.uint8)).save(tmp_path / "camera.png")
    environment = {key: value for key, value in os.environ.items() if key != "AECORE_SHIPPED_MODELS"}
    command = [sys.executable, "-m", "aecore", "denoise", str(tmp_path / "camera.png"), "--noise-level", "0.1",
               "--out", str(tmp_path / "clean.png"), "--store", str(tmp_path / "empty-store")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 0, result.stderr[-1500:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["model"] == "photo-shipped" and (report["width"], report["height"], report["mode"]) == (256, 256, "L")
    assert report["psnr_denoised"] > report["psnr_noisy"] + 6, report  # sigma 25.5: ~20 dB noisy
    assert Image.open(tmp_path / "clean.png").size == (256, 256)


def test_the_best_photo_model_is_the_default_and_none_at_all_says_what_to_do(with_shipped, tmp_path, monkeypatch):
    original = photos.STEPS_PER_EPOCH
    photos.STEPS_PER_EPOCH = 5
    try:
        config = trainer.TrainConfig(epochs=1, batch_size=4)
        tiny = trainer.train("photo", photos.load_photos(), 4, {"widths": (4, 4), "blocks": 0}, config)
    finally:
        photos.STEPS_PER_EPOCH = original
    store = modelstore.ModelStore(tmp_path / "models")
    entry = store.save(tiny, "tiny-photo")
    assert [found.name for found in denoising.photo_models(store)] == ["photo-shipped", "tiny-photo"]
    assert denoising.default_photo_model(store) == "photo-shipped"  # it scores far above a 5-step model
    meta = json.loads((entry.path / "meta.json").read_text())
    meta["metrics"]["test_psnr_sigma25"] = store.meta("photo-shipped")["metrics"]["test_psnr_sigma25"] + 0.5
    (entry.path / "meta.json").write_text(json.dumps(meta))
    assert denoising.default_photo_model(store) == "tiny-photo"  # a better one in the store wins
    monkeypatch.setenv("AECORE_SHIPPED_MODELS", "")
    with pytest.raises(StoreError, match="no photo model in .*; train one: python -m aecore train --dataset photos"):
        denoising.default_photo_model(modelstore.ModelStore(tmp_path / "other"))


def test_with_no_photo_model_of_its_own_the_denoise_page_denoises_with_it(with_shipped, tmp_path, monkeypatch, digits):
    from pages import open_app

    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "models"))
    config = trainer.TrainConfig(epochs=1, batch_size=256, patience=0, max_train_images=200)  # the page's 28x28 part
    modelstore.ModelStore(tmp_path / "models").save(trainer.train("dense", digits, 4, None, config), "digits-dense")
    app = open_app("denoise")
    assert any("**photo-shipped** denoises at full size" in caption.value for caption in app.caption)
    assert not any("no photo model yet" in info.value for info in app.info)
    own = next(expander for expander in app.expander if expander.label == "Train your own photo model")
    assert [button.key for button in own.button] == ["train_photo"]  # the 10-minute training stays, folded away
    coffee = next(photo for photo in photos.load_photos().test if photo.name == "coffee").pixels[:96, :128]
    Image.fromarray(np.round(coffee * 255).astype(np.uint8)).save(tmp_path / "coffee.png")
    app.file_uploader(key="photo_upload").set_value(("coffee.png", (tmp_path / "coffee.png").read_bytes(), "image/png")).run()
    assert not app.exception, [item.value for item in app.exception]
    assert "Denoised photo, full size (128×96 PNG)" in [button.label for button in app.get("download_button")]
