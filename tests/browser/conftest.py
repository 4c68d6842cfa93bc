"""Real-browser fixtures: the app (`streamlit run server.py`) on a free port with a temporary store, and
Debian's Chromium.

Skipped with a clear reason only when /usr/bin/chromium is missing (CI installs it).
"""

from pathlib import Path

import pytest

from scripts import serve

CHROMIUM, FLAGS = serve.CHROMIUM, serve.FLAGS


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(__file__).parent not in Path(item.fspath).parents:
            continue  # this hook sees the whole session's items: mark only the browser tests
        item.add_marker(pytest.mark.browser)
        if not Path(CHROMIUM).exists():
            item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app on localhost with an empty store and digits as the default dataset (fast to train)."""
    store = tmp_path_factory.mktemp("browser-store")
    try:
        process, url = serve.start(store, dataset="digits")
    except RuntimeError as error:
        pytest.fail(str(error))
    yield {"url": url, "store": store}
    serve.stop(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def launch_options():
    """For tests that drive Chromium themselves (the async load test)."""
    return {"executable_path": CHROMIUM, "args": FLAGS}
