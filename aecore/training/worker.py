"""What runs inside a training job's process: claim the oldest queued job, train it, record the outcome.

A worker (`python -m aecore jobs --work`, started by aecore.training.jobs.launch_workers) trains queued jobs
one after another and ends when the queue is empty; `python -m aecore train` runs its own job through
`run`. Progress is written at most every PROGRESS_INTERVAL seconds within an epoch; Stop arrives as the
job's cancel file plus a SIGTERM, which ends training within a batch and saves nothing.

A worker loads each dataset once for all its jobs, and runs NumPy's and scikit-learn's thread pools on one thread
(`ONE_THREAD`: TensorFlow keeps its own pool). When the queue is empty, it keeps what the pages first show of
what it trained (aecore.training.afterqueue: the probes' baselines, Restore's curves, Anomalies' scores, the UMAP of
every image; $AECORE_PREMAP, default "umap", empty: no map), at nice AFTER_NICE; it has left the workers' register by
then, so a new training starts at once in a worker of its own. They wait until the queue is empty so the quick
start's models land one right after another.

A worker started with $AECORE_WORKER_WAIT seconds (`jobs.launch_standby`: the Home page while it offers the quick
start) loads TensorFlow and the dataset named by $AECORE_WORKER_DATASET first, warms up a training on a few of its
images (`_warm_up`), then waits that long for a job, so the first job it claims starts training at once.
"""

import dataclasses
import os
import signal
import sys
import threading
import time
from pathlib import Path

import threadpoolctl  # scikit-learn's own dependency

from aecore.errors import AecoreError, TrainingCancelled
from aecore.store import modelstore
from aecore.training import cards, jobs, trainer
from aecore.training.afterqueue import (
    anomaly_order,
    fill_baselines,
    keep_anomaly_scores,
    keep_first_opens,
    premap,
    restore_order,
)
from aecore.training.jobs import STOPPED, Job, locked, write_json

NICE = 10  # workers' CPU priority below the server (0), so page reruns win the cores
AFTER_NICE = 19  # what a worker does after its queue, lowest: a server at 0 gets ~98% of a core it shares, not ~90%
PROGRESS_INTERVAL = 0.25  # seconds between progress writes within an epoch
# OpenBLAS's two threads spin on a loaded 2-core machine: a card's linear probe on 5,000 codes of 32 numbers took
# 21-31 s in a worker beside a server; on one thread 8x less (bench/RESULTS.md, #35). Same figures either way.
ONE_THREAD = 1
WAIT_POLL = 0.2  # seconds between looks at the queue while a standby worker waits


class _CancelFile:
    def __init__(self, path: Path):
        self.path = path

    def is_set(self) -> bool:
        return self.path.exists()


def _stop_on_sigterm(flag: _CancelFile):
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach the main thread only; the cancel file still stops training within a batch

    def handler(signum, frame):
        if flag.is_set():  # a SIGTERM meant for an earlier job of this worker is ignored
            raise TrainingCancelled(STOPPED)
        raise SystemExit(143)  # anyone else's SIGTERM: end like any process would
    signal.signal(signal.SIGTERM, handler)


def _progress_writer(path: Path):
    last = [0.0]

    def report(progress: trainer.Progress):
        now = time.monotonic()
        if progress.phase == "batch" and now - last[0] < PROGRESS_INTERVAL:
            return
        last[0] = now
        write_json(path / "progress.json", dataclasses.asdict(progress))
    return report


def run(job: Job, store_root=None, echo=None, save: bool = True, baselines: bool = True) -> dict:
    """Trains `job` in this process, writing its progress and outcome; returns the final state (its "dataset" the
    one trained on).

    The dashboard's workers and `python -m aecore train` both come here. `echo` also gets every Progress
    (the CLI's progress bar); `save=False` for the non-chief workers of a multi-worker run; `baselines=False`
    leaves the probes' baselines to the caller (a worker fills them once its queue is empty).
    """
    with threadpoolctl.threadpool_limits(limits=ONE_THREAD):  # see ONE_THREAD
        outcome = _run(job, store_root, echo, save)
        if outcome["status"] == "done" and save and baselines:  # the model has landed; the pages' baselines follow
            fill_baselines(outcome["dataset"], outcome["meta"], store_root)
    return outcome


