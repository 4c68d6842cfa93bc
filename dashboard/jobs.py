"""Training jobs that run in one background thread and never call Streamlit.

A click anywhere in a Streamlit app reruns the script and would kill an in-script `fit`, so the
pages only submit jobs here and poll their progress. One job trains at a time (2 cores); the rest wait.
"""

import itertools
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field

from aecore import data, store, training
from aecore.errors import AecoreError, TrainingCancelled


@dataclass
class JobSpec:
    family: str
    dataset: str  # a dataset name or path, as aecore.data.load_dataset takes it
    latent_dim: int | None = None  # None: the family's default
    options: dict = field(default_factory=dict)
    config: training.TrainConfig = field(default_factory=training.TrainConfig)
    name: str | None = None  # store name; None: made from family, dataset and latent size


@dataclass
class Job:
    id: int
    spec: JobSpec
    status: str = "queued"  # queued, running, done, failed, cancelled
    progress: training.Progress | None = None
    message: str = ""  # the error or the cancel note a user reads
    model_name: str | None = None  # the store name once saved
    submitted: float = field(default_factory=time.time)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")


class JobRunner:
    """A queue and one worker thread; safe to share between every browser session."""

    def __init__(self, store_root=None):
        self.store_root = store_root
        self.jobs: list[Job] = []
        self._ids = itertools.count(1)
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="aecore-training", daemon=True)
        self._thread.start()

    def submit(self, spec: JobSpec) -> Job:
        with self._lock:
            job = Job(next(self._ids), spec)
            self.jobs.append(job)
        self._queue.put(job)
        return job

    def cancel(self, job_id: int):
        for job in self.jobs:
            if job.id == job_id and job.active:
                job.cancel.set()
                if job.status == "queued":
                    job.status, job.message = "cancelled", "stopped before it started; nothing was saved"

    def active_jobs(self) -> list[Job]:
        return [job for job in self.jobs if job.active]

    def recent(self, count: int = 10) -> list[Job]:
        return list(reversed(self.jobs[-count:]))

    def _work(self):
        while True:
            job = self._queue.get()
            if job.status == "queued":
                self._run(job)

    def _run(self, job: Job):
        job.status = "running"
        spec = job.spec
        try:
            dataset = data.load_dataset(spec.dataset, seed=spec.config.seed)
            report = lambda progress: setattr(job, "progress", progress)  # noqa: E731  (one attribute write)
            autoencoder = training.train(spec.family, dataset, spec.latent_dim, spec.options, spec.config, report, job.cancel)
            job.model_name = store.ModelStore(self.store_root).save(autoencoder, spec.name).name
            job.status = "done"
        except TrainingCancelled as error:
            job.status, job.message = "cancelled", str(error)
        except AecoreError as error:
            job.status, job.message = "failed", str(error)
        except Exception as error:  # noqa: BLE001  the worker must survive anything a job does
            job.status, job.message = "failed", f"unexpected {type(error).__name__}: {error}"
            traceback.print_exc()
        finally:
            job.finished = time.time()


QUICK_START = [  # trains in well under a minute in all on 2 cores (measured on digits and Fashion-MNIST)
    ("conv", 16, {}, dict(epochs=8, max_train_images=6000)),
    ("vae", 2, {}, dict(epochs=10, max_train_images=6000)),
    ("denoising", 16, {"noise_level": 0.4}, dict(epochs=8, max_train_images=6000)),
    ("dense", 32, {}, dict(epochs=10, max_train_images=6000)),
]


def quick_start_specs(dataset: str, train_images: int) -> list[JobSpec]:
    """A small set of models that makes every page useful; larger models are one form away.

    On a small dataset (digits, ~1,350 training images) few epochs give too few steps: smaller batches
    and 25 epochs give ~500 steps each, about 10 s per model on 2 idle cores.
    """
    specs = []
    for family, latent, options, settings in QUICK_START:
        settings = dict(settings)
        if train_images < settings["max_train_images"]:
            settings.update(epochs=25, batch_size=64)
        specs.append(JobSpec(family, dataset, latent, options, training.TrainConfig(**settings), name=f"quick-{family}-{latent}"))
    return specs
