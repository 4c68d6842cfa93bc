"""The quick start through the job system as Home runs it, one worker against one per core, side by side (#35).

Usage: flock /tmp/aecore-train.lock .venv/bin/python bench/quick_workers.py [--dataset fashion_mnist] [--rounds 2]
       [--workers 1 2] [--threads N] [--rev REV ...]
Each round, for each code version and worker count in turn: a fresh store, a standby worker started as Home starts it
(`jobs.launch_standby`) and given STANDBY_LEAD seconds to load TensorFlow and the dataset, as a visitor reading Home
would, then the quick start's four jobs queued with `workers` (`jobs.submit`); times from the queueing until each
model landed and until the queue and the workers' after-steps were over, the workers' CPU seconds, and each model's
card (test PSNR, SSIM, probe accuracies: a faster quick start must train models as good). --threads N gives every
worker N TensorFlow threads instead of its share of the cores (`jobs.worker_threads`). --rev compares code versions:
each REV (a commit, or "." for the working tree) is unpacked with `git archive` into a temporary folder and its run
is this script in a child process with that folder first on PYTHONPATH, so its workers run its code too. Prints
Markdown rows for bench/RESULTS.md.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import processes  # bench/processes.py (this file's folder is first on the path when run as a file)

STANDBY_LEAD = 15.0  # seconds between the standby worker's start and the click
ROOT = Path(__file__).resolve().parent.parent
CARD = ("test_psnr", "test_ssim", "knn_accuracy", "linear_probe_accuracy")


def one_run(dataset: str, workers: int, threads: int | None = None) -> dict:
    """The quick start on a fresh store with the aecore on this process's path."""
    from aecore.data import catalog
    from aecore.training import jobs
    from dashboard.state.job_runner import quick_start_queue

    if threads:
        jobs.worker_threads = lambda count: threads
    os.environ["AECORE_PREMAP"] = ""  # the UMAP after the queue is not the quick start's
    train_images = len(catalog.load_dataset(dataset).x_train)
    store = Path(tempfile.mkdtemp(prefix="quick-workers-"))
    os.environ["AECORE_STORE"] = str(store)
    folder = jobs.jobs_folder(store)
    folder.mkdir(parents=True)
    jobs.launch_standby(folder, dataset)
    time.sleep(STANDBY_LEAD)
    started, landed, cpu = time.perf_counter(), {}, {}
    for spec in quick_start_queue(dataset, train_images):
        jobs.submit(folder, spec, workers)
    while True:
        for record in (folder / "workers").glob("*.json"):
            try:
                cpu[record.stem] = processes.cpu_seconds(int(record.stem))["own"]
            except (OSError, ValueError):
                pass
        for model in store.glob("quick-*/meta.json"):
            landed.setdefault(model.parent.name, time.perf_counter() - started)
        if len(landed) == 4 and not jobs.live_workers(folder):
            break
        time.sleep(0.2)
    cards = {path.parent.name: json.loads(path.read_text()).get("metrics", {}) for path in store.glob("quick-*/meta.json")}
    processes.stop_workers(store)  # their after-queue (baselines, curves) would run into the next round
    shutil.rmtree(store, ignore_errors=True)
    return {"landed": landed, "first": min(landed.values()), "all": max(landed.values()), "cards": cards,
            "settled": time.perf_counter() - started, "cpu": sum(cpu.values()), "load": os.getloadavg()[0]}


def run_at(checkout: Path | None, dataset: str, workers: int, threads: int | None) -> dict:
    """one_run here (checkout None) or in a child process whose aecore is `checkout`'s."""
    if checkout is None:
        return one_run(dataset, workers, threads)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, __file__, "--one-run", "--dataset", dataset, "--workers", str(workers)]
    command += ["--threads", str(threads)] if threads else []
    done = subprocess.run(command, env=environment, cwd=checkout, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def unpack(rev: str) -> Path:
    """REV's files (`git archive`) in a temporary folder; "." is the working tree as it is."""
    if rev == ".":
        return ROOT
    folder = Path(tempfile.mkdtemp(prefix=f"quick-workers-{rev.replace('/', '-')}-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def card_row(label: str, cards: dict) -> str:
    return f"| {label} | " + " | ".join(
        ", ".join(f"{cards[name].get(key, float('nan')):.4g}" for key in CARD) for name in sorted(cards)) + " |"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--threads", type=int, help="TensorFlow threads per worker (default: the cores shared out)")
    parser.add_argument("--rev", nargs="+", help="code versions to compare: commits, or . for the working tree")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)  # a child of --rev
    arguments = parser.parse_args()
    if arguments.one_run:  # aecore comes from PYTHONPATH: the checkout under test
        print(json.dumps(one_run(arguments.dataset, arguments.workers[0], arguments.threads)))
        return
    sys.path.insert(0, str(ROOT))  # run as a file: this checkout's aecore, for runs without --rev
    versions = {rev: unpack(rev) for rev in arguments.rev or ["."]}
    runs = {(rev, count): [] for rev in versions for count in arguments.workers}
    print("| round | code | workers | first model | all four | workers done | workers' CPU | load |\n"
          "|---|---|---|---|---|---|---|---|")
    try:
        for round_ in range(1, arguments.rounds + 1):
            for (rev, count), done in runs.items():
                checkout = versions[rev] if arguments.rev else None
                run = run_at(checkout, arguments.dataset, count, arguments.threads)
                done.append(run)
                order = ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(run["landed"].items(), key=lambda x: x[1]))
                print(f"| {round_} | {rev} | {count} | {run['first']:.1f} s | {run['all']:.1f} s ({order}) "
                      f"| {run['settled']:.1f} s | {run['cpu']:.1f} s | {run['load']:.1f} |", flush=True)
    finally:
        for folder in versions.values():
            if folder != ROOT:
                shutil.rmtree(folder, ignore_errors=True)
    for (rev, count), done in runs.items():
        print(f"median, {rev}, {count} worker(s): first {statistics.median(r['first'] for r in done):.1f} s, all four "
              f"{statistics.median(r['all'] for r in done):.1f} s")
    names = sorted(next(iter(runs.values()))[0]["cards"])
    print(f"\nCards ({', '.join(CARD)}), last round:\n| code, workers | {' | '.join(names)} |\n|---|"
          + "---|" * len(names))
    for (rev, count), done in runs.items():
        print(card_row(f"{rev}, {count}", done[-1]["cards"]))


if __name__ == "__main__":
    main()
