"""Server-side latency of "pick an image -> its picture" while a model trains, and the training's speed.

Each session is an AppTest of the real app on the Feature maps page (the server's own work: the script
run, the model call, the figures; no browser rendering). A pick sets "Test image" and reruns; the time
is that rerun, checked by the caption naming the picked image. Scenarios: idle (1 session), 1 session
while a model trains, 8 sessions (threads in this process, as a server runs them) while a model trains.
The training is either a thread in this process (`--runner thread`: how dashboard/state/job_runner.py ran it
before issue #14) or a job process (`--runner process`: aecore.training.jobs, niced). Training speed is its
batches per second during the scenario, against `python -m aecore train` alone on an idle machine.

`--speed-windows N`: only the training alone, N CLI and N runner windows in ABBA order, each with every
process's CPU use, and the runner/CLI ratio with its spread.

Usage: PYTHONPATH=. .venv/bin/python bench/jobs_load.py --runner process [--picks 20] [--store DIR]
       [--speed-windows 8 [--seconds 20]]
Prints Markdown rows for bench/RESULTS.md. Run it under the heavy lock, with nothing else running.
"""

import argparse
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
    from aecore.data import catalog
    from aecore.store import modelstore
    from aecore.training import trainer

    if MODEL not in modelstore.ModelStore(root).names():
        model = trainer.train("conv", catalog.load_dataset("digits"), 16, None, trainer.TrainConfig(epochs=3, patience=0))
        modelstore.ModelStore(root).save(model, MODEL)


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


class Watched:
    """A training seen through its progress: samples (moment seen, batches done, the training's own clock)."""

    def started(self):
        return bool(self.samples)

    def record(self, progress):
        step = (progress.epoch - 1) * progress.batches + progress.batch
        self.samples.append((time.perf_counter(), step, progress.elapsed))

    def rate(self, since: float) -> float:  # by the training's clock: the progress file read is up to ~0.25 s old
        window = [sample for sample in self.samples if sample[0] >= since]
        seconds = window[-1][2] - window[0][2] if window else 0  # 0 when the training ended before `since`
        return (window[-1][1] - window[0][1]) / seconds if seconds > 0 else float("nan")


class ThreadTraining(Watched):
    """The old way: trainer.train in a thread of the server process."""

    def __init__(self):
        from aecore.data import catalog
        from aecore.training import trainer

        self.cancel, self.samples = threading.Event(), []
        config = trainer.TrainConfig(epochs=TRAINING["epochs"], batch_size=TRAINING["batch_size"], patience=0)
        dataset = catalog.load_dataset("digits")

        def target():
            try:
                trainer.train("conv", dataset, 16, None, config, self.record, self.cancel)
            except Exception:  # noqa: BLE001  cancelled at the end of the scenario
                pass
        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def stop(self):
        self.cancel.set()
        self.thread.join()


class ProcessTraining(Watched):
    """The new way: a job process (aecore.training.jobs), niced below this 'server'."""

    def __init__(self, root: Path):
        from aecore.training import jobs, trainer

        self.folder = jobs.jobs_folder(root)
        config = trainer.TrainConfig(epochs=TRAINING["epochs"], batch_size=TRAINING["batch_size"], patience=0)
        self._follow(jobs.submit(self.folder, jobs.JobSpec("conv", "digits", 16, {}, config, "bench-training")))

    def _follow(self, job):
        self.job, self.samples, self._watching = job, [], True
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def _watch(self):  # the page's own way of seeing progress: the progress file, read every 0.5 s
        while self._watching:
            progress = self.job.progress
            if progress is not None:
                self.record(progress)
            time.sleep(0.5)

    def stop(self):
        from aecore.training import jobs

        self._watching = False
        jobs.cancel(self.folder, self.job.id)


class CliTraining(ProcessTraining):
    """`python -m aecore train` in a terminal (not niced), watched through the job record it writes."""

    def __init__(self, root: Path):
        from aecore.training import jobs

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


def process_ticks() -> dict:
    """{pid: (command, CPU ticks)} of every process on the machine: utime + stime, plus cutime + cstime so a
    short-lived child that ended (and was waited for) inside a window still counts, under its parent."""
    found = {}
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            stat, command = (folder / "stat").read_text(), (folder / "cmdline").read_text()
        except OSError:  # ended just now
            continue
        fields = stat.rsplit(")", 1)[1].split()  # fields[0] is field 3 of proc(5), so [11:15] are fields 14-17
        name = command.replace("\0", " ").strip()[:60] or stat[stat.index("("):stat.rindex(")") + 1]  # (kthread)
        found[int(folder.name)] = (name, sum(map(int, fields[11:15])))
    return found


def machine_ticks() -> list[int]:
    """The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks since boot."""
    return [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]


def cpu_use(before: tuple, after: tuple, seconds: float, training_pid: int) -> dict:
    """The window's CPU use in % of one core: the training's, the machine's, and every other process above 2%."""
    hertz, (ticks_before, machine_before), (ticks_after, machine_after) = os.sysconf("SC_CLK_TCK"), before, after
    share = {pid: 100 * (ticks - ticks_before.get(pid, ("", 0))[1]) / hertz / seconds
             for pid, (_, ticks) in ticks_after.items()}
    others = [f"{'this bench' if pid == os.getpid() else ticks_after[pid][0]} ({pid}): {share[pid]:.0f}%"
              for pid in sorted(share, key=share.get, reverse=True) if share[pid] > 2 and pid != training_pid]
    machine = [now - then for now, then in zip(machine_after, machine_before)]
    return dict(training_cpu=share.get(training_pid, float("nan")), busy=100 - 100 * sum(machine[3:5]) / sum(machine),
                steal=100 * machine[7] / sum(machine), others="; ".join(others) or "-")


