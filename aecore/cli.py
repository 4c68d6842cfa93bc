"""`python -m aecore`: datasets, families, train, list, evaluate, denoise, export, import, rename, delete.

Results go to stdout (the last line of `train` and `evaluate` is one JSON object); progress and
errors go to stderr; an error is one line and a non-zero exit, never a traceback from inside Keras.
"""

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from aecore.errors import AecoreError


def _family_option_flags() -> dict[str, type]:
    """Every family option as one flag (--noise-level, --widths ...), with the type of its default."""
    from aecore.families import FAMILIES

    flags = {}
    for family in FAMILIES.values():
        for option in dataclasses.fields(family.options):
            flags[option.name] = type(option.default)
    return flags


def _parse_option(kind: type, text: str):
    if kind is tuple:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    return kind(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aecore", description="Train, store and explore autoencoders.")
    commands = parser.add_subparsers(dest="command", required=True)
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", help="model store folder (default: $AECORE_STORE or ./models)")
    commands.add_parser("datasets", help="the datasets and where each comes from")
    commands.add_parser("families", help="the model families and their options")
    train = commands.add_parser("train", parents=[store], help="train a model and save it in the store")
    train.add_argument("--family", help="model family (default: conv, what we recommend to a newcomer)")
    train.add_argument("--dataset", help="a dataset name or a path to .npz, an IDX folder, an image folder or .zip")
    train.add_argument("--latent-dim", type=int)
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--name")
    train.add_argument("--max-train-images", type=int, help="train on the first N images only")
    train.add_argument("--validation-split", type=float, default=0.1)
    train.add_argument("--patience", type=int, default=3, help="early stopping patience in epochs (0 = off)")
    train.add_argument("--schedule", default="constant", help="learning rate: constant, or cosine (decays over the epochs)")
    train.add_argument("--strategy", default="auto", help="tf.distribute strategy: auto, default, mirrored, multiworker")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--background", action="store_true",
                       help="queue it as a job (the dashboard shows it; AECORE_MAX_JOBS run at once) and return")
    for name, kind in _family_option_flags().items():
        train.add_argument(f"--{name.replace('_', '-')}", dest=f"option_{name}", metavar=kind.__name__.upper(),
                           help="family option (see `families`)" + (", comma-separated" if kind is tuple else ""))
    jobs = commands.add_parser("jobs", parents=[store], help="the training jobs: queued, running and recent")
    jobs.add_argument("--cancel", metavar="JOB", help="stop a queued or running job")
    jobs.add_argument("--work", action="store_true", help="be a worker: train queued jobs until none is left")
    commands.add_parser("list", parents=[store], help="the models in the store")
    evaluate = commands.add_parser("evaluate", parents=[store], help="test metrics of a stored model")
    evaluate.add_argument("name")
    evaluate.add_argument("--dataset", help="default: the dataset the model was trained on")
    denoise = commands.add_parser("denoise", parents=[store], help="denoise an image (optionally adding noise first)")
    denoise.add_argument("name")
    denoise.add_argument("image")
    denoise.add_argument("--noise-level", type=float, default=0.5, help="noise added first (0: denoise the file as it is)")
    denoise.add_argument("--noise", default="gaussian", help="gaussian, salt_and_pepper or masking")
    denoise.add_argument("--seed", type=int, default=0)
    denoise.add_argument("--out", help="the denoised image alone (.png, .jpg, .webp, .bmp): a photo model keeps the "
                                       "file's size and grey/colour; a 28x28 model writes its own 28x28 output")
    denoise.add_argument("--compare", help="PNG file: clean | noisy | denoised side by side")
    export = commands.add_parser("export", parents=[store], help="codes CSV and a TensorFlow Projector bundle")
    export.add_argument("name")
    export.add_argument("--dataset", help="default: the dataset the model was trained on")
    export.add_argument("--limit", type=int, default=5000, help="number of test images")
    export.add_argument("--out", required=True, help="folder to write codes.csv and projector.zip into")
    importer = commands.add_parser("import", parents=[store], help="import a .keras autoencoder (inspected, then split)")
    importer.add_argument("file", help="the whole autoencoder, or its encoder when --decoder is given")
    importer.add_argument("--decoder", help="the decoder as a second .keras file")
    importer.add_argument("--name")
    importer.add_argument("--bottleneck", metavar="LAYER", help="layer whose output is the code (default: the narrowest)")
    importer.add_argument("--image-shape", metavar="H,W,C", help="how to show a flat model's vectors (default: 784 -> 28,28,1)")
    importer.add_argument("--value-range", default="0-1", help="pixels the model was trained on: 0-1, 0-255 or -1-1")
    importer.add_argument("--dataset", help="dataset for its test metrics (default: the first of its image size)")
    rename = commands.add_parser("rename", parents=[store], help="rename a stored model")
    rename.add_argument("name")
    rename.add_argument("new_name")
    delete = commands.add_parser("delete", parents=[store], help="delete a stored model")
    delete.add_argument("name")
    return parser


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


