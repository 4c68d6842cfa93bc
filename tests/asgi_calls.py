"""Driving an ASGI app in a test as a server would: one HTTP request in, the response's status, headers and body
out (tests/test_preload.py, tests/test_static_memory.py)."""

import asyncio
import concurrent.futures


def get(app, path, method="GET", headers=()) -> tuple[int, dict, bytes]:
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"test"), *headers], "root_path": "", "scheme": "http",
             "server": ("test", 80), "http_version": "1.1"}
    return run(call(app, scope))


def run(coroutine):
    """In a thread of its own: in the full suite the browser tests' Playwright keeps an event loop running in
    this one, where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def call(app, scope) -> tuple[int, dict, bytes]:
    sent, done, requested = [], asyncio.Event(), []

    async def receive():  # the request once; then, as a server does, a disconnect after the response
        if not requested:
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    headers = {key.decode().lower(): value.decode() for key, value in start["headers"]}
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], headers, body
