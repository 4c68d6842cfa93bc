"""`families`, `train` and `jobs`: what there is to train with, and training itself (`datasets` is in
dataset_commands)."""

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from aecore.errors import AecoreError


def family_option_flags() -> dict[str, type]:
    """Every family option as one flag (--noise-level, --widths ...), with the type of its default."""
    from aecore.models.families import FAMILIES

    flags = {}
    for family in FAMILIES.values():
        for option in dataclasses.fields(family.options):
            flags[option.name] = type(option.default)
    return flags


def parse_option(kind: type, text: str, flag: str = "the option"):
    if kind is tuple:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    if kind is bool:  # bool("False") is True: read the word
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.strip().lower() not in words:
            raise AecoreError(f"{flag} takes true or false; got {text!r}")
        return words[text.strip().lower()]
    return kind(text)


def progress_printer(stream=sys.stderr, interval: float = 0.25):
    last = [0.0]

    def report(progress):
        now = time.monotonic()
        if progress.phase == "batch" and now - last[0] < interval:
            return
        last[0] = now
        filled = int(progress.fraction * 30)
        losses = " ".join(f"{key} {value:.4f}" for key, value in progress.logs.items() if "loss" in key)
        eta = f"ETA {progress.eta:4.0f}s" if progress.eta is not None else ""
        stream.write(f"\repoch {progress.epoch}/{progress.epochs} [{'#' * filled}{'.' * (30 - filled)}] "
                     f"{progress.fraction:4.0%} {losses} {eta}\x1b[K")
        if progress.phase == "epoch":
            stream.write("\n")
        stream.flush()

    return report


def command_families(arguments):
    from aecore.models.families import FAMILIES, RECOMMENDED_FAMILY

    for family in FAMILIES.values():
        options = ", ".join(f"--{field.name.replace('_', '-')}={field.default}" for field in dataclasses.fields(family.options))
        star = " (recommended)" if family.name == RECOMMENDED_FAMILY else ""
        print(f"{family.name:12} {family.summary}{star}\n{'':12} latent {family.latent_dim}, {family.epochs} epochs, "
              f"batch {family.batch_size}, lr {family.learning_rate:g}{'; ' + options if options else ''}")


def command_train(arguments):
    from aecore.training import trainer

    if trainer.cluster_workers() > 1 or arguments.strategy == "multiworker":
        trainer.choose_strategy(arguments.strategy)  # before any other TF op, or collectives can't be configured
    from aecore.data import catalog
    from aecore.models import families
    from aecore.training import jobs

    family = arguments.family or _default_family(arguments.dataset)
    spec = jobs.JobSpec(family, arguments.dataset or catalog.default_dataset_name(),
                        arguments.latent_dim, _train_options(arguments), _train_config(arguments), arguments.name)
    families.get_family(spec.family)
    folder = jobs.jobs_folder(arguments.store)
    if arguments.background:
        job = jobs.submit(folder, spec)
        print(json.dumps({"job": job.id, "status": job.status, "queue_position": _queue_position(folder, job.id),
                          "folder": str(job.path)}))
        return
    report = None if arguments.quiet else progress_printer()
    outcome = _train_here(folder, spec, arguments.store, report)
    if outcome["status"] != "done":
        from aecore.errors import TrainingCancelled, TrainingError

        raise (TrainingCancelled if outcome["status"] == "cancelled" else TrainingError)(outcome["message"])
    meta = outcome["meta"]
    print(json.dumps({"name": outcome.get("model_name"), "family": spec.family, "dataset": meta["dataset"],
                      "latent_dim": meta["latent_dim"], "params": meta["params"], "train_seconds": meta["train_seconds"],
                      "epochs_run": meta["epochs_run"], **meta["metrics"],
                      "store": str(jobs.jobs_folder(arguments.store).parent) if outcome.get("model_name") else None}))


def _default_family(dataset: str | None) -> str:
    """The series family for one of your series, else the family for the dataset's kind (photos or images)."""
    from aecore.data import owndata
    from aecore.models import families

    return families.SERIES_FAMILY if dataset and owndata.is_series(dataset) else families.default_family(dataset)


def _train_options(arguments) -> dict:
    kinds = family_option_flags()
    return {name: parse_option(kinds[name], getattr(arguments, f"option_{name}"), f"--{name.replace('_', '-')}")
            for name in kinds if getattr(arguments, f"option_{name}") is not None}


def _train_config(arguments):
    from aecore.training import trainer

    return trainer.TrainConfig(
        epochs=arguments.epochs, batch_size=arguments.batch_size, learning_rate=arguments.learning_rate,
        seed=arguments.seed, validation_split=arguments.validation_split, patience=arguments.patience, schedule=arguments.schedule,
        max_train_images=arguments.max_train_images, strategy=arguments.strategy, exclude_class=arguments.exclude_class,
        snapshots=arguments.snapshots)


def _train_here(folder, spec, store_root, report) -> dict:
    """Trains in this process as a job the dashboard can watch and stop. In a multi-worker run only the
    chief records the job and saves; the other workers train in step and write nothing."""
    import tempfile

    from aecore.training import jobs, trainer, worker

    if not trainer.is_chief():
        with tempfile.TemporaryDirectory(prefix="aecore-worker-") as scratch:
            return worker.run(jobs.create(Path(scratch), spec), store_root, report, save=False)
    job = jobs.create(folder, spec, running_pid=os.getpid())
    jobs.register_worker(folder, os.getpid())  # counts against AECORE_MAX_JOBS while it runs
    try:
        return worker.run(job, store_root, report)
    finally:
        jobs.unregister_worker(folder, os.getpid())


def _queue_position(folder, job_id) -> int | None:
    from aecore.training import jobs

    return next((job.position for job in jobs.list_jobs(folder) if job.id == job_id), None)


def command_jobs(arguments):
    from aecore.training import jobs, worker

    folder = jobs.jobs_folder(arguments.store)
    if arguments.work:
        return worker.work(folder)
    if arguments.cancel:
        jobs.cancel(folder, arguments.cancel)
    jobs.launch_workers(folder)
    listed = jobs.list_jobs(folder)
    if not listed:
        print(f"no jobs in {folder}; start one with `python -m aecore train --background`")
    for job in listed:
        progress, status = job.progress, job.status
        where = f"#{job.position} in the queue" if status == "queued" else f"{progress.fraction:.0%}" if progress and status == "running" else ""
        print(f"{job.id:22} {status:9} {job.spec.family:10} {job.spec.dataset:14} {where} {job.model_name or job.message}".rstrip())