def command_datasets(arguments):
    from aecore import data

    default = data.default_dataset_name()
    for info in data.list_datasets() + data.photo_datasets():
        mark = "available" if info.available else "missing"
        print(f"{info.name:14} {mark:9} {'(default) ' if info.name == default else ''}{info.description} <- {info.source}")


def command_families(arguments):
    from aecore.families import FAMILIES, RECOMMENDED_FAMILY

    for family in FAMILIES.values():
        options = ", ".join(f"--{field.name.replace('_', '-')}={field.default}" for field in dataclasses.fields(family.options))
        star = " (recommended)" if family.name == RECOMMENDED_FAMILY else ""
        print(f"{family.name:12} {family.summary}{star}\n{'':12} latent {family.latent_dim}, {family.epochs} epochs, "
              f"batch {family.batch_size}, lr {family.learning_rate:g}{'; ' + options if options else ''}")


def command_train(arguments):
    from aecore import training

    if training.cluster_workers() > 1 or arguments.strategy == "multiworker":
        training.choose_strategy(arguments.strategy)  # before any other TF op, or collectives can't be configured
    from aecore import data, families, jobs

    spec = jobs.JobSpec(arguments.family or families.default_family(arguments.dataset), arguments.dataset or data.default_dataset_name(),
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


def _train_options(arguments) -> dict:
    kinds = _family_option_flags()
    return {name: _parse_option(kinds[name], getattr(arguments, f"option_{name}"))
            for name in kinds if getattr(arguments, f"option_{name}") is not None}


def _train_config(arguments):
    from aecore import training

    return training.TrainConfig(
        epochs=arguments.epochs, batch_size=arguments.batch_size, learning_rate=arguments.learning_rate,
        seed=arguments.seed, validation_split=arguments.validation_split, patience=arguments.patience, schedule=arguments.schedule,
        max_train_images=arguments.max_train_images, strategy=arguments.strategy)


def _train_here(folder, spec, store_root, report) -> dict:
    """Trains in this process as a job the dashboard can watch and stop. In a multi-worker run only the
    chief records the job and saves; the other workers train in step and write nothing."""
    import tempfile

    from aecore import jobs, training

    if not training.is_chief():
        with tempfile.TemporaryDirectory(prefix="aecore-worker-") as scratch:
            return jobs.run(jobs.create(Path(scratch), spec), store_root, report, save=False)
    job = jobs.create(folder, spec, running_pid=os.getpid())
    jobs.register_worker(folder, os.getpid())  # counts against AECORE_MAX_JOBS while it runs
    try:
        return jobs.run(job, store_root, report)
    finally:
        jobs.unregister_worker(folder, os.getpid())


def _queue_position(folder, job_id) -> int | None:
    from aecore import jobs

    return next((job.position for job in jobs.list_jobs(folder) if job.id == job_id), None)


def command_jobs(arguments):
    from aecore import jobs

    folder = jobs.jobs_folder(arguments.store)
    if arguments.work:
        return jobs.work(folder)
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


def command_list(arguments):
    from aecore import store

    entries, problems = store.ModelStore(arguments.store).scan()
    if not entries and not problems:
        print(f"no models in {store.store_root(arguments.store)}; train one with `python -m aecore train`")
    for entry in entries:
        meta = entry.meta
        bce = meta.get("metrics", {}).get("test_bce")
        print(f"{entry.name:32} {meta['family']:12} {str(meta.get('dataset')):16} latent {meta.get('latent_dim')}"
              f"{f'  test BCE {bce:.4f}' if bce is not None else ''}  {meta.get('created', '')}")
    for problem in problems:
        print(f"skipped {problem.name}: {problem.reason}", file=sys.stderr)


def _model_and_data(arguments):
    from aecore import data, store

    autoencoder = store.ModelStore(arguments.store).load(arguments.name)
    name = arguments.dataset or autoencoder.meta.get("dataset")
    if not name or name == "imported":
        name = data.default_dataset_name()
    return autoencoder, data.load_dataset(name)


def command_evaluate(arguments):
    from aecore import metrics

    autoencoder, dataset = _model_and_data(arguments)
    if autoencoder.family == "photo":  # photos of any size: held-out PSNR at sigma 25 (aecore.photos)
        from aecore import photos

        scores = photos.held_out_psnr(autoencoder, dataset.test)
        print(json.dumps({"name": arguments.name, "family": "photo", "dataset": dataset.name,
                          "params": autoencoder.count_params(), **{f"test_{key}_sigma25": value for key, value in scores.items()}}))
        return
    summary = metrics.summarize(dataset.x_test, autoencoder.reconstruct(dataset.x_test))
    print(json.dumps({"name": arguments.name, "family": autoencoder.family, "dataset": dataset.name,
                      "latent_dim": autoencoder.latent_dim, "params": autoencoder.count_params(),
                      **{f"test_{key}": value for key, value in summary.items()}}))


def command_denoise(arguments):
    from aecore import denoising, store
    from aecore.errors import ImageError

    if not arguments.out and not arguments.compare:
        raise ImageError("say where to write the result: --out FILE (the denoised image) and/or --compare FILE (a strip)")
    autoencoder = store.ModelStore(arguments.store).load(arguments.name)
    result = denoising.denoise_file(autoencoder, arguments.image, arguments.noise, arguments.noise_level, arguments.seed)
    for path, pixels in ((arguments.out, result.denoised), (arguments.compare, denoising.comparison_strip(result))):
        if path:
            denoising.write_image(path, pixels)
    height, width, channels = result.denoised.shape
    print(json.dumps({"out": arguments.out, "compare": arguments.compare, "width": width, "height": height,
                      "mode": "L" if channels == 1 else "RGB", "full_size": result.full_size,
                      "seconds": round(result.seconds, 3), **result.scores(), "notes": result.notes}))


def command_export(arguments):
    from aecore import projections

    autoencoder, dataset = _model_and_data(arguments)
    if autoencoder.family == "photo":
        raise AecoreError(f"{arguments.name!r} is a photo model: its code is a feature map the size of each photo, "
                          "so there are no per-image codes to export; export a model of a 28x28 dataset")
    pictures = dataset.x_test[: arguments.limit]
    labels = dataset.y_test[: arguments.limit] if dataset.y_test is not None else None
    codes = autoencoder.encode(pictures)
    folder = Path(arguments.out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "codes.csv").write_text(projections.codes_csv(codes, labels, dataset.class_names))
    (folder / "projector.zip").write_bytes(projections.projector_bundle(codes, pictures, labels, dataset.class_names))
    print(json.dumps({"codes": str(folder / "codes.csv"), "projector": str(folder / "projector.zip"), "count": len(codes)}))


def command_import(arguments):
    from aecore import foreign, serialization, store

    settings = foreign.ImportSettings(arguments.bottleneck, foreign.parse_image_shape(arguments.image_shape),
                                      arguments.value_range)
    entry = serialization.import_model(arguments.file, store.ModelStore(arguments.store), arguments.name,
                                       arguments.decoder, settings, arguments.dataset)
    meta = entry.meta
    print(json.dumps({"name": entry.name, "family": meta["family"], "input_shape": meta["input_shape"],
                      "bottleneck": meta["imported"]["bottleneck"], "code_shape": meta["code_shape"],
                      "dataset": meta["dataset"], **meta["metrics"]}))


def command_rename(arguments):
    from aecore import store

    print(store.ModelStore(arguments.store).rename(arguments.name, arguments.new_name).name)


def command_delete(arguments):
    from aecore import store

    store.ModelStore(arguments.store).delete(arguments.name)
    print(f"deleted {arguments.name}")


def main(argv=None) -> int:
    arguments = build_parser().parse_args(argv)
    handler = globals()[f"command_{arguments.command}"]
    try:
        handler(arguments)
    except AecoreError as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncancelled; nothing was saved", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  a user should see one line, not a Keras traceback
        if os.environ.get("AECORE_DEBUG"):
            raise
        print(f"\nerror: unexpected {type(error).__name__}: {str(error).strip()[:300]} (AECORE_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1
    return 0
