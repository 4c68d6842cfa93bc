"""Streamlit's own frontend files served from memory: an ASGI middleware for `st.App` (server.py) that answers a
fresh browser's burst of ~60 script requests faster than the static-files route does.

A first visit fetches index.html's ~60 scripts, stylesheet and fonts (about 2 MB) before it can open its websocket.
Streamlit serves each through its middleware stack and Starlette's `StaticFiles` (a file-system check and file reads
handed to a thread pool), which on this machine's one server core cost ~8 ms a file, so the burst took about half a
second; from memory, one file is a dict lookup and two ASGI messages (bench/RESULTS.md, "The first minutes, session
17").

Only files under Streamlit's `static/` folder (hashed, immutable bundles) are served here, and only the names found
there when the server started: a request for anything else, or any other method than GET and HEAD, passes through to
Streamlit unchanged (index.html, the health check, media, components and the app's pages are never answered here).
Headers match Streamlit's for the same files (type, length, a long immutable cache, an ETag a browser may send back).
A file is read on its first request and kept: at most the folder's size (26 MB with Streamlit 1.67), in practice the
few megabytes a page fetches.
"""

import hashlib
import mimetypes
import os

from starlette import datastructures

from dashboard.server import preload

CACHE_CONTROL = b"public, immutable, max-age=31536000"  # what Streamlit sends for its hashed bundles


class StaticFromMemory:
    """ASGI middleware: GET and HEAD of Streamlit's `static/...` files answered from memory."""

    def __init__(self, app, static_dir: str, base_url: str | None = None):
        self.app = app
        self.prefix = preload.base_prefix(base_url) + "static/"
        self.root = os.path.join(static_dir, "static")
        self.names = set(_files_under(self.root))  # never a path a request made up: only these are served
        self.served: dict[str, tuple[list, bytes]] = {}  # name -> (response headers, body), filled on demand

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        name = path.removeprefix(self.prefix) if path.startswith(self.prefix) else None
        if name not in self.names or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers, body = self.served.get(name) or self._read(name)
        etag = dict(headers)[b"etag"]
        if etag.decode() in ",".join(datastructures.Headers(scope=scope).getlist("if-none-match")):
            await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", etag),
                                                                                  (b"cache-control", CACHE_CONTROL)]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def _read(self, name: str) -> tuple[list, bytes]:
        with open(os.path.join(self.root, name), "rb") as file:
            body = file.read()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"  # as Starlette's StaticFiles guesses
        kind += "; charset=utf-8" if kind.startswith("text/") else ""
        headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode()),
                   (b"cache-control", CACHE_CONTROL), (b"etag", f'"{hashlib.md5(body).hexdigest()}"'.encode())]
        self.served[name] = (headers, body)
        return headers, body


def _files_under(root: str) -> list[str]:
    """Every file below `root`, as the relative path a URL names (forward slashes)."""
    found = []
    for folder, _, files in os.walk(root):
        relative = os.path.relpath(folder, root)
        found += [name if relative == "." else f"{relative.replace(os.sep, '/')}/{name}" for name in files]
    return found

