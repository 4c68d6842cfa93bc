"""Hosting for a class in a real Chromium: Streamlit's st.login against a local OpenID provider (oidc-provider-mock,
started here), the owner e-mail allow-list, and the owner password. Each test starts its own server, as a
teacher would, so the shared server of the other browser tests stays open."""

import secrets
import time

import pytest
from playwright.sync_api import expect

from aecore.store.modelstore import ModelStore
from aecore.training import trainer
from scripts import serve

TEACHER, STUDENT = "teacher@example.com", "student@example.com"


@pytest.fixture(scope="module")
def class_store(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("class-store")
    config = trainer.TrainConfig(epochs=2, batch_size=128, patience=0)
    ModelStore(root).save(trainer.train("dense", digits, 8, None, config), "teachers-model")
    return root


@pytest.fixture(scope="module")
def provider():
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def hosted(class_store, tmp_path, provider):
    """The app with [auth] in a secrets file of its own and the teacher as the only owner e-mail."""
    port = serve.free_port()
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(f'''[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(16)}"
client_id = "aecore-class"
client_secret = "{secrets.token_hex(8)}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
''')
    process, _ = serve.start(class_store, dataset="digits", port=port, env={"AECORE_OWNER_EMAILS": TEACHER},
                             args=("--secrets.files", str(secrets_file)))
    yield f"http://localhost:{port}"
    serve.stop(process)


def log_in(page, url: str, email: str):
    page.goto(f"{url}/train")
    page.get_by_role("button", name="Log in as the owner").click()
    page.locator("input[name=sub]").fill(email)  # the provider's form: who signs in
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**", timeout=60_000)


def test_st_login_makes_the_listed_teacher_the_owner_and_a_student_a_viewer(hosted, browser):
    for email, owner in ((STUDENT, False), (TEACHER, True)):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{hosted}/train")
        expect(page.get_by_text("You are exploring as a viewer").first).to_be_visible(timeout=120_000)
        expect(page.get_by_role("button", name="Start training")).to_have_count(0)
        log_in(page, hosted, email)
        page.goto(f"{hosted}/train")
        if owner:
            expect(page.get_by_text("You are the owner").first).to_be_visible(timeout=60_000)
            expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=60_000)
        else:
            expect(page.get_by_text("You are exploring as a viewer").first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("teachers-model").first).to_be_visible(timeout=60_000)
            expect(page.get_by_role("button", name="Start training")).to_have_count(0)
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
        context.close()


def test_the_owner_password_in_a_browser(class_store, browser):
    password = secrets.token_urlsafe(12)
    process, url = serve.start(class_store, dataset="digits", env={"AECORE_OWNER_PASSWORD": password})
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/train")
        expect(page.get_by_text("You are exploring as a viewer").first).to_be_visible(timeout=120_000)
        expect(page.get_by_text("Delete", exact=True)).to_have_count(0)
        page.get_by_text("Owner sign-in").click()
        page.get_by_label("Owner password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("You are the owner").first).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=60_000)
        assert password not in page.content()
        context.close()
    finally:
        serve.stop(process)


def delete_button_id(store) -> str:
    """The id of the owner's "Delete for good" button for teachers-model, as an open dashboard renders it."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[2]
    app = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    app.session_state["dataset"] = "digits"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AECORE_STORE", str(store))
        patch.delenv("AECORE_OWNER_PASSWORD", raising=False)
        app.switch_page("views/train.py").run()
    return next(button.id for button in app.button if button.key == "delete-teachers-model")


class SocketTap:
    """Sits between the page and Streamlit's websocket: forwards everything, keeps the page's last rerun request,
    and can send the server a message of its own (what a visitor with a scripted client could do)."""

    def __init__(self, page):
        self.server, self.last_rerun, self.runs_finished = None, None, 0
        page.route_web_socket("**/_stcore/stream", self.connect)

    def connect(self, socket):
        self.server = socket.connect_to_server()
        socket.on_message(self.from_page)

        def from_server(message):
            from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

            if isinstance(message, bytes) and ForwardMsg.FromString(message).HasField("script_finished"):
                self.runs_finished += 1
            socket.send(message)
        self.server.on_message(from_server)

    def from_page(self, message):
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if isinstance(message, bytes):
            parsed = BackMsg.FromString(message)
            # A whole page's run only: the Train page's job list reruns on its own every second (a fragment), and a
            # click forged from that message runs the fragment alone, so the delete never ran (one run in three).
            if parsed.HasField("rerun_script") and not parsed.rerun_script.fragment_id and \
                    not parsed.rerun_script.is_auto_rerun:
                self.last_rerun = parsed
        self.server.send(message)

    def forge_click(self, widget_id: str):
        from streamlit.proto.BackMsg_pb2 import BackMsg

        forged = BackMsg()
        forged.CopyFrom(self.last_rerun)
        state = forged.rerun_script.widget_states.widgets.add()
        state.id, state.trigger_value = widget_id, True
        self.server.send(forged.SerializeToString())


def test_a_click_forged_on_the_websocket_deletes_only_for_the_owner(class_store, browser, tmp_path):
    import shutil

    store = tmp_path / "models"
    shutil.copytree(class_store, store)
    delete_id = delete_button_id(store)
    password = secrets.token_urlsafe(12)
    process, url = serve.start(store, dataset="digits", env={"AECORE_OWNER_PASSWORD": password})
    try:
        for owner in (False, True):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            tap = SocketTap(page)
            page.goto(f"{url}/train")
            expect(page.get_by_text("You are exploring as a viewer").first).to_be_visible(timeout=120_000)
            if owner:
                page.get_by_text("Owner sign-in").click()
                page.get_by_label("Owner password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_text("You are the owner").first).to_be_visible(timeout=60_000)
            assert tap.last_rerun is not None, "the page's rerun requests did not pass the tap"
            finished = tap.runs_finished
            tap.forge_click(delete_id)
            if owner:  # the same message from the owner's tab deletes: it was a real click, not a malformed one
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and (store / "teachers-model").exists():
                    page.wait_for_timeout(250)
                assert not (store / "teachers-model").exists()
            else:  # wait for the run the forged message started to finish, then look
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and tap.runs_finished == finished:
                    page.wait_for_timeout(250)
                assert tap.runs_finished > finished, "the server never ran the forged request"
                assert ModelStore(store).names() == ["teachers-model"]
                expect(page.locator("[data-testid=stException]")).to_have_count(0)
            context.close()
    finally:
        serve.stop(process)
