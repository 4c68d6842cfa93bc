"""Saves a screenshot of every page of the running app into docs/, for the README.

Usage: python scripts/screenshots.py --store DIR [--dataset NAME]
Starts `streamlit run app.py` on a free port with that store (train models into it first, e.g. with the
quick start or the CLI), drives Debian's Chromium, and writes docs/<page>.png.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = {"home": "", "train": "train", "reconstructions": "reconstructions", "feature_maps": "feature_maps",
         "latent_map": "latent_map", "latent_sampler": "latent_sampler", "denoise": "denoise"}
MODEL_FOR = {"feature_maps": "conv", "latent_map": "conv", "latent_sampler": "vae", "denoise": "denoising"}  # by family


def start_server(store: str, dataset: str | None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "AECORE_STORE": store, **({"AECORE_DEFAULT_DATASET": dataset} if dataset else {})}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                "--server.headless", "true"], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("streamlit did not start")


def hover_a_point(page):
    """Moves the mouse over the hover map until a thumbnail shows, so the picture shows the feature."""
    box = page.locator("canvas.map").bounding_box()
    for step in range(200):
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.002 * step), box["y"] + box["height"] * 0.45)
        if page.locator("div.tip").is_visible():
            return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--dataset")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    arguments = parser.parse_args()
    process, url = start_server(arguments.store, arguments.dataset)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, path in PAGES.items():
                page.goto(f"{url}/{path}")
                page.locator("[data-testid=stMain] h1").first.wait_for(timeout=120_000)
                if name in MODEL_FOR:  # each page with the model that shows it best, picked in the sidebar
                    page.locator("section[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1).click()
                    page.get_by_role("option").filter(has_text=f"· {MODEL_FOR[name]}").first.click()
                time.sleep(12 if name == "latent_map" else 6)  # t-SNE, model loads and charts settle
                if name == "latent_map":
                    hover_a_point(page)
                page.screenshot(path=f"{arguments.out}/{name}.png", full_page=True)
                print("saved", f"{arguments.out}/{name}.png", flush=True)
            browser.close()
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
