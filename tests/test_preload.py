"""dashboard/server/preload.py: the middleware that names each page's lazily loaded Streamlit scripts in its HTML.

Driven as ASGI around Streamlit's own static-file handler (the one that serves index.html for every page
address), over a small static folder written here, and once over the installed Streamlit's index.html.
"""

import re

import asgi_calls
import pytest
from starlette.middleware import gzip as gzip_middleware
from streamlit import file_util
from streamlit.web.server.starlette import starlette_static_routes

from dashboard.server import preload

INDEX = """<!doctype html><html><head><script type="module" crossorigin src="./static/js/index.Main1.js"></script>
<link rel="modulepreload" crossorigin href="./static/js/react-dom.Base2.js"></head><body>{pad}</body></html>"""
LINK = re.compile(r'<link rel="modulepreload" crossorigin href="\./static/js/([^"]+)" data-aecore-preload>')


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def static(tmp_path):
    (tmp_path / "static" / "js").mkdir(parents=True)
    (tmp_path / "index.html").write_text(INDEX.format(pad="x" * 2000))  # above gzip's minimum size
    for name, size in [("index.Main1.js", 100), ("react-dom.Base2.js", 100), ("Selectbox.Aa1.js", 500),
                       ("Button.Bb2.js", 300), ("PlotlyChart.Cc3.js", preload.MAX_BYTES + 1)]:
        (tmp_path / "static" / "js" / name).write_bytes(b"export default 1;" + b" " * size)
    return tmp_path


def getter(app):
    def get(path, cookie=None, method="GET", gzip_ok=False, extra=()):
        headers = [(b"host", b"test")] + ([(b"cookie", f"{preload.COOKIE}={cookie}".encode())] if cookie else [])
        headers += ([(b"accept-encoding", b"gzip")] if gzip_ok else []) + list(extra)
        scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": headers, "root_path": "", "scheme": "http", "server": ("test", 80),
                 "http_version": "1.1"}
        return asgi_calls.run(asgi_calls.call(app, scope))

    return get


@pytest.fixture
def served(static):
    """(middleware, get, clock, inner): Streamlit's static handler with gzip inside (as in Streamlit's own
    stack), the preloader outside, a clock the test moves."""
    clock = Clock()
    handler = starlette_static_routes.create_streamlit_static_handler(str(static), None)
    inner = gzip_middleware.GZipMiddleware(handler, minimum_size=500)
    middleware = preload.ElementCodePreloader(inner, static_dir=str(static), base_url="", clock=clock)
    return middleware, getter(middleware), clock, inner


def visit_token(headers) -> str:
    return re.match(rf"{preload.COOKIE}=([^;]+);", headers["set-cookie"]).group(1)


def test_a_page_preloads_what_its_first_render_fetched_and_other_pages_do_not(served):
    middleware, get, clock, _ = served
    status, headers, body = get("/latent_sampler")
    assert status == 200 and LINK.findall(body.decode()) == []  # nothing learned yet
    token = visit_token(headers)
    for name in ("Selectbox.Aa1.js", "Button.Bb2.js"):
        clock.now += 1.0
        status, _, script = get(f"/static/js/{name}", cookie=token)
        assert status == 200 and script.startswith(b"export default 1;")
    _, headers, body = get("/latent_sampler")
    assert LINK.findall(body.decode()) == ["Selectbox.Aa1.js", "Button.Bb2.js"]  # in the order fetched
    assert body.decode().index("data-aecore-preload") < body.decode().index("</head>")
    assert int(headers["content-length"]) == len(body) and "etag" not in headers and "last-modified" not in headers
    assert LINK.findall(get("/denoise")[2].decode()) == []  # another page's first render has not been seen


def test_scripts_fetched_after_the_first_render_belong_to_no_page(served):
    middleware, get, clock, _ = served
    token = visit_token(get("/")[1])
    clock.now += preload.FIRST_WINDOW - 1  # a first visit waits for TensorFlow before its first element
    get("/static/js/Selectbox.Aa1.js", cookie=token)
    clock.now += preload.NEXT_WINDOW + 1  # the user moved to another page inside the app
    get("/static/js/Button.Bb2.js", cookie=token)
    clock.now += 0.1
    get("/static/js/Button.Bb2.js", cookie=token)  # the visit is over for good, not just for one request
    assert LINK.findall(get("/")[2].decode()) == ["Selectbox.Aa1.js"]
    late = visit_token(get("/train")[1])
    clock.now += preload.FIRST_WINDOW + 1
    get("/static/js/Button.Bb2.js", cookie=late)
    assert LINK.findall(get("/train")[2].decode()) == []


