"""The whole-dataset map's job: `python -m aecore project ... --progress-file F`, started niced in a process of
its own so the page stays responsive, and read back from F (stage, fraction; `done` or `error` at the end).

The result lands in the model's map cache (aecore.store.mapcache), where the page, the CLI and other sessions
find it. A job already running for the same model, dataset, split and method is not started twice: this server
keeps the processes it started (polled, so none is left a zombie), and a progress file whose process is alive
counts as running too (a job a previous server started).
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

import aecore
from aecore.store import atomic, mapcache

ROOT = Path(aecore.__file__).resolve().parents[1]
_processes: dict[Path, subprocess.Popen] = {}
_lock = threading.Lock()


def progress_path(store, name: str, dataset_name: str, split: str, method: str) -> Path:
    return store.cache_folder(name) / f"job-{mapcache.safe_name(dataset_name)}-{split}-{method}.json"


def _alive(pid) -> bool:
    try:
        with open(f"/proc/{int(pid)}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, ValueError, TypeError, IndexError):
        return False


def status(store, name: str, dataset_name: str, split: str, method: str) -> dict | None:
    """The job's last report plus `running`; None when no job was ever started for this map."""
    path = progress_path(store, name, dataset_name, split, method)
    with _lock:
        process = _processes.get(path)
        running = process is not None and process.poll() is None
        if process is not None and not running:
            _processes.pop(path, None)
    found = atomic.read_json(path) if path.exists() else None
    if found is None:
        return None
    running = running or (process is None and not found.get("done") and not found.get("error") and _alive(found.get("pid")))
    if not running and not found.get("done") and not found.get("error"):
        log = path.with_suffix(".log")
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        found["error"] = "the map job stopped before it finished" + (f": {tail[0][-300:]}" if tail else "")
    return {**found, "running": running}


def start(store, name: str, dataset_name: str, split: str, method: str) -> None:
    """Starts the job unless one for this map is running."""
    path = progress_path(store, name, dataset_name, split, method)
    current = status(store, name, dataset_name, split, method)
    if current is not None and current["running"]:
        return
    command = [sys.executable, "-m", "aecore", "project", name, "--dataset", dataset_name, "--split", split,
               "--method", method, "--store", str(store.root), "--quiet", "--progress-file", str(path)]
    with _lock, open(path.with_suffix(".log"), "w") as log:
        atomic.write_json(path, {"pid": None, "stage": "starting", "fraction": 0.0})
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
                                   preexec_fn=lambda: os.nice(5))
        _processes[path] = process
        atomic.write_json(path, {"pid": process.pid, "stage": "starting", "fraction": 0.0})
