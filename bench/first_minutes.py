"""A newcomer's first minutes, timed in headless Chromium through `server.py` on a fresh, empty store (#35).

Usage: flock /tmp/aecore-train.lock flock /tmp/aecore-browser.lock nice -n 19 \
           .venv/bin/python bench/first_minutes.py [--dataset fashion_mnist] [--skip-quick-start] [--cold-server]

Measures, each from the moment the server first answers /_stcore/health:
- the first page (Home), cold: the first visit after the server says healthy; then warm: a second visitor, once the
  server has finished warming up (its CPU idle for a second), beside the standby worker the first visit started
  (it loads TensorFlow); then `--warm-visits` fresh visitors once that worker is idle too (the median counts);
- the quick start, clicked on Home: when each model lands in the store and when Home says "done";
- every explore page's first open after it, by its address: until the page's script stops running (Streamlit's
  running indicator gone, confirmed by half a second without it, which is not counted) with the page's title drawn.
Each visit is timed twice: by the page's own clock (navigation start to the frame that shows it settled painted,
PAGE_CLOCK: what the visitor sees) and by Playwright's wall time (which adds its polling); the tables give both.
--cold-server starts the server with AECORE_WARM=0 (no warm-up thread), to compare. The machine is shared, so each
step also records the load average and CPU seconds, steadier than wall time: the server's own (its script threads and
warm-up) and its reaped children's (the training workers), and each quick-start job's own timeline from its job files
(queued, started, trained, finished). Prints Markdown rows for bench/RESULTS.md and one JSON line.
"""

import argparse
import dataclasses
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import processes  # noqa: E402  (after the path: run as a file)

from scripts import serve  # noqa: E402

PAGES = [("reconstructions", "Reconstructions"), ("feature_maps", "Feature maps"), ("latent_map", "Latent map"),
         ("timeline", "Training timeline"), ("latent_sampler", "Latent sampler"), ("denoise", re.compile("Denoise|Restore")),
         ("anomaly", "Anomalies")]
RUNNING = "[data-testid=stStatusWidget]"  # Streamlit's "running" indicator, top right
# The page's own clock (installed before any of its scripts): each time the page becomes "a heading drawn and the
# running indicator gone", the moment the frame showing it was painted (two animation frames after the change), in
# seconds since navigation started. Playwright's wall time adds its own polling (every 50 ms, each check a round
# trip to the browser) and the navigation's dispatch; both figures are reported.
PAGE_CLOCK = """
(() => {
  let quiet = false;
  window.__aecoreSettled = null;
  const check = () => {
    const now = !!document.querySelector('h1') && !document.querySelector('%s');
    if (now && !quiet) {
      requestAnimationFrame(() => requestAnimationFrame(() => {
        if (quiet) window.__aecoreSettled = performance.now() / 1000;
      }));
    }
    quiet = now;
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
})();
""" % RUNNING


def mark(results: dict, step: str, pid: int):
    """The load average (1 min) and the server's CPU seconds at the end of `step`."""
    seconds = processes.cpu_seconds(pid)
    results.setdefault("cpu", {})[step] = {"load": round(os.getloadavg()[0], 2),
                                           **{key: round(value, 2) for key, value in seconds.items()}}


def job_timeline(store: Path, clicked: float) -> dict:
    """Per quick-start job, from its files: seconds after the click when it started and finished, and its model's
    own training seconds (the fit alone)."""
    timeline = {}
    for state_file in (store / ".jobs").glob("*/state.json"):
        spec = json.loads((state_file.parent / "spec.json").read_text())["spec"]
        state = json.loads(state_file.read_text())
        meta_file = store / str(spec.get("name")) / "meta.json"
        trained = json.loads(meta_file.read_text()).get("train_seconds") if meta_file.exists() else None
        timeline[spec.get("name")] = {"started": round(state.get("started", clicked) - clicked, 1),
                                      "finished": round(state.get("finished", clicked) - clicked, 1),
                                      "train_seconds": trained}
    return timeline


