"""A training worker maps every image of the dataset for each model it trained, once no training waits
(aecore.training.worker.premap), so the Latent map opens on a ready map."""

from aecore.store import mapcache
from aecore.store.modelstore import ModelStore
from aecore.training import worker


def test_premap_caches_the_whole_dataset_map_and_never_fails(tmp_path, trained, digits, capsys):
    store = ModelStore(tmp_path / "models")
    name = store.save(trained["conv"], "premapped").name
    assert mapcache.cached_map(store, name, "digits", "all", "pca") is None
    worker.premap(name, "digits", store.root, "pca")
    found = mapcache.cached_map(store, name, "digits", "all", "pca")
    assert found is not None and len(found.points) == len(digits.x_train) + len(digits.x_test)
    worker.premap("no-such-model", "digits", store.root, "pca")  # reported, never raised: the page maps it then
    assert "the pca map of no-such-model was not kept" in capsys.readouterr().err


def test_premap_is_off_when_asked(tmp_path, trained, monkeypatch):
    store = ModelStore(tmp_path / "models")
    name = store.save(trained["conv"], "unmapped").name
    monkeypatch.setenv("AECORE_PREMAP", "")
    worker.premap(name, "digits", store.root)
    assert mapcache.cached_map(store, name, "digits", "all", "umap") is None
