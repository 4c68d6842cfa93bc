"""A model imported with the data it was trained on (#40): `import MODEL.keras --dataset FILE` makes the file one of
the user's datasets, once, and the model's card names it; `evaluate MODEL` then uses it.

Real data: the first Fashion-MNIST images saved as a notebook saves MNIST (`mnist.npz`, the Keras layout, uint8),
and scikit-learn's digits as an `x`/`y` file; the models are the Keras write-up's conv model and an 8x8 Sequential.
"""

import json
import shutil

import numpy as np
import pytest
from notebook_models import writeup_conv

from aecore.cli import main as cli
from aecore.data import owndata, ownfile
from aecore.errors import DatasetError
from aecore.training import cards


@pytest.fixture(scope="module")
def files(tmp_path_factory, fashion_small, digits):
    """mnist.npz (Keras layout, 600 + 200 uint8 images), digits.npz (x, y; 8x8 floats), and two .keras models."""
    import keras
    from keras import layers

    folder = tmp_path_factory.mktemp("notebook")
    def pixels(images):
        return np.round(images[..., 0] * 255).astype(np.uint8)  # (n, 28, 28) as Keras has it
    np.savez(folder / "mnist.npz", x_train=pixels(fashion_small.x_train[:600]), y_train=fashion_small.y_train[:600],
             x_test=pixels(fashion_small.x_test[:200]), y_test=fashion_small.y_test[:200])
    np.savez(folder / "digits.npz", x=np.concatenate([digits.x_train, digits.x_test])[..., 0],
             y=np.concatenate([digits.y_train, digits.y_test]))
    keras.utils.set_random_seed(0)
    writeup_conv().save(folder / "blog_conv.keras")
    keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(6, activation="relu"),
                      layers.Dense(64, activation="sigmoid"), layers.Reshape((8, 8, 1))]).save(folder / "small.keras")
    return folder


@pytest.fixture
def store_root(tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "store"))  # main() sets it from --store; restored after
    return tmp_path / "store"


def run(*arguments, capsys):
    code = cli.main([*map(str, arguments)])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out.strip().splitlines()[-1]) if code == 0 else captured.err.strip())


def models(store_root) -> dict:
    from aecore.store import modelstore

    return {entry.name: entry.meta for entry in modelstore.ModelStore(store_root).entries()}


@pytest.mark.slow  # each import loads the model in a separate process first (~5 s)
def test_an_import_with_a_data_file_leaves_one_dataset_and_one_model_linked_to_it(files, store_root, capsys):
    code, result = run("import", files / "blog_conv.keras", "--dataset", files / "mnist.npz", "--store", store_root,
                       capsys=capsys)
    assert code == 0, result
    assert result["dataset"] == "mnist-npz"  # never the catalogue's own `mnist`
    assert result["dataset_added"] == {"file": "mnist.npz", "reused": False}
    assert owndata.names(store_root) == ["mnist-npz"] and list(models(store_root)) == ["blog_conv"]
    meta = models(store_root)["blog_conv"]
    assert cards.own_dataset(meta) == "mnist-npz" and cards.is_own_dataset(meta, "mnist-npz")
    assert not cards.is_own_dataset(meta, "fashion_mnist")
    added = owndata.load("mnist-npz", store_root)
    with np.load(files / "mnist.npz") as original:  # converted at the model's size: the same pixels, same split
        assert np.array_equal(np.round(added.x_test[..., 0] * 255), original["x_test"])
        assert np.array_equal(added.y_train, original["y_train"])
    assert set(meta["metrics"]) >= {"test_bce", "test_psnr", "knn_accuracy", "linear_probe_accuracy"}

    shutil.copy(files / "mnist.npz", files / "copy-of-mnist.npz")  # the same bytes under another name
    code, again = run("import", files / "blog_conv.keras", "--dataset", files / "copy-of-mnist.npz", "--name", "again",
                      "--store", store_root, capsys=capsys)
    assert code == 0, again
    assert again["dataset"] == "mnist-npz" and again["dataset_added"] == {"file": "copy-of-mnist.npz", "reused": True}
    assert owndata.names(store_root) == ["mnist-npz"]  # reused, not converted twice
    assert {name: meta["dataset"] for name, meta in models(store_root).items()} == {"blog_conv": "mnist-npz",
                                                                                    "again": "mnist-npz"}
    assert again["test_psnr"] == pytest.approx(result["test_psnr"])

    code, named = run("import", files / "blog_conv.keras", "--dataset", "mnist-npz", "--name", "by-name",
                      "--store", store_root, capsys=capsys)  # a dataset already added, named: used as it is
    assert code == 0 and named["dataset"] == "mnist-npz" and named["dataset_added"] is None

    code, evaluated = run("evaluate", "blog_conv", "--store", store_root, capsys=capsys)
    assert code == 0, evaluated
    assert evaluated["dataset"] == "mnist-npz" and evaluated["own_dataset"] is True
    assert evaluated["test_psnr"] == pytest.approx(meta["metrics"]["test_psnr"], abs=1e-4)
    assert cards.card_scores(meta, "mnist-npz")["test_psnr"] == meta["metrics"]["test_psnr"]
    assert cards.card_scores(meta, "fashion_mnist") is None


