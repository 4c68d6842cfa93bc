"""The dashboard's view of the training jobs in the store's jobs folder (aecore.training.jobs does the work).

Each job is its own niced process, so a training never holds the server's interpreter, a click anywhere
cannot kill it, and a server restart finds it still running (or finished) in the folder. Every browser
session and `python -m aecore train` share the same folder, so they all see the same jobs and queue.
"""

import dataclasses
import math
import os
import time

import streamlit as st

from aecore.training import jobs, loop  # the job records, without Keras: Home and Train import this
from aecore.training.jobs import Job, JobSpec
from dashboard.state import roles

LAUNCH_EVERY = 2.0  # seconds between checks that queued jobs have a worker (after a restart, a crash)


class JobRunner:
    """Submit, list and stop jobs; cheap to call on every rerun (it reads a few small JSON files)."""

    def __init__(self, store_root=None):
        self.store_root = store_root  # None: $AECORE_STORE, resolved on each call (tests switch stores)
        self._launched = self._stood_by = 0.0

    @property
    def folder(self):
        return jobs.jobs_folder(self.store_root)

    @property
    def max_jobs(self) -> int:
        return jobs.max_jobs()

    @property
    def jobs(self) -> list[Job]:
        """Every job, oldest first; starts workers for queued jobs nobody is running (e.g. after a restart)."""
        folder = self.folder
        if not folder.is_dir():
            return []
        if time.monotonic() - self._launched > LAUNCH_EVERY:
            self._launched = time.monotonic()
            jobs.launch_workers(folder)
        return jobs.list_jobs(folder)

    def submit(self, spec: JobSpec, visitor: roles.Visitor, workers: int | None = None) -> Job:
        """Queues `spec` for `visitor`: the owner always; a viewer only where viewers may train, within their
        share of the queue, and the job is marked theirs. `workers`: as `jobs.submit`."""
        if not visitor.is_owner:
            if not roles.viewers_train():
                visitor.require_owner("train models")
            mine = [job for job in self.active_jobs() if job.spec.submitted_by == visitor.session]
            if len(mine) >= roles.viewer_job_limit():
                raise roles.NotAllowed(f"you have {len(mine)} training(s) queued or running, the most a viewer may have "
                                       "at once here; wait for it to finish or stop it")
            spec = dataclasses.replace(spec, submitted_by=visitor.session)
        return jobs.submit(self.folder, spec, workers)

    def cancel(self, job_id: str, visitor: roles.Visitor):
        """Stop: the owner stops any job, a viewer only their own."""
        if not visitor.is_owner:
            job = next((job for job in self.jobs if job.id == job_id), None)
            if job is None or job.spec.submitted_by != visitor.session:
                visitor.require_owner("stop other people's trainings")
        jobs.cancel(self.folder, job_id)

    def may_stop(self, job: Job, visitor: roles.Visitor) -> bool:
        return visitor.is_owner or job.spec.submitted_by == visitor.session

    def stand_by(self, dataset: str):
        """Has a worker load TensorFlow and `dataset` and wait for a job (aecore.training.jobs.launch_standby), so a
        training started soon (the quick start) does not wait for them; at most once every LAUNCH_EVERY seconds."""
        if time.monotonic() - self._stood_by > LAUNCH_EVERY:
            self._stood_by = time.monotonic()
            jobs.launch_standby(self.folder, dataset)

    def active_jobs(self) -> list[Job]:
        return [job for job in self.jobs if job.active]

    def recent(self, count: int = 10) -> list[Job]:
        return list(reversed(self.jobs[-count:]))


MINE = "aecore_my_jobs"  # session state: ids of the jobs this session submitted, for its own notices


def remember(job: Job) -> Job:
    """Marks `job` as this session's: its "Saved ..." notice shows here, and nowhere else."""
    st.session_state.setdefault(MINE, []).append(job.id)
    return job


def is_mine(job: Job) -> bool:
    return job.id in st.session_state.get(MINE, ())


QUICK_PREFIX = "quick-"  # the quick start's models: quick-conv-32, quick-vae-2, ...


def quick_jobs(jobs_now: list[Job]) -> list[Job]:
    return [job for job in jobs_now if job.spec.name and job.spec.name.startswith(QUICK_PREFIX)]


def status_line(jobs_now: list[Job]) -> tuple[float, str] | None:
    """(fraction, text) of what is training now, the one sentence the Home page and the sidebar both show, or
    None when nothing is. A running quick start speaks for all its models: "Training conv (1 of 4): 10% of the
    quick start"; once a model's steps are over, it says that the model is being scored and saved."""
    quick = quick_jobs(jobs_now)
    if any(job.active for job in quick):
        return _quick_line(quick)
    job = next((job for job in jobs_now if job.status == "running"), None) or \
        next((job for job in jobs_now if job.active), None)
    if job is None:
        return None
    progress = job.progress if job.status == "running" else None
    if progress is None:
        return 0.0, f"Training {job.spec.family}: starting…"
    step = "scoring and saving" if progress.fraction >= 1 else f"{progress.fraction:.0%}"
    return progress.fraction, f"Training {job.spec.family}: {step}"


