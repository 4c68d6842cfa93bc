"""`list`, `evaluate`, `denoise`, `export`, `import`, `rename`, `delete`: the commands on stored models."""

import json
import sys
from pathlib import Path

from aecore.errors import AecoreError


def command_list(arguments):
    from aecore.store import modelstore

    entries, problems = modelstore.ModelStore(arguments.store).scan()
    if not entries and not problems:
        print(f"no models in {modelstore.store_root(arguments.store)}; train one with `python -m aecore train`")
    for entry in entries:
        meta = entry.meta
        bce = meta.get("metrics", {}).get("test_bce")
        print(f"{entry.name:32} {meta['family']:12} {meta.get('dataset')!s:16} latent {meta.get('latent_dim')}"
              f"{f'  test BCE {bce:.4f}' if bce is not None else ''}  "
              f"{'shipped with aecore (read-only)' if meta.get('shipped') else meta.get('created', '')}")
    for problem in problems:
        print(f"skipped {problem.name}: {problem.reason}", file=sys.stderr)


def _model_and_data(arguments):
    """The model and the dataset asked for, else its own (trained or scored on), else the default one."""
    from aecore.data import catalog
    from aecore.store import modelstore
    from aecore.training import cards

    autoencoder = modelstore.ModelStore(arguments.store).load(arguments.name)
    if arguments.dataset:
        return autoencoder, catalog.load_dataset(arguments.dataset)
    own = cards.own_dataset(autoencoder.meta)
    if own is None:
        return autoencoder, catalog.load_dataset(catalog.default_dataset_name())
    try:
        return autoencoder, catalog.load_dataset(own)
    except AecoreError as error:
        raise AecoreError(f"{arguments.name!r} belongs to the dataset {own!r}, which cannot be loaded here ({error}); "
                          "give another with --dataset NAME") from None


def command_evaluate(arguments):
    from aecore.analysis import metrics, probes
    from aecore.store import probecache
    from aecore.training import cards

    autoencoder, dataset = _model_and_data(arguments)
    if autoencoder.family == "photo" and _task(autoencoder) != "denoise":
        print(json.dumps(_restore_scores(arguments.name, autoencoder, dataset)))
        return
    if autoencoder.family == "photo":  # photos of any size: held-out PSNR at sigma 25
        from aecore.training import phototraining

        scores = phototraining.held_out_psnr(autoencoder, dataset.test)
        print(json.dumps({"name": arguments.name, "family": "photo", "dataset": dataset.name,
                          "params": autoencoder.count_params(), **{f"test_{key}_sigma25": value for key, value in scores.items()}}))
        return
    summary = metrics.summarize(dataset.x_test, autoencoder.reconstruct(dataset.x_test))
    found = {**(probes.code_probes(autoencoder, dataset) or {}),
             **(probecache.baselines(dataset, int(autoencoder.latent_dim), arguments.store) or {})}
    print(json.dumps({"name": arguments.name, "family": autoencoder.family, "dataset": dataset.name,
                      "own_dataset": cards.is_own_dataset(autoencoder.meta, dataset.name),
                      "latent_dim": autoencoder.latent_dim, "params": autoencoder.count_params(),
                      **{f"test_{key}": value for key, value in summary.items()}, **found}))


def _task(autoencoder) -> str:
    from aecore.photo import tasks

    return tasks.task_of(autoencoder.options)


# what a restore model's input and classical anchor are called in evaluate's JSON line
RESTORE_NAMES = {"colourise": ("grey", "mean_colour"), "unwatermark": ("watermarked", "oracle_inpainting")}


def _restore_scores(name: str, autoencoder, dataset) -> dict:
    """A colourise or unwatermark model scored on its own task: PSNR against the clean photo of the task's input
    (grey; watermarked in fonts and words the training never used), of ours and of the classical anchor (the
    dataset's mean colour; biharmonic inpainting told where the watermark is), on the held-out photos or images."""
    from aecore.photo import restoring
    from aecore.training import phototraining

    task = _task(autoencoder)
    held_out = phototraining.task_dataset(dataset, task)
    chroma = phototraining.dataset_mean_chroma(held_out) if task == "colourise" else None
    scores = restoring.held_out_scores(autoencoder, task, held_out.test, anchors=True, mean_chroma=chroma)
    damaged, anchor = RESTORE_NAMES[task]
    line = {"name": name, "family": "photo", "task": task, "dataset": dataset.name,
            "params": autoencoder.count_params(),
            "held_out": scores["images"], f"test_psnr_{damaged}": scores["psnr_damaged"], "test_psnr": scores["psnr"],
            f"test_psnr_{anchor}": scores["psnr_anchor"], "test_gain_db": scores["psnr"] - scores["psnr_damaged"]}
    if "colourfulness_ratio" in scores:
        line["test_colourfulness_ratio"] = scores["colourfulness_ratio"]
    return line


def command_timeline(arguments):
    from aecore.analysis import timeline
    from aecore.store import modelstore

    found = modelstore.ModelStore(arguments.store).snapshots(arguments.name)
    if found is None or len(found["epochs"]) == 0:
        raise AecoreError(f"{arguments.name!r} has no training snapshots: it was imported, trained with --snapshots off, "
                          "or trained before snapshots existed; train it again to see its timeline")
    paths = timeline.write_frames(found, arguments.out)
    moves = timeline.median_moves(timeline.aligned_maps(found["codes"].astype("float32")))
    print(json.dumps({"name": arguments.name, "frames": len(paths), "out": arguments.out,
                      "gif": str(Path(arguments.out) / "timeline.gif"), "points": int(found["codes"].shape[1]),
                      "epochs": [round(float(epoch), 3) for epoch in found["epochs"]],
                      "median_move": round(float(moves.mean()), 4) if len(moves) else None}))


