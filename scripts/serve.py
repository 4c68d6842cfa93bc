"""Starts the app as `make run` does (`streamlit run server.py`: app.py behind the preloading middleware) on a
free port and waits until it answers: shared by the browser tests, the screenshot script and the benchmarks
that drive a real server.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"  # Debian's: a downloaded browser (`playwright install`) fails offline
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(store, dataset: str | None = None, timeout: float = 60, env: dict | None = None, port: int | None = None,
          args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """The app on localhost with `store` as its model store (and `env` on top of this process's environment, a None
    value unsetting; `args` after Streamlit's own, e.g. --secrets.files); raises RuntimeError if it does not come up."""
    port = port or free_port()
    environment = {**os.environ, "AECORE_STORE": str(store), "AECORE_OFFLINE": "1",
                   **({"AECORE_DEFAULT_DATASET": dataset} if dataset else {}), **(env or {})}
    environment = {key: value for key, value in environment.items() if value is not None}  # env {KEY: None} unsets
    command = [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    if healthy(url, timeout):
        return process, url
    process.kill()
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s")


def healthy(url: str, timeout: float) -> bool:
    """Whether the Streamlit server at `url` answers its health check within `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return True
        except OSError:
            time.sleep(0.5)
    return False


def pick_model(page, option_text: str) -> None:
    """Picks the first model whose sidebar label ("name · family") contains `option_text` (Playwright, sync)."""
    page.locator("section[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1).click()
    page.get_by_role("option").filter(has_text=option_text).first.click()


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def count_received(page) -> dict:
    """Counts what `page` receives from now on, HTTP bodies (by their Content-Length) and websocket frames alike, in
    the returned dict's "bytes" (reset it to 0 to start again)."""
    received = {"bytes": 0}
    page.on("response", lambda response: received.__setitem__(
        "bytes", received["bytes"] + int(response.headers.get("content-length") or 0)))
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: received.__setitem__(
        "bytes", received["bytes"] + len(frame if isinstance(frame, (bytes, str)) else b""))))
    return received
