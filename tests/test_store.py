"""The model store: round trips, atomic saves, corrupt entries skipped, safe names, guarded import."""

import json
import threading
import zipfile

import keras
import numpy as np
import pytest

from aecore.errors import ImportRefused, StoreError
from aecore.store import serialization
from aecore.store.modelstore import ModelStore, sanitize_name


def test_save_list_load_rename_delete(trained, store):
    entry = store.save(trained["dense"], "my model")
    assert entry.name == "my-model"
    assert [item.name for item in store.entries()] == ["my-model"]
    meta = json.loads((entry.path / "meta.json").read_text())
    for key in ("family", "options", "dataset", "input_shape", "metrics", "history", "versions", "created", "schema_version"):
        assert key in meta
    renamed = store.rename("my-model", "better")
    assert store.names() == ["better"] and renamed.meta["name"] == "better"
    assert store.load("better").family == "dense"
    store.delete("better")
    assert store.names() == []


def test_same_name_never_overwrites(trained, store):
    first = store.save(trained["dense"], "twin")
    second = store.save(trained["conv"], "twin")
    assert (first.name, second.name) == ("twin", "twin-2")
    assert store.load("twin").family == "dense" and store.load("twin-2").family == "conv"


def test_two_saves_at_the_same_moment_are_both_kept(trained, store):
    barrier = threading.Barrier(2)
    results = []

    def save(family):
        barrier.wait()
        results.append(store.save(trained[family], "race").name)

    threads = [threading.Thread(target=save, args=(family,)) for family in ("dense", "linear")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["race", "race-2"]
    assert {store.load(name).family for name in results} == {"dense", "linear"}


def test_corrupt_entries_are_reported_and_skipped(trained, store):
    store.save(trained["dense"], "good")
    for name in ("no-meta", "bad-json", "bad-model", "foreign"):
        (store.root / name).mkdir()
    (store.root / "bad-json" / "meta.json").write_text("{not json")
    (store.root / "bad-model" / "meta.json").write_text(json.dumps({"schema_version": 1, "family": "dense"}))
    (store.root / "bad-model" / "model.keras").write_bytes(b"truncated")
    (store.root / "foreign" / "meta.json").write_text(json.dumps({"schema_version": 1, "family": "gan"}))
    entries, problems = store.scan()
    assert [entry.name for entry in entries] == ["good"]
    reasons = {problem.name: problem.reason for problem in problems}
    assert reasons["no-meta"] == "meta.json is missing"
    assert "not valid JSON" in reasons["bad-json"]
    assert "not a .keras archive" in reasons["bad-model"]
    assert "unknown family 'gan'" in reasons["foreign"]
    assert store.load("good").family == "dense"
    with pytest.raises(StoreError, match="model 'bad-json' is damaged: meta.json is not valid JSON"):
        store.load("bad-json")


def test_truncated_model_file_gives_a_clear_error(trained, store):
    entry = store.save(trained["dense"], "cut")
    model_file = entry.path / "model.keras"
    with zipfile.ZipFile(model_file) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(model_file, "w") as archive:  # a valid zip whose weights are cut short
        for name, payload in members.items():
            archive.writestr(name, payload[: len(payload) // 2] if name.endswith(".h5") else payload)
    with pytest.raises(StoreError, match="'cut' cannot be loaded"):
        store.load("cut")


def test_a_crash_mid_save_leaves_nothing_listed(trained, store, monkeypatch):
    store.save(trained["dense"], "earlier")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(trained["conv"].model, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save(trained["conv"], "broken")
    assert store.names() == ["earlier"]
    assert not [path for path in store.root.iterdir() if path.name.startswith(".incoming")]
    assert store.load("earlier").family == "dense"


def test_leftovers_of_a_killed_save_are_invisible(trained, store):
    store.save(trained["dense"], "kept")
    leftover = store.root / ".incoming-deadbeef"
    leftover.mkdir()
    (leftover / "model.keras").write_bytes(b"half")
    assert store.names() == ["kept"]


def test_the_datasets_folder_is_not_a_model_nor_a_model_name(trained, store):
    (store.root / "datasets" / "mine").mkdir(parents=True)  # aecore.data.owndata's datasets live here
    (store.root / "datasets" / "mine" / "card.json").write_text("{}")
    assert store.scan() == ([], [])  # not a broken model either
    assert store.save(trained["dense"], "datasets").name == "datasets-2"
    assert store.names() == ["datasets-2"] and store.scan()[1] == []
    with pytest.raises(StoreError, match=r"'datasets' holds your own datasets in the store .*; pick another name"):
        store.rename("datasets-2", "datasets")


@pytest.mark.parametrize("name, cleaned", [("../evil", "evil"), ("a/b\\c", "a-b-c"), ("  spaced out  ", "spaced-out"),
                                           (".hidden", "hidden"), ("ünïcode✓", "n-code")])
def test_names_are_sanitised(name, cleaned):
    assert sanitize_name(name) == cleaned


def test_nothing_escapes_the_store(store, tmp_path):
    (tmp_path / "outside").mkdir()
    for name in ("../outside", "/etc", "..", ""):
        with pytest.raises(StoreError):
            store.load(name)
    with pytest.raises(StoreError, match="is not a usable model name"):
        sanitize_name("../..")


def test_store_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "elsewhere"))
    assert ModelStore().root == (tmp_path / "elsewhere").resolve()


def test_archive_holds_model_meta_and_the_training_snapshots(trained, store):
    store.save(trained["dense"], "zipped")
    with zipfile.ZipFile(__import__("io").BytesIO(store.archive("zipped"))) as archive:
        assert sorted(archive.namelist()) == ["zipped/meta.json", "zipped/model.keras", "zipped/snapshots.npz"]


# Guarded import of .keras files from elsewhere

def _plain_keras_autoencoder(path, lambda_layer=False):
    from keras import layers

    inputs = keras.Input((8, 8, 1))
    flat = layers.Flatten()(inputs)
    if lambda_layer:
        flat = layers.Lambda(lambda tensor: tensor * 1.0)(flat)
    encoder = keras.Model(inputs, layers.Dense(4, activation="relu")(flat), name="encoder")
    codes = keras.Input((4,))
    decoder = keras.Model(codes, layers.Reshape((8, 8, 1))(layers.Dense(64, activation="sigmoid")(codes)), name="decoder")
    image = keras.Input((8, 8, 1))
    model = keras.Model(image, decoder(encoder(image)))
    model.save(path)
    return model


@pytest.mark.slow
def test_import_accepts_a_plain_autoencoder(tmp_path, store, digits):
    path = tmp_path / "theirs.keras"
    original = _plain_keras_autoencoder(path)
    entry = serialization.import_model(path, store)
    loaded = store.load(entry.name)
    np.testing.assert_allclose(loaded.reconstruct(digits.x_test[:4]), np.asarray(original(digits.x_test[:4])), atol=1e-6)


def test_import_refuses_a_lambda_layer(tmp_path, store):
    path = tmp_path / "lambda.keras"
    _plain_keras_autoencoder(path, lambda_layer=True)
    with pytest.raises(ImportRefused, match="the model uses Lambda, which can run arbitrary code"):
        serialization.import_model(path, store)
    assert store.names() == []


def test_import_refuses_unknown_classes(tmp_path, store):
    path = tmp_path / "custom.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps({"module": "evil.module", "class_name": "Payload", "config": {}}))
    with pytest.raises(ImportRefused, match="the class 'Payload' from 'evil.module'"):
        serialization.import_model(path, store)


@pytest.mark.parametrize("filename, payload, message", [
    ("model.h5", b"\x89HDF\r\n\x1a\n", "only Keras 3 '.keras' files are accepted"),
    ("model.keras", b"not a zip at all", "is not a .keras archive"),
])
def test_import_refuses_bad_files(tmp_path, store, filename, payload, message):
    path = tmp_path / filename
    path.write_bytes(payload)
    with pytest.raises(ImportRefused, match=message):
        serialization.import_model(path, store)


@pytest.mark.slow
def test_import_refuses_a_model_that_is_not_an_autoencoder(tmp_path, store):
    from keras import layers

    inputs = keras.Input((8, 8, 1))
    classifier = keras.Model(inputs, layers.Dense(10)(layers.Flatten()(inputs)))
    classifier.save(tmp_path / "classifier.keras")
    with pytest.raises(ImportRefused, match=r"classifier.keras was refused: .* to \(10,\); an autoencoder's output"):
        serialization.import_model(tmp_path / "classifier.keras", store)


def test_import_size_cap(tmp_path, store, monkeypatch):
    path = tmp_path / "big.keras"
    path.write_bytes(b"0" * 2048)
    monkeypatch.setattr(serialization, "MAX_IMPORT_BYTES", 1024)
    with pytest.raises(ImportRefused, match="the limit is"):
        serialization.import_model(path, store)
