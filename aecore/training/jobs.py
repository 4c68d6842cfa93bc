"""Training jobs as separate processes, recorded as small JSON files in a jobs folder inside the store.
Longer than 300 lines: the records, the lock, liveness (pid and heartbeat), the queue, workers and Stop all read and
write the same files under the same lock, and are kept together so their rules are read in one place.

    <store>/.jobs/<job id>/spec.json      what to train (JobSpec); written once by whoever submits
                           state.json     status, pid, start tick and host of the process, message, model name
                           progress.json  the latest Progress: loss terms, elapsed, ETA (per batch, <= 4 a second)
                           heartbeat      touched every HEARTBEAT_SECONDS while the job's process runs
                           cancel         present once someone pressed Stop
    <store>/.jobs/workers/<pid>.json      the live worker processes (pid + start tick + host), and <pid>.beat

This module keeps the records, the queue and Stop; aecore.training.worker is what runs in a job's process.

Every write is atomic (temp file + os.replace), so readers never see half a file; the store ignores hidden
folders. A worker (`python -m aecore jobs --work`) takes the oldest queued job, trains it, and takes the
next until none is left, so the quick start's four models pay for one TensorFlow import. Whoever submits
or lists jobs (a dashboard server, `python -m aecore train --background`, `python -m aecore jobs`) calls
`launch_workers`, which under a lock file starts workers up to AECORE_MAX_JOBS: no daemon, and two servers
never double-start. Workers run niced in their own process group, so a server restart or a Ctrl-C in its
terminal leaves them training. Liveness: on the process's own machine, its pid plus its start tick in /proc (Linux);
seen from another machine sharing the store (its host differs), a heartbeat file touched in the last STALE_SECONDS.

`launch_standby` starts a worker before there is a job (the Home page, while it offers the quick start): it loads
TensorFlow and the dataset, then waits STANDBY_SECONDS for a job, so the first model's clock starts with Keras
loaded ($AECORE_STANDBY=0 turns it off; the tests do).
"""

import dataclasses
import fcntl
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aecore.base import atomic, children, layout
from aecore.base.atomic import read_json
from aecore.errors import TrainingError
from aecore.training import loop  # not trainer: a page listing jobs never loads Keras

JOBS_FOLDER = ".jobs"
HOST = socket.gethostname()  # whose /proc a record's pid and tick belong to (a container's own name in a swarm)
HEARTBEAT_SECONDS = 5.0  # how often a job's (and a worker's) process touches its heartbeat file
STALE_SECONDS = 30.0  # a heartbeat older than this, seen from another host: the process is gone
STOP_GRACE = 0.8  # seconds a stopped process gets to clean up before SIGKILL (Stop takes < 1 s)
KEEP_FINISHED = 50  # finished job folders kept for the lists; older ones are removed
STANDBY_SECONDS = 600  # how long a standby worker waits for a job before it ends (and frees its ~1 GB)
STOPPED = "training was stopped; nothing was saved"


@dataclass
class JobSpec:
    family: str
    dataset: str  # a dataset name or path, as aecore.data.catalog.load_dataset takes it
    latent_dim: int | None = None  # None: the family's default
    options: dict = field(default_factory=dict)
    config: loop.TrainConfig = field(default_factory=loop.TrainConfig)
    name: str | None = None  # store name; None: made from family, dataset and latent size
    submitted_by: str | None = None  # the dashboard session of a viewer who asked for it; None: the owner or the CLI

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "JobSpec":
        options = {key: tuple(value) if isinstance(value, list) else value for key, value in data["options"].items()}
        known = {option.name for option in dataclasses.fields(loop.TrainConfig)}  # a spec from another aecore version
        config = loop.TrainConfig(**{key: value for key, value in data["config"].items() if key in known})
        return cls(data["family"], data["dataset"], data["latent_dim"], options, config, data["name"], data.get("submitted_by"))


def max_jobs() -> int:
    """AECORE_MAX_JOBS, else the number of cores minus one (at least 1)."""
    text = os.environ.get("AECORE_MAX_JOBS", "").strip()
    if not text:
        return max(1, (os.cpu_count() or 2) - 1)
    if not text.isdigit() or int(text) < 1:
        raise TrainingError(f"AECORE_MAX_JOBS must be a whole number >= 1; got {text!r}. Unset it for cores minus one")
    return int(text)


def jobs_folder(store_root=None) -> Path:
    return layout.store_root(store_root).resolve() / JOBS_FOLDER


write_json = atomic.write_json  # flushed to disk, then renamed over: a kill never leaves half a state file


