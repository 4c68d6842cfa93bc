"""The two-way map's browser targets (issue #36), measured by hand in headless Chromium; results go in bench/RESULTS.md.

Usage:
    python bench/pad.py MODEL [--store DIR] [--dataset fashion_mnist] [--method pca|umap] [--seconds 4]

With the model's map of every image cached (the page's map job or `python -m aecore project MODEL --split all`), it
opens the Latent map and reports: bytes received before the map's first draw (HTTP and websocket), the pad live
after the first draw, a pen stroke's latency (pointer event to the moved point and its new reconstruction drawn) and
the updates a second while drawing, and the decoded picture under the mouse on empty space.
"""

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts import serve  # noqa: E402


def stroke_for(page, surface, seconds: float) -> float:
    """Draws loops on the pad for `seconds` without releasing; returns the seconds it took."""
    box = surface.bounding_box()
    centre_x, centre_y, radius = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] / 3
    page.mouse.move(centre_x + radius, centre_y)
    page.mouse.down()
    started, step = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        angle = step * 0.15
        page.mouse.move(centre_x + radius * math.cos(angle) * (0.5 + 0.5 * math.sin(step * 0.05)),
                        centre_y + radius * math.sin(angle))
        step += 1
    elapsed = time.perf_counter() - started
    page.mouse.up()
    return elapsed


# Pen events dispatched in the page, one per animation frame (as a pen on a 60 Hz screen sends them), for `seconds`:
# the page's own rate, without Playwright's round trip per mouse move. Resolves to [frames, seconds].
IN_PAGE_STROKE = """([root, seconds]) => new Promise(done => {
  const surface = root.querySelector("canvas.surface"), box = surface.getBoundingClientRect();
  const at = (k) => ({ clientX: box.left + box.width * (0.5 + 0.3 * Math.cos(k / 9)), pointerId: 1, buttons: 1,
                       clientY: box.top + box.height * (0.5 + 0.3 * Math.sin(k / 7)), bubbles: true });
  surface.dispatchEvent(new PointerEvent("pointerdown", at(0)));
  const t0 = performance.now(); let k = 0;
  const step = () => {
    surface.dispatchEvent(new PointerEvent("pointermove", at(++k)));
    if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(step);
    else { surface.dispatchEvent(new PointerEvent("pointerup", at(k))); done([k, (performance.now() - t0) / 1000]); }
  };
  requestAnimationFrame(step);
})"""


def spot_times(page, root, count: int = 30) -> list[float]:
    overlay = root.locator("canvas.overlay")
    box = overlay.bounding_box()
    times = []
    for index in range(count):  # along the left margin of the map, where no point is
        page.mouse.move(box["x"] + 4, box["y"] + 20 + index * (box["height"] - 40) / count)
        value = root.get_attribute("data-spot-ms")
        if value:
            times.append(float(value))
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--store", default=None)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--method", default="pca", choices=("pca", "umap", "tsne"))
    parser.add_argument("--seconds", type=float, default=4.0)
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    process, url = serve.start(arguments.store or "models", dataset=arguments.dataset)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            received = serve.count_received(page)
            page.goto(f"{url}/latent_map")
            serve.pick_model(page, arguments.model)
            labels = {"pca": "PCA (at once", "umap": "UMAP (keeps", "tsne": "t-SNE (keeps"}  # views/latent_map.py's
            page.get_by_text(labels[arguments.method]).first.click()
            root, pad = page.locator(".bigmap"), page.locator(".pad")
            root.wait_for(timeout=600_000)
            page.wait_for_function("r => Number(r.dataset.frames) > 0", arg=root.element_handle(), timeout=600_000)
            first_bytes = received["bytes"]
            pad.wait_for(timeout=120_000)
            page.wait_for_function("r => r.dataset.ready === 'true'", arg=pad.element_handle(), timeout=120_000)
            live_after = (float(pad.get_attribute("data-ready-at")) - float(root.get_attribute("data-first-draw-at"))) / 1000
            total_bytes = received["bytes"]
            surface = pad.locator("canvas.surface")
            surface.scroll_into_view_if_needed()
            before = int(pad.get_attribute("data-updates") or 0)
            elapsed = stroke_for(page, surface, arguments.seconds)
            stats = pad.evaluate("r => r.pad.stats")
            updates = int(pad.get_attribute("data-updates")) - before
            before = int(pad.get_attribute("data-updates"))
            frames, in_page_seconds = page.evaluate(IN_PAGE_STROKE, [pad.element_handle(), arguments.seconds])
            in_page = (int(pad.get_attribute("data-updates")) - before) / in_page_seconds
            root.scroll_into_view_if_needed()
            spots = spot_times(page, root)
            browser.close()
    finally:
        serve.stop(process)
    latencies, update_ms = stats["latencies"], stats["updateMs"]
    print(f"{arguments.model} on {arguments.dataset}, {arguments.method} map, headless Chromium (SwiftShader), 2 cores")
    print(f"received before the map's first draw: {first_bytes / 1e6:.2f} MB; with the pad: {total_bytes / 1e6:.2f} MB; "
          f"pad live {live_after:.2f} s after the first draw")
    print(f"pen events sent in the page at screen rate ({frames / in_page_seconds:.0f} a second): {in_page:.1f} updates "
          "a second")
    print(f"while drawing through Playwright's mouse: {updates / elapsed:.1f} updates a second; pen event to moved point and reconstruction: "
          f"median {statistics.median(latencies):.1f} ms, p95 {sorted(latencies)[int(0.95 * (len(latencies) - 1))]:.1f} ms "
          f"({len(latencies)} events); one update (encode, place among every code, decode, draw): "
          f"median {statistics.median(update_ms):.1f} ms")
    print(f"decoded picture under the mouse on empty space: median {statistics.median(spots):.1f} ms, "
          f"max {max(spots):.1f} ms ({len(spots)} spots)")


if __name__ == "__main__":
    main()
