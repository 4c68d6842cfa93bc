"""Times the Reconstructions page's engine calls on its first open of a new model, before and after the probes'
baselines came from the store (#35): the quick start's conv model on Fashion-MNIST, trained as a job.
With --browser, times pages' first opens in headless Chromium instead, two versions of the code side by side.

Usage: python bench/first_open.py [--store DIR] [--repeats 3]
       python bench/first_open.py --keep-first-opens --store DIR
       flock /tmp/aecore-browser.lock python bench/first_open.py --browser REV --store DIR [--repeats 4]
           [--pages reconstructions feature_maps denoise]
--keep-first-opens fills a store of models trained outside the job worker (bench/quick_start.py's) with what the
worker keeps after a quick start (the probes' baselines, Restore's sweeps, the anomaly scores), so its pages open
as they do after the app's own quick start.
Trains the model once (the quick start's conv recipe, through worker.run, which also fills the store's baseline
cache and is timed apart), then opens it `--repeats` times in a fresh process each, as a server's first open does:
"before" computes the baselines as the page did (probes.baseline_probes), "after" reads them
(probecache.baselines). Prints one Markdown table of medians for bench/RESULTS.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The quick start's conv recipe (dashboard/state/job_runner.QUICK_START), copied: the bench needs no dashboard.
QUICK_CONV = {"epochs": 1, "max_train_images": 36000, "batch_size": 64, "learning_rate": 3e-3, "schedule": "cosine"}
STEPS = ("dataset", "model", "reconstructions", "card scores", "baselines")


def train(store: str) -> dict:
    """The quick conv model as a job; the seconds its baseline fill took after the model landed."""
    from aecore.training import jobs, trainer, worker

    fills = []
    original = worker.fill_baselines

    def timed(*arguments):
        started = time.perf_counter()
        original(*arguments)
        fills.append(time.perf_counter() - started)
    worker.fill_baselines = timed
    spec = jobs.JobSpec("conv", "fashion_mnist", 32, {}, trainer.TrainConfig(**QUICK_CONV), "quick-conv-32")
    started = time.perf_counter()
    outcome = worker.run(jobs.create(jobs.jobs_folder(store), spec), store)
    return {"name": outcome["model_name"], "job_seconds": time.perf_counter() - started, "fill_seconds": fills[0],
            "train_seconds": outcome["meta"]["train_seconds"]}


def first_open(store: str, name: str, cached: bool) -> dict:
    """In this (fresh) process: the page's engine calls, each timed; cached=False computes the baselines."""
    times, started = {}, time.perf_counter()

    def lap(step):
        nonlocal started
        times[step] = time.perf_counter() - started
        started = time.perf_counter()
    from aecore.data import catalog

    dataset = catalog.load_dataset("fashion_mnist")
    lap("dataset")
    from aecore.store import modelstore

    entries = modelstore.ModelStore(store)
    autoencoder = entries.load(name)
    lap("model")
    from aecore.analysis import inspection

    inspection.reconstruction_errors(autoencoder, dataset.x_test[:8])
    lap("reconstructions")
    meta = entries.meta(name)
    scores = {key: meta["metrics"][key] for key in ("test_psnr", "knn_accuracy", "linear_probe_accuracy")}
    lap("card scores")
    import numpy as np

    from aecore.analysis import probes
    from aecore.store import probecache

    dimensions = int(np.prod(autoencoder.code_shape))
    found = probecache.baselines(dataset, dimensions, store) if cached else probes.baseline_probes(dataset, dimensions)
    lap("baselines")
    return {"times": times, "scores": scores, "pca": found["pca"]["linear_probe_accuracy"]}


def keep_first_opens(store: str):
    """What the job worker keeps after its queue (aecore.training.worker.work), for every model in `store`."""
    from aecore.data import catalog
    from aecore.store import modelstore
    from aecore.training import afterqueue

    entries, datasets = modelstore.ModelStore(store), {}
    for entry in entries.entries():
        if entries.is_shipped(entry.name) or entry.meta.get("family") == "photo":
            continue  # the Restore page's photo models: nothing kept for them
        name = entry.meta["dataset"]
        dataset = datasets.setdefault(name, datasets.get(name) or catalog.load_dataset(name))
        model = entries.load(entry.name)
        started = time.perf_counter()
        afterqueue.fill_baselines(dataset, entry.meta, store)
        afterqueue.keep_first_opens(entry.name, model, dataset, store)
        afterqueue.keep_anomaly_scores(entry.name, model, dataset, store)
        print(f"{entry.name}: kept in {time.perf_counter() - started:.1f} s", flush=True)


def in_fresh_process(store: str, name: str, cached: bool) -> dict:
    command = [sys.executable, __file__, "--store", store, "--open", name] + (["--cached"] if cached else [])
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", help="store folder (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", metavar="REV", help="compare REV's pages (before) with the work tree's (after)")
    parser.add_argument("--pages", nargs="+", default=["reconstructions", "feature_maps"])
    parser.add_argument("--keep-first-opens", action="store_true", help="fill --store as the job worker would")
    parser.add_argument("--open", help=argparse.SUPPRESS)  # the fresh process's side
    parser.add_argument("--cached", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.open:
        print(json.dumps(first_open(arguments.store, arguments.open, arguments.cached)))
        return
    if arguments.keep_first_opens:
        keep_first_opens(arguments.store)
        return
    if arguments.browser:
        import first_open_browser  # noqa: PLC0415  (bench/, beside this file)

        first_open_browser.compare(arguments.browser, arguments.store, arguments.pages, arguments.repeats)
        return
    store = arguments.store or tempfile.mkdtemp(prefix="first-open-")
    os.environ["AECORE_STORE"] = store
    trained = train(store)
    print(f"quick conv: trained in {trained['train_seconds']:.1f} s; its job then filled the baseline cache in "
          f"{trained['fill_seconds']:.1f} s (job {trained['job_seconds']:.1f} s in all)")
    runs = {cached: [in_fresh_process(store, trained["name"], cached) for _ in range(arguments.repeats)]
            for cached in (False, True)}
    print(f"\n| first open, fresh process (median of {arguments.repeats}) | " + " | ".join(STEPS) + " | total |")
    print("|---" * (len(STEPS) + 2) + "|")
    for cached, label in ((False, "before: baselines computed by the page"), (True, "after: baselines from the store")):
        medians = [statistics.median(run["times"][step] for run in runs[cached]) for step in STEPS]
        total = statistics.median(sum(run["times"].values()) for run in runs[cached])
        print(f"| {label} | " + " | ".join(f"{value:.2f} s" for value in medians) + f" | {total:.2f} s |")
    print(f"\nsame figures both ways: {runs[False][0]['pca'] == runs[True][0]['pca']}; card: {runs[True][0]['scores']}")


if __name__ == "__main__":
    main()
