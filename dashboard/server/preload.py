"""Preloading Streamlit's element code, page by page: an ASGI middleware for `st.App` (server.py) that
shortens a fresh browser's first visit.

Streamlit's frontend fetches the code of each element type (select box, number input, button, the
components-v2 host that runs the live decoder, ...) only when the first such element arrives from the
server, one type after another: a waterfall that a fresh browser waits through before the Latent sampler
can draw its first live frame. `ElementCodePreloader` learns, for each page address, which of Streamlit's
own script files a browser fetched while that page first rendered, and names them in that page's HTML
from then on as `<link rel="modulepreload">`, so a fresh browser fetches and compiles them while the app
is still connecting. The first visit of each page after the server starts teaches it; the lists live in the
server's memory only and are forgotten on restart.

How a file is tied to a page: each HTML response sets a cookie naming a visit; the browser sends it with
every script request, and the script files a visit fetches count for the page it loaded while they come
in one burst (the first lazily loaded one within `FIRST_WINDOW` seconds of the HTML, as a first visit waits
for TensorFlow; each next within `NEXT_WINDOW` seconds of the last). Files the browser fetches later, once
the user has moved to another page inside the app, are not added to the page it loaded: preloading every
page's code on every page was measured slower (bench/RESULTS.md).

Only files that exist in Streamlit's static folder, are not already in its index.html, and are at most
`MAX_BYTES` are learned (the Plotly and deck.gl bundles are megabytes), so no request can make a page
name anything else. Lists only grow (bounded by `MAX_FILES` per page and `MAX_PAGES`): a visitor who moves
on within `NEXT_WINDOW`, or who scripts requests on purpose, can add other pages' Streamlit files to a page's
list, which costs that page speed, not correctness. Meant, like the rest of this app, for a trusted or
local deployment (README, Hosting notes).
"""

import dataclasses
import gzip
import os
import re
import secrets
import time
from collections import OrderedDict

from starlette import datastructures, requests
from streamlit import config

BUILT_IN = re.compile(r'"\./static/js/([\w.\-]+\.js)"')
SCRIPT_NAME = re.compile(r"[\w.\-]+\.js")
NOT_PAGES = ("_stcore/", "media/", "component/", "static/", "app/static/")  # Streamlit's other routes
COOKIE = "aecore-visit"
PRELOAD_MARK = "data-aecore-preload"  # on every link this adds, so tests and benches can find them
MAX_BYTES = 200_000  # learn a file up to this size
MAX_FILES = 80  # per page
MAX_PAGES = 32  # page addresses remembered (any address serves the app's HTML)
MAX_VISITS = 256  # visits followed at once
FIRST_WINDOW = 60.0  # seconds from the HTML to the visit's first lazily loaded script
NEXT_WINDOW = 10.0  # seconds between one lazily loaded script of the burst and the next
CONDITIONAL = ("if-none-match", "if-modified-since")  # a page must never come back as a 304 without links


@dataclasses.dataclass
class Visit:
    page: str  # the address whose HTML started it, base URL included
    last_request: float  # clock time of the HTML, then of each lazily loaded script it fetched
    scripts: int = 0  # lazily loaded scripts fetched so far


def base_prefix(base_url: str | None = None) -> str:
    """The app's address prefix, "/" or "/base/": `base_url`, else Streamlit's server.baseUrlPath."""
    base = (config.get_option("server.baseUrlPath") if base_url is None else base_url) or ""
    return "/" + base.strip("/") + "/" if base.strip("/") else "/"


