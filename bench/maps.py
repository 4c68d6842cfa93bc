"""The whole-dataset map's targets (issue #23), measured by hand; results go in bench/RESULTS.md.

Usage:
    python bench/maps.py projections MODEL [--store DIR] [--dataset fashion_mnist]
        all 70,000 codes of MODEL: UMAP with numba's cache cold (a fresh machine) and warm, openTSNE's FFT t-SNE,
        PCA; trustworthiness (1,000 sampled points, k = 10); on 10,000 of the codes, scikit-learn's t-SNE beside
        openTSNE's, the comparison the target names.
    python bench/maps.py browser MODEL [--store DIR] [--dataset fashion_mnist] [--method umap]
        the app in headless Chromium with the map cached: first draw after the page's script ends, panning frame
        rate (requestAnimationFrame, SwiftShader), hover picture time, bytes received before the first draw
        (HTTP and websocket), and the server's memory with the map and five models loaded.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed_projection(codes, method: str, seed: int = 0, cold_numba: bool = False) -> dict:
    """One projection in a fresh process (so UMAP's compile is measured as a user meets it), Keras imported first
    as in the map job (it loads the model): umap-learn's import otherwise pays TensorFlow's (~7 s)."""
    script = ("import sys, json, time, numpy as np, keras; from aecore.analysis import projections; "
              "codes = np.load(sys.argv[1]); started = time.perf_counter(); "
              "found = projections.project(codes, sys.argv[2], int(sys.argv[3])); "
              "points = found.points; print(json.dumps({'seconds': time.perf_counter() - started, "
              "'trust10': projections.trustworthiness(codes, points, 0, 10)}))")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "codes.npy"
        import numpy as np

        np.save(path, codes)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if cold_numba:
            env["NUMBA_CACHE_DIR"] = str(Path(folder) / "numba")
        run = subprocess.run([sys.executable, "-c", script, str(path), method, str(seed)], capture_output=True,
                             text=True, env=env)
        if run.returncode:
            raise SystemExit(run.stderr[-1000:])
        return json.loads(run.stdout.strip().splitlines()[-1])


def projections_bench(arguments):
    import numpy as np

    from aecore.data import catalog
    from aecore.store import mapcache, modelstore

    store = modelstore.ModelStore(arguments.store)
    autoencoder, dataset = store.load(arguments.model), catalog.load_dataset(arguments.dataset)
    codes = mapcache.codes(store, arguments.model, autoencoder, dataset, "all")
    print(f"{len(codes):,} codes of {codes.shape[1]} numbers ({arguments.model} on {arguments.dataset}); 2 cores\n")
    print("| projection | points | seconds | trustworthiness (k = 10) |\n|---|---|---|---|")
    rows = [("PCA", codes, "pca", False), ("UMAP, numba cache cold (a fresh machine)", codes, "umap", True),
            ("UMAP, numba cache warm", codes, "umap", False), ("t-SNE: openTSNE FFT, 500 iterations", codes, "tsne", False)]
    sample = codes[np.random.default_rng(0).choice(len(codes), 10_000, replace=False)]
    rows += [("t-SNE: scikit-learn Barnes-Hut (the app below 10,000)", sample, "tsne", False)]
    for title, chosen, method, cold in rows:
        found = timed_projection(chosen, method, cold_numba=cold)
        print(f"| {title} | {len(chosen):,} | {found['seconds']:.1f} | {found['trust10']:.3f} |", flush=True)
    from aecore.analysis import projections

    started = time.perf_counter()
    fast = projections.fast_tsne(projections.flatten(sample), 0, 30.0)
    print(f"| t-SNE: openTSNE FFT on the same 10,000 | 10,000 | {time.perf_counter() - started:.1f} | "
          f"{projections.trustworthiness(sample, fast, 0, 10):.3f} |")
    print("\nThe map job as the page starts it (`python -m aecore project`, codes cached, the map not): projection "
          "seconds as the job reports them, and the whole process (Python, Keras and the model loaded, CSV written)\n")
    print("| job | points | projection s | process s |\n|---|---|---|---|")
    for method in ("umap", "tsne"):
        cached = mapcache.map_file(store, arguments.model, arguments.dataset, "all", method, 0)
        cached.unlink(missing_ok=True)  # a bench store: the job must compute the map, not read it
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            run = subprocess.run([sys.executable, "-m", "aecore", "project", arguments.model, "--store", str(store.root),
                                  "--dataset", arguments.dataset, "--method", method, "--split", "all", "--quiet",
                                  "--out", str(Path(folder) / "map.csv")], capture_output=True, text=True, cwd=ROOT)
        if run.returncode:
            raise SystemExit(run.stderr[-1000:])
        result = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"| {method} | {result['points']:,} | {result['seconds']:.1f} | {time.perf_counter() - started:.1f} |")


def browser_bench(arguments):
    from playwright.sync_api import sync_playwright

    from scripts import serve

    process, url = serve.start(arguments.store, dataset=arguments.dataset)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            received = serve.count_received(page)
            _load_models(page, url, arguments)
            received["bytes"] = 0
            page.goto(f"{url}/latent_map")
            page.get_by_role("combobox", name="Model", exact=True).wait_for(timeout=120_000)
            _choose(page, "Model", arguments.model)
            page.evaluate(SCRIPT_ENDS)
            page.get_by_text({"umap": "UMAP (", "tsne": "t-SNE (", "pca": "PCA ("}[arguments.method]).first.click()
            started = time.perf_counter()  # the page shows every image of the dataset: the whole map, at once
            root = page.locator(".bigmap")
            root.wait_for(timeout=600_000)
            page.wait_for_function("r => Number(r.dataset.frames) > 0", arg=root.element_handle(), timeout=600_000)
            first_draw, first_bytes = time.perf_counter() - started, received["bytes"]
            page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=120_000)
            drawn_at = float(root.get_attribute("data-first-draw-at"))
            script_ends = page.evaluate("window.scriptEnds")
            before = [end for end in script_ends if end <= drawn_at]  # none: drawn while the script still ran
            after_script = drawn_at - (before[-1] if before else script_ends[0]) if script_ends else float("nan")
            redraw_fps = root.evaluate("""r => new Promise(done => { const map = r.bigmap; let frames = 0; const t0 = performance.now();
                const step = () => { map.view.x += 0.002; map.render(); frames++;
                  if (performance.now() - t0 < 5000) requestAnimationFrame(step); else done(frames / ((performance.now() - t0) / 1000)); };
                requestAnimationFrame(step); })""")
            fps, release_ms = root.evaluate("""r => new Promise(done => { const map = r.bigmap, start = {...map.view}; let frames = 0;
                const t0 = performance.now();
                const step = () => { frames++; map.panBy(frames % 200, frames % 120);
                  if (performance.now() - t0 < 5000) { requestAnimationFrame(step); return; }
                  const fps = frames / ((performance.now() - t0) / 1000), t1 = performance.now();
                  map.endPan(start, 0, 0); map.gl.finish(); done([fps, performance.now() - t1]); };
                requestAnimationFrame(step); })""")
            page.get_by_role("button", name="Reset view").click()
            hover = _hover_times(page, root)
            rss = _rss_mib(process.pid)
            browser.close()
    finally:
        serve.stop(process)
    print(f"first draw: {first_draw:.2f} s after choosing the projection (the script's whole rerun included), "
          f"{after_script / 1000:.2f} s after the script's run ended (negative: drawn before it ended); "
          f"received before it: {first_bytes / 1e6:.2f} MB")
    print(f"panning: {fps:.1f} frames per second (5 s of requestAnimationFrame moving the drawn layer), then "
          f"{release_ms:.0f} ms to redraw at the release; redrawing every frame instead: {redraw_fps:.1f} fps")
    print(f"hover picture: first {hover[0]:.0f} ms (its sheet fetched), median of the next {len(hover) - 1}: "
          f"{statistics.median(hover[1:]):.1f} ms")
    print(f"server memory (RSS) with the map and five models loaded: {rss:.0f} MiB")


def _choose(page, label: str, name: str):
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=name, exact=False).first.click()


# Times (performance.now) at which Streamlit's "running" status went away: the ends of the script's runs.
SCRIPT_ENDS = """() => { window.scriptEnds = []; const running = () => !!document.querySelector('[data-testid="stStatusWidget"]');
  let was = running(); new MutationObserver(() => { const now = running(); if (was && !now) window.scriptEnds.push(performance.now());
  was = now; }).observe(document.body, {childList: true, subtree: true}); }"""


def _load_models(page, url, arguments):
    """Opens the Reconstructions page on five stored models, so the server holds them."""
    from aecore.store import modelstore

    store = modelstore.ModelStore(arguments.store)
    names = [name for name in store.names() if name != arguments.model and store.meta(name).get("family") != "photo"][:5]
    page.goto(f"{url}/reconstructions")
    page.get_by_role("combobox", name="Model", exact=True).wait_for(timeout=120_000)
    for name in names:
        _choose(page, "Model", name)
        page.get_by_text("Reconstructions", exact=True).first.wait_for(timeout=60_000)
        time.sleep(3)


def _hover_times(page, root) -> list[float]:
    overlay = page.locator(".bigmap canvas.overlay")
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    times = []
    for step in range(40):
        page.mouse.move(box["x"] + box["width"] * (0.3 + 0.01 * step), box["y"] + box["height"] * 0.45)
        time.sleep(0.15)
        found = root.get_attribute("data-hover-ms")
        if found and root.get_attribute("data-hovered"):
            times.append(float(found))
    return times or [float("nan"), float("nan")]


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["projections", "browser"])
    parser.add_argument("model")
    parser.add_argument("--store", default=None)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--method", default="umap")
    arguments = parser.parse_args()
    {"projections": projections_bench, "browser": browser_bench}[arguments.what](arguments)


if __name__ == "__main__":
    main()