def training_alone(training_factory, seconds: float = 20.0) -> dict:
    """The training's speed with no session at all, and who else used the CPU in the measured window."""
    training = training_factory()
    deadline = time.time() + 120
    while not training.started() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # past the first epoch's tracing
    pid = training.job.pid if hasattr(training, "job") else os.getpid()  # the CLI's job records the CLI's pid
    before, since = (process_ticks(), machine_ticks()), time.perf_counter()
    time.sleep(seconds)
    after, elapsed = (process_ticks(), machine_ticks()), time.perf_counter() - since
    window = dict(rate=training.rate(since), nice=os.getpriority(os.PRIO_PROCESS, pid))
    training.stop()
    return {**window, **cpu_use(before, after, elapsed, pid)}


def speed_windows(factories: dict, count: int, seconds: float):
    """CLI, job, job, CLI, CLI, job... (ABBA cancels a steady drift), each window a fresh training process:
    the job's speed against the CLI's, with the spread that single windows could not show."""
    kinds = list(factories)
    order = [kind for pair in range(count) for kind in (kinds if pair % 2 == 0 else kinds[::-1])]
    print("| # | kind | batches/s | training CPU | nice | machine busy | steal | others > 2% of a core |")
    print("|---|---|---|---|---|---|---|---|")
    rates = {kind: [] for kind in kinds}
    for number, kind in enumerate(order, 1):
        window = training_alone(factories[kind], seconds)
        rates[kind].append(window["rate"])
        print(f"| {number} | {kind} | {window['rate']:.1f} | {window['training_cpu']:.0f}% | {window['nice']} | "
              f"{window['busy']:.0f}% | {window['steal']:.1f}% | {window['others']} |", flush=True)
    from scipy import stats

    cli, job = rates.values()
    ratios = [job_rate / cli_rate for cli_rate, job_rate in zip(cli, job)]  # pair i: windows 2i+1 and 2i+2
    mean, spread = statistics.mean(ratios), statistics.stdev(ratios)
    margin = stats.t.ppf(0.975, len(ratios) - 1) * spread / len(ratios) ** 0.5
    spread_of = lambda values: f"{statistics.mean(values):.1f} +- {statistics.stdev(values):.1f}"  # noqa: E731
    print(f"\n- batches/s, mean +- sd of {count} windows: CLI {spread_of(cli)}, {kinds[1]} {spread_of(job)}")
    print(f"- {kinds[1]}/CLI of adjacent pairs: mean {mean:.3f}, sd {spread:.3f}, "
          f"95% CI {mean - margin:.3f}..{mean + margin:.3f}")
    print(f"- first {kinds[1]} window {job[0]:.1f} batches/s, later ones {statistics.mean(job[1:]):.1f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runner", choices=("thread", "process"), required=True)
    parser.add_argument("--picks", type=int, default=20, help="picks per session")
    parser.add_argument("--store", help="default: a new temporary folder")
    parser.add_argument("--skip-cli", action="store_true", help="skip the CLI-alone training speed")
    parser.add_argument("--speed-windows", type=int, metavar="N", help="only N CLI and N training windows, ABBA")
    parser.add_argument("--seconds", type=float, default=20.0, help="one window; the training lasts ~100 s")
    arguments = parser.parse_args()
    if arguments.speed_windows is not None and arguments.speed_windows < 2:
        parser.error(f"--speed-windows needs at least 2 windows of each kind for a spread; got {arguments.speed_windows}")
    root = Path(arguments.store or tempfile.mkdtemp(prefix="jobs-load-"))
    os.environ["AECORE_STORE"], os.environ["AECORE_OFFLINE"] = str(root), "1"
    prepare_store(root)
    factory = (lambda: ProcessTraining(root)) if arguments.runner == "process" else ThreadTraining
    if arguments.speed_windows:
        print(f"runner: {arguments.runner}; {arguments.speed_windows} windows of each, {arguments.seconds:g} s\n")
        return speed_windows({"CLI": lambda: CliTraining(root), arguments.runner: factory}, arguments.speed_windows,
                             arguments.seconds)
    print(f"runner: {arguments.runner}; picks per session: {arguments.picks}\n")
    print("| scenario | picks | p50 | p95 | max | training batches/s | wrong pictures |")
    print("|---|---|---|---|---|---|---|")
    alone = [(f"the training alone ({arguments.runner}), no sessions", factory)]
    if not arguments.skip_cli:
        alone.insert(0, ("`python -m aecore train` alone", lambda: CliTraining(root)))
    for label, alone_factory in alone:
        print(f"| {label} | | | | | {training_alone(alone_factory, arguments.seconds)['rate']:.1f} | |", flush=True)
    scenario("idle, 1 session", 1, arguments.picks, None)
    scenario("1 session + training", 1, arguments.picks, factory)
    scenario("8 sessions + training", 8, arguments.picks, factory)


if __name__ == "__main__":
    main()
