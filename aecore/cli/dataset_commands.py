"""`datasets`: every dataset and where it comes from; `datasets add` converts the user's images into a named
dataset in the store (aecore.data.owndata), `datasets remove` deletes one."""

import json
import sys
import time


def command_datasets(arguments):
    action = getattr(arguments, "action", None)
    if action == "add":
        return _add(arguments)
    if action == "remove":
        return _remove(arguments)
    from aecore.data import catalog

    default = catalog.default_dataset_name()
    for info in catalog.list_datasets() + catalog.photo_datasets():
        mark = "available" if info.available else "missing"
        print(f"{info.name:14} {mark:9} {'(default) ' if info.name == default else ''}{info.description} <- {info.source}")


def _add(arguments):
    from aecore.data import owndata

    if str(arguments.path).lower().endswith(".csv"):
        return _add_series(arguments)
    options = owndata.ConversionOptions(arguments.size, arguments.colour, arguments.fit)
    card = owndata.add(arguments.name, arguments.path, options, arguments.store, progress_bar())
    print(f"{arguments.name}: {owndata.describe(card)}; {card['counts']['skipped']:,} skipped "
          f"in {card['seconds']:.1f} s", file=sys.stderr)
    print(json.dumps(card))


def _add_series(arguments):
    from aecore.data import owndata, series

    columns = tuple(part.strip() for part in arguments.columns.split(",") if part.strip()) if arguments.columns else None
    options = series.SeriesOptions(arguments.window, arguments.stride, columns, arguments.train_steps)
    card = owndata.add(arguments.name, arguments.path, options, arguments.store)
    print(f"{arguments.name}: {owndata.describe(card)}; {card['counts']['train']:,} training and "
          f"{card['counts']['test']:,} test windows in {card['seconds']:.1f} s", file=sys.stderr)
    print(json.dumps(card))


def _remove(arguments):
    from aecore.data import owndata

    owndata.remove(arguments.name, arguments.store)
    print(json.dumps({"removed": arguments.name, "folder": str(owndata.folder(arguments.store))}))


def progress_bar(stream=sys.stderr, interval: float = 0.25):
    """progress(done, total) drawing one line that rewrites itself, at most every `interval` seconds."""
    last = [0.0]

    def report(done: int, total: int):
        now = time.monotonic()
        if done < total and now - last[0] < interval:
            return
        last[0] = now
        filled = int(30 * done / max(total, 1))
        stream.write(f"\rconverting [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,} images\x1b[K")
        if done == total:
            stream.write("\nwriting images.npz ...\n")
        stream.flush()

    return report
