"""Maps of whole splits (issue #23): codes and projections cached beside the model, dropped with it, and the
`project` command, on real digits and the whole of Fashion-MNIST."""

import csv
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from aecore.analysis import projections
from aecore.errors import DatasetError
from aecore.store import mapcache
from aecore.training import trainer


def test_all_is_train_then_test_with_labels_and_a_train_flag(digits):
    chosen = mapcache.split(digits, "all")
    assert len(chosen.images) == len(digits.x_train) + len(digits.x_test)
    np.testing.assert_array_equal(chosen.images[len(digits.x_train)], digits.x_test[0])
    np.testing.assert_array_equal(chosen.labels, np.concatenate([digits.y_train, digits.y_test]))
    assert chosen.is_train.sum() == len(digits.x_train) and not chosen.is_train[-1]
    with pytest.raises(DatasetError, match="unknown split 'val'; choose one of: test, train, all"):
        mapcache.split(digits, "val")


def test_a_map_is_computed_once_then_read_from_the_store(store, trained, digits, monkeypatch):
    name = store.save(trained["conv"], "conv").name
    stages = []
    first = mapcache.project(store, name, trained["conv"], digits, "all", "tsne", progress=lambda *a: stages.append(a))
    assert first.points.shape == (len(digits.x_train) + len(digits.x_test), 2) and first.trustworthiness > 0.9
    assert stages[0][0] == "encoding" and stages[-1] == ("projecting", 1.0)
    assert sorted(path.name for path in store.cache_folder(name).iterdir()) == ["codes-digits-all.npz", "map-digits-all-tsne.npz"]
    codes, errors = mapcache.codes_and_errors(store, name, trained["conv"], digits, "all")
    chosen = mapcache.split(digits, "all").images
    np.testing.assert_allclose(codes[:5], projections.flatten(trained["conv"].encode(chosen[:5])), atol=1e-5)
    from aecore.analysis import metrics

    np.testing.assert_allclose(errors[-5:], metrics.mean_squared_error(chosen[-5:], trained["conv"].reconstruct(chosen[-5:])),
                               rtol=1e-4)

    def refuse(*args, **kwargs):
        raise AssertionError("the cached map should have been used")

    monkeypatch.setattr(projections, "project", refuse)
    again = mapcache.project(store, name, trained["conv"], digits, "all", "tsne")
    np.testing.assert_array_equal(again.points, first.points)
    assert again.trustworthiness == first.trustworthiness


def test_a_new_model_under_a_freed_name_does_not_see_the_old_maps(store, trained, digits):
    name = store.save(trained["dense"], "reused").name
    mapcache.project(store, name, trained["dense"], digits, "test", "pca")
    store.delete(name)
    assert store.save(trained["conv"], "reused").name == name
    assert mapcache.cached_map(store, name, digits.name, "test", "pca") is None  # new folder, no cache
    old = store.cache_folder(name) / "map-digits-test-pca.npz"
    from aecore.base import atomic

    atomic.write_arrays(old, {"points": np.zeros((3, 2)), "trustworthiness": np.array(1.0), "seconds": np.array(0.0),
                              "created": np.array("2000-01-01T00:00:00+00:00")})
    assert mapcache.cached_map(store, name, digits.name, "test", "pca") is None and not old.exists()


def test_a_shipped_models_cache_stays_out_of_the_read_only_folder(tmp_path, monkeypatch):
    from aecore.store import modelstore

    monkeypatch.delenv("AECORE_SHIPPED_MODELS", raising=False)
    store = modelstore.ModelStore(tmp_path / "models")
    assert store.cache_folder("photo-shipped") == tmp_path / "models" / ".cache" / "photo-shipped"
    assert not (modelstore.SHIPPED_FOLDER / "photo-shipped" / "cache").exists()
    assert "photo-shipped" in store.names()  # the hidden .cache folder is not a model


def run_project(*arguments):
    return subprocess.run([sys.executable, "-m", "aecore", "project", *arguments], capture_output=True, text=True, timeout=600)


def test_project_writes_the_whole_of_fashion_mnist_as_csv_with_a_json_line(tmp_path, fashion_small):
    from aecore.store.modelstore import ModelStore

    model = trainer.train("dense", fashion_small, 16, None, trainer.TrainConfig(epochs=3, batch_size=128, patience=0))
    ModelStore(tmp_path / "models").save(model, "fashion-dense")
    out = tmp_path / "map.csv"
    run = run_project("fashion-dense", "--store", str(tmp_path / "models"), "--dataset", "fashion_mnist", "--method", "pca",
                      "--split", "all", "--out", str(out))
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["points"] == 70_000 and result["method"] == "pca" and not result["cached"]
    assert 0.5 < result["trustworthiness"] < 1 and result["seconds"] > 0
    assert "projecting [##############################] 100%" in run.stderr  # the progress bar
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["index", "split", "label", "class", "x", "y"] and len(rows) == 70_001
    assert rows[1][1] == "train" and rows[-1][1] == "test" and rows[-1][3] in fashion_small.class_names
    again = run_project("fashion-dense", "--store", str(tmp_path / "models"), "--dataset", "fashion_mnist",
                        "--method", "pca", "--split", "all", "--quiet")
    assert json.loads(again.stdout.strip().splitlines()[-1])["cached"] is True