def test_only_streamlits_own_small_lazy_scripts_are_learned(served):
    middleware, get, clock, _ = served
    token = visit_token(get("/")[1])
    for name in ("react-dom.Base2.js", "index.Main1.js",  # index.html loads these itself
                 "PlotlyChart.Cc3.js",  # megabytes in the real build
                 "NotStreamlits.Zz9.js"):  # no such file (Streamlit answers with index.html): never named
        get(f"/static/js/{name}", cookie=token)
    get("/static/js/Selectbox.Aa1.js")  # no visit cookie
    get("/static/js/Selectbox.Aa1.js", cookie="forged")
    assert middleware.learned == {}
    assert LINK.findall(get("/")[2].decode()) == []


def test_a_gzipped_page_is_rewritten_and_sent_plain(served):
    middleware, get, clock, _ = served
    middleware.learned["/latent_sampler"] = {"Selectbox.Aa1.js": None}
    status, headers, body = get("/latent_sampler", gzip_ok=True)
    assert status == 200 and "content-encoding" not in headers
    assert int(headers["content-length"]) == len(body) and body.startswith(b"<!doctype html>")
    assert LINK.findall(body.decode()) == ["Selectbox.Aa1.js"] and "x" * 2000 in body.decode()
    _, headers, script = get("/static/js/Button.Bb2.js", gzip_ok=True)
    assert "set-cookie" not in headers and script.startswith(b"export default 1;")  # scripts pass untouched
    status, headers, _ = get("/latent_sampler", method="HEAD")
    assert status == 200 and "set-cookie" not in headers  # only GET pages start a visit


def test_index_html_s_own_scripts_do_not_start_the_burst_s_clock(served):
    middleware, get, clock, _ = served
    token = visit_token(get("/latent_sampler")[1])
    clock.now += 0.05  # the browser loads index.html's own scripts at once
    get("/static/js/index.Main1.js", cookie=token)
    get("/static/js/react-dom.Base2.js", cookie=token)
    clock.now += preload.NEXT_WINDOW + 1  # then waits for the server's first run (TensorFlow on a first visit)
    get("/static/js/Selectbox.Aa1.js", cookie=token)
    assert LINK.findall(get("/latent_sampler")[2].decode()) == ["Selectbox.Aa1.js"]


def test_a_browser_holding_an_old_copy_of_a_page_still_gets_the_links(served):
    middleware, get, clock, inner = served
    _, plain_headers, _ = getter(inner)("/")  # the page as plain Streamlit serves it, with its validators
    assert getter(inner)("/", extra=[(b"if-none-match", plain_headers["etag"].encode())])[0] == 304
    middleware.learned["/"] = {"Selectbox.Aa1.js": None}
    status, headers, body = get("/", extra=[(b"if-none-match", plain_headers["etag"].encode()),
                                            (b"if-modified-since", plain_headers["last-modified"].encode())])
    assert status == 200 and LINK.findall(body.decode()) == ["Selectbox.Aa1.js"] and "set-cookie" in headers
    assert headers["cache-control"] == "private, no-cache"


async def html_everywhere(scope, receive, send):
    """An app that answers every path with an HTML page, as a media file or a v1 component can."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": b"<html><head></head><body></body></html>"})


def test_only_page_addresses_under_the_base_url_are_pages(static):
    clock = Clock()
    inner = html_everywhere
    middleware = preload.ElementCodePreloader(inner, static_dir=str(static), base_url="/explorer/", clock=clock)
    get = getter(middleware)
    for path in ("/explorer/media/report.html", "/explorer/_stcore/health", "/explorer/component/x/index.html"):
        assert "set-cookie" not in get(path)[1], path  # Streamlit's other routes are never rewritten
    token = visit_token(get("/explorer/latent_sampler")[1])
    clock.now += 1
    get("/elsewhere/static/js/Button.Bb2.js", cookie=token)  # not the app's script route
    get("/explorer/static/js/Selectbox.Aa1.js", cookie=token)
    assert middleware.learned == {"/explorer/latent_sampler": {"Selectbox.Aa1.js": None}}


def test_without_a_built_frontend_everything_passes_through(tmp_path):
    middleware = preload.ElementCodePreloader(None, static_dir=str(tmp_path), base_url="")
    assert middleware.built_in is None  # no index.html: no crash at start, nothing rewritten


def test_the_installed_streamlit_index_is_read():
    """Catches a Streamlit upgrade that changes how index.html names its scripts."""
    middleware = preload.ElementCodePreloader(None, static_dir=file_util.get_static_dir(), base_url="")
    assert any(name.startswith("index.") for name in middleware.built_in)
    assert len(middleware.built_in) >= 10 and all(name.endswith(".js") for name in middleware.built_in)