def _run(job: Job, store_root, echo, save: bool) -> dict:
    flag = _CancelFile(job.path / "cancel")
    _stop_on_sigterm(flag)
    started = time.time()
    state = {"status": "running", **jobs.process_record(os.getpid()), "started": started}
    write_json(job.path / "state.json", state)
    beating = jobs.keep_beating(job.path / "heartbeat")  # how other machines on the store see it alive
    writer = _progress_writer(job.path)
    report = writer if echo is None else (lambda progress: (writer(progress), echo(progress)))
    dataset = None
    try:
        spec = job.spec
        dataset = load_dataset(spec.dataset, spec.config.seed)
        live = dataclasses.replace(spec.config, live_snapshots=str(job.path / modelstore.SNAPSHOTS_FILE))  # pages follow
        autoencoder = trainer.train(spec.family, dataset, spec.latent_dim, spec.options, live, report, flag)
        if spec.submitted_by:  # a viewer's model: that session may delete it (dashboard.state.roles)
            autoencoder.meta["submitted_by"] = spec.submitted_by
        state["meta"], state["model"] = autoencoder.meta, autoencoder
        if save:
            state["model_name"] = modelstore.ModelStore(store_root).save(
                autoencoder, spec.name or cards.detector_name(autoencoder.meta)).name
        state["status"] = "done"
    except TrainingCancelled as error:
        state.update(status="cancelled", message=str(error))
    except Exception as error:  # noqa: BLE001  the worker must outlive anything a job does
        if flag.is_set():  # Stop's SIGTERM raised inside TensorFlow's C++ code, which re-raises it as something else
            state.update(status="cancelled", message=STOPPED)
        elif isinstance(error, AecoreError):
            state.update(status="failed", message=str(error))
        else:
            state.update(status="failed", message=f"unexpected {type(error).__name__}: {str(error).strip()[:300]}")
            import traceback

            traceback.print_exc()
    finally:
        beating.set()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    meta, model = state.pop("meta", None), state.pop("model", None)
    write_json(job.path / "state.json", {**state, "finished": time.time()})
    return {**state, "meta": meta, "dataset": dataset, "model": model}


_LOADED: dict = {}  # (dataset name, seed) -> Dataset: a worker's jobs share one copy of a built-in dataset


def load_dataset(name: str, seed: int = 0):
    """The dataset `name`, loaded once per worker when it is a built-in one (they never change; one of your own
    may be replaced between two jobs, so it is read afresh)."""
    from aecore.data import catalog

    if name not in catalog.DATASET_NAMES:
        return catalog.load_dataset(name, seed=seed)
    if (name, seed) not in _LOADED:
        _LOADED.clear()  # one at a time: Fashion-MNIST is 220 MB
        _LOADED[(name, seed)] = catalog.load_dataset(name, seed=seed)
    return _LOADED[(name, seed)]


def _claim(folder: Path) -> Job | None:
    """Under the lock: the oldest queued job, marked running by this process; or None and unregisters."""
    with locked(folder):
        queued = jobs.claimable(jobs.list_jobs(folder))
        if not queued:
            jobs.unregister_worker(folder, os.getpid())
            return None
        job = queued[0]
        write_json(job.path / "state.json", {"status": "running", **jobs.process_record(os.getpid()),
                                         "started": time.time()})
        return job


def work(folder: Path):
    """A worker's life: niced, trains queued jobs one after another, ends when the queue is empty or on Stop; then
    fills the probes' baselines, keeps what pages first show (`keep_first_opens`, `keep_anomaly_scores`) and
    maps what it trained (`premap`)."""
    os.nice(NICE)
    _share_cores()
    jobs.register_worker(folder, os.getpid())  # the launcher registered us too; this also covers a worker started by hand
    jobs.keep_beating(folder / "workers" / f"{os.getpid()}.beat")  # until the process ends
    landed = []
    _stand_by(folder)
    while (job := _claim(folder)) is not None:
        outcome = run(job, baselines=False)
        print(f"job {job.id}: {outcome['status']} {outcome.get('message', '')}", file=sys.stderr, flush=True)
        if outcome["status"] == "cancelled":  # Stop ends the process; the canceller starts a fresh worker
            jobs.unregister_worker(folder, os.getpid())
            os._exit(0)  # at once: TensorFlow's exit handlers take seconds, and everything is written
        if outcome["status"] == "done" and outcome.get("model_name"):
            landed.append({**outcome, "dataset_name": job.spec.dataset})
    jobs.unregister_worker(folder, os.getpid())
    os.nice(AFTER_NICE - NICE)  # nobody waits for these; the pages a newcomer opens right after "done" come first
    after_queue(landed)


