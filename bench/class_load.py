"""A class without browsers (issue #37): sessions that speak Streamlit's websocket protocol pick images on Feature
maps at a set rate, and every answer is checked.

    python bench/class_load.py --servers 2 --sessions 60 --every 5 --seconds 300     # the class target
    python bench/class_load.py --direct --sessions 1 --every 0 --picks 80 --profile p.txt  # CPU per pick, one process
    python bench/class_load.py --servers 2 --sweep 2,4,6,8,10 --seconds 40            # picks/s held at p95 <= 1 s

Each session opens Feature maps (the page picks the store's conv model), then types test-image indices into "Test
image", each at a random moment of its period (`--every` seconds; 0: the next as soon as the last is on screen).
An answer is right when the page names that image ("Image #i ") and shows its BCE ("BCE 0.123"), equal to the BCE
this process computes with the same model, to the page's 3 decimals. The servers run in this process's children
(`--servers N`: N dashboard processes behind `make class`'s nginx; `--direct`: one process without the proxy, as
`make run`); their CPU comes from /proc/<pid>/stat. `--profile FILE` records the first process with py-spy
(`pip install py-spy` into .venv: the benchmark needs it, the app and the tests do not).
Prints one JSON object per stage: latencies in seconds, CPU in ms per pick and per page open, each process's share
of a core, the picks each process served, wrong answers and errors (with a few examples).
"""

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import processes
import st_client

from scripts import class_server, serve

PAGE = "feature_maps"
MODEL = "class-conv"
FIELD = "Test image"
TOLERANCE = 0.0006  # the page rounds the BCE to 3 decimals


def build_store(folder: Path, dataset_name: str) -> tuple[str, list[float]]:
    """A store with one conv model (latent 32, a short training: the cost of a pick does not depend on how well it
    learned), made once per folder, and the BCE of every test image as the page computes it."""
    from aecore.analysis import metrics
    from aecore.data import catalog
    from aecore.store import modelstore
    from aecore.training import trainer

    dataset, store = catalog.load_dataset(dataset_name), modelstore.ModelStore(folder)
    if MODEL in store.names():
        autoencoder = store.load(MODEL)
    else:
        config = trainer.TrainConfig(epochs=2, patience=0, max_train_images=6000)
        autoencoder = trainer.train("conv", dataset, 32, config=config)
        store.save(autoencoder, MODEL)
    return dataset_name, [float(value) for value in
                          metrics.binary_cross_entropy(dataset.x_test, autoencoder.reconstruct(dataset.x_test))]


def cpu_seconds(pid: int) -> float:
    """Process `pid`'s own CPU seconds so far (user + system)."""
    return processes.cpu_seconds(pid)["own"]


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Tally:
    """What every session saw: latencies, wrong answers, errors, reconnects, which process served it."""

    def __init__(self):
        self.latencies, self.wrong, self.errors, self.servers = [], [], [], {}
        self.first_pages, self.reconnects = [], 0

    def check(self, page: st_client.Page, index: int, expected: float) -> bool:
        named, shown = page.find(rf"Image #{index}( |$)"), page.find(r"BCE (\d+\.\d+)")
        if page.exceptions() or not named or not shown or abs(float(shown.group(1)) - expected) > TOLERANCE:
            self.wrong.append({"index": index, "expected": round(expected, 4), "shown": shown and shown.group(1),
                               "exceptions": page.exceptions()[:1]})
            return False
        return True


