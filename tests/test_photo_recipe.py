"""The shipped photo model's recipe (scripts/train_photo_model.py, scripts/recipe_photos.py): where its photos come
from, and that a run resumed at a phase's first step gets that phase's fresh optimizer. The training itself takes
hours and is run by hand; its scores are in bench/RESULTS.md."""

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from aecore.data import photos
from scripts import recipe_photos
from scripts import train_photo_model as recipe


def write_puzzle(path, inner_name: str, atlas: Image.Image, size: tuple[int, int]):
    """A .pzl file laid out as jigzo-data's are: four header lines, then (name, byte count, bytes) per file."""
    jpeg = io.BytesIO()
    atlas.save(jpeg, "JPEG", quality=80)
    files = {f"{inner_name}.map": f"#texture map data\ncrop000 0 0 10 10 0 0 0 0 0 0\nimage 0 0 {size[0]} {size[1]} 1 1    \n"
             .encode(), f"{inner_name}-t.jpg": b"\xff\xd8thumbnail", f"{inner_name}.jpg": jpeg.getvalue()}
    body = b"".join(name.encode() + b"\n" + str(len(data)).encode() + b"\n" + data for name, data in files.items())
    path.write_bytes(b"PzlF\n0.1\n" + inner_name.encode() + b"\nhttp://www.resorama.com/glpuzzle/\n" + body)
    return jpeg.getvalue()


def test_a_jigzo_puzzle_gives_its_photo_whatever_the_file_is_called(tmp_path):
    astronaut = Image.fromarray(data.astronaut()).resize((1024, 1024))
    jpeg = write_puzzle(tmp_path / "bird-2x3.pzl", "05AMWABR", astronaut, (482, 638))
    atlas, size = recipe_photos.jigzo_photo(tmp_path / "bird-2x3.pzl")
    assert size == (482, 638)
    assert np.array_equal(np.asarray(atlas), np.asarray(Image.open(io.BytesIO(jpeg))))


def test_missing_sources_say_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(recipe_photos, "JIGZO_FOLDER", tmp_path / "no-jigzo")
    with pytest.raises(SystemExit, match="apt-get install --no-install-recommends jigzo-data"):
        recipe_photos.package_photos(tmp_path)
    monkeypatch.setattr(recipe_photos, "JIGZO_FOLDER", tmp_path)
    monkeypatch.setattr(recipe_photos, "JIGZO_PUZZLES", ())
    with pytest.raises(SystemExit, match=f"pip download --no-deps plenoptic==2.1.1 sporco==0.2.2.post1 -d {tmp_path}$"):
        recipe_photos.package_photos(tmp_path)


def test_the_package_phase_draws_the_packaged_photos_and_earlier_steps_do_not():
    flat = photos.Photo("flat", np.full((128, 128, 3), 0.4, np.float32))
    coffee = next(photo for photo in photos.load_photos().test if photo.name == "coffee")
    share = round(recipe.BATCH * recipe.WALLPAPER_PHASE_SHARE)
    spreads = {step: recipe.batch(step, [flat], [flat], packaged=[coffee])[1][:share].std(axis=(1, 2, 3))
               for step in (recipe.PACKAGE_PHASE_STEP - 1, recipe.PACKAGE_PHASE_STEP)}
    assert spreads[recipe.PACKAGE_PHASE_STEP - 1].max() < 1e-6  # all from the flat photo
    assert spreads[recipe.PACKAGE_PHASE_STEP].max() > 0.05


@pytest.mark.parametrize("state, schedule", [
    ({"step": recipe.WALLPAPER_PHASE_STEP}, (recipe.WALLPAPER_LEARNING_RATE, recipe.PACKAGE_PHASE_STEP - recipe.WALLPAPER_PHASE_STEP)),
    ({"step": recipe.WALLPAPER_PHASE_STEP + 2000, "wallpaper_optimizer": True}, (recipe.LEARNING_RATE, recipe.WALLPAPER_PHASE_STEP)),
    ({"step": recipe.PACKAGE_PHASE_STEP, "wallpaper_optimizer": True}, (recipe.PACKAGE_LEARNING_RATE, recipe.STEPS - recipe.PACKAGE_PHASE_STEP)),
    ({"step": recipe.PACKAGE_PHASE_STEP + 250, "optimizer_from": recipe.PACKAGE_PHASE_STEP}, (recipe.LEARNING_RATE, recipe.WALLPAPER_PHASE_STEP)),
], ids=["wallpaper phase starts", "wallpaper phase: kept", "package phase starts", "package phase: kept"])
def test_a_run_resumed_at_a_phase_start_gets_the_phase_s_fresh_optimizer(tmp_path, state, schedule):
    """The checkpoint is written by build(), whose schedule starts at LEARNING_RATE: a kept optimizer still says so."""
    recipe.save_checkpoint(recipe.build(), {**state, "log": []}, tmp_path)
    resumed, resumed_state = recipe.resume(tmp_path, recipe.STEPS)
    config = resumed.optimizer.get_config()["learning_rate"]["config"]
    assert (config["initial_learning_rate"], config["decay_steps"]) == schedule
    assert recipe.optimizer_from(resumed_state) == max(step for step in (0, *recipe.FRESH_OPTIMIZERS) if step <= state["step"])
