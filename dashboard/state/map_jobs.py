"""The whole-dataset map's job: `python -m aecore project ... --progress-file F`, started niced in a process of
its own so the page stays responsive, and read back from F (stage, fraction; `done` or `error` at the end).

The result lands in the model's map cache (aecore.store.mapcache), where the page, the CLI and other sessions
find it. One map job runs at a time per server (each is a TensorFlow process of about 1 GB on a 2-core
machine): `start` returns False while another runs, and the page asks again on its next poll. A job already
running for the same model, dataset, split and method is not started twice: this server keeps the processes it
started (a thread waits on each, so none is left a zombie), and a progress file whose process is alive (pid and
start tick, as aecore.training.jobs checks them) counts as running too: a job a previous server started.
"""

import subprocess
import threading
import time
from pathlib import Path

import aecore
from aecore.base import atomic, children
from aecore.store import mapcache
from aecore.training import jobs

ROOT = Path(aecore.__file__).resolve().parents[1]
NICENESS = 5
_processes: dict[Path, subprocess.Popen] = {}
_started: dict[Path, float] = {}  # when this server started each job (time.time())
_lock = threading.RLock()


def progress_path(store, name: str, dataset_name: str, split: str, method: str) -> Path:
    return store.cache_folder(name) / f"job-{mapcache.safe_name(dataset_name)}-{split}-{method}.json"


def status(store, name: str, dataset_name: str, split: str, method: str) -> dict | None:
    """The job's last report plus `running`; None when no job was ever started for this map."""
    path = progress_path(store, name, dataset_name, split, method)
    with _lock:
        process = _processes.get(path)
        running = process is not None and process.poll() is None
        found = atomic.read_json(path) if path.exists() else None
    if found is None:
        return None
    if process is None and not found.get("done") and not found.get("error"):
        running = jobs.alive({"pid": found.get("pid"), "tick": found.get("tick")})
    if path in _started:  # the job's own `elapsed` is written only at each stage: count from its start instead
        found["elapsed"] = time.time() - _started[path]
    if not running and not found.get("done") and not found.get("error"):
        code = process.returncode if process is not None else None
        reason = " (killed: most likely out of memory)" if code == -9 else f" (exit code {code})" if code else ""
        found["error"] = f"the map job stopped before it finished{reason}; its log: {path.with_suffix('.log')}"
    return {**found, "running": running}


def busy() -> bool:
    """True while a map job this server started is running."""
    with _lock:
        return any(process.poll() is None for process in _processes.values())


def start(store, name: str, dataset_name: str, split: str, method: str) -> bool:
    """Starts the job unless one for this map runs (True: it runs now); False while another map job runs."""
    path = progress_path(store, name, dataset_name, split, method)
    with _lock:
        current = status(store, name, dataset_name, split, method)
        if current is not None and current["running"]:
            return True
        if busy():
            return False
        command = children.command("project", name, "--dataset", dataset_name, "--split", split, "--method", method,
                                   "--store", store.root, "--quiet", "--progress-file", path)
        with open(path.with_suffix(".log"), "w") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=children.environment(), stdout=subprocess.DEVNULL,
                                       stderr=log, start_new_session=True)
        children.lower_priority(process.pid, NICENESS)  # not preexec_fn: unsafe in a threaded server
        _processes[path] = process
        _started[path] = time.time()
        atomic.write_json(path, {"pid": process.pid, "tick": jobs.process_tick(process.pid), "stage": "starting",
                                 "fraction": 0.0})
    threading.Thread(target=process.wait, daemon=True).start()  # reaps it the moment it ends
    return True