def test_project_umap_on_digits_with_a_projector_bundle_and_clear_errors(tmp_path, trained, digits):
    from aecore.store.modelstore import ModelStore

    ModelStore(tmp_path / "models").save(trained["conv"], "digits-conv")
    progress, bundle = tmp_path / "progress.json", tmp_path / "projector.zip"
    run = run_project("digits-conv", "--store", str(tmp_path / "models"), "--method", "umap", "--split", "test",
                      "--projector", str(bundle), "--progress-file", str(progress), "--quiet")
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["points"] == len(digits.x_test) and result["trustworthiness"] > 0.9
    assert json.loads(progress.read_text())["done"] is True
    assert len(zipfile.ZipFile(bundle).read("vectors.tsv").decode().strip().splitlines()) == len(digits.x_test)
    missing = run_project("nope", "--store", str(tmp_path / "models"))
    assert missing.returncode == 2 and "no model named 'nope'" in missing.stderr


def test_thumbnail_sheets_follow_the_given_order_across_train_and_test(digits):
    from PIL import Image

    from dashboard.server import sheets

    parts = tuple(mapcache.parts(digits, "all"))
    order = np.random.default_rng(0).permutation(sum(len(part) for part in parts))
    sheet = np.asarray(Image.open(io.BytesIO(sheets.sheet_png(parts, 1, order)))) / 255
    per_sheet, side = sheets.SHEET_SIDE ** 2, digits.x_test.shape[1]
    for offset in (0, 5, sheets.SHEET_SIDE + 3, per_sheet - 1):  # first, same row, next row, last
        row, column = divmod(offset, sheets.SHEET_SIDE)
        expected = mapcache.images_at(digits, "all", [order[per_sheet + offset]])[0, :, :, 0]
        np.testing.assert_allclose(sheet[row * side : (row + 1) * side, column * side : (column + 1) * side], expected, atol=1 / 255)
    last = (len(order) - 1) // per_sheet  # a part-filled sheet: its images, then black
    tail = np.asarray(Image.open(io.BytesIO(sheets.sheet_png(parts, last, order)))) / 255
    row, column = divmod(len(order) - 1 - last * per_sheet, sheets.SHEET_SIDE)
    expected = mapcache.images_at(digits, "all", [order[-1]])[0, :, :, 0]
    np.testing.assert_allclose(tail[row * side : (row + 1) * side, column * side : (column + 1) * side], expected, atol=1 / 255)
    assert tail[-side:, -side:].max() == 0
    assert sheets.sheet_png(parts, last + 1, order) is None and sheets.sheet_png(parts, -1) is None


def test_the_map_message_holds_the_points_and_each_images_place_on_the_sheets(digits):
    import struct

    from dashboard.components import big_map

    points = np.random.default_rng(1).normal(size=(500, 2)) * [3, 1]
    order = big_map.sheet_order(points)
    message = big_map.pack("k", points, digits.y_test[:500], np.zeros(500), np.linspace(0, 1, 500), digits.class_names,
                          (500, 8, 8, 1), "/api/sheets/t", chosen=[3, 4], order=order)
    length = struct.unpack("<I", message[8:12])[0]
    header = json.loads(message[12 : 12 + length])
    offsets = header["offsets"]
    assert all(offset % 4 == 0 for offset in offsets.values()) and header["count"] == 500
    positions = np.frombuffer(message, np.float32, 1000, offsets["positions"]).reshape(500, 2)
    np.testing.assert_allclose(positions, big_map.unit_square(points))
    assert positions.min() >= 0 and positions.max() <= 1 and np.ptp(positions[:, 0]) == pytest.approx(1)  # shape kept
    rank = np.frombuffer(message, np.uint32, 500, offsets["rank"])
    np.testing.assert_array_equal(order[rank], np.arange(500))
    assert np.flatnonzero(np.frombuffer(message, np.uint8, 500, offsets["chosen"])).tolist() == [3, 4]


CACHE_PROBE = """
import json, numpy as np
from aecore.analysis import projections
import umap.layouts, umap.umap_
projections.project(np.random.default_rng(0).normal(size=(300, 8)).astype("float32"), "umap")
functions = [umap.umap_.smooth_knn_dist, umap.umap_.compute_membership_strengths, umap.layouts._nb_optimize_layout_euclidean_single_epoch]
print(json.dumps([[sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values())] for f in functions]))
"""


def test_umap_compiles_once_per_machine_not_once_per_process():
    """umap-learn's own uncached functions load from numba's disk cache in a second fresh process; its serial layout
    epoch, which shares its Python function (and so numba's cache key) with the parallel one, is never cached."""
    runs = [subprocess.run([sys.executable, "-c", CACHE_PROBE], capture_output=True, text=True, timeout=600) for _ in range(2)]
    assert runs[1].returncode == 0, runs[1].stderr[-2000:]
    (smooth, membership, serial_epoch) = json.loads(runs[1].stdout.strip().splitlines()[-1])
    assert smooth[0] > 0 and membership[0] > 0 and smooth[1] == membership[1] == 0, (smooth, membership)
    assert serial_epoch == [0, 1]