def _quick_line(quick: list[Job]) -> tuple[float, str]:
    """Its models train two at a time on two cores: "Training dense and conv (1 and 2 of 4): 30% of the quick start"."""
    done = sum(not job.active for job in quick)
    running = [job for job in quick if job.status == "running"]
    fractions = [min(progress.fraction, 1.0) for job in running if (progress := job.progress)]
    fraction = (done + sum(fractions)) / len(quick)
    if not running:
        return fraction, f"Quick start: starting ({done} of {len(quick)} done)…"
    families = " and ".join(job.spec.family for job in running)
    places = " and ".join(str(done + place) for place in range(1, len(running) + 1))
    if len(fractions) == len(running) and min(fractions) >= 1:
        step = "scoring and saving " + ("it" if len(running) == 1 else "them")
    else:
        step = f"{fraction:.0%} of the quick start"
    return fraction, f"Training {families} ({places} of {len(quick)}): {step}"


QUICK_START = [  # ~45 s in all on 2 idle cores for Fashion-MNIST (bench/RESULTS.md, "Quick start")
    # One pass over many images with a short cosine schedule beat many passes over 6,000 images at the same
    # cost (conv: 18.8 dB against 18.2 dB; dense: 17.8 dB against 15.9 dB test PSNR).
    ("conv", 32, {}, {"epochs": 1, "max_train_images": 36000, "batch_size": 64, "learning_rate": 3e-3,
                      "schedule": "cosine"}),
    ("vae", 2, {}, {"epochs": 4, "max_train_images": 20000, "batch_size": 128, "learning_rate": 3e-3,
                    "schedule": "cosine"}),
    # The denoiser starts from the quick conv model's weights (same layers; from scratch if it is missing).
    ("denoising", 32, {"noise_level": 0.4}, {"epochs": 1, "max_train_images": 28000, "batch_size": 64,
                                             "learning_rate": 2e-3, "schedule": "cosine",
                                             "warm_start": "quick-conv-32"}),
    ("dense", 32, {}, {"epochs": 2, "max_train_images": 54000, "batch_size": 128, "learning_rate": 4e-3,
                       "schedule": "cosine"}),
]
# Queued first: the fastest model (7 s of training against conv's 13 s), so every page has a model within 15 s of the
# click (#35); then the others in QUICK_START's order (the denoiser after conv, whose weights it starts from).
QUICK_START_FIRST = "dense"


def quick_start_workers() -> int:
    """How many workers share the quick start: one per idle core (each with its share of TensorFlow threads), so on an
    idle machine its models train side by side; on a busy one they go one after another in one worker, which there
    landed them sooner (bench/RESULTS.md, "The first minutes, session 16", #35)."""
    cores = os.cpu_count() or 1
    return max(1, min(cores, round(cores - os.getloadavg()[0])))


QUICK_START_FRAMES = 12  # snapshots at least: a one-epoch model's timeline shows its codes forming (5 took 2.8 s)
QUICK_START_MAX_EPOCHS = 25  # digits' ~1,350 training images: 22 batches of 64 an epoch


def quick_start_specs(dataset: str, train_images: int) -> list[JobSpec]:
    """A small set of models that makes every page useful; larger models are one form away.

    Each recipe is a number of training steps (its epochs over its images on Fashion-MNIST, ~500-650). A smaller
    dataset gets batches of 64 and as many epochs as give about the same steps, at most QUICK_START_MAX_EPOCHS:
    digits (~1,350 images) 25 epochs, about 10 s per model on 2 idle cores; a 16,667-image set of your own 2 or 3.
    """
    specs = []
    for family, latent, options, settings in QUICK_START:
        settings = dict(settings)
        if train_images < settings["max_train_images"]:
            steps = settings["epochs"] * math.ceil(settings["max_train_images"] / settings["batch_size"])
            epochs = round(steps / math.ceil(train_images / 64))
            settings.update(epochs=max(1, min(QUICK_START_MAX_EPOCHS, epochs)), batch_size=64)
        settings["snapshot_frames"] = QUICK_START_FRAMES
        specs.append(JobSpec(family, dataset, latent, options, loop.TrainConfig(**settings),
                             name=f"{QUICK_PREFIX}{family}-{latent}"))
    return specs


def quick_start_queue(dataset: str, train_images: int) -> list[JobSpec]:
    """The quick start's jobs in the order Home queues them: QUICK_START_FIRST, then the rest of quick_start_specs."""
    return sorted(quick_start_specs(dataset, train_images), key=lambda spec: spec.family != QUICK_START_FIRST)