class Visitor:
    """One student: a session that opens the page, then picks a random test image every `every` seconds, each at a
    random moment of its period (so the class's picks do not come in step)."""

    def __init__(self, url: str, number: int, expected: list[float], tally: Tally, seed: int):
        self.number, self.expected, self.tally = number, expected, tally
        self.randomness = random.Random(seed * 7919 + number)
        self.session = st_client.Session(url)
        self.widget = None

    async def open(self, arrive: float):
        await asyncio.sleep(self.randomness.uniform(0, arrive))  # a class does not arrive in one instant
        try:
            page = await self.session.open(PAGE)
            self.tally.first_pages.append(page.seconds)
            self.widget = page.widget_id("number_input", FIELD)
        except Exception as error:  # noqa: BLE001  a session that cannot open is counted; the others go on
            self.tally.errors.append(f"session {self.number} did not open: {type(error).__name__}: {error}")

    async def explore(self, every: float, until: float, picks: int | None):
        next_pick, done = time.monotonic() + self.randomness.uniform(0, every), 0
        while self.widget and time.time() < until and (picks is None or done < picks):
            await asyncio.sleep(max(0.0, next_pick - time.monotonic()))
            next_pick = max(next_pick + every, time.monotonic())  # late: the next at once, never a burst
            index = self.randomness.randrange(len(self.expected))
            started = time.perf_counter()
            try:
                page = await self.session.set_number(self.widget, index)
            except (TimeoutError, st_client.SessionError, OSError) as error:
                self.tally.errors.append(f"session {self.number}: {type(error).__name__}: {error}")
                self.tally.reconnects += 1
                try:  # as the browser does; a new session there draws the default image, so pick again
                    await self.session.reconnect(PAGE)
                    page = await self.session.set_number(self.widget, index)
                except Exception as again:  # noqa: BLE001
                    self.tally.errors.append(f"session {self.number} gave up: {type(again).__name__}: {again}")
                    return
                page.seconds = time.perf_counter() - started
            self.tally.latencies.append(page.seconds)
            self.tally.servers[self.session.server] = self.tally.servers.get(self.session.server, 0) + 1
            self.tally.check(page, index, self.expected[index])
            done += 1


async def stage(url: str, pids: list[int], expected: list[float], sessions: int, every: float, seconds: float,
                picks: int | None, seed: int, arrive: float = 20) -> dict:
    """Every session opens the page (over `arrive` seconds), then all pick for `seconds`; only the picks are timed
    and only their stretch is charged to the CPU."""
    tally = Tally()
    visitors = [Visitor(url, number, expected, tally, seed) for number in range(sessions)]
    cpu_before = [cpu_seconds(pid) for pid in pids]
    await asyncio.gather(*(visitor.open(arrive) for visitor in visitors))
    opening = sum(cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before))
    cpu_before = [cpu_seconds(pid) for pid in pids]
    started = time.time()
    await asyncio.gather(*(visitor.explore(every, started + seconds, picks) for visitor in visitors))
    elapsed = time.time() - started
    cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before)]
    await asyncio.gather(*(visitor.session.close() for visitor in visitors))
    count = len(tally.latencies)
    return {"sessions": sessions, "every": every, "seconds": round(elapsed, 1), "picks": count,
            "picks_per_second": round(count / elapsed, 2),
            "p50": percentile(tally.latencies, 0.5), "p95": percentile(tally.latencies, 0.95),
            "max": max(tally.latencies, default=None),
            "first_page_p50": percentile(tally.first_pages, 0.5), "first_page_p95": percentile(tally.first_pages, 0.95),
            "wrong": len(tally.wrong), "errors": len(tally.errors), "reconnects": tally.reconnects,
            "cpu_ms_per_pick": round(1000 * sum(cpu) / max(count, 1), 1),
            "cpu_ms_per_page_open": round(1000 * opening / max(len(tally.first_pages), 1), 1),
            "cpu_share_per_process": [round(value / elapsed, 2) for value in cpu],
            "servers": tally.servers, "examples": (tally.wrong[:2] + tally.errors[:3])}


