"""The live decoder in headless Chromium: download size, decode + draw time, first live frame.

    PYTHONPATH=. .venv/bin/python bench/live_decoder.py [--store DIR] [--calls 500] [--warm-visits 5]

1. Size: for every family's default decoder (28x28x1, default code), what a page load transfers for the
   model: the float32 weights (sent as binary) plus the layer list, plus the script, which Streamlit sends
   inline with each of the page's four live elements.
2. Speed: median time of one decode + draw (the page's own `compileDecoder` and `painter` on a 224x224
   canvas) over `--calls` random codes, in a blank Chromium page that imports the live decoder module (live_decoder.module_source()).
3. First live frame: with `--store DIR` (models trained on Fashion-MNIST), the app is started on it and,
   for each model, the time from the page's load event to the first frame the live decoder paints: cold
   (the first visit after the server started), warm (`--warm-visits` visits, each in a fresh browser
   context, so Streamlit's own JavaScript is fetched too), returning (the same browser again, a new
   session: the weights are sent again, Streamlit's code comes from the HTTP cache), and from Home (the
   same browser opens Home, then clicks "Latent sampler" in the sidebar; timed from the click).
"""

import argparse
import base64
import json
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aecore.models import families, webexport  # noqa: E402
from dashboard.components import live_decoder  # noqa: E402
from dashboard.state import caches  # noqa: E402
from scripts import serve  # noqa: E402

ELEMENTS = 4  # the Latent sampler's three live views and the weights' element: each carries the script inline
CODE_FAMILIES = ["dense", "sparse", "deep", "conv", "denoising", "vae", "lstm", "linear", "contractive"]
TIME_IN_PAGE = """async ([spec, weights, calls]) => {
  const decoder = live.compileDecoder(spec, new Float32Array(live.base64ToBytes(weights).buffer));
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 224; document.body.appendChild(canvas);
  const paint = live.painter(canvas, spec.output_shape), code = new Float32Array(decoder.inputSize), times = [];
  for (let i = 0; i < calls + 20; i++) {
    for (let d = 0; d < code.length; d++) code[d] = Math.sin(i * 12.9898 + d * 78.233) * 2;  // a new code each call
    const start = performance.now();
    paint(decoder.run(code));
    if (i >= 20) times.push(performance.now() - start);  // the first calls warm the JIT up
  }
  canvas.remove();
  times.sort((a, b) => a - b);
  return [times[times.length >> 1], times[Math.floor(times.length * 0.95)]];
}"""


def sizes_and_speed(browser, calls: int) -> list[dict]:
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.evaluate("async source => { window.live = await import(URL.createObjectURL(new Blob([source], "
                  "{type: 'text/javascript'}))); }", live_decoder.module_source())
    script_bytes, rows = len(live_decoder.module_source().encode()), []
    cases = [(family, {}) for family in CODE_FAMILIES]
    cases += [("conv", {"sampling": "pooling"}), ("vae", {"variant": "conv"})]
    for family, options in cases:
        autoencoder = families.build(family, (28, 28, 1), families.FAMILIES[family].latent_dim, options)
        web = webexport.export_decoder(autoencoder.decoder)
        weights = base64.b64encode(web.weights).decode()
        median, p95 = page.evaluate(TIME_IN_PAGE, [web.spec, weights, calls])
        label = family + "".join(f" ({value})" for value in options.values())
        rows.append({"decoder": label, "params": autoencoder.decoder.count_params(),
                     "download_kb": (len(web.weights) + len(json.dumps(web.spec)) + ELEMENTS * script_bytes) / 1024,
                     "median_ms": median, "p95_ms": p95})
    page.close()
    return rows


def first_frames(browser, store: str, warm_visits: int) -> list[dict]:
    """Per model: ms from the page's load event to its first live frame, for the cold visit, `warm_visits`
    fresh browsers, the same browser coming back (its HTTP cache holds Streamlit's code), and the same
    browser arriving by the sidebar link from Home (from the click)."""
    from aecore.store.modelstore import ModelStore

    entries = [entry for entry in ModelStore(store).scan()[0] if entry.meta.get("family") in CODE_FAMILIES]
    process, url = serve.start(store, dataset="fashion_mnist", timeout=120)
    rows = []
    try:
        for entry in entries:
            times = {"cold": [], "warm": [], "returning": [], "from Home": []}
            for visit in range(1 + warm_visits):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                times["warm" if visit else "cold"].append(_open_sampler(page, url, entry))
                if visit:
                    times["returning"].append(_open_sampler(page, url, entry))
                    times["from Home"].append(_sampler_from_home(page, url, entry))
                context.close()
            rows.append({"model": entry.name, **times})
    finally:
        serve.stop(process)
    return rows


def _open_sampler(page, url: str, entry) -> float:
    page.goto(f"{url}/latent_sampler")
    _wait_for_live(page, entry)
    loaded, frame = page.evaluate(MOMENTS)
    return frame - loaded


def _sampler_from_home(page, url: str, entry) -> float:
    page.goto(url)
    page.get_by_role("heading", name="Autoencoder Explorer").wait_for(timeout=60_000)
    clicked = page.evaluate("() => performance.now()")
    page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Latent sampler").first.click()
    _wait_for_live(page, entry)
    return page.evaluate(MOMENTS)[1] - clicked


def _wait_for_live(page, entry):
    page.get_by_text("One slider per dimension").wait_for(timeout=180_000)
    picker = page.locator("section[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1)
    if picker.inner_text().split(" · ")[0] != entry.name:
        serve.pick_model(page, entry.name)
    key = live_decoder.model_key(caches.stamp_of(entry.meta))
    loaded = f"globalThis.__aecoreLive?.decoders.has('{key}') && globalThis.__aecoreLive.firstFrame"
    page.wait_for_function(f"() => {loaded}", timeout=180_000)


MOMENTS = """() => {  // ms from navigation start: the page's load event, the first live frame
  const navigation = performance.getEntriesByType('navigation')[0], live = globalThis.__aecoreLive;
  return [navigation.loadEventEnd, live.firstFrame];
}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="a model store with Fashion-MNIST models, for the first-frame time")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--warm-visits", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
        print("| decoder | params | page download | decode + draw, median | p95 |")
        print("|---|---|---|---|---|")
        for row in sizes_and_speed(browser, args.calls):
            print(f"| {row['decoder']} | {row['params']:,} | {row['download_kb']:,.0f} KB | "
                  f"{row['median_ms']:.2f} ms | {row['p95_ms']:.2f} ms |")
        if args.store:
            print("\n| model | visit | first live frame after the load event (from the click for 'from Home') | median |")
            print("|---|---|---|---|")
            for row in first_frames(browser, args.store, args.warm_visits):
                for visit in ("cold", "warm", "returning", "from Home"):
                    shown = ", ".join(f"{value:.0f}" for value in row[visit])
                    print(f"| {row['model']} | {visit} | {shown} ms | {statistics.median(row[visit]):.0f} ms |")
        browser.close()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
