"""`restore`: colourise a photo or remove its watermark at full size, with the shipped models or the store's own."""

import argparse
import json

from aecore.errors import ImageError


def add_restore_parser(commands, store: argparse.ArgumentParser):
    restore = commands.add_parser("restore", parents=[store], help="colourise a photo or remove its watermark")
    restore.add_argument("image", help="the photo (.png, .jpg, ...): a colour photo is made grey first for colourise")
    restore.add_argument("--task", required=True, choices=["colourise", "unwatermark"])
    restore.add_argument("--model", help="a stored photo model trained for the task (default: the shipped photo-TASK)")
    restore.add_argument("--out", help="the restored photo (.png, .jpg, .webp, .bmp), full size")
    restore.add_argument("--compare", help="PNG file: [original |] input | restored side by side")
    restore.add_argument("--strength", type=float, default=1.0,
                         help="colourise: colour strength, 0 (grey) to 4; 1 is the model's own colour")
    restore.add_argument("--add-watermark", metavar="TEXT",
                         help="unwatermark: tile TEXT over the photo first (half opacity), so the result can be scored")


def command_restore(arguments):
    from aecore.photo import denoising, restoring
    from aecore.store import modelstore

    if not arguments.out and not arguments.compare:
        raise ImageError("say where to write the result: --out FILE (the restored photo) and/or --compare FILE (a strip)")
    if arguments.add_watermark and arguments.task != "unwatermark":
        raise ImageError("--add-watermark goes with --task unwatermark")
    store = modelstore.ModelStore(arguments.store)
    name = arguments.model or restoring.default_restore_model(store, arguments.task)
    autoencoder = store.load(name)
    result = restoring.restore_file(autoencoder, arguments.image, arguments.task, arguments.strength,
                                    arguments.add_watermark)
    for path, pixels in ((arguments.out, result.restored), (arguments.compare, restoring.comparison_strip(result))):
        if path:
            denoising.write_image(path, pixels)
    height, width = result.restored.shape[:2]
    print(json.dumps({"task": arguments.task, "model": name, "out": arguments.out, "compare": arguments.compare,
                      "width": width, "height": height, "seconds": round(result.seconds, 3), **result.scores(),
                      "notes": result.notes}))
