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
    """open_page(page, store=None, *, dataset="digits", model=None, timeout=120, check=True, **state) -> the AppTest
    of app.py run on `page` ("views/x.py" or "x"): every page test opens pages this one way.

    app.py declares the pages (st.navigation), so page links and switch_page resolve. `store` points AECORE_STORE
    at a model store for this test; `dataset` and `model` preset the sidebar's pickers (None: the app's own choice);
    other keywords are session state. With `check`, a page that raised fails the test with its message."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.syspath_prepend(str(ROOT))

    def opener(page: str, store=None, *, dataset="digits", model=None, timeout=120, check=True, **state):
        if store is not None:
            monkeypatch.setenv("AECORE_STORE", str(store))
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        for key, value in {"dataset": dataset, "model": model, **state}.items():
            if value is not None:
                app.session_state[key] = value
        app.switch_page(page if page.endswith(".py") else f"views/{page}.py").run()
        if check:
            assert not app.exception, [item.value for item in app.exception]
        return app

    return opener