def start_servers(arguments, store: Path, dataset_name: str):
    env = {"AECORE_STORE": str(store), "AECORE_DEFAULT_DATASET": dataset_name, "AECORE_OFFLINE": "1"}
    if arguments.direct:
        process, url = serve.start(store, dataset=dataset_name, env=env)
        return url, [process.pid], lambda: serve.stop(process)
    classroom = class_server.start(arguments.servers, env=env)
    return classroom.url, [process.pid for process in classroom.servers], lambda: class_server.stop(classroom)


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    """py-spy records `pid`'s threads (idle ones left out) as collapsed stacks, summed up by profile_top."""
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--duration",
                             str(int(seconds) + 600), "--rate", "200", "--format", "raw", "--output", str(out),
                             "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_top(path: Path, count: int = 12) -> dict:
    """Shares of py-spy's samples (threads not idle): our own functions (app, views, dashboard, aecore) by inclusive
    time, every function by its own time, and what ran outside the script threads (event loop, websocket)."""
    inclusive, own, total, outside = {}, {}, 0, 0
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        total += int(samples)
        outside += int(samples) * all("ScriptRunner._run_script " not in frame for frame in frames)
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + int(samples)
        own[frames[-1]] = own.get(frames[-1], 0) + int(samples)
    ours = {frame: value for frame, value in inclusive.items() if re.search(r"\((app|views/|dashboard/|aecore/)", frame)
            or "(feature_maps.py)" in frame}

    def shares(table):
        ranked = sorted(table.items(), key=lambda item: -item[1])[:count]
        return {frame: round(value / max(total, 1), 3) for frame, value in ranked}

    return {"samples": total, "outside_script_threads": round(outside / max(total, 1), 3),
            "ours_inclusive": shares(ours), "self": shares(own)}


async def run(arguments, url: str, pids: list[int], expected: list[float]):
    if arguments.warmup:  # every process loads the model and fills its caches once
        await stage(url, pids, expected, 2 * len(pids), 0, 3600, arguments.warmup, arguments.seed + 1, arrive=0)
    rates = [float(rate) for rate in arguments.sweep.split(",")] if arguments.sweep else [None]
    for rate in rates:
        sessions, every = arguments.sessions, arguments.every
        if rate is not None:  # offered load: `sessions` sessions, each picking every sessions/rate seconds
            every = sessions / rate
        recorder = profile(pids[0], arguments.seconds, arguments.profile) if arguments.profile else None
        result = await stage(url, pids, expected, sessions, every, arguments.seconds, arguments.picks, arguments.seed,
                             arguments.arrive)
        if recorder:
            recorder.send_signal(signal.SIGINT)  # py-spy writes what it has on Ctrl-C: the stage's stretch only
            recorder.wait()
            result["profile"] = profile_top(arguments.profile)
        print(json.dumps({"processes": len(pids), "proxy": not arguments.direct, "offered_per_second": rate,
                          "load_average": os.getloadavg()[0], **result}), flush=True)
        if rate is not None and (result["p95"] or 0) > 2 * arguments.target:
            break  # well past the target: higher rates only queue more


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=2, help="dashboard processes behind the proxy")
    parser.add_argument("--direct", action="store_true", help="one process, no proxy (as `make run`)")
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a session's picks (0: at once)")
    parser.add_argument("--seconds", type=float, default=60, help="length of each stage")
    parser.add_argument("--picks", type=int, help="stop each session after this many picks")
    parser.add_argument("--sweep", help="offered picks a second, one stage each (e.g. 2,4,6,8)")
    parser.add_argument("--target", type=float, default=1.0, help="p95 seconds a sweep aims at (stops past twice it)")
    parser.add_argument("--warmup", type=int, default=3, help="picks of 2 sessions per process before measuring")
    parser.add_argument("--arrive", type=float, default=20, help="seconds over which the sessions open the page")
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the first process, per stage")
    parser.add_argument("--store", type=Path, help="a folder to keep the model in between runs (default: a new one)")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    if arguments.direct:
        arguments.servers = 1
    store = arguments.store or Path(tempfile.mkdtemp(prefix="class-load-"))
    dataset_name, expected = build_store(store, arguments.dataset)
    url, pids, stop = start_servers(arguments, store, dataset_name)
    try:
        asyncio.run(run(arguments, url, pids, expected))
    finally:
        stop()


if __name__ == "__main__":
    main()
