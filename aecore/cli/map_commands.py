"""`project`: a 2-D map of a whole split's codes (PCA, UMAP or t-SNE), cached in the store, written as CSV;
`place`: your own images placed on that map (aecore.analysis.placement).

The dashboard's Latent map runs this same command as its map job (`--progress-file`), so a map computed on the
page is there for the CLI and the other way round.
"""

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from aecore.errors import AecoreError

STAGES = {"encoding": (0.0, 0.15), "projecting": (0.15, 1.0)}  # each stage's part of the whole bar


def _reporter(progress_file: str | None, quiet: bool, stream=sys.stderr, interval: float = 0.25):
    """progress(stage, fraction): a bar on stderr and, when asked, the same in a JSON file (written atomically)."""
    from aecore.base import atomic

    last = {"time": 0.0}
    started = time.perf_counter()

    def report(stage: str, fraction: float):
        low, high = STAGES[stage]
        overall = low + (high - low) * max(0.0, min(1.0, fraction))
        now = time.perf_counter()
        if now - last["time"] < interval and fraction < 1.0:
            return
        last["time"] = now
        if progress_file:
            atomic.write_json(Path(progress_file), {"pid": os.getpid(), "stage": stage, "fraction": round(overall, 4),
                                                    "elapsed": round(now - started, 1)})
        if not quiet:
            filled = round(30 * overall)
            stream.write(f"\r{stage:10} [{'#' * filled}{'.' * (30 - filled)}] {overall:4.0%}  {now - started:5.0f} s")
            stream.flush()

    return report


def command_project(arguments):
    from aecore.base import atomic
    from aecore.cli.model_commands import _model_and_data
    from aecore.store import mapcache, modelstore

    report = _reporter(arguments.progress_file, arguments.quiet)
    try:
        autoencoder, dataset = _model_and_data(arguments)
        if autoencoder.family == "photo":
            raise AecoreError(f"{arguments.name!r} is a photo model: its code is a feature map the size of each photo, "
                              "so there are no per-image codes to map; pick a model of a fixed image size")
        store = modelstore.ModelStore(arguments.store)
        chosen = mapcache.split(dataset, arguments.split, with_images=arguments.projector is not None)
        cached = mapcache.cached_map(store, arguments.name, dataset.name, arguments.split, arguments.method,
                                     arguments.seed) is not None
        projection = mapcache.project(store, arguments.name, autoencoder, dataset, arguments.split, arguments.method,
                                      arguments.seed, report)
    except AecoreError as error:
        if arguments.progress_file:
            atomic.write_json(Path(arguments.progress_file), {"pid": os.getpid(), "error": str(error)})
        raise
    if not arguments.quiet:
        sys.stderr.write("\n")
    if arguments.out:
        Path(arguments.out).write_text(mapcache.points_csv(projection, chosen, dataset.class_names))
    if arguments.projector:
        from aecore.analysis import projections

        flat = mapcache.codes(store, arguments.name, autoencoder, dataset, arguments.split)
        Path(arguments.projector).write_bytes(projections.projector_bundle(flat, chosen.images, chosen.labels,
                                                                          dataset.class_names))
    result = {"name": arguments.name, "dataset": dataset.name, "split": arguments.split, "method": arguments.method,
              "points": len(projection.points), "seconds": round(projection.seconds, 2),
              "trustworthiness": round(projection.trustworthiness, 4), "cached": cached, "out": arguments.out}
    if arguments.progress_file:
        atomic.write_json(Path(arguments.progress_file), {"pid": os.getpid(), "done": True, **result})
    print(json.dumps(result))


def command_place(arguments):
    """Each image converted as the Denoise page converts uploads, encoded, and placed on the model's map of the split
    (computed and cached as `project` does): one JSON line per image; a bad image gets its line with `error`."""
    from aecore.analysis import placement
    from aecore.cli.model_commands import _model_and_data
    from aecore.store import mapcache, modelstore

    autoencoder, dataset = _model_and_data(arguments)
    if autoencoder.family == "photo" or autoencoder.is_series:
        raise AecoreError(f"{arguments.name!r} is a {autoencoder.family} model: it has no map of per-image codes to "
                          "place pictures on; pick a model of a fixed image size")
    store = modelstore.ModelStore(arguments.store)
    projection = mapcache.project(store, arguments.name, autoencoder, dataset, arguments.split, arguments.method,
                                  arguments.seed, _reporter(None, arguments.quiet))
    if not arguments.quiet:
        sys.stderr.write("\n")
    codes = mapcache.codes(store, arguments.name, autoencoder, dataset, arguments.split)
    labels = mapcache.split(dataset, arguments.split, with_images=False).labels
    placer = placement.Placer(codes, projection.points, arguments.method, arguments.seed)
    inputs, rows = _read_images(arguments.images, autoencoder.input_shape, invert=arguments.invert,
                                margin=arguments.margin)
    if inputs:
        new_codes = autoencoder.encode(np.stack([image for _, image in inputs]))
        points = placer.place(new_codes, refine=arguments.placement == "transform")
        indices, _ = placer.neighbours(new_codes)
        for number, (row, _) in enumerate(inputs):
            rows[row].update(x=round(float(points[number, 0]), 5), y=round(float(points[number, 1]), 5),
                             neighbours=[int(index) for index in indices[number]],
                             neighbour_labels=[] if labels is None else [int(labels[index]) for index in indices[number]])
    for row in rows:
        print(json.dumps(row))
    if arguments.out:
        Path(arguments.out).write_text(_placements_csv(rows))
    failed = [row for row in rows if "error" in row]
    if failed:
        raise AecoreError(f"{len(failed)} of {len(rows)} images could not be placed (see their lines' error)")


def _read_images(paths, input_shape, **conversion) -> tuple[list, list[dict]]:
    """([(row, image (h, w, c))], one dict per path): the readable images and every path's row, errors in theirs."""
    from aecore.data import images
    from aecore.errors import ImageError

    inputs, rows = [], []
    for path in paths:
        rows.append({"image": str(path)})
        try:
            inputs.append((len(rows) - 1, images.load_image_file(path, input_shape, **conversion).array))
        except ImageError as error:
            rows[-1]["error"] = str(error)
    return inputs, rows


def _placements_csv(rows: list[dict]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["image", "x", "y", "neighbours", "neighbour_labels", "error"])
    for row in rows:
        writer.writerow([row["image"], row.get("x", ""), row.get("y", ""), " ".join(map(str, row.get("neighbours", []))),
                         " ".join(map(str, row.get("neighbour_labels", []))), row.get("error", "")])
    return buffer.getvalue()
