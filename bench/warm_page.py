"""The warm first page side by side (#35): Home served by `server.py` from one or more checkouts, and a bare
Streamlit page (a title and one line: the floor of any first visit on this machine), visited in turn by fresh
headless-Chromium contexts once every server is warm.

Usage: flock /tmp/aecore-browser.lock .venv/bin/python bench/warm_page.py [--rounds 9] [ROOT ...]
ROOT: a checkout to serve (default: this one); `git worktree add /tmp/before <rev>` gives an earlier one to compare.
Each visit is timed as bench/first_minutes.py times a page (until drawn, the script stopped, confirmed 0.5 s, not
counted), by the page's own clock and by Playwright's wall time. Also prints each server's CPU seconds per visit
(Streamlit's, ours, the garbage collections after each run).
Every server runs on an empty store of its own, with AECORE_STANDBY=0 (no standby worker loading TensorFlow beside
it) unless --standby; visits start once each server and its child processes are idle.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import first_minutes  # noqa: E402  (after the path: run as a file)
import processes  # noqa: E402

from scripts import serve  # noqa: E402

BARE = 'import streamlit as st\nst.title("Autoencoder Explorer")\nst.write("A bare Streamlit page.")\n'
TITLE = "Autoencoder Explorer"


def start(command: list[str], cwd: Path, store: Path, standby: bool) -> tuple[subprocess.Popen, str]:
    port = serve.free_port()
    env = {**os.environ, "AECORE_STORE": str(store), "AECORE_DEFAULT_DATASET": "fashion_mnist",
           "AECORE_STANDBY": "1" if standby else "0", "AECORE_PREMAP": "", "AECORE_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", *command, "--server.port", str(port),
                                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                                "--server.fileWatcherType", "none"], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*", default=[str(ROOT)])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--standby", action="store_true", help="as a server runs: Home's standby worker loads "
                        "TensorFlow beside it (each server's own store); timed once it is idle")
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    scratch = Path(tempfile.mkdtemp(prefix="warm-page-"))
    (scratch / "bare.py").write_text(BARE)
    stores = {name: scratch / f"store-{number}" for number, name in enumerate([*arguments.roots, "bare page"])}
    for store in stores.values():
        store.mkdir()
    servers = {root: start(["server.py"], Path(root), stores[root], arguments.standby) for root in arguments.roots}
    servers["bare page"] = start([str(scratch / "bare.py")], scratch, stores["bare page"], False)
    seconds, walls = {name: [] for name in servers}, {name: [] for name in servers}
    cpu = {name: 0.0 for name in servers}
    try:
        for process, url in servers.values():
            if not serve.healthy(url, 120):
                raise RuntimeError(f"{url} did not answer within 120 s")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            for process, url in servers.values():  # each server's first visit: its first run, cold
                first_minutes.open_page(browser, url, TITLE)[1].close()
            for process, _ in servers.values():
                processes.quiet(process.pid, tree=True)
            for _ in range(arguments.rounds):
                for name, (process, url) in servers.items():
                    before = sum(processes.cpu_seconds(process.pid).values())
                    visit = first_minutes.visit(browser, url, TITLE)
                    visit.context.close()
                    seconds[name].append(visit.seconds)
                    walls[name].append(visit.wall)
                    cpu[name] += sum(processes.cpu_seconds(process.pid).values()) - before
    finally:
        for process, _ in servers.values():
            process.terminate()
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    print("| served | median, page clock | visits | median, wall (Playwright) | server CPU per visit |\n"
          "|---|---|---|---|---|")
    for name, values in seconds.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {', '.join(f'{value:.2f}' for value in values)} | "
              f"{statistics.median(walls[name]):.2f} s | {cpu[name] / len(values):.2f} s |")


if __name__ == "__main__":
    main()