def command_anomaly(arguments):
    from aecore.analysis import anomaly

    autoencoder, dataset = _model_and_data(arguments)
    if getattr(dataset, "is_series", False):
        return _series_anomaly(arguments, autoencoder, dataset)
    if arguments.scores_out:
        raise AecoreError(f"--scores-out writes one score per time step, and {dataset.name!r} is not a time series; "
                          "leave it out for images")
    if dataset.y_test is None:
        raise AecoreError(f"{dataset.name!r} has no labels, so no class can be rare; use a labelled dataset")
    rare = anomaly.rare_class(autoencoder.meta, arguments.rare, dataset)
    found = {name: detection.summary() for name, detection in anomaly.detect_all(
        autoencoder, dataset, rare, metric=arguments.code_metric, neighbours=arguments.neighbours).items()}
    pca = anomaly.detect_with_pca(dataset, rare, int(autoencoder.latent_dim)).summary()
    found["code_distance"] |= {"metric": arguments.code_metric, "k": arguments.neighbours}
    print(json.dumps({"name": arguments.name, "dataset": dataset.name, "rare": rare,
                      "trained_without_rare": autoencoder.meta.get("excluded_class") == rare,
                      "test_images": len(dataset.x_test), "rare_images": int((dataset.y_test == rare).sum()),
                      **found.pop("reconstruction"), "pca": pca, **found}))


def _series_anomaly(arguments, autoencoder, dataset):
    """A series: every time step scored from the windows covering it; point-wise and event-level figures."""
    from aecore.analysis import serieseval

    if autoencoder.input_shape != dataset.input_shape:
        raise AecoreError(f"model {arguments.name!r} takes windows of shape {autoencoder.input_shape}, and "
                          f"{dataset.name!r} has {dataset.input_shape}: train a model on this series")
    scores = serieseval.step_scores(autoencoder, dataset)
    if arguments.scores_out:
        Path(arguments.scores_out).write_text(serieseval.scores_csv(dataset, scores))
    code_distance = serieseval.evaluate(serieseval.code_step_scores(autoencoder, dataset), dataset)
    print(json.dumps({"name": arguments.name, "dataset": dataset.name, "series": True, "steps": len(scores),
                      "window": dataset.window, "channels": dataset.channels, **serieseval.evaluate(scores, dataset),
                      "code_distance": code_distance, "scores_out": arguments.scores_out}))


def command_denoise(arguments):
    from aecore.errors import ImageError
    from aecore.photo import denoising
    from aecore.store import modelstore

    if len(arguments.name_and_image) > 2:
        raise ImageError(f"denoise takes a model name and one image, or just the image; got {arguments.name_and_image}")
    if not arguments.out and not arguments.compare:
        raise ImageError("say where to write the result: --out FILE (the denoised image) and/or --compare FILE (a strip)")
    store = modelstore.ModelStore(arguments.store)
    *name, image = arguments.name_and_image
    name = name[0] if name else denoising.default_photo_model(store)
    autoencoder = store.load(name)
    level = arguments.noise_level if arguments.noise_level is not None else (0.0 if autoencoder.family == "photo" else 0.5)
    chroma = arguments.chroma or (denoising.PHOTO_CHROMA if autoencoder.family == "photo" else "rgb")
    result = denoising.denoise_file(autoencoder, image, arguments.noise, level, arguments.seed,
                                    ensemble=arguments.ensemble, chroma=chroma)
    for path, pixels in ((arguments.out, result.denoised), (arguments.compare, denoising.comparison_strip(result))):
        if path:
            denoising.write_image(path, pixels)
    height, width, channels = result.denoised.shape
    print(json.dumps({"model": name, "out": arguments.out, "compare": arguments.compare, "width": width, "height": height,
                      "mode": "L" if channels == 1 else "RGB", "full_size": result.full_size,
                      "seconds": round(result.seconds, 3), "ensemble": arguments.ensemble,
                      "chroma": chroma, **result.scores(),
                      "notes": result.notes}))


def command_export(arguments):
    from aecore.analysis import projections

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
    from aecore.cli import dataset_commands
    from aecore.models import foreign
    from aecore.store import importdata, modelstore, serialization

    settings = foreign.ImportSettings(arguments.bottleneck, foreign.parse_image_shape(arguments.image_shape),
                                      arguments.value_range)
    data = importdata.ImportData(arguments.dataset, arguments.dataset_name, progress=dataset_commands.progress_bar())
    entry = serialization.import_model(arguments.file, modelstore.ModelStore(arguments.store), arguments.name,
                                       arguments.decoder, settings, data)
    meta = entry.meta
    added = meta.get("dataset_added")
    if added:
        print(f"{meta['dataset']}: {'the dataset made from ' if added['reused'] else 'your new dataset, from '}"
              f"{added['file']}", file=sys.stderr)
    print(json.dumps({"name": entry.name, "family": meta["family"], "input_shape": meta["input_shape"],
                      "bottleneck": meta["imported"]["bottleneck"], "code_shape": meta["code_shape"],
                      "dataset": meta["dataset"], "dataset_added": added, **meta["metrics"]}))


def command_rename(arguments):
    from aecore.store import modelstore

    print(modelstore.ModelStore(arguments.store).rename(arguments.name, arguments.new_name).name)


def command_delete(arguments):
    from aecore.store import modelstore

    modelstore.ModelStore(arguments.store).delete(arguments.name)
    print(f"deleted {arguments.name}")