@pytest.mark.slow  # the import loads the model in a separate process first (~5 s)
def test_a_file_for_a_small_model_is_converted_at_its_size_and_names_are_checked_first(files, store_root, capsys):
    code, first = run("import", files / "small.keras", "--dataset", files / "digits.npz", "--store", store_root,
                      capsys=capsys)
    assert code == 0, first
    assert first["dataset"] == "digits-npz" and owndata.card("digits-npz", store_root)["size"] == 8  # the model's size
    for arguments, message in [
        (("--dataset", files / "digits.npz", "--dataset-name", "Digits"), "'Digits' is a built-in dataset's name"),
        (("--dataset", "digits", "--dataset-name", "mine"), "--dataset 'digits' is a dataset's name, used as it is"),
        (("--dataset-name", "mine"), "--dataset-name 'mine' names a data file's dataset; give the file too")]:
        code, error = run("import", files / "small.keras", *arguments, "--store", store_root, capsys=capsys)
        assert code == 2 and message in error, error
    assert owndata.names(store_root) == ["digits-npz"] and len(models(store_root)) == 1


def test_bad_data_files_are_refused_with_the_reason_and_nothing_is_kept(tmp_path):
    store_root = tmp_path / "store"
    (tmp_path / "notes.npz").write_text("not an archive")
    np.savez(tmp_path / "wrong.npz", images=np.zeros((4, 8, 8), np.uint8))
    np.savez(tmp_path / "nan.npz", x=np.full((4, 8, 8), np.nan, np.float32))
    for path, reason in [(tmp_path / "notes.npz", "notes.npz is not a readable .npz file"),
                         (tmp_path / "wrong.npz", r"wrong.npz has keys \['images'\]; expected x_train, x_test"),
                         (tmp_path / "nan.npz", "contains NaN or infinite values; replace them"),
                         (tmp_path / "missing.npz", "No such file or folder: .*missing.npz. Give the data file")]:
        with pytest.raises(DatasetError, match=reason):
            ownfile.add_once(path, (8, 8, 1), store=store_root)
    assert owndata.names(store_root) == []


@pytest.mark.slow  # the import loads the model in a separate process first (~5 s)
def test_the_command_line_says_which_file_was_refused(files, tmp_path, store_root, capsys):
    (tmp_path / "notes.npz").write_text("not an archive")
    code, message = run("import", files / "small.keras", "--dataset", tmp_path / "notes.npz", "--store", store_root,
                        capsys=capsys)
    assert code == 2 and message.count("\n") == 0 and "notes.npz is not a readable .npz file" in message
    assert owndata.names(store_root) == [] and models(store_root) == {}


def test_an_upload_keeps_its_own_name_and_another_size_is_another_dataset(files, tmp_path):
    upload = tmp_path / "tmp-upload-x1" / "digits.npz"  # as a page writes an upload: its own name, a temporary folder
    upload.parent.mkdir()
    shutil.copy(files / "digits.npz", upload)
    store_root = tmp_path / "store"
    added = ownfile.add_once(upload, (8, 8, 1), store=store_root, source_name="digits.npz")
    assert (added.name, added.reused, added.card["source"]) == ("digits-npz", False, "digits.npz")
    again = ownfile.add_once(files / "digits.npz", (8, 8, 1), store=store_root)
    assert (again.name, again.reused) == ("digits-npz", True)
    colour = ownfile.add_once(files / "digits.npz", (32, 32, 3), store=store_root)  # same file, the size of another model
    assert (colour.name, colour.reused, colour.card["size"], colour.card["channels"]) == ("digits-npz-2", False, 32, 3)
    assert owndata.names(store_root) == ["digits-npz", "digits-npz-2"]


def test_a_model_of_non_square_images_cannot_take_a_data_file():
    with pytest.raises(DatasetError, match="the model takes 4x16 images; a data file becomes a dataset of square"):
        ownfile.options_for((4, 16, 1))


def test_file_names_never_take_a_catalogue_name(tmp_path):
    for given, expected in [("mnist.npz", "mnist-npz"), ("Fashion-MNIST.zip", "Fashion-MNIST-zip"),
                            ("photos", "photos-folder"), ("cells.zip", "cells"), ("my cells!.npz", "my-cells")]:
        path = tmp_path / given
        path.mkdir() if "." not in given else path.write_bytes(b"")
        assert ownfile.name_for(path) == expected


def test_the_own_dataset_is_offered_only_when_it_is_there():
    meta = {"dataset": "mnist-npz", "metrics": {"test_psnr": 20.0}}
    assert cards.own_dataset_here(meta, ["fashion_mnist", "mnist-npz"]) == "mnist-npz"
    assert cards.own_dataset_here(meta, ["fashion_mnist"]) is None
    assert cards.own_dataset({"dataset": "imported"}) is None and cards.own_dataset({}) is None
    assert not cards.is_own_dataset({"dataset": "imported"}, "imported")