def process_tick(pid: int | None) -> str | None:
    """The process's start time in clock ticks since boot, or None when it is gone (or a zombie)."""
    try:
        fields = Path(f"/proc/{int(pid)}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError, ValueError, IndexError):
        return None
    if fields[0] == "Z":  # exited, not yet reaped: reap it if it is our child
        try:
            os.waitpid(int(pid), os.WNOHANG)
        except ChildProcessError:
            pass
        return None
    return fields[19]  # field 22 of /proc/<pid>/stat; fields[0] is field 3


def process_record(pid: int) -> dict:
    """What a state or worker file says of a running process: its pid, start tick and host."""
    return {"pid": pid, "tick": process_tick(pid), "host": HOST}


def alive(record: dict | None, heartbeat: Path | None = None) -> bool:
    """Is the record's process running? On its own host, by pid and start tick; from another host (the store shared
    by several machines), by its `heartbeat` file, touched in the last STALE_SECONDS."""
    if not record or record.get("tick") is None:
        return False
    if record.get("host", HOST) == HOST:
        return process_tick(record.get("pid")) == record["tick"]
    try:
        return heartbeat is not None and time.time() - heartbeat.stat().st_mtime < STALE_SECONDS
    except OSError:
        return False


def keep_beating(path: Path) -> threading.Event:
    """Touches `path` now and every HEARTBEAT_SECONDS in a daemon thread, until the returned event is set."""
    stop = threading.Event()
    path.touch()

    def beat():
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                os.utime(path)  # never recreates it: a removed file (an unregistered worker, a pruned job) stays gone
            except OSError:
                return

    threading.Thread(target=beat, name=f"aecore-heartbeat-{path.name}", daemon=True).start()
    return stop


@contextmanager
def locked(folder: Path):
    """One process at a time claims, cancels or launches in this folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class Job:
    """One job folder. Status, progress and message are read from the files on each access."""

    def __init__(self, path: Path, spec: JobSpec, submitted: float):
        self.path, self.id, self.spec, self.submitted = path, path.name, spec, submitted
        self.position: int | None = None  # 1 = next to start, while queued (set by list_jobs)

    def state(self) -> dict:
        state = read_json(self.path / "state.json") or {"status": "queued"}
        if state["status"] == "running" and not alive(state, self.path / "heartbeat"):
            state = {**state, "status": "failed", "message": f"the training process (pid {state.get('pid')}) ended "
                     "without finishing (killed or crashed); nothing was saved. Start the training again"}
        return state

    status = property(lambda self: self.state()["status"])  # queued, running, done, failed, cancelled
    message = property(lambda self: self.state().get("message", ""))  # the error or the cancel note a user reads
    model_name = property(lambda self: self.state().get("model_name"))  # the store name once saved
    finished = property(lambda self: self.state().get("finished"))
    pid = property(lambda self: self.state().get("pid"))

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def progress(self) -> loop.Progress | None:
        data = read_json(self.path / "progress.json")
        return loop.Progress(**data) if data else None


def _load(path: Path) -> Job | None:
    data = read_json(path / "spec.json")
    if data is None:
        return None  # being written right now, or not a job folder
    return Job(path, JobSpec.from_dict(data["spec"]), data["submitted"])


def list_jobs(folder: Path) -> list[Job]:
    """Every job, oldest first; queued ones carry their place in the queue."""
    found = [job for path in folder.glob("*-*") if path.is_dir() and (job := _load(path))]
    found.sort(key=lambda job: (job.submitted, job.id))
    queued = [job for job in found if job.status == "queued"]
    for place, job in enumerate(queued, 1):
        job.position = place
    return found


def create(folder: Path, spec: JobSpec, running_pid: int | None = None) -> Job:
    """Writes a job's files: queued (a worker will claim it), or already running in `running_pid`.

    A job is listed once its spec.json exists, so a running job's state is written first: no worker can
    ever see it as queued and claim it too (`train` in a terminal runs its own job).
    """
    submitted = time.time()
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(submitted))}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True)
    if running_pid is not None:
        write_json(path / "state.json", {"status": "running", **process_record(running_pid), "started": submitted})
    write_json(path / "spec.json", {"spec": spec.to_dict(), "submitted": submitted})
    return Job(path, spec, submitted)


def submit(folder: Path, spec: JobSpec, workers: int | None = None) -> Job:
    """Queues `spec` and starts workers for it: up to AECORE_MAX_JOBS, or `workers` when given (the quick start
    spreads its four models over every core)."""
    job = create(folder, spec)
    launch_workers(folder, workers)
    return job


def claimable(found: list[Job]) -> list[Job]:
    """The queued jobs of `found` (oldest first) a worker may start now: not those that start from the weights of a
    model another active job is still making (the quick start's denoiser waits for its conv model)."""
    active = [job for job in found if job.active and job.spec.name]

    def waits(job: Job) -> bool:  # a job that retrains a model from itself (same name) does not wait for itself
        return any(other.spec.name == job.spec.config.warm_start and other.id != job.id for other in active)
    return [job for job in found if job.status == "queued" and not waits(job)]


def register_worker(folder: Path, pid: int):
    (folder / "workers").mkdir(exist_ok=True)
    write_json(folder / "workers" / f"{pid}.json", {**process_record(pid), "started": time.time()})


def unregister_worker(folder: Path, pid: int):
    (folder / "workers" / f"{pid}.json").unlink(missing_ok=True)
    (folder / "workers" / f"{pid}.beat").unlink(missing_ok=True)


def live_workers(folder: Path) -> int:
    count = 0
    for path in (folder / "workers").glob("*.json"):
        if alive(read_json(path), path.with_suffix(".beat")):
            count += 1
        elif read_json(path) is None or read_json(path).get("host", HOST) == HOST:  # another host's: its own to clear
            path.unlink(missing_ok=True)
    return count


def launch_workers(folder: Path, limit: int | None = None) -> int:
    """Starts workers for the jobs that can start now, up to AECORE_MAX_JOBS in all (or `limit`); returns how many
    it started. Each gets its share of the cores as TensorFlow threads (`worker_threads`)."""
    limit = limit or max_jobs()
    with locked(folder):
        ready = len(claimable(list_jobs(folder)))
        starting = max(0, min(ready, limit - live_workers(folder)))
        for _ in range(starting):
            register_worker(folder, _spawn_worker(folder, AECORE_WORKER_THREADS=str(worker_threads(limit))).pid)
        _prune(folder)
    return starting


def worker_threads(workers: int) -> int:
    """TensorFlow threads for each of `workers` workers: the cores shared out (one worker alone gets them all)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def launch_standby(folder: Path, dataset: str) -> bool:
    """Starts a worker that loads TensorFlow and `dataset`, then waits for a job (see the module's docstring), when
    no worker is alive and none is queued; True if it started one. Cheap to call on every rerun."""
    if os.environ.get("AECORE_STANDBY", "1") == "0":
        return False
    with locked(folder):
        if live_workers(folder) or any(job.status == "queued" for job in list_jobs(folder)):
            return False
        register_worker(folder, _spawn_worker(folder, AECORE_WORKER_WAIT=str(STANDBY_SECONDS),
                                              AECORE_WORKER_DATASET=dataset).pid)
    return True


def _spawn_worker(folder: Path, **settings: str) -> subprocess.Popen:
    environment = children.environment(AECORE_STORE=str(folder.parent), **settings)
    with open(folder / "workers.log", "a") as log:  # a worker's stderr: tracebacks of crashes, TF warnings
        return subprocess.Popen(children.command("jobs", "--work"), env=environment,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, process_group=0)


def _prune(folder: Path):
    finished = [job for job in list_jobs(folder) if not job.active]
    for job in finished[:-KEEP_FINISHED]:
        for path in job.path.iterdir():
            path.unlink(missing_ok=True)
        job.path.rmdir()


def cancel(folder: Path, job_id: str):
    """Stop: a queued job never starts; a running one's process ends within STOP_GRACE (then SIGKILL), or, on
    another machine, at its next batch (it reads the cancel file)."""
    job = _load(folder / job_id)
    if job is None:
        raise TrainingError(f"no job {job_id!r} in {folder}; `python -m aecore jobs` lists them")
    with locked(folder):
        state = job.state()
        if state["status"] == "queued":
            write_json(job.path / "state.json", {"status": "cancelled", "message": "stopped before it started; nothing was saved",
                                             "finished": time.time()})
            return
        if state["status"] != "running":
            return
        (job.path / "cancel").touch()
        if state.get("host", HOST) != HOST:  # another machine's process: it sees the file at its next batch and stops
            return
        # Still under the lock: a worker that finishes this job meanwhile cannot claim the next one (it waits
        # for the lock), so the signal never reaches another job; a worker between jobs simply ends.
        _end_process(state["pid"], state.get("tick"))
    with locked(folder):
        if (read_json(job.path / "state.json") or {}).get("status") == "running":  # killed before it wrote its outcome
            write_json(job.path / "state.json", {**state, "status": "cancelled", "message": STOPPED, "finished": time.time()})
    launch_workers(folder)


def _end_process(pid: int, tick: str | None):
    if process_tick(pid) != tick:
        return
    try:
        os.kill(pid, signal.SIGTERM)  # the process's handler raises TrainingCancelled at once (see _stop_on_sigterm)
    except (ProcessLookupError, PermissionError):  # it ended just now, or is not ours to stop
        return
    deadline = time.monotonic() + STOP_GRACE
    while time.monotonic() < deadline and process_tick(pid) == tick:
        time.sleep(0.02)
    if process_tick(pid) == tick:
        try:
            os.kill(pid, signal.SIGKILL)  # the store's save is atomic: a kill mid-save lists nothing
        except ProcessLookupError:
            return
    while process_tick(pid) == tick:  # SIGKILL is not instant either
        time.sleep(0.01)
