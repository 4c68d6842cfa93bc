"""Saves a screenshot of every page of the running app into docs/, for the README.

Usage: python scripts/screenshots.py --store DIR [--dataset NAME]
Starts the app (`streamlit run server.py`) on a free port with that store (train models into it first, e.g. with
`bench/quick_start.py --store DIR` or the CLI), drives Debian's Chromium, and writes docs/<page>.png.
Each page is opened without picking a model, so it shows the model the page picks for itself; a
picture is taken once the page has stopped changing (two identical screenshots, no spinner).
"""

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts import serve  # noqa: E402

ROOT = serve.ROOT
PAGES = {"home": "", "train": "train", "reconstructions": "reconstructions", "feature_maps": "feature_maps",
         "latent_map": "latent_map", "latent_sampler": "latent_sampler", "denoise": "denoise", "timeline": "timeline",
         "anomalies": "anomaly", "datasets": "datasets"}
SETTLE_SECONDS = 120  # t-SNE of 5,000 codes and a cold model load fit well inside this


def whole_dataset_map(page):
    """UMAP of the whole dataset (waiting for its job if the map is not cached), a shoe drawn on the pad (its star
    on the map), and a point hovered."""
    page.get_by_text("UMAP (keeps neighbours and groups)").click()
    root = page.locator(".bigmap")
    root.wait_for(timeout=600_000)
    page.wait_for_function("r => Number(r.dataset.frames) > 0 && !document.body.innerText.includes('Meanwhile')",
                           arg=root.element_handle(), timeout=600_000)
    pad = page.locator(".pad")
    page.wait_for_function("r => r.dataset.ready === 'true'", arg=pad.element_handle(), timeout=120_000)
    surface = pad.locator("canvas.surface")
    surface.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = surface.bounding_box()
    sole = [(0.12, 0.55), (0.2, 0.72), (0.85, 0.75), (0.88, 0.62), (0.55, 0.52), (0.4, 0.35), (0.2, 0.38), (0.12, 0.55)]
    page.mouse.move(box["x"] + box["width"] * sole[0][0], box["y"] + box["height"] * sole[0][1])
    page.mouse.down()
    for x, y in sole[1:]:  # a sneaker's outline
        page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=5)
    page.mouse.up()
    overlay = page.locator(".bigmap canvas.overlay")
    box = overlay.bounding_box()
    for step in range(200):
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.002 * step), box["y"] + box["height"] * 0.45)
        if root.get_attribute("data-hovered"):
            time.sleep(0.5)
            return


def timeline_moment(page):
    """The timeline two thirds through, with trails for three images of different classes."""
    canvas = page.locator(".timeline-player canvas.map")
    canvas.wait_for(timeout=120_000)
    canvas.scroll_into_view_if_needed()
    for index in canvas.evaluate("""canvas => { const player = canvas.closest('.timeline-player').player;
        player.seek((player.data.count - 1) * 0.66); const seen = new Map();
        player.data.labels.forEach((label, index) => { if (!seen.has(label)) seen.set(label, index); });
        return [...seen.values()].slice(0, 3); }"""):
        where = canvas.evaluate(f"""canvas => {{ const player = canvas.closest('.timeline-player').player;
            const [x, y] = player.toScreen(player.at({index}, player.time)); const box = canvas.getBoundingClientRect();
            return [box.left + x / player.ratio, box.top + y / player.ratio]; }}""")
        page.mouse.click(*where)
    page.mouse.move(0, 0)
    time.sleep(0.5)


def settle(page, timeout: float = SETTLE_SECONDS) -> bytes:
    """A full-page screenshot once two taken a second apart are identical and nothing is running."""
    deadline, previous = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        time.sleep(1)
        running = page.locator("[data-testid=stSpinner]").count()
        shot = page.screenshot(full_page=True)
        if shot == previous and not running:
            return shot
        previous = shot
    raise RuntimeError(f"{page.url} was still changing after {timeout} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--dataset")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--pages", default=",".join(PAGES), help="which pages, comma-separated (default: all)")
    parser.add_argument("--upload", help="a .zip the Datasets page's picture shows being added (its preview)")
    parser.add_argument("--owner-password", help="start it hosted for a class (the pictures then show a viewer)")
    arguments = parser.parse_args()
    wanted = arguments.pages.split(",")
    env = {"AECORE_OWNER_PASSWORD": arguments.owner_password} if arguments.owner_password else None
    process, url = serve.start(arguments.store, arguments.dataset, timeout=120, env=env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, path in ((name, PAGES[name]) for name in wanted):
                page.goto(f"{url}/{path}")
                page.locator("[data-testid=stMain] h1").first.wait_for(timeout=120_000)
                settle(page)
                if name == "latent_map":
                    whole_dataset_map(page)
                if name == "timeline":
                    timeline_moment(page)
                if name == "datasets" and arguments.upload:
                    page.locator("input[type=file]").first.set_input_files(arguments.upload)
                    page.get_by_text("before (top) and after").first.wait_for(timeout=120_000)
                    settle(page)
                    page.locator(".st-key-dataset-add").scroll_into_view_if_needed()  # the preview above the button
                page.screenshot(path=f"{arguments.out}/{name}.png", full_page=name != "latent_map")
                print("saved", f"{arguments.out}/{name}.png", flush=True)
            browser.close()
    finally:
        serve.stop(process)


if __name__ == "__main__":
    main()
