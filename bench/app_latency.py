"""Dashboard-side latency: a cached t-SNE map, each page's full rerun in AppTest, app start to first page.

Usage: python bench/app_latency.py MODEL --store DIR [--runs 20] [--pages-only]
Prints a Markdown table for bench/RESULTS.md (issue #5, part 2). Each page opens on MODEL's dataset (a dataset of
your own too: issue #27 times every page on a 64x64 colour one with --pages-only).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import latency  # noqa: E402  (timed: warm-up, then p50 and p95)

PAGES = ("home", "reconstructions", "feature_maps", "latent_map", "timeline", "latent_sampler", "denoise", "anomaly", "train")


def cached_tsne(model_name, runs):
    from dashboard.state import caches

    entry = next(entry for entry in caches.model_store().entries() if entry.name == model_name)
    arguments = (caches.ModelRef(model_name, caches.stamp_of(entry.meta), entry.meta["dataset"]), 5000, "tsne")
    cold = time.perf_counter()
    caches.projection(*arguments)
    cold = time.perf_counter() - cold
    return cold, latency.timed(lambda: caches.projection(*arguments), runs)


def page_reruns(model_name, runs):
    from streamlit.testing.v1 import AppTest

    from dashboard.state import caches

    dataset = next(entry for entry in caches.model_store().entries() if entry.name == model_name).meta["dataset"]
    rows = []
    for page in PAGES:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        if page != "home":
            app.switch_page(f"views/{page}.py")
        app.session_state["model"], app.session_state["dataset"] = model_name, dataset
        p50, p95 = latency.timed(app.run, runs)  # its warm-up run loads the model, computes and caches
        assert not app.exception, f"{page}: {app.exception}"
        rows.append((page, p50, p95))
    return rows


def app_start(store):
    from playwright.sync_api import sync_playwright

    from scripts import serve

    started = time.perf_counter()
    process, url = serve.start(store, timeout=120)
    healthy = time.perf_counter() - started
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            page = browser.new_page()
            page.goto(url)
            page.locator("[data-testid=stMain] h1").first.wait_for(timeout=120_000)
            ready = time.perf_counter() - started
            browser.close()
    finally:
        serve.stop(process)
    return healthy, ready


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--store", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages-only", action="store_true", help="only each page's rerun, not the start or t-SNE")
    arguments = parser.parse_args()
    os.environ["AECORE_STORE"] = arguments.store
    if arguments.pages_only:
        return print_pages(arguments)
    healthy, ready = app_start(arguments.store)  # first: a cold server, nothing cached
    print(f"app start: server healthy after {healthy:.1f} s, first page's title in Chromium after {ready:.1f} s (target 10 s)\n")
    cold, (p50, p95) = cached_tsne(arguments.model, 100)
    print(f"t-SNE map of 5,000 codes through the page's cache: cold {cold:.1f} s; cached p50 {p50 * 1000:.1f} ms, "
          f"p95 {p95 * 1000:.1f} ms over 100 runs (target 0.1 s)\n")
    print_pages(arguments)


def print_pages(arguments):
    print(f"| page (AppTest, model {arguments.model}) | runs | p50 | p95 |\n|---|---|---|---|")
    for page, p50, p95 in page_reruns(arguments.model, arguments.runs):
        print(f"| {page} | {arguments.runs} | {p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
