"""AppTests of the Home and Train pages: empty states, quick start, a real training job, model cards."""

import json
import time
from types import SimpleNamespace

import pytest

from aecore.store.modelstore import ModelStore
from aecore.training import trainer
from dashboard.state.job_runner import JobSpec
from dashboard.state.roles import Visitor

OWNER = Visitor("owner", "test-session", "open")  # what every session is on a dashboard with no owner set


@pytest.fixture
def app_store(tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "models"))
    return ModelStore(tmp_path / "models")


def wait_for_jobs(timeout=120):
    from dashboard.state import caches

    runner = caches.job_runner()
    deadline = time.time() + timeout
    while runner.active_jobs() and time.time() < deadline:
        time.sleep(0.5)
    return runner


def test_home_with_an_empty_store_offers_the_quick_start(app_store, open_page):
    app = open_page("views/home.py")
    assert not app.exception
    assert any("Quick start" in header.value for header in app.subheader)
    assert any("No model for this dataset yet" in info.value for info in app.sidebar.info)
    button = next(button for button in app.button if button.label == "Start the quick start")
    app = button.click().run()
    assert not app.exception
    runner = wait_for_jobs(timeout=1)  # the jobs are queued or running now
    quick = [job for job in runner.jobs if job.spec.name.startswith("quick-")]
    assert {job.spec.family for job in quick} == {"conv", "vae", "denoising", "dense"}
    for job in quick:
        runner.cancel(job.id, OWNER)
    wait_for_jobs()
    assert {job.status for job in quick} <= {"cancelled", "done"}
    app = app.run()
    ended = " ".join(message.value for message in [*app.warning, *app.success])
    assert "Quick start ended" in ended or "Quick start done" in ended
    assert {link.label.split(":")[0] for link in app.get("page_link")} >= {"Reconstructions", "Latent map"}
    for job in quick:  # as if all four had landed
        (job.path / "state.json").write_text(json.dumps({"status": "done", "model_name": job.spec.name}))
    app = app.run()
    assert any("Quick start done: all 4 models are saved" in message.value for message in app.success)
    assert not open_page("views/home.py").success, "another session is not told about this one's quick start"


def test_an_empty_store_does_not_count_the_shipped_photo_models_as_models_of_other_datasets(app_store, open_page,
                                                                                             monkeypatch):
    monkeypatch.delenv("AECORE_SHIPPED_MODELS")  # as a server runs: the shipped photo models are in every store
    app = open_page("views/home.py")
    assert [info.value for info in app.sidebar.info] == ["No model for this dataset yet."]


class FakeJob:  # what status_line reads of a job
    def __init__(self, family, status, fraction=None):
        self.spec = JobSpec(family, "digits", 2, {}, trainer.TrainConfig(), name=f"quick-{family}-2")
        self.status, self.active = status, status in ("queued", "running")
        self.progress = None if fraction is None else SimpleNamespace(fraction=fraction)


def test_the_quick_start_speaks_with_one_voice():
    from dashboard.state import job_runner

    finishing = [FakeJob("conv", "running", 1.0), FakeJob("vae", "queued"), FakeJob("denoising", "queued"),
                 FakeJob("dense", "queued")]
    assert job_runner.status_line(finishing) == (0.25, "Training conv (1 of 4): scoring and saving it")
    halfway = [FakeJob("conv", "done"), FakeJob("vae", "running", 0.5), FakeJob("denoising", "queued"),
               FakeJob("dense", "queued")]
    assert job_runner.status_line(halfway) == (0.375, "Training vae (2 of 4): 38% of the quick start")
    assert job_runner.status_line([FakeJob("conv", "done")]) is None
    side_by_side = [FakeJob("dense", "done"), FakeJob("conv", "running", 0.5), FakeJob("vae", "running", 0.3),
                    FakeJob("denoising", "queued")]
    assert job_runner.status_line(side_by_side) == (0.45, "Training conv and vae (2 and 3 of 4): 45% of the quick start")
    both_saving = [FakeJob("conv", "running", 1.0), FakeJob("vae", "running", 1.0), FakeJob("dense", "queued")]
    assert job_runner.status_line(both_saving)[1] == "Training conv and vae (1 and 2 of 3): scoring and saving them"


def test_train_page_trains_a_model_in_the_background(app_store, open_page):
    app = open_page("views/train.py")
    assert not app.exception
    assert "No models of your own yet" in " ".join(info.value for info in app.info)
    family = next(select for select in app.selectbox if select.label == "Family")
    offered = [option.split(":")[0] for option in family.options]  # shown as "name: summary"
    assert "dense" in offered and "photo" not in offered, "photo models train on the Denoise page"
    family.set_value("dense").run()
    inputs = {number.label: number for number in app.number_input}
    inputs["Latent size"].set_value(6)
    inputs["Epochs (0 = the family's default)"].set_value(3)
    next(text for text in app.text_input if text.label == "Name (optional)").set_value("from-the-form")
    app = next(button for button in app.button if button.label == "Start training").click().run()
    wait_for_jobs()
    app = app.run()
    assert not app.exception
    assert "from-the-form" in app_store.names()
    assert any("Saved **from-the-form**" in message.value for message in app.success)
    assert app_store.meta("from-the-form")["latent_dim"] == 6
    other = open_page("views/train.py")  # another session: the notice is not theirs
    assert not other.exception
    assert not any("Saved" in message.value for message in other.success)


