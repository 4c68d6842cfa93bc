"""An imported model explored on the data it was trained on (issue #40), by AppTest on real digits.

A store holds a dense model trained on scikit-learn's digits and a notebook's model imported with its data file
(`digits.npz`, which becomes the user's dataset `digits-npz`): picking the imported model in the sidebar opens
its dataset, on other data the sidebar says so with its score on both, no page picks it by itself on data it was
not trained on, and the Train page imports a model with its data file.
"""

import numpy as np
import pytest

from aecore.models import foreign
from aecore.store import importdata, serialization
from aecore.store.modelstore import ModelStore
from aecore.training import cards, trainer
from dashboard.state import picks
from dashboard.text import md

IMPORTED, TRAINED, OWN = "notebook-small", "digits-dense", "digits-npz"


def notebook_files(folder, digits):
    """digits.npz (x, y: the whole of scikit-learn's digits, 0-1 floats) and small.keras, an 8x8 Sequential."""
    import keras
    from keras import layers

    np.savez(folder / "digits.npz", x=np.concatenate([digits.x_train, digits.x_test])[..., 0],
             y=np.concatenate([digits.y_train, digits.y_test]))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(6, activation="relu"),
                              layers.Dense(64, activation="sigmoid"), layers.Reshape((8, 8, 1))])
    model.compile("adam", "binary_crossentropy")
    model.fit(digits.x_train, digits.x_train, epochs=3, batch_size=64, verbose=0)  # a notebook's few epochs
    model.save(folder / "small.keras")
    return folder / "small.keras", folder / "digits.npz"


@pytest.fixture(scope="module")
def linked_store(tmp_path_factory, digits):
    """(store root, notebook folder): the trained dense model and the imported one, linked to `digits-npz`."""
    folder = tmp_path_factory.mktemp("imported-pages")
    store = ModelStore(folder / "store")
    config = trainer.TrainConfig(epochs=3, batch_size=64, patience=0)
    store.save(trainer.train("dense", digits, 8, None, config), TRAINED)
    model_file, data_file = notebook_files(folder, digits)
    serialization.import_model(model_file, store, IMPORTED, None, foreign.ImportSettings(),
                               importdata.ImportData(str(data_file)))
    return store.root, folder


def sidebar_box(app, label: str):
    return next(select for select in app.sidebar.selectbox if select.label == label)


def note_of(app) -> list[str]:
    return [caption.value for caption in app.sidebar.caption if "here on" in caption.value]


def test_the_import_is_linked_to_its_own_dataset(linked_store):
    meta = {entry.name: entry.meta for entry in ModelStore(linked_store[0]).entries()}[IMPORTED]
    assert cards.own_dataset(meta) == OWN and meta["dataset_added"]["file"] == "digits.npz"


def test_picking_the_imported_model_opens_its_dataset(linked_store, open_page):
    app = open_page("reconstructions", linked_store[0], dataset="digits")
    assert sidebar_box(app, "Model").value == TRAINED  # the page's own pick on digits: never the imported model
    sidebar_box(app, "Model").set_value(IMPORTED).run()
    assert not app.exception, [item.value for item in app.exception]
    assert sidebar_box(app, "Dataset").value == OWN and sidebar_box(app, "Model").value == IMPORTED
    assert note_of(app) == []  # on its own data: nothing to say
    app.switch_page("views/feature_maps.py").run()  # and it stays there on every page
    assert sidebar_box(app, "Dataset").value == OWN and sidebar_box(app, "Model").value == IMPORTED
    sidebar_box(app, "Dataset").set_value("digits").run()  # back to digits, and picked there once more:
    sidebar_box(app, "Model").set_value(IMPORTED).run()  # it stays on digits now, and says so
    assert sidebar_box(app, "Dataset").value == "digits" and sidebar_box(app, "Model").value == IMPORTED
    assert len(note_of(app)) == 1


def test_viewed_on_other_data_the_sidebar_says_so_with_both_scores(linked_store, open_page, digits):
    app = open_page("reconstructions", linked_store[0], dataset="digits", model=IMPORTED)
    assert sidebar_box(app, "Dataset").value == "digits" and sidebar_box(app, "Model").value == IMPORTED
    store = ModelStore(linked_store[0])
    meta = {entry.name: entry.meta for entry in store.entries()}[IMPORTED]
    here = cards.test_scores(store.load(IMPORTED), digits)["test_psnr"]
    there = meta["metrics"]["test_psnr"]
    assert note_of(app) == [f":material/info: {md(IMPORTED)} was scored on **{md(OWN)}**: PSNR {there:.1f} dB there, "
                            f"PSNR {here:.1f} dB here on **digits**."]
    trained = open_page("reconstructions", linked_store[0], dataset="digits", model=TRAINED)
    assert note_of(trained) == []  # a model on the data it was trained on


def test_a_model_is_never_the_best_pick_on_data_it_was_not_trained_on():
    metas = [{"name": "imported", "family": "conv", "dataset": "mnist-npz", "metrics": {"test_psnr": 30.0}},
             {"name": "here", "family": "dense", "dataset": "fashion_mnist", "metrics": {"test_psnr": 15.0}},
             {"name": "older", "family": "conv", "metrics": {"test_psnr": 14.0}}]  # a card without a dataset
    for page in ("reconstructions", "feature_maps", "latent_map", "home"):
        assert picks.pick_for_page(page, metas, "fashion_mnist")[0] != "imported", page
        assert picks.pick_for_page(page, metas, "mnist-npz")[0] == "imported", page
    name, why = picks.pick_for_page("reconstructions", metas[:1], "fashion_mnist")  # the only one: shown, and said
    assert name == "imported" and "trained on other data" in why


@pytest.mark.slow  # the import loads the model in a separate process, twice (inspect, then import): ~15 s
def test_the_train_page_imports_a_model_with_its_data_file(linked_store, open_page, tmp_path):
    model_file, data_file = linked_store[1] / "small.keras", linked_store[1] / "digits.npz"
    app = open_page("train", tmp_path / "store", timeout=180)
    app.file_uploader(key="import-model").set_value(("small.keras", model_file.read_bytes(), "application/zip"))
    app.file_uploader(key="import-data").set_value(("digits.npz", data_file.read_bytes(), "application/zip")).run()
    app.button(key="import-inspect").click().run()
    assert not app.error, [item.value for item in app.error]
    assert any("**digits.npz** becomes one of your datasets" in caption.value for caption in app.caption)
    app.button(key="import-confirm").click().run()
    assert not app.exception and not app.error, [item.value for item in app.error]
    entries = {entry.name: entry.meta for entry in ModelStore(tmp_path / "store").entries()}
    assert list(entries) == ["small"] and cards.own_dataset(entries["small"]) == OWN
    assert any("your new dataset, made from digits.npz" in success.value for success in app.success)
    explore = app.button(key="import-explore")
    assert explore.label == f"Explore small on {md(OWN)}"