def settled(page, title, timeout: float = 300) -> float:
    """The moment (perf_counter) `title` was drawn as the page's h1 with the script no longer running, once it has
    stayed stopped for 0.5 s (the half second confirms it; it is not counted)."""
    started = time.perf_counter()
    page.get_by_role("heading", name=title, exact=False).first.wait_for(timeout=timeout * 1000)
    quiet_since = None
    while time.perf_counter() - started < timeout:
        if page.locator(RUNNING).count() == 0:
            quiet_since = quiet_since or time.perf_counter()
            if time.perf_counter() - quiet_since >= 0.5:
                return quiet_since
        else:
            quiet_since = None
        time.sleep(0.05)
    raise TimeoutError(f"{title} still running after {timeout:.0f} s")


@dataclasses.dataclass
class Visit:
    seconds: float  # by the page's own clock: navigation start to the settled frame painted (PAGE_CLOCK)
    wall: float  # by this script's: page.goto called to settled seen by Playwright's polling
    context: object
    page: object


def visit(browser, url: str, title) -> Visit:
    """A fresh visitor opens `url` and waits until the page is drawn and settled."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(PAGE_CLOCK)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    wall = settled(page, title) - started
    clock = page.evaluate("window.__aecoreSettled")
    return Visit(float("nan") if clock is None else clock, wall, context, page)


def open_page(browser, url: str, title) -> tuple[float, object, object]:
    """A fresh visitor opens `url`: (seconds until drawn and settled by the page's clock, the context, the page)."""
    opened = visit(browser, url, title)
    return opened.seconds, opened.context, opened.page


def quick_start(page, store: Path, timeout: float = 600) -> dict:
    """Clicks the quick start on Home; the seconds after the click when each model landed and when Home said done."""
    page.get_by_role("button", name="Start the quick start").click()
    started, landed, clicked = time.perf_counter(), {}, time.time()
    workers = {}  # pid -> its CPU seconds when last seen (a worker leaves the register when its queue is empty)
    while time.perf_counter() - started < timeout:
        for record in (store / ".jobs" / "workers").glob("*.json"):
            try:
                workers[record.stem] = sum(processes.cpu_seconds(int(record.stem)).values())
            except (OSError, ValueError):
                pass
        for folder in store.iterdir():
            if folder.name.startswith("quick-") and (folder / "meta.json").exists() and folder.name not in landed:
                landed[folder.name] = time.perf_counter() - started
        if page.get_by_text("Quick start done").count():
            return {"models": landed, "done": time.perf_counter() - started, "jobs": job_timeline(store, clicked),
                    "worker_cpu": workers}
        if page.get_by_text("Quick start ended").count():
            return {"models": landed, "done": None, "ended": time.perf_counter() - started,
                    "jobs": job_timeline(store, clicked), "worker_cpu": workers}
        time.sleep(0.2)
    raise TimeoutError(f"the quick start did not end within {timeout:.0f} s; landed: {landed}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--skip-quick-start", action="store_true", help="only the first page, cold and warm")
    parser.add_argument("--cold-server", action="store_true", help="AECORE_WARM=0: no warm-up thread")
    parser.add_argument("--warm-visits", type=int, default=5, help="visits once the standby worker is idle too")
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    store = Path(tempfile.mkdtemp(prefix="first-minutes-"))
    env = {"AECORE_WARM": "0"} if arguments.cold_server else {}
    process, url = serve.start(store, dataset=arguments.dataset, env=env, timeout=120)
    results = {"dataset": arguments.dataset, "warm_up": not arguments.cold_server, "cpu_count": os.cpu_count(),
               "load_average": os.getloadavg()[0]}
    try:
        with sync_playwright() as playwright:  # a step that fails leaves the steps before it in the report
            browser = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            mark(results, "healthy", process.pid)
            walls = results["wall"] = {}  # the same steps by Playwright's wall time (Visit.wall)
            cold = visit(browser, url, "Autoencoder Explorer")
            results["first_page_cold"], walls["first_page_cold"], home_context, home = \
                cold.seconds, cold.wall, cold.context, cold.page
            mark(results, "first_page_cold", process.pid)
            results["server_quiet_after"] = processes.quiet(process.pid)
            warm = visit(browser, url, "Autoencoder Explorer")
            results["first_page_warm"], walls["first_page_warm"] = warm.seconds, warm.wall
            results["first_opens"] = {}
            mark(results, "first_page_warm", process.pid)
            warm.context.close()
            results["standby_quiet_after"] = processes.quiet(process.pid, tree=True)
            results["first_page_warm_idle"] = []
            for _ in range(arguments.warm_visits):
                idle = visit(browser, url, "Autoencoder Explorer")
                results["first_page_warm_idle"].append(round(idle.seconds, 3))
                walls.setdefault("first_page_warm_idle", []).append(round(idle.wall, 3))
                idle.context.close()
            mark(results, "first_page_warm_idle", process.pid)
            if not arguments.skip_quick_start:
                results["quick_start"] = quick_start(home, store)
                mark(results, "quick_start", process.pid)
                for path, title in PAGES:
                    try:
                        opened = visit(browser, f"{url}/{path}", title)
                        opened.context.close()
                        seconds, walls[path] = opened.seconds, opened.wall
                    except Exception as error:  # noqa: BLE001  (a renamed page, a timeout): the walk goes on
                        seconds = float("nan")
                        results.setdefault("errors", {})[path] = f"{type(error).__name__}: {str(error)[:200]}"
                    results["first_opens"][path] = seconds
                    mark(results, path, process.pid)
            home_context.close()
            browser.close()
    finally:
        serve.stop(process)
        processes.stop_workers(store)
        report(results)


def report(results: dict):
    """One JSON line (whatever was measured, a failed run's too), then Markdown rows of the steps that finished."""
    print(json.dumps(results), flush=True)
    try:
        table(results)
    except (KeyError, TypeError) as missing:
        print(f"(the run stopped before {missing})")


def table(results: dict):
    cpu, walls = results["cpu"], results.get("wall", {})

    def row(label: str, seconds: float, step: str, before: str, wall: str = ""):
        """| step | page clock | wall | the server's CPU seconds in it | its children's | load at its end |"""
        own, children = (cpu[step][key] - cpu[before][key] for key in ("own", "children"))
        clock = "" if seconds != seconds else f"{seconds:.2f} s"  # NaN: a step timed by wall only
        print(f"| {label} | {clock} | {wall} | {own:.1f} s | {children:.1f} s | {cpu[step]['load']:.1f} |")

    def seconds(step: str) -> str:
        return f"{walls[step]:.2f} s" if isinstance(walls.get(step), float) else ""
    print("| step | page clock | wall (Playwright) | server CPU | workers' CPU (reaped) | load |\n"
          "|---|---|---|---|---|---|")
    row("first page, cold (after healthy)", results["first_page_cold"], "first_page_cold", "healthy",
        seconds("first_page_cold"))
    row("first page, warm (the standby worker loading TensorFlow)", results["first_page_warm"], "first_page_warm",
        "first_page_cold", seconds("first_page_warm"))
    idle, idle_walls = results["first_page_warm_idle"], walls.get("first_page_warm_idle") or [float("nan")]
    row(f"first page, warm, standby worker idle too (median of {len(idle)}: {', '.join(f'{x:.2f}' for x in idle)})",
        statistics.median(idle), "first_page_warm_idle", "first_page_warm", f"{statistics.median(idle_walls):.2f} s")
    quick = results.get("quick_start")
    if quick:
        for name, landed in sorted(quick["models"].items(), key=lambda item: item[1]):
            job = quick["jobs"].get(name, {})
            print(f"| quick start: {name} landed | | {landed:.1f} s | (job started {job.get('started')} s, "
                  f"trained {job.get('train_seconds')} s, finished {job.get('finished')} s) | | |")
        row("quick start: Home says done", float("nan"), "quick_start", "first_page_warm_idle",
            f"{quick['done'] or float('nan'):.1f} s")
        print(f"| quick start: the workers' own CPU until done | | | {sum(quick['worker_cpu'].values()):.1f} s | | |")
        before = "quick_start"
        for path, opened in results["first_opens"].items():
            row(f"first open of {path}", opened, path, before, seconds(path))
            before = path


if __name__ == "__main__":
    main()