def forms(node):
    """Every st.form block under `node` of an AppTest's element tree."""
    for child in getattr(node, "children", {}).values():
        if getattr(child, "type", None) == "form":
            yield child
        yield from forms(child)


def test_no_form_submits_on_enter(app_store, open_page):
    app = open_page("views/train.py")
    found = list(forms(app._tree))
    assert found, "the Train page has its form"
    assert all(not form.proto.form.enter_to_submit for form in found)


def test_train_page_shows_the_architecture_and_cards(app_store, digits, open_page):
    model = trainer.train("conv", digits, 8, None, trainer.TrainConfig(epochs=2, patience=0))
    app_store.save(model, "shown")
    app = open_page("views/train.py")
    assert not app.exception
    assert any("shown" in markdown.value for markdown in app.markdown)
    assert app.dataframe, "the architecture table is shown for the active model"
    rows = app.dataframe[0].value
    assert "encoder_conv0" in list(rows["layer"])
    app_store.save(trainer.train("dense", digits, 2, None, trainer.TrainConfig(epochs=1, patience=0)), "weaker")
    app = open_page("views/train.py")
    def model_box():
        return next(select for select in app.sidebar.selectbox if select.label == "Model")
    assert model_box().value == "shown", "the page opens on the best test score"
    app = next(button for button in app.button if button.key == "use-weaker").click().run()  # the card's Explore
    assert not app.exception
    assert model_box().value == "weaker"
    assert next(select for select in app.sidebar.selectbox if select.label == "Dataset").value == "digits"


def test_a_failed_job_says_why(app_store, open_page):
    from dashboard.state import caches
    from dashboard.state.job_runner import JobSpec

    spec = JobSpec("vae", "digits", 2, {}, trainer.TrainConfig(epochs=5, learning_rate=9.0))
    job = caches.job_runner().submit(spec, OWNER)
    wait_for_jobs()
    assert job.status == "failed" and "NaN" in job.message
    app = open_page("views/train.py")
    assert any("the loss became NaN" in error.value for error in app.error)


def test_stop_at_every_stage_saves_nothing(app_store):
    """Stop while queued, while loading, and mid-training: each ends 'cancelled' with nothing saved."""
    from dashboard.state import caches
    from dashboard.state.job_runner import JobSpec

    runner = caches.job_runner()
    long_run = trainer.TrainConfig(epochs=200, batch_size=16, patience=0)
    running = runner.submit(JobSpec("conv", "digits", 8, {}, long_run, name="mid-training"), OWNER)
    queued = runner.submit(JobSpec("dense", "digits", 8, {}, long_run, name="still-queued"), OWNER)
    runner.cancel(queued.id, OWNER)  # stopped before it starts
    deadline = time.time() + 60
    while (running.progress is None or running.progress.epoch < 2) and time.time() < deadline:
        time.sleep(0.2)
    runner.cancel(running.id, OWNER)
    loading = runner.submit(JobSpec("vae", "digits", 2, {}, long_run, name="while-loading"), OWNER)
    runner.cancel(loading.id, OWNER)  # stopped right after submit, before or while the data loads
    wait_for_jobs()
    assert (queued.status, running.status, loading.status) == ("cancelled", "cancelled", "cancelled")
    assert "nothing was saved" in running.message and "nothing was saved" in queued.message
    assert app_store.names() == []
    assert not list(app_store.root.glob(".incoming-*")) if app_store.root.exists() else True


def test_the_toolbar_has_no_deploy_button():
    """Streamlit's "viewer" (or "minimal") toolbar mode hides the developer options, Deploy among them."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config.get("client", {}).get("toolbarMode") in ("viewer", "minimal")


def test_quick_start_models_keep_enough_snapshots_to_show_the_space_forming(fashion_small):
    from dashboard.state import job_runner

    specs = job_runner.quick_start_specs("fashion_mnist", 60000)
    assert {spec.config.snapshot_frames for spec in specs} == {job_runner.QUICK_START_FRAMES}
    assert job_runner.QUICK_START_FRAMES >= 12
    config = trainer.TrainConfig(epochs=1, batch_size=8, patience=0, validation_split=0.1,
                                 snapshot_frames=job_runner.QUICK_START_FRAMES)  # 225 batches, as one quick epoch
    model = trainer.train("dense", fashion_small, 8, None, config)
    epochs = model.snapshots["epochs"]
    assert len(epochs) == job_runner.QUICK_START_FRAMES and epochs[-1] == 1.0
    assert list(epochs) == sorted(epochs) and epochs[0] < 0.02 and 0.8 < epochs[-2] < 1.0  # the whole epoch
    default = trainer.train("dense", fashion_small, 8, None, trainer.TrainConfig(epochs=1, batch_size=8, patience=0))
    assert len(default.snapshots["epochs"]) == 5, "other trainings keep today's schedule"


def test_home_describes_todays_pages(app_store, open_page):
    columns = open_page("home").columns  # each page: its link in one column, its words (which wrap) in the next
    described = {link.get("page_link")[0].label.strip("*"): words.markdown[0].value
                 for link, words in zip(columns[::2], columns[1::2]) if link.get("page_link")}
    assert {"Train / load", "Datasets", "Reconstructions", "Latent map", "Anomalies"} <= set(described)
    assert "UMAP, t-SNE and PCA maps" in described["Latent map"] and "every image of the dataset" in described["Latent map"]