"""Restore models on their own tasks (#39): colourise trained on a small colour dataset of the store (tiles of
scikit-image's photos, as a user's own dataset), scored against the grey input and the dataset's mean colour, and
`evaluate` scoring a restore model on its task (the task's input and the classical anchor beside it), not as a
denoiser; the errors a user reads."""

import json

import numpy as np
import pytest
from PIL import Image

from aecore.cli import main as cli
from aecore.data import owndata
from aecore.data.ownconvert import ConversionOptions
from aecore.errors import TrainingError
from aecore.store import modelstore
from aecore.training import phototraining, trainer

TILE = 32
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")
SMALL_NET = {"task": "colourise", "widths": (16, 32), "blocks": 1}


def write_tiles(folder, names=PHOTOS, grey=False) -> int:
    """One class folder per photo, its 32x32 tiles as PNGs (every other tile, so a few hundred)."""
    import skimage.data

    count = 0
    for name in names:
        photo = getattr(skimage.data, name)()
        photo = np.repeat(photo[..., None], 3, axis=-1) if photo.ndim == 2 else photo[..., :3]
        (folder / name).mkdir(parents=True)
        for top in range(0, photo.shape[0] - TILE + 1, 2 * TILE):
            for left in range(0, photo.shape[1] - TILE + 1, 2 * TILE):
                tile = photo[top : top + TILE, left : left + TILE]
                Image.fromarray(tile.mean(axis=-1).astype(np.uint8) if grey else tile).save(
                    folder / name / f"{top}-{left}.png")
                count += 1
    return count


@pytest.fixture(scope="module")
def tiles_store(tmp_path_factory):
    pytest.importorskip("skimage")
    root = tmp_path_factory.mktemp("tiles")
    write_tiles(root / "source")
    owndata.add("tiles", root / "source", ConversionOptions(size=TILE, colour=True), store=root / "models")
    return root / "models"


@pytest.fixture(scope="module")
def coloured(tiles_store):
    """A small colourise model trained on the tiles: 3 x 100 steps of 16 tiles (~20 s on 2 cores)."""
    dataset = owndata.load("tiles", tiles_store)
    model = trainer.train("photo", dataset, 16, SMALL_NET, trainer.TrainConfig(epochs=3, seed=0))
    modelstore.ModelStore(tiles_store).save(model, "colourise-tiles")
    return model


def test_colourise_trains_on_a_small_colour_dataset_and_beats_the_grey_input_and_the_mean_colour(coloured):
    metrics = coloured.meta["metrics"]
    assert set(metrics) == {"test_psnr_damaged", "test_psnr", "test_psnr_mean_colour", "test_colourfulness_ratio"}
    assert coloured.meta["dataset"] == "tiles" and coloured.meta["held_out_images"] > 20
    assert "patches 32x32" in coloured.meta["notes"][0], "a tile is one whole patch"
    print("tiles:", json.dumps(metrics))
    assert metrics["test_psnr"] > metrics["test_psnr_damaged"] + 0.5, "colour where the grey input had none"
    assert metrics["test_psnr"] > metrics["test_psnr_mean_colour"], "... and better than one tint everywhere"
    assert metrics["test_colourfulness_ratio"] > 0.2


def test_evaluate_scores_a_restore_model_on_its_task_beside_its_input_and_anchor(coloured, tiles_store, capsys):
    assert cli.main(["evaluate", "colourise-tiles", "--store", str(tiles_store)]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["task"] == "colourise" and line["dataset"] == "tiles"
    assert {"test_psnr_grey", "test_psnr", "test_psnr_mean_colour", "test_colourfulness_ratio", "held_out"} <= set(line)
    assert line["test_psnr"] == pytest.approx(coloured.meta["metrics"]["test_psnr"], abs=1e-3), "the same score twice"
    assert line["test_gain_db"] == pytest.approx(line["test_psnr"] - line["test_psnr_grey"])
    assert "test_psnr_noisy_sigma25" not in line, "not scored as a denoiser"


def test_evaluate_scores_the_shipped_unwatermark_model_on_unseen_fonts_beside_oracle_inpainting(monkeypatch, tmp_path,
                                                                                                 capsys):
    if not (modelstore.SHIPPED_FOLDER / "photo-unwatermark" / "model.keras").exists():
        pytest.skip("this copy has no shipped photo-unwatermark model")
    monkeypatch.delenv("AECORE_SHIPPED_MODELS")
    assert cli.main(["evaluate", "photo-unwatermark", "--store", str(tmp_path / "models")]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    print("unwatermark:", json.dumps(line))
    assert line["task"] == "unwatermark" and line["held_out"] == 5
    assert line["test_psnr_oracle_inpainting"] > line["test_psnr_watermarked"], "the anchor that cheats gains"
    assert 15 < line["test_psnr"] < 60


def test_colourise_refuses_grey_images_and_other_tasks_refuse_image_arrays(tmp_path):
    pytest.importorskip("skimage")
    write_tiles(tmp_path / "source", ("camera", "coins"), grey=True)
    options = ConversionOptions(size=TILE, colour=False)
    owndata.add("grey-tiles", tmp_path / "source", options, store=tmp_path / "models")
    grey = owndata.load("grey-tiles", tmp_path / "models")
    with pytest.raises(TrainingError, match=r"colourise learns colour from colour images, and 'grey-tiles' is grey "
                                            r"\(32x32x1\); give a colour dataset"):
        trainer.train("photo", grey, 8, SMALL_NET, trainer.TrainConfig(epochs=1))
    with pytest.raises(TrainingError, match="the photo family trains on full-size photos, not on 'grey-tiles'"):
        phototraining.task_dataset(grey, "unwatermark")
