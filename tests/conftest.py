"""Shared fixtures: real data (digits, Fashion-MNIST from Debian's package), small trained models, a temp store.

No test touches the network: AECORE_OFFLINE=1 and a private KERAS_HOME are set for the whole session.
AECORE_SHIPPED_MODELS is empty, so stores start without the shipped photo model unless a test says otherwise.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ["AECORE_OFFLINE"] = "1"
# The photo model shipped with aecore is listed in every store; tests start from a store without it, and the
# tests of the shipped model put it back (monkeypatch.delenv, or a server started with it).
os.environ["AECORE_SHIPPED_MODELS"] = ""
# Workers map what they trained once the queue is empty (UMAP, seconds of numba); tests/test_premap.py turns it on.
os.environ.setdefault("AECORE_PREMAP", "")
# Home starts a standby worker (TensorFlow loaded, waiting for the quick start); tests/test_quick_start_worker.py
# turns it on.
os.environ.setdefault("AECORE_STANDBY", "0")
if "KERAS_HOME" not in os.environ:
    os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="aecore-keras-home-")
    atexit.register(shutil.rmtree, os.environ["KERAS_HOME"], ignore_errors=True)  # one per run, not one left per run
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="session")
def digits():
    from aecore.data.catalog import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="session")
def fashion_small():
    """2,000 train / 500 test real Fashion-MNIST images (the Debian package is installed by .ci/run)."""
    if not FASHION_DIR.is_dir():
        pytest.skip("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
    from aecore.data.catalog import load_dataset

    return load_dataset("fashion_mnist").subset(2000, 500)


@pytest.fixture(scope="session")
def trained(digits):
    """One small trained model per family that the analysis and store tests share (digits, a few epochs)."""
    from aecore.training import trainer

    models = {}
    for family, latent in [("conv", 8), ("vae", 2), ("linear", 4), ("dense", 16)]:
        config = trainer.TrainConfig(epochs=60 if family == "linear" else 8, batch_size=64, patience=0)
        models[family] = trainer.train(family, digits, latent, None, config)
    return models


@pytest.fixture
def store(tmp_path):
    from aecore.store.modelstore import ModelStore

    return ModelStore(tmp_path / "models")


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def open_page(monkeypatch):
    """open_page(page, store=None, **options) -> tests/pages.py's open_app(page, **options) with AECORE_STORE at
    `store` for this test: every page test opens pages this one way (options: dataset="digits", model=None,
    timeout=120, check=True, and session state)."""
    from pages import open_app

    monkeypatch.syspath_prepend(str(ROOT))

    def opener(page: str, store=None, **options):
        if store is not None:
            monkeypatch.setenv("AECORE_STORE", str(store))
        return open_app(page, **options)

    return opener


@pytest.fixture(scope="session")
def series_store(tmp_path_factory):
    """(store folder, {family: saved name}): KDD-TSAD 135 from aeon's wheel as the store's dataset "kdd" (windows of
    32 every 4, its TRAIN file's 1,200 steps for training) and a small conv1d and lstm_seq model trained on it once per
    session, for every page test and browser test on a series."""
    from aecore.data import owndata, series
    from aecore.store import modelstore
    from aecore.training import trainer

    bundled = series.bundled_series()
    if "kdd-tsad-135" not in bundled:
        pytest.skip("aeon's wheel is not installed: pip install --no-deps -r requirements-data.txt")
    root = tmp_path_factory.mktemp("series-store")
    path, train_steps = bundled["kdd-tsad-135"]
    owndata.add("kdd", path, series.SeriesOptions(window=32, stride=4, train_steps=train_steps), root)
    data = owndata.load("kdd", root)
    saved, names = modelstore.ModelStore(root), {}
    for family, epochs in [("conv1d", 8), ("lstm_seq", 2)]:
        config = trainer.TrainConfig(epochs=epochs, batch_size=64, patience=0)
        names[family] = saved.save(trainer.train(family, data, 8, None, config)).name
    return root, names
