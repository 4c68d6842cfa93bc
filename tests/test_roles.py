"""Hosting for a class: the owner changes the store, viewers explore. AppTests of the pages as each role sees
them, and the checks inside the functions that make changes (a viewer's forged call changes nothing)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aecore.store.modelstore import ModelStore
from aecore.training import trainer
from dashboard.state import roles
from dashboard.state.job_runner import JobRunner, JobSpec

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
VIEWER = roles.Visitor("viewer", "viewer-session", "password")


@pytest.fixture(scope="module")
def saved_store(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("roles-store")
    config = trainer.TrainConfig(epochs=2, batch_size=128, patience=0)
    ModelStore(root).save(trainer.train("dense", digits, 8, None, config), "teachers-model")
    return root


@pytest.fixture
def hosted(saved_store, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setenv("AECORE_STORE", str(saved_store))
    monkeypatch.setenv("AECORE_OWNER_PASSWORD", PASSWORD)
    return saved_store





def every_text(app: AppTest) -> str:
    parts = [element.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
             for element in app.get(kind) if isinstance(getattr(element, "value", None), str)]
    return " ".join(parts + [str(getattr(widget, "value", "")) for widget in app.text_input])


def test_with_no_owner_set_everyone_is_the_owner_and_the_sidebar_says_so(saved_store, monkeypatch, open_page):
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setenv("AECORE_STORE", str(saved_store))
    monkeypatch.delenv("AECORE_OWNER_PASSWORD", raising=False)
    app = open_page("views/train.py")
    assert "Start training" in [button.label for button in app.get("form_submit_button")]
    assert any(caption.value.startswith("Open dashboard: everyone here can train and delete")
               for caption in app.caption)


def test_a_viewer_sees_every_model_but_no_control_that_changes_the_store(hosted, open_page):
    app = open_page("views/train.py")
    assert "Start training" not in [button.label for button in app.get("form_submit_button")]
    assert any("You are exploring as a viewer" in info.value for info in app.info)
    keys = [button.key for button in app.button]
    assert not [key for key in keys if key and key.startswith(("rename-", "delete-", "import-", "stop-"))], keys
    assert "teachers-model" in every_text(app)
    home = open_page("views/home.py")
    assert "Start the quick start" not in [button.label for button in home.button]


def test_forged_calls_from_a_viewer_change_nothing(hosted):
    store, runner = ModelStore(hosted), JobRunner(hosted)
    with pytest.raises(roles.NotAllowed, match="Only the owner of this dashboard can delete models"):
        roles.delete_model(store, VIEWER, "teachers-model")
    with pytest.raises(roles.NotAllowed, match="can rename models"):
        roles.rename_model(store, VIEWER, "teachers-model", "mine-now")
    with pytest.raises(roles.NotAllowed, match="can train models"):
        runner.submit(JobSpec("dense", "digits", 8, {}, trainer.TrainConfig(epochs=1)), VIEWER)
    assert store.names() == ["teachers-model"] and runner.jobs == []


def test_the_owner_password_signs_in_and_is_never_shown(hosted, open_page):
    app = open_page("views/train.py")
    app.text_input(key="owner-password").set_value("wrong guess")
    app.get("form_submit_button")[-1].click().run()
    assert any("not the owner password" in error.value for error in app.error)
    assert "Start training" not in [button.label for button in app.get("form_submit_button")]
    app.text_input(key="owner-password").set_value(PASSWORD)
    next(button for button in app.get("form_submit_button") if button.label == "Sign in").click().run()
    assert not app.exception, [item.value for item in app.exception]
    assert "Start training" in [button.label for button in app.get("form_submit_button")]
    assert any("You are the owner" in caption.value for caption in app.caption)
    assert PASSWORD not in every_text(app)  # cleared from the form, shown nowhere
    assert any(button.key == "delete-teachers-model" for button in app.button)


def test_viewers_may_train_their_own_within_their_share_when_allowed(hosted, monkeypatch):
    monkeypatch.setenv("AECORE_VIEWERS_TRAIN", "1")
    runner = JobRunner(hosted)
    long_run = trainer.TrainConfig(epochs=500, batch_size=32, patience=0)
    job = runner.submit(JobSpec("dense", "digits", 4, {}, long_run, name="students-model"), VIEWER)
    try:
        assert job.spec.submitted_by == "viewer-session"
        with pytest.raises(roles.NotAllowed, match="you have 1 training"):
            runner.submit(JobSpec("dense", "digits", 4, {}, long_run), VIEWER)
        other = roles.Visitor("viewer", "another-student", "password")
        with pytest.raises(roles.NotAllowed, match="stop other people's trainings"):
            runner.cancel(job.id, other)
        assert roles.may_change_model(VIEWER, {"submitted_by": "viewer-session"})
        assert not roles.may_change_model(other, {"submitted_by": "viewer-session"})
        assert not roles.may_change_model(VIEWER, ModelStore(hosted).meta("teachers-model"))
    finally:
        runner.cancel(job.id, VIEWER)


def test_uploads_per_minute_are_bounded_and_a_rerun_costs_nothing(monkeypatch):
    import streamlit as st

    monkeypatch.setenv("AECORE_UPLOADS_PER_MINUTE", "2")
    st.session_state.clear()
    assert roles.allow_upload(b"first", now=0.0) and roles.allow_upload(b"second", now=1.0)
    assert roles.allow_upload(b"first", now=2.0)  # the same file on a rerun
    assert not roles.allow_upload(b"third", now=3.0)
    assert roles.allow_upload(b"third", now=61.0)  # a minute later the first has left the window


def test_a_forged_click_on_the_owners_delete_button_deletes_nothing(hosted, monkeypatch, tmp_path, open_page):
    """The widget message a browser sends for "Delete for good", replayed from a viewer's session."""
    import shutil

    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    shutil.copytree(hosted, tmp_path / "models")  # this test deletes for real at the end
    hosted = tmp_path / "models"
    monkeypatch.setenv("AECORE_STORE", str(hosted))
    monkeypatch.delenv("AECORE_OWNER_PASSWORD")
    owners = open_page("views/train.py")  # open: this session is the owner and sees the button
    delete_id = next(button.id for button in owners.button if button.key == "delete-teachers-model")
    monkeypatch.setenv("AECORE_OWNER_PASSWORD", PASSWORD)
    viewers = open_page("views/train.py")
    forged = WidgetStates()
    state = forged.widgets.add()
    state.id, state.trigger_value = delete_id, True
    viewers._run(forged)
    assert not viewers.exception, [item.value for item in viewers.exception]
    assert ModelStore(hosted).names() == ["teachers-model"]
    monkeypatch.delenv("AECORE_OWNER_PASSWORD")
    owners._run(forged)  # the same message from the owner's session does delete: the forgery was a real click
    assert ModelStore(hosted).names() == []


def test_a_map_asked_for_by_many_sessions_at_once_is_computed_once(hosted, monkeypatch):
    """Streamlit's cache holds one compute lock per value: thirty sessions opening the same map wait for one t-SNE."""
    import threading

    from aecore.analysis import projections
    from dashboard.state import caches

    calls, original = [], projections.project

    def slow_project(codes, method, seed=0):
        calls.append(method)
        threading.Event().wait(1.0)  # long enough for every thread to ask while it runs
        return original(codes, method, seed)
    monkeypatch.setattr(projections, "project", slow_project)
    caches.projection.clear()
    meta = ModelStore(hosted).meta("teachers-model")
    results = []
    ref = caches.ModelRef("teachers-model", caches.stamp_of(meta), "digits")
    threads = [threading.Thread(target=lambda: results.append(caches.projection(ref, 200, "pca"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 8 and calls == ["pca"]
