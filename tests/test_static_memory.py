"""dashboard/server/static_memory.py: Streamlit's own frontend files answered from memory, the same bytes and
headers its static-file route sends, and nothing else answered (driven as ASGI over the installed Streamlit)."""

import os

import asgi_calls
import pytest
from starlette import exceptions, responses
from streamlit import file_util
from streamlit.web.server.starlette import starlette_static_routes

from dashboard.server import static_memory

STATIC = file_util.get_static_dir()
SCRIPT = sorted(os.listdir(os.path.join(STATIC, "static", "js")))[0]
STYLE = sorted(os.listdir(os.path.join(STATIC, "static", "css")))[0]


class Downstream:
    """Streamlit's own static route, counting what reaches it."""

    def __init__(self):
        self.route = starlette_static_routes.create_streamlit_static_handler(STATIC, None)
        self.paths = []

    async def __call__(self, scope, receive, send):
        self.paths.append(scope["path"])
        try:
            await self.route(scope, receive, send)
        except exceptions.HTTPException as error:  # as Starlette's exception middleware answers it
            await responses.Response(status_code=error.status_code)(scope, receive, send)


@pytest.fixture
def served():
    downstream = Downstream()
    return static_memory.StaticFromMemory(downstream, static_dir=STATIC, base_url=""), downstream


@pytest.mark.parametrize("path", [f"/static/js/{SCRIPT}", f"/static/css/{STYLE}"])
def test_a_file_comes_from_memory_as_streamlit_sends_it(served, path):
    app, downstream = served
    status, headers, body = asgi_calls.get(app, path)
    assert downstream.paths == []  # answered here
    streamlit_status, streamlit_headers, streamlit_body = asgi_calls.get(downstream, path)
    assert (status, body) == (streamlit_status, streamlit_body) == (200, open(STATIC + path, "rb").read())
    for name in ("content-type", "content-length", "cache-control"):
        assert headers[name] == streamlit_headers[name], name
    again = asgi_calls.get(app, path)
    assert again[2] == body and downstream.paths == [path]  # the second answer from memory too


def test_a_browser_that_has_the_file_gets_not_modified(served):
    app, downstream = served
    _, headers, _ = asgi_calls.get(app, f"/static/js/{SCRIPT}")
    status, _, body = asgi_calls.get(app, f"/static/js/{SCRIPT}",
                                     headers=[(b"if-none-match", headers["etag"].encode())])
    assert (status, body) == (304, b"")
    status, _, body = asgi_calls.get(app, f"/static/js/{SCRIPT}", method="HEAD")
    assert (status, body) == (200, b"")
    assert downstream.paths == []


@pytest.mark.parametrize("path, method", [
    ("/static/js/no-such-file.js", "GET"),  # not in Streamlit's folder
    ("/static/js/../../index.html", "GET"),  # a made-up path never reaches the disk here
    ("/static/%2e%2e/index.html", "GET"),
    ("/", "GET"),  # the app's HTML is Streamlit's (and the preloader's) to answer
    ("/_stcore/health", "GET"),
    (f"/static/js/{SCRIPT}", "POST"),
])
def test_anything_else_passes_through_to_streamlit(served, path, method):
    app, downstream = served
    asgi_calls.get(app, path, method=method)
    assert downstream.paths == [path]


def test_under_a_base_address_only_its_static_files(tmp_path):
    downstream = Downstream()
    app = static_memory.StaticFromMemory(downstream, static_dir=STATIC, base_url="/class/")
    assert app.prefix == "/class/static/"
    status, _, body = asgi_calls.run(asgi_calls.call(app, {"type": "http", "method": "GET", "path": f"/class/static/js/{SCRIPT}",
                                       "headers": [], "query_string": b"", "root_path": ""}))
    assert status == 200 and body == open(f"{STATIC}/static/js/{SCRIPT}", "rb").read()
    asgi_calls.get(app, f"/static/js/{SCRIPT}")  # outside the base address: Streamlit's
    assert downstream.paths == [f"/static/js/{SCRIPT}"]
