"""Server-side latency of "pick an image -> its picture" while a model trains, and the training's speed.

Each session is an AppTest of the real app on the Feature maps page (the server's own work: the script
run, the model call, the figures; no browser rendering). A pick sets "Test image" and reruns; the time
is that rerun, checked by the caption naming the picked image. Scenarios: idle (1 session), 1 session
while a model trains, 8 sessions (threads in this process, as a server runs them) while a model trains.
The training is either a thread in this process (`--runner thread`: how dashboard/jobs.py ran it
before issue #14) or a job process (`--runner process`: aecore.jobs, niced). Training speed is its
batches per second during the scenario, against `python -m aecore train` alone on an idle machine.

Usage: PYTHONPATH=. .venv/bin/python bench/jobs_load.py --runner process [--picks 20] [--store DIR]
Prints Markdown rows for bench/RESULTS.md. Run it under the heavy lock, with nothing else running.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # AppTest threads warn "missing ScriptRunContext"
sys.path.insert(0, str(ROOT))
MODEL = "bench-conv"
TRAINING = dict(family="conv", latent_dim=16, epochs=400, batch_size=32)  # runs until the scenario ends


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def prepare_store(root: Path):
    from aecore import data, store, training

    if MODEL not in store.ModelStore(root).names():
        model = training.train("conv", data.load_dataset("digits"), 16, None, training.TrainConfig(epochs=3, patience=0))
        store.ModelStore(root).save(model, MODEL)


def session(picks: int, offset: int, seconds: list, errors: list):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    app.session_state["dataset"] = "digits"
    app.session_state["model"] = MODEL
    app.switch_page("views/feature_maps.py")
    app.run()  # the first page: model load, caches
    for pick in range(picks):
        index = (offset * 37 + pick * 13 + 1) % 300  # digits has 300 test images (0..299)
        started = time.perf_counter()
        next(box for box in app.number_input if box.label == "Test image").set_value(index).run()
        seconds.append(time.perf_counter() - started)
        if app.exception or not any(f"Image #{index} " in caption.value for caption in app.caption):
            errors.append(f"session {offset} pick {index}: {app.exception or 'caption did not name the image'}")


def run_sessions(count: int, picks: int) -> tuple[list, list]:
    seconds, errors = [], []
    threads = [threading.Thread(target=session, args=(picks, offset, seconds, errors)) for offset in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seconds, errors


class ThreadTraining:
    """The old way: training.train in a thread of the server process."""

    def __init__(self):
        from aecore import data, training

        self.cancel, self.steps, self.times = threading.Event(), 0, []
        config = training.TrainConfig(epochs=TRAINING["epochs"], batch_size=TRAINING["batch_size"], patience=0)
        dataset = data.load_dataset("digits")

        def report(progress):
            self.times.append((time.perf_counter(), (progress.epoch - 1) * progress.batches + progress.batch))

        def target():
            try:
                training.train("conv", dataset, 16, None, config, report, self.cancel)
            except Exception:  # noqa: BLE001  cancelled at the end of the scenario
                pass
        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def started(self):
        return bool(self.times)

    def rate(self, since: float) -> float:
        window = [(moment, step) for moment, step in self.times if moment >= since]
        return (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0]) if len(window) > 1 else float("nan")

    def stop(self):
        self.cancel.set()
        self.thread.join()


class ProcessTraining:
    """The new way: a job process (aecore.jobs), niced below this 'server'."""

    def __init__(self, root: Path):
        from aecore import jobs, training

        self.folder = jobs.jobs_folder(root)
        config = training.TrainConfig(epochs=TRAINING["epochs"], batch_size=TRAINING["batch_size"], patience=0)
        self._follow(jobs.submit(self.folder, jobs.JobSpec("conv", "digits", 16, {}, config, "bench-training")))

    def _follow(self, job):
        self.job, self.samples, self._watching = job, [], True
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def _watch(self):  # the page's own way of seeing progress: the progress file, read every 0.5 s
        while self._watching:
            progress = self.job.progress
            if progress is not None:
                self.samples.append((time.perf_counter(), (progress.epoch - 1) * progress.batches + progress.batch))
            time.sleep(0.5)

    def started(self):
        return bool(self.samples)

    def rate(self, since: float) -> float:
        window = [(moment, step) for moment, step in self.samples if moment >= since]
        return (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0]) if len(window) > 1 else float("nan")

    def stop(self):
        from aecore import jobs

        self._watching = False
        jobs.cancel(self.folder, self.job.id)


class CliTraining(ProcessTraining):
    """`python -m aecore train` in a terminal (not niced), watched through the job record it writes."""

    def __init__(self, root: Path):
        from aecore import jobs

        self.folder = jobs.jobs_folder(root / "cli")
        earlier = {job.id for job in jobs.list_jobs(self.folder)}
        command = [sys.executable, "-m", "aecore", "train", "--family", "conv", "--dataset", "digits", "--latent-dim", "16",
                   "--epochs", str(TRAINING["epochs"]), "--batch-size", str(TRAINING["batch_size"]), "--patience", "0",
                   "--quiet", "--store", str(root / "cli")]
        self.process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ours = lambda: [job for job in jobs.list_jobs(self.folder) if job.id not in earlier]  # noqa: E731
        deadline = time.time() + 120
        while not ours() and time.time() < deadline:  # this run's job, not one an earlier CLI run left
            time.sleep(0.2)
        self._follow(ours()[-1])

    def stop(self):
        super().stop()
        self.process.wait()


def scenario(name, sessions, picks, training_factory):
    training = training_factory() if training_factory else None
    if training:
        deadline = time.time() + 120
        while not training.started() and time.time() < deadline:
            time.sleep(0.2)
    since = time.perf_counter()
    try:
        seconds, errors = run_sessions(sessions, picks)
    finally:
        rate = training.rate(since) if training else None
        if training:
            training.stop()
    row = (name, len(seconds), statistics.median(seconds), percentile(seconds, 0.95), max(seconds), rate, len(errors))
    print(f"| {name} | {row[1]} | {row[2] * 1000:.0f} ms | {row[3] * 1000:.0f} ms | {row[4] * 1000:.0f} ms | "
          f"{'' if rate is None else f'{rate:.1f}'} | {len(errors)} |", flush=True)
    for error in errors[:5]:
        print("   ", error, file=sys.stderr)
    return row


def training_alone(training_factory, label: str, seconds: float = 20.0):
    """The training's speed with no session at all: what running it as a job (or a thread) costs by itself."""
    training = training_factory()
    deadline = time.time() + 120
    while not training.started() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # past the first epoch's tracing
    since = time.perf_counter()
    time.sleep(seconds)
    rate = training.rate(since)
    training.stop()
    print(f"| {label} | | | | | {rate:.1f} | |", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runner", choices=("thread", "process"), required=True)
    parser.add_argument("--picks", type=int, default=20, help="picks per session")
    parser.add_argument("--store", help="default: a new temporary folder")
    parser.add_argument("--skip-cli", action="store_true", help="skip the CLI-alone training speed")
    arguments = parser.parse_args()
    root = Path(arguments.store or tempfile.mkdtemp(prefix="jobs-load-"))
    os.environ["AECORE_STORE"], os.environ["AECORE_OFFLINE"] = str(root), "1"
    prepare_store(root)
    factory = (lambda: ProcessTraining(root)) if arguments.runner == "process" else ThreadTraining
    print(f"runner: {arguments.runner}; picks per session: {arguments.picks}\n")
    print("| scenario | picks | p50 | p95 | max | training batches/s | wrong pictures |")
    print("|---|---|---|---|---|---|---|")
    if not arguments.skip_cli:
        training_alone(lambda: CliTraining(root), "`python -m aecore train` alone")
    training_alone(factory, f"the training alone ({arguments.runner}), no sessions")
    scenario("idle, 1 session", 1, arguments.picks, None)
    scenario("1 session + training", 1, arguments.picks, factory)
    scenario("8 sessions + training", 8, arguments.picks, factory)


if __name__ == "__main__":
    main()
