"""The quick start through the job system as Home runs it, one worker against one per core, side by side (#35).

Usage: flock /tmp/aecore-train.lock .venv/bin/python bench/quick_workers.py [--dataset fashion_mnist] [--rounds 2]
       [--workers 1 2] [--threads N]
Each round, for each worker count in turn: a fresh store, a standby worker started as Home starts it
(`jobs.launch_standby`) and given STANDBY_LEAD seconds to load TensorFlow and the dataset, as a visitor reading Home
would, then the quick start's four jobs queued with `workers` (`jobs.submit`); times from the queueing until each
model landed and until the queue and the workers' after-steps were over, and the workers' CPU seconds. --threads N
gives every worker N TensorFlow threads instead of its share of the cores (`jobs.worker_threads`). Prints Markdown
rows for bench/RESULTS.md.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from aecore.data import catalog
from aecore.training import jobs
from dashboard.state.job_runner import quick_start_queue

STANDBY_LEAD = 15.0  # seconds between the standby worker's start and the click


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(dataset: str, train_images: int, workers: int) -> dict:
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
                cpu[record.stem] = cpu_seconds(int(record.stem))
            except (OSError, ValueError):
                pass
        for model in store.glob("quick-*/meta.json"):
            landed.setdefault(model.parent.name, time.perf_counter() - started)
        if len(landed) == 4 and not jobs.live_workers(folder):
            break
        time.sleep(0.2)
    shutil.rmtree(store, ignore_errors=True)
    return {"landed": landed, "first": min(landed.values()), "all": max(landed.values()),
            "settled": time.perf_counter() - started, "cpu": sum(cpu.values()), "load": os.getloadavg()[0]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--threads", type=int, help="TensorFlow threads per worker (default: the cores shared out)")
    arguments = parser.parse_args()
    if arguments.threads:
        jobs.worker_threads = lambda workers: arguments.threads
    os.environ["AECORE_PREMAP"] = ""  # the UMAP after the queue is not the quick start's
    train_images = len(catalog.load_dataset(arguments.dataset).x_train)
    runs = {count: [] for count in arguments.workers}
    print("| round | workers | first model | all four | workers done | workers' CPU | load |\n|---|---|---|---|---|---|---|")
    for round_ in range(1, arguments.rounds + 1):
        for count in arguments.workers:
            run = one_run(arguments.dataset, train_images, count)
            runs[count].append(run)
            order = ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(run["landed"].items(), key=lambda x: x[1]))
            print(f"| {round_} | {count} | {run['first']:.1f} s | {run['all']:.1f} s ({order}) | {run['settled']:.1f} s "
                  f"| {run['cpu']:.1f} s | {run['load']:.1f} |", flush=True)
    for count, done in runs.items():
        print(f"median, {count} worker(s): first {statistics.median(r['first'] for r in done):.1f} s, all four "
              f"{statistics.median(r['all'] for r in done):.1f} s")


if __name__ == "__main__":
    main()