def after_queue(landed: list[dict]):
    """What the pages first show, kept for the models this worker trained (`landed`: their outcomes), in the order a
    newcomer's pages need them: the Restore page's model's curves (~1.5 s) before the probes' baselines (seconds,
    once per dataset; Reconstructions shows its page while they compute, Restore would compute its curves itself),
    then the other curves, the anomaly scores (the Anomalies page's model first) and the maps of every image."""
    with threadpoolctl.threadpool_limits(limits=ONE_THREAD):
        restore_first = sorted(landed, key=restore_order)
        for outcome in restore_first[:1]:
            keep_first_opens(outcome["model_name"], outcome["model"], outcome["dataset"])
        for outcome in landed:
            fill_baselines(outcome["dataset"], outcome["meta"])
        for outcome in restore_first[1:]:
            keep_first_opens(outcome["model_name"], outcome["model"], outcome["dataset"])
        for outcome in sorted(landed, key=anomaly_order):  # after every model's curves: seconds each
            keep_anomaly_scores(outcome["model_name"], outcome["model"], outcome["dataset"])
    for outcome in landed:
        premap(outcome["model_name"], outcome["dataset_name"])



def _share_cores():
    """$AECORE_WORKER_THREADS (set by jobs.launch_workers): this worker's TensorFlow threads, set before its first
    operation. On an idle machine two one-thread workers on two cores train the quick start's models side by side
    faster than one worker on both; on a busy one slower (bench/RESULTS.md, "The first minutes, session 16", #35)."""
    threads = int(os.environ.get("AECORE_WORKER_THREADS") or 0)
    if threads > 0:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def _stand_by(folder: Path):
    """A standby worker ($AECORE_WORKER_WAIT seconds) loads TensorFlow and its dataset, then waits until a job is
    queued or the wait is over (a worker without a wait returns at once)."""
    wait = float(os.environ.get("AECORE_WORKER_WAIT") or 0)
    if wait <= 0:
        return
    import keras  # noqa: F401  (seconds: paid before the click, not after it)

    deadline = time.monotonic() + wait

    def queued() -> bool:
        return any(job.status == "queued" for job in jobs.list_jobs(folder))
    if os.environ.get("AECORE_WORKER_DATASET"):
        try:
            _warm_up(load_dataset(os.environ["AECORE_WORKER_DATASET"]), queued)
        except AecoreError:  # gone meanwhile: the job that names it says so
            pass
    while time.monotonic() < deadline and not queued():
        time.sleep(WAIT_POLL)


WARM_IMAGES = 512  # the standby's warm-up training: a few batches and a validation split
WARM_SPLIT_BYTES = 256 * 2**20  # its first large allocation: Fashion-MNIST's 60,000 images (188 MB), never more


def _warm_up(dataset, queued):
    """Pays, before the click, what a worker's first training pays once (bench/RESULTS.md, "The quick start, session
    19", #35): Keras's first train and test steps and their tracing machinery, scikit-learn's import and first
    probes (the card), and a first large allocation (the validation split of up to WARM_SPLIT_BYTES of its training
    images). A small dense model on WARM_IMAGES of an image dataset, nothing saved; between the steps it stops as soon
    as a job is queued, so a quick click waits for one step at most (~2 s)."""
    if getattr(dataset, "is_series", False) or dataset.x_test is None or len(dataset.x_test) == 0:
        return

    def split():
        largest = max(1, WARM_SPLIT_BYTES // max(1, dataset.x_train[:1].nbytes))
        trainer.split_validation(dataset.x_train[:largest], 0.1, 0)
    steps = [split,
             lambda: trainer.train("dense", dataset.subset(WARM_IMAGES, WARM_IMAGES // 4), 8, None,
                                   trainer.TrainConfig(epochs=1, batch_size=128, patience=0, snapshots="off"))]
    for step in steps:
        if queued():
            return
        try:
            step()
        except Exception as error:  # noqa: BLE001  a warm-up never stops a standby from taking the job
            print(f"standby warm-up skipped: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            return
