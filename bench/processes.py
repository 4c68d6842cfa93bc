"""The processes a bench starts, watched and ended from /proc: their CPU seconds, waiting until they are idle, and
the training workers a walk leaves behind (bench/first_minutes.py, warm_page.py, first_open_browser.py)."""

import os
import signal
import time
from pathlib import Path


def cpu_seconds(pid: int) -> dict:
    """CPU seconds of process `pid` so far: its own (user + system) and its reaped children's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return {"own": (int(fields[11]) + int(fields[12])) / tick, "children": (int(fields[13]) + int(fields[14])) / tick}


def tree_seconds(pid: int) -> float:
    """CPU seconds so far of process `pid` and of its live descendants (the standby worker Home starts)."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            table[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # parent, ticks
        except (OSError, ValueError, IndexError):
            pass  # a process that ended meanwhile
    tree = {pid}
    while grown := {child for child, (parent, _) in table.items() if parent in tree} - tree:
        tree |= grown
    return sum(table[member][1] for member in tree if member in table) / os.sysconf("SC_CLK_TCK")


def quiet(pid: int, timeout: float = 120, tree: bool = False) -> float:
    """Waits until the server has finished warming up (its CPU time grew less than 0.1 s in the last second): a
    warm visit is one to a warm server. With `tree`, its live child processes count too (the standby worker that
    Home starts on an empty store loads TensorFlow for ~10 s of CPU). Returns the seconds waited."""
    def seconds():
        return tree_seconds(pid) if tree else sum(cpu_seconds(pid).values())
    started = time.perf_counter()
    before = seconds()
    while time.perf_counter() - started < timeout:
        time.sleep(1.0)
        now = seconds()
        if now - before < 0.1:
            break
        before = now
    return time.perf_counter() - started


def stop_workers(store: Path):
    """Ends the job workers the walk started on `store`: after "done" they map every image at nice 19 for minutes,
    with no server left to show it, and would disturb whatever is measured next. A worker leaves the store's register
    when its queue is empty, so they are found by their command line and AECORE_STORE."""
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            command = (folder / "cmdline").read_bytes().split(b"\0")
            environment = (folder / "environ").read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile, or not ours to read
        if b"--work" in command and b"jobs" in command and f"AECORE_STORE={store}".encode() in environment:
            try:
                os.kill(int(folder.name), signal.SIGTERM)
            except ProcessLookupError:
                pass
