"""The training timeline's engine (issue #24) on real digits: snapshots written and bounded for every family,
saved with the model atomically, none after a Stop, aligned maps that move less than unaligned ones, and the
`timeline` command's frames."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from aecore.analysis import timeline
from aecore.errors import TrainingCancelled
from aecore.models.families import fixed_size_families
from aecore.store.modelstore import SNAPSHOTS_FILE, ModelStore
from aecore.training import snapshots, trainer


@pytest.mark.parametrize("family", fixed_size_families())
def test_every_family_takes_bounded_snapshots_saved_with_it(family, digits, store):
    config = trainer.TrainConfig(epochs=2, batch_size=16, patience=0)  # 76 batches: 1, 2, 8, 23 into the first epoch
    model = trainer.train(family, digits, 4, None, config)
    found = model.snapshots
    epochs = [round(float(epoch), 3) for epoch in found["epochs"]]
    assert epochs[-2:] == [1.0, 2.0] and epochs[:4] == sorted(epochs[:4]) and len(epochs) == 6, epochs
    frames, points = found["codes"].shape[:2]
    assert points == len(digits.x_test) and found["reconstructions"].shape == (frames, 8, 8, 8, 1)
    assert np.array_equal(found["labels"], digits.y_test[found["indices"]])
    entry = store.save(model)
    assert (entry.path / SNAPSHOTS_FILE).stat().st_size <= snapshots.MAX_BYTES
    assert np.array_equal(store.snapshots(entry.name)["codes"], found["codes"])


def test_a_big_code_keeps_fewer_points_and_snapshots_off_keeps_none(fashion_small):
    assert snapshots.points_that_fit(code_size=512, frames=24, picture_bytes=8 * 784) < snapshots.SAMPLE
    config = trainer.TrainConfig(epochs=1, batch_size=128, patience=0, snapshots="off")
    assert trainer.train("dense", fashion_small, 8, None, config).snapshots is None


def test_a_stopped_training_saves_nothing_and_its_live_file_is_whole(digits, tmp_path):
    live = tmp_path / "live.npz"

    class StopAtEpochTwo:
        stop = False

        def is_set(self):
            return self.stop
    flag = StopAtEpochTwo()

    def report(progress):
        flag.stop = flag.stop or progress.epoch == 2
    config = trainer.TrainConfig(epochs=5, batch_size=32, patience=0, live_snapshots=str(live))
    with pytest.raises(TrainingCancelled):
        trainer.train("dense", digits, 8, None, config, report, flag)
    assert ModelStore(tmp_path).names() == []  # nothing saved
    with np.load(live) as found:  # the last complete write: the first epoch's snapshots
        assert found["epochs"][-1] == 1.0 and len(found["codes"]) == len(found["epochs"])
    assert not list(tmp_path.glob(".*.tmp"))


def test_aligned_maps_move_less_between_frames_than_unaligned_ones(digits):
    config = trainer.TrainConfig(epochs=6, batch_size=32, patience=0)
    found = trainer.train("conv", digits, 8, None, config).snapshots
    codes = found["codes"].astype(np.float32)
    aligned, unaligned = timeline.median_moves(timeline.aligned_maps(codes)), timeline.median_moves(timeline.pca_maps(codes))
    assert np.median(aligned) < np.median(unaligned), (aligned, unaligned)
    assert np.all(aligned <= unaligned + 1e-6)  # Procrustes never makes a step worse than leaving it as it is


def test_the_timeline_command_writes_frames_and_a_gif(digits, tmp_path):
    config = trainer.TrainConfig(epochs=3, batch_size=64, patience=0)
    ModelStore(tmp_path / "models").save(trainer.train("dense", digits, 8, None, config), "watched")
    run = subprocess.run([sys.executable, "-m", "aecore", "timeline", "watched", "--out", str(tmp_path / "frames"),
                          "--store", str(tmp_path / "models")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-1500:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    pngs = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert report["frames"] == len(pngs) == len(report["epochs"]) and report["epochs"][-1] == 3.0
    with Image.open(tmp_path / "frames" / "timeline.gif") as gif:
        assert gif.n_frames == len(pngs)
    ModelStore(tmp_path / "models").save(trainer.train("dense", digits, 8, None, trainer.TrainConfig(
        epochs=1, patience=0, snapshots="off")), "unwatched")
    none = subprocess.run([sys.executable, "-m", "aecore", "timeline", "unwatched", "--out", str(tmp_path / "none"),
                           "--store", str(tmp_path / "models")], capture_output=True, text=True, timeout=300)
    assert none.returncode == 2 and "has no training snapshots" in none.stderr


def test_many_epochs_and_large_colour_images_stay_within_the_bound():
    assert snapshots.epoch_stride(12) == 1 and snapshots.epoch_stride(200) == 4
    assert snapshots.planned_frames(200) == len(snapshots.FIRST_EPOCH) + 50
    kept, grid = snapshots.pictures_that_fit(snapshots.planned_frames(200), 96 * 96 * 3, grid=True)
    assert 1 <= kept < snapshots.RECONSTRUCTIONS and not grid  # 54 frames of 96-px colour: a few, and no grid
    assert snapshots.pictures_that_fit(16, 28 * 28, grid=True) == (snapshots.RECONSTRUCTIONS, True)


def test_a_two_dimensional_vae_keeps_its_decoded_grid_at_every_snapshot(digits, store, tmp_path):
    config = trainer.TrainConfig(epochs=3, batch_size=32, patience=0)
    model = trainer.train("vae", digits, 2, None, config)
    grids = model.snapshots["grids"]
    assert grids.shape == (len(model.snapshots["epochs"]), snapshots.GRID, snapshots.GRID, 8, 8, 1)
    assert grids.dtype == np.uint8 and np.abs(np.diff(grids.astype(float), axis=0)).mean() > 0  # the decoder changed
    entry = store.save(model)
    assert (entry.path / SNAPSHOTS_FILE).stat().st_size <= snapshots.MAX_BYTES
    from aecore.analysis import inspection

    final = inspection.latent_grid(model, steps=snapshots.GRID)[0]  # the last snapshot is the finished decoder's grid
    assert np.abs(grids[-1].astype(float) - np.round(final * 255)).max() <= 1
    codes = model.snapshots["codes"].astype(np.float32)
    assert np.array_equal(timeline.aligned_maps(codes), codes)  # a 2-D code is its own map, at its own scale
    with Image.open(timeline.write_frames(model.snapshots, tmp_path / "frames")[-1]) as frame:
        assert frame.width == 2 * 480  # the grid beside the map, for slides


def test_the_timeline_page_sends_every_snapshot_to_the_player_once(digits, tmp_path, monkeypatch):
    import base64
    from pathlib import Path

    from pages import open_app

    from dashboard.components import timeline_player

    root = Path(__file__).resolve().parents[1]
    config = trainer.TrainConfig(epochs=3, batch_size=32, patience=0)
    saved = ModelStore(tmp_path).save(trainer.train("conv", digits, 8, None, config), "watched")
    expected = ModelStore(tmp_path).snapshots(saved.name)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("AECORE_STORE", str(tmp_path))
    app = open_app("timeline")
    [data] = [json.loads(element.proto.json) for element in app.get("bidi_component") if element.proto.json]
    count, points = len(expected["epochs"]), len(expected["indices"])
    assert data["count"] == count == len(data["strips"]) and data["points"] == points and data["epochs"][-1] == 3.0
    assert data["grids"] is None and data["sheet_url"]  # a conv model: no latent grid; hover thumbnails served
    positions = np.frombuffer(base64.b64decode(data["positions"]), np.float32).reshape(count, points, 2)
    maps = timeline.aligned_maps(expected["codes"].astype(np.float32))
    assert np.allclose(positions, timeline_player.unit_positions(maps))  # every frame is its aligned map
    assert positions.min() >= 0 and positions.max() <= 1 and data["labels"] == expected["labels"].tolist()
    ModelStore(tmp_path).save(trainer.train("dense", digits, 8, None, trainer.TrainConfig(
        epochs=1, patience=0, snapshots="off")), "unwatched")
    other = open_app("timeline", model="unwatched")
    assert any("has no training snapshots" in info.value for info in other.info)
