"""One way to open a page in AppTest, for every page test: `open_app` runs app.py (st.navigation declares the
pages, so page links and switch_page resolve) on one page with the sidebar's dataset and model preset.

conftest's `open_page` fixture calls it with AECORE_STORE pointed at a test's store; a module that sets its
store for the whole module (test_pages_explore_b) calls it directly.
"""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def open_app(page: str, *, dataset: str | None = "digits", model: str | None = None, timeout: float = 120,
             check: bool = True, query: dict | None = None, **state) -> AppTest:
    """The AppTest of app.py run on `page` ("views/x.py" or "x"). `dataset` and `model` preset the sidebar's
    pickers (None: the app's own choice); `query` is the address's query string (?dataset=...); other keywords
    are session state. With `check`, a page that raised fails the test with its message."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    app.query_params.update(query or {})
    for key, value in {"dataset": dataset, "model": model, **state}.items():
        if value is not None:
            app.session_state[key] = value
    app.switch_page(page if page.endswith(".py") else f"views/{page}.py").run()
    if check:
        assert not app.exception, [item.value for item in app.exception]
    return app
