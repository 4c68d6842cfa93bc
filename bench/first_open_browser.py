"""Pages' first opens in headless Chromium, two versions of the code side by side (#35): `bench/first_open.py
--browser REV --store DIR`. Each round starts a fresh server for each version in turn (REV exported with `git
archive`, then the work tree) on its own copy of the store, opens Home and waits for its warm-up (Keras and the
newest models loaded, as after the quick start), then opens each page once in a fresh browser context. Per page:
- settled: the page's title drawn and Streamlit's running indicator gone (bench/first_minutes.py's measure);
- drawn: every chart and picture on the page drawn (Plotly's SVG, Vega's marks, each <img> decoded, a frame slider's
  sheets drawn: components/frame_slider), script ended;
- long tasks: the browser's main thread blocked over 50 ms (PerformanceObserver), summed, and the longest;
- the server's CPU seconds in it.
Alternating versions within each round spreads the machine's drift over both. Prints Markdown rows with medians.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TITLES = {"reconstructions": "Reconstructions", "feature_maps": "Feature maps", "latent_map": "Latent map",
          "timeline": "Training timeline", "latent_sampler": "Latent sampler", "denoise": "Restore", "anomaly": "Anomalies"}
LONG_TASKS = ("window.__long = []; new PerformanceObserver(list => { for (const entry of list.getEntries()) "
              "window.__long.push(entry.duration) }).observe({type: 'longtask', buffered: true});")
STATE = """() => {
  const charts = [...document.querySelectorAll('[data-testid=stPlotlyChart], [data-testid=stVegaLiteChart]')];
  const images = [...document.querySelectorAll('[data-testid=stImage] img')];
  const sliders = [...document.querySelectorAll('[data-testid^=stBidiComponent]')]  // components/frame_slider
    .map(host => (host.shadowRoot || host).querySelector('.frame-slider')).filter(Boolean);
  return {running: document.querySelectorAll('[data-testid=stStatusWidget]').length > 0,
          drawn: charts.every(chart => chart.querySelector('.main-svg, svg.marks, canvas'))
                 && images.every(image => image.complete && image.naturalWidth > 0)
                 && sliders.every(slider => slider.dataset.drawn === 'true'),
          charts: charts.length + sliders.length, images: images.length, long: window.__long || []};
}"""


def export(revision: str) -> Path:
    """The code at `revision` in a temporary folder (`git archive`): a server can run from it."""
    folder = Path(tempfile.mkdtemp(prefix="first-open-code-"))
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as bundle:
        bundle.extractall(folder, filter="data")
    return folder


def start(code: Path, store: Path):
    """`streamlit run server.py` from `code` on a copy of `store`: (process, url). No standby worker, no maps."""
    sys.path.insert(0, str(ROOT))
    from scripts import serve

    copy = Path(tempfile.mkdtemp(prefix="first-open-store-")) / "store"
    shutil.copytree(store, copy)
    port = serve.free_port()
    environment = {**os.environ, "AECORE_STORE": str(copy), "AECORE_OFFLINE": "1", "AECORE_STANDBY": "0",
                   "AECORE_PREMAP": "", "AECORE_DEFAULT_DATASET": "fashion_mnist", "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(port), "--server.headless",
               "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    process = subprocess.Popen(command, cwd=code, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if __import__("urllib.request").request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"no server from {code}")


def open_once(browser, url: str, title: str, pid: int, timeout: float = 120) -> dict:
    """One fresh visitor opens `url`: seconds until settled and until drawn, long tasks, the server's CPU."""
    import processes

    cpu_before = sum(processes.cpu_seconds(pid).values())
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.add_init_script(LONG_TASKS)
    started = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name=title).first.wait_for(timeout=timeout * 1000)
    settled, quiet_since, samples = None, None, []
    while time.perf_counter() - started < timeout:
        state, now = page.evaluate(STATE), time.perf_counter() - started
        samples.append((now, state))
        quiet_since = None if state["running"] else quiet_since or now
        if settled is None and quiet_since is not None and now - quiet_since >= 0.5:
            settled = quiet_since  # as first_minutes: confirmed by half a second, not counted
        if settled is not None and now - settled >= 2.5:  # charts that arrive late, a library compiling: seen
            break
        time.sleep(0.03)
    state = samples[-1][1]
    drawn = None  # from when on every chart and picture the page ends with was drawn, and the script not running
    for now, seen in samples:
        complete = seen["drawn"] and not seen["running"] and (seen["charts"], seen["images"]) == (
            state["charts"], state["images"])
        drawn = (drawn or now) if complete else None
    context.close()
    return {"settled": settled, "drawn": drawn, "long_sum": sum(state["long"]) / 1000,
            "long_max": max(state["long"], default=0) / 1000, "charts": state["charts"], "images": state["images"],
            "server_cpu": sum(processes.cpu_seconds(pid).values()) - cpu_before}


def compare(revision: str, store: str, pages: list[str], rounds: int):
    sys.path.insert(0, str(ROOT / "bench"))
    import first_minutes
    import processes
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from scripts import serve

    versions = {f"before ({revision})": export(revision), "after (work tree)": ROOT}
    results = {(version, page): [] for version in versions for page in pages}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
        for round_number in range(rounds):
            order = list(versions) if round_number % 2 == 0 else list(versions)[::-1]
            for version in order:
                process, url = start(versions[version], Path(store))
                try:
                    first_minutes.open_page(browser, url, "Autoencoder Explorer")[1].close()
                    processes.quiet(process.pid)
                    for page in pages:
                        found = open_once(browser, f"{url}/{page}", TITLES[page], process.pid)
                        found["load"] = os.getloadavg()[0]
                        results[(version, page)].append(found)
                        print(round_number, version, page, {key: round(value, 2) if isinstance(value, float) else value
                                                            for key, value in found.items()}, flush=True)
                finally:
                    serve.stop(process)
        browser.close()
    report(results, rounds)


def report(results: dict, rounds: int):
    def median(runs, key):
        values = [run[key] for run in runs if run[key] is not None]
        return f"{statistics.median(values):.2f} s" if values else "n/a"

    print(f"\n| page, version (median of {rounds}) | settled | every chart and picture drawn | long tasks (sum) | "
          "longest task | server CPU | charts, pictures | load |\n|---|---|---|---|---|---|---|---|")
    for (version, page), runs in results.items():
        print(f"| {page}, {version} | {median(runs, 'settled')} | {median(runs, 'drawn')} | {median(runs, 'long_sum')} "
              f"| {median(runs, 'long_max')} | {median(runs, 'server_cpu')} | {runs[-1]['charts']}, {runs[-1]['images']} "
              f"| {statistics.median(run['load'] for run in runs):.1f} |")
