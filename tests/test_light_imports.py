"""Home draws without TensorFlow (#35): importing what Home imports, and running Home on an empty store, leave Keras
and TensorFlow unimported, so a server's first page never waits seconds for them (the warm-up thread loads them
beside it). Each check runs in a fresh Python, whose `sys.modules` says what was imported."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("keras", "tensorflow")
# What Home's first run need not wait for either: a second of imports on the cold server's first visit (#35)
ENGINES = ("sklearn", "scipy.stats", "scipy.ndimage")
CHECK = f"""
import json, sys, traceback


class Who:
    \"\"\"Notes which of our files imported Keras or TensorFlow first, for the failure's message.\"\"\"
    def find_spec(self, name, path=None, target=None):
        if name in {{names}}:
            chain = [frame.filename for frame in traceback.extract_stack()
                     if {str(ROOT)!r} in frame.filename and "/.venv/" not in frame.filename]
            print(name + " imported by " + " <- ".join(reversed(chain)), file=sys.stderr)
            sys.meta_path.remove(self)


sys.meta_path.insert(0, Who())
{{body}}
print(json.dumps(sorted(name for name in {{names}} if name in sys.modules)))
"""


def heavy_after(body: str, store: Path | None = None, warm: bool = False, names: tuple = HEAVY) -> list[str]:
    """Which of `names` (Keras and TensorFlow) a fresh Python holds after running `body` (in the work tree, store
    `store`; `warm`: with the server's Keras warm-up thread, which pages start as they end)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "AECORE_OFFLINE": "1", "AECORE_WARM": "1" if warm else "0"}
    environment.pop("AECORE_SHIPPED_MODELS", None)  # as a server runs: the shipped photo models are in every store
    if store is not None:
        environment["AECORE_STORE"] = str(store)
    result = subprocess.run([sys.executable, "-c", CHECK.format(body=body, names=repr(names))], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    print(*[line for line in result.stderr.splitlines() if " imported by " in line], sep="\n")  # shown on failure
    return found


def page_imports(page: str) -> list[str]:
    """The modules a page script imports at its top ('from dashboard.state import caches' -> 'dashboard.state.caches')."""
    found = []
    for node in ast.parse((ROOT / "views" / f"{page}.py").read_text()).body:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def import_lines(modules: list[str]) -> str:
    """Python that imports each module (or, for 'package.name' where name is not a module, the package)."""
    return "\n".join(f"import importlib\ntry:\n    importlib.import_module({name!r})\n"
                     f"except ModuleNotFoundError:\n    importlib.import_module({name.rsplit('.', 1)[0]!r})"
                     for name in modules)


def test_what_home_imports_does_not_import_keras():
    modules = page_imports("home")
    assert "dashboard.state.caches" in modules and "dashboard.state.sidebar" in modules  # the page, as it is read
    assert heavy_after(import_lines(modules)) == []


def test_what_home_imports_does_not_import_scikit_learn_or_scipys_statistics():
    """The sidebar reads model cards and the caches' module holds every page's loaders: neither imports the engines
    of the training card's scores or the Anomalies page's (they come with the pages that use them)."""
    assert heavy_after(import_lines(page_imports("home")), names=ENGINES) == []
    assert heavy_after(import_lines(["dashboard.state.anomaly_caches"]), names=ENGINES) == sorted(ENGINES)


def test_what_train_imports_does_not_import_keras():
    """The Train page's form and its import section (Keras comes once a file is given or a training starts)."""
    modules = page_imports("train")
    assert "dashboard.sections.train_form" in modules and "dashboard.sections.importer" in modules
    assert heavy_after(import_lines(modules)) == []


def test_the_job_records_do_not_import_keras():
    """The job files and queue (read on every rerun of Home and Train) and the training config they hold."""
    assert heavy_after("from aecore.training import jobs, loop\nloop.TrainConfig(epochs=1)") == []


def test_the_check_sees_keras_when_a_module_imports_it():
    assert heavy_after(import_lines(["aecore.training.trainer"])) == ["keras", "tensorflow"]


def test_a_monitor_is_still_a_keras_callback():
    """`loop.Monitor` is made on first use; it is then the same class each time, and a Keras callback."""
    body = ("from aecore.training import loop\nimport keras\n"
            "assert loop.Monitor is loop.Monitor and issubclass(loop.Monitor, keras.callbacks.Callback)\n"
            "monitor = loop.Monitor(2, 3, None, None)\nassert monitor.epoch == 1 and monitor.history == {}")
    assert heavy_after(body) == ["keras", "tensorflow"]
    with pytest.raises(AttributeError, match="has no attribute 'Monitr'"):
        from aecore.training import loop

        loop.Monitr  # noqa: B018


@pytest.mark.slow
def test_home_on_an_empty_store_runs_without_keras(tmp_path):
    """Home's whole script (the sidebar, the quick start's offer, the links), run as a first visitor runs it; with
    no model in the store and none training, it starts no warm-up either (a second visitor would wait for its
    import)."""
    body = ("from tests.pages import open_app\n"
            "app = open_app('home', dataset='digits')\n"
            "assert [button.label for button in app.button] == ['Start the quick start'], app.button")
    assert heavy_after(body, store=tmp_path / "store", warm=True) == [], "nor a warm-up: no model here, none coming"


@pytest.mark.slow
def test_home_then_warms_keras_and_the_newest_models_in_a_thread(tmp_path, digits):
    """Home ends by starting the warm-up thread: it loads Keras, what a page shows a model with, and the newest models
    of the dataset into the model cache, each once (Home's own pick is loaded by its sidebar)."""
    from aecore.store.modelstore import ModelStore
    from aecore.training import trainer

    store, config = ModelStore(tmp_path / "store"), trainer.TrainConfig(epochs=1, patience=0, snapshots="off")
    names = [store.save(trainer.train("dense", digits, 4, None, config), name).name for name in ("first", "second")]
    body = ("import threading\nfrom aecore.store import modelstore\n"
            "loads, real = [], modelstore.ModelStore.load\n"
            "modelstore.ModelStore.load = lambda self, name: loads.append(name) or real(self, name)\n"
            "from tests.pages import open_app\nopen_app('home', dataset='digits')\n"
            "from dashboard.state import caches, warmup\n"
            "[warming] = [thread for thread in threading.enumerate() if thread.name == 'aecore-warm-keras']\n"
            "warming.join(240)\n"
            "assert all(name in sys.modules for name in warmup.KERAS_MODULES)\n"
            f"assert sorted(loads) == {sorted(names)!r}, loads\n"
            f"for entry in [entry for entry in caches.model_store().entries() if entry.name in {names!r}]:\n"
            "    caches.model(entry.name, caches.stamp_of(entry.meta))\n"
            f"assert sorted(loads) == {sorted(names)!r}, ('each model loaded once', loads)")
    assert heavy_after(body, store=tmp_path / "store", warm=True) == ["keras", "tensorflow"]