class ElementCodePreloader:
    """ASGI middleware: per page, learns the lazily loaded scripts a first render fetches; preloads them."""

    def __init__(self, app, static_dir: str, base_url: str | None = None, clock=time.monotonic):
        self.app, self.clock = app, clock
        self.prefix = base_prefix(base_url)
        self.script_dir = os.path.join(static_dir, "static", "js")
        try:
            with open(os.path.join(static_dir, "index.html"), encoding="utf-8") as index:
                self.built_in = set(BUILT_IN.findall(index.read()))  # what index.html itself loads or preloads
        except OSError:  # a Streamlit without its built frontend (a source checkout): pass everything through
            self.built_in = None
        self.learned: dict[str, dict[str, None]] = {}  # page path -> file names, in the order first fetched
        self.visits: OrderedDict[str, Visit] = OrderedDict()  # cookie token -> visit

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if self.built_in is None or scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
        elif path.startswith(self.prefix + "static/js/"):
            token = requests.HTTPConnection(scope).cookies.get(COOKIE)
            self.script_requested(token, path.removeprefix(self.prefix + "static/js/"))
            await self.app(scope, receive, send)
        elif path.startswith(self.prefix[:-1]) and not path.removeprefix(self.prefix).startswith(NOT_PAGES):
            page = path.rstrip("/") or "/"
            extensions = {key: value for key, value in scope.get("extensions", {}).items()
                          if key != "http.response.pathsend"}  # a body to rewrite, not a file path to send
            page_scope = {**scope, "extensions": extensions}
            headers = datastructures.MutableHeaders(scope=page_scope)  # a copy: the request's own list stays
            for name in CONDITIONAL:
                del headers[name]
            await self.app(page_scope, receive, _HtmlRewriter(send, lambda: self.page_served(page)))
        else:
            await self.app(scope, receive, send)

    def page_served(self, page: str) -> tuple[str, str]:
        """The links for `page` and the token of the new visit (called when its HTML goes out)."""
        token = secrets.token_urlsafe(12)
        self.visits[token] = Visit(page, self.clock())
        while len(self.visits) > MAX_VISITS:
            self.visits.popitem(last=False)
        return self.links(page), token

    def script_requested(self, token: str | None, name: str) -> None:
        visit = self.visits.get(token) if token else None
        if visit is None or name in self.built_in or not SCRIPT_NAME.fullmatch(name):
            return  # index.html's own scripts come within milliseconds of it: they neither teach nor time
        now = self.clock()
        if now - visit.last_request > (FIRST_WINDOW if visit.scripts == 0 else NEXT_WINDOW):
            del self.visits[token]  # the burst is over: later files belong to pages reached inside the app
            return
        visit.last_request, visit.scripts = now, visit.scripts + 1
        if self._learnable(visit.page, name):
            self.learned.setdefault(visit.page, {})[name] = None

    def _learnable(self, page: str, name: str) -> bool:
        known = self.learned.get(page, {})  # a page is only added with its first file
        if (not known and len(self.learned) >= MAX_PAGES) or name in known or len(known) >= MAX_FILES:
            return False
        try:
            return os.path.getsize(os.path.join(self.script_dir, name)) <= MAX_BYTES
        except OSError:  # not one of Streamlit's files: never named in a page
            return False

    def links(self, page: str) -> str:
        return "".join(f'<link rel="modulepreload" crossorigin href="./static/js/{name}" {PRELOAD_MARK}>'
                       for name in self.learned.get(page, ()))


class _HtmlRewriter:
    """Wraps `send` for a page address: a 200 HTML response is held back whole, gets the page's links before
    `</head>` and the visit's cookie, and goes out uncompressed, without validators and private to the
    browser; anything else (a redirect, a 404) passes through untouched."""

    def __init__(self, send, page_served):
        self.send, self.page_served = send, page_served
        self.start, self.body = None, []

    async def __call__(self, message):
        if message["type"] == "http.response.start":
            content_type = datastructures.Headers(raw=list(message.get("headers", []))).get("content-type", "")
            if message["status"] == 200 and content_type.startswith("text/html"):
                self.start = message
                return
        if self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.body.append(message.get("body", b""))
        if not message.get("more_body", False):
            await self._send_rewritten()

    async def _send_rewritten(self):
        headers = datastructures.MutableHeaders(raw=list(self.start.get("headers", [])))
        body = b"".join(self.body)
        if headers.get("content-encoding", "").strip() == "gzip":
            body = gzip.decompress(body)
        links, token = self.page_served()
        body = body.replace(b"</head>", links.encode() + b"</head>", 1)
        for name in ("content-encoding", "etag", "last-modified"):
            del headers[name]
        headers["content-length"] = str(len(body))
        headers["cache-control"] = "private, no-cache"
        headers.append("set-cookie", f"{COOKIE}={token}; Path=/; SameSite=Lax; HttpOnly")
        await self.send({**self.start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})
