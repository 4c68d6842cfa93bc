"""One source -> images.npz in a folder: the conversion `owndata.add` runs inside its hidden incoming folder.

Each image is decoded (`ownimages`, or streamed from an .npz by `ownnpz`), made square at the chosen size,
and appended to an .npy on disk; then the split is chosen and images.npz is written from the .npy a chunk
at a time, and the .npy is deleted. Bounded memory: one decoded image, one batch of converted ones and one
chunk of rows at a time, so 20,000 images at 64x64 colour stay far below 1 GiB. Also the options, checked
when made, and the before/after preview.
"""

import itertools
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore import errors
from aecore.data import arrays, dataset

SIZES = (28, 32, 64, 96)  # sides offered: MNIST's, CIFAR's, and two for photos
MIN_SIDE = 4  # the smallest side a data file for an imported model may be converted to (digits' is 8)
FITS = ("crop", "pad")
IMAGES_FILE, PIXELS_FILE = "images.npz", "pixels.npy"
SPLIT_SEED = 0
BATCH = 64  # images converted between two writes to disk and two progress calls
READ_ROWS = 256  # converted images gathered into the npz at a time (each maps ~64 KB of the file: fault-around)
SKIP_EXAMPLES = 5  # skip reasons kept on the card
PREVIEW_SIDE = 160  # originals in a preview are shrunk to at most this many pixels a side


@dataclass(frozen=True)
class ConversionOptions:
    """How every image becomes a dataset image; checked when made."""

    size: int = 64  # side of the square images, one of SIZES
    colour: bool = True  # True: 3 channels (grey images repeated); False: 1 grey channel
    fit: str = "crop"  # "crop": the centre square; "pad": the whole image on a square of its border colour
    any_size: bool = False  # True: any side from MIN_SIDE to the largest of SIZES (an imported model's own size)

    def __post_init__(self):
        fits_model = self.any_size and isinstance(self.size, int) and MIN_SIDE <= self.size <= max(SIZES)
        if (self.size not in SIZES and not fits_model) or isinstance(self.size, bool):
            raise errors.DatasetError(f"size {self.size!r} is not offered: choose one of "
                                      f"{', '.join(map(str, SIZES))} (pixels a side), e.g. --size 64")
        if not isinstance(self.colour, bool):
            raise errors.DatasetError(f"colour {self.colour!r} must be True (colour) or False (grey): "
                                      f"--colour or --grey")
        if self.fit not in FITS:
            raise errors.DatasetError(f"fit {self.fit!r} is not an option: choose crop (the centre square) or "
                                      f"pad (the whole image on a square of its border colour), e.g. --fit crop")

    @property
    def channels(self) -> int:
        return 3 if self.colour else 1


@dataclass
class Preview:
    """The first images of a source as they are and as `convert` would make them."""

    names: list[str]  # the members shown
    originals: list[np.ndarray]  # each (h, w) grey or (h, w, 3) colour uint8, at most PREVIEW_SIDE px a side
    converted: np.ndarray  # (len(names), size, size, channels) uint8
    skipped: list[str]  # "member: reason" for members passed over on the way
    image_count: int  # members in the whole source
    class_names: list[str] | None  # subfolder names, or None


def default_limits():
    """aecore.data.catalog's limits on image folders, read now (tests and deployments change them)."""
    from aecore.data import ownimages

    return ownimages.Limits(dataset.MAX_IMAGES, dataset.MAX_IMAGE_FILE_BYTES, dataset.MAX_IMAGE_PIXELS)


def open_source(source: Path, limits):
    """A context manager giving the source's ownimages.Source: a folder or .zip of images, or an .npz."""
    from aecore.data import ownimages, ownnpz  # lazy: Pillow only when something is converted

    suffix = source.suffix.lower()
    if not source.exists():
        raise errors.DatasetError(f"No such file or folder: {source}. Check the path; give a .zip or a folder "
                                  f"of images (one subfolder per label), or an .npz file")
    if source.is_dir() or suffix == ".zip":
        return ownimages.open_files(source, limits)
    if suffix == ".npz":
        return ownnpz.open_npz(source, limits)
    raise errors.DatasetError(f"Cannot convert {source}: unsupported file type {suffix or '(none)'!r}; give a .zip "
                              f"or a folder of images, or an .npz file")


def preview(source: Path, options: ConversionOptions, count: int, limits) -> Preview:
    """`count` usable images of a source, as they are and converted, for a before/after look: the first of each
    class first (a zip's first members are often all of one class), then the first ones."""
    from aecore.data import ownimages

    originals, converted, shown, skipped = [], [], [], []
    with open_source(source, limits) as opened:
        draft = ("RGB", max(options.size, PREVIEW_SIDE))  # originals keep their colour
        for index, picture in opened.pictures(draft, preview_order(opened.labels, len(opened.names))):
            if len(shown) == count:
                break
            if isinstance(picture, str):
                skipped.append(f"{opened.names[index]}: {picture}")
                continue
            shown.append(opened.names[index])
            originals.append(ownimages.thumbnail(picture, PREVIEW_SIDE))
            converted.append(ownimages.square(picture, options.size, options.colour, options.fit))
    empty = np.zeros((0, options.size, options.size, options.channels), np.uint8)
    stacked = np.stack(converted) if converted else empty
    return Preview(shown, originals, stacked, skipped, len(opened.names), opened.class_names)


def preview_order(labels: np.ndarray | None, count: int) -> list[int]:
    """Members to preview: each class's first member, in class order, then every other member in order."""
    if labels is None:
        return list(range(count))
    _, firsts = np.unique(labels, return_index=True)
    chosen = {int(first) for first in firsts}
    return sorted(chosen, key=lambda index: labels[index]) + [index for index in range(count) if index not in chosen]


def convert(folder: Path, source: Path, options: ConversionOptions, limits,
            progress: Callable[[int, int], None] | None) -> dict:
    """Writes folder/images.npz from `source`; returns the card's fields about the conversion."""
    from aecore.data import ownimages

    with open_source(source, limits) as opened:
        total = len(opened.names)
        pixels = PixelFile(folder / PIXELS_FILE, (total, options.size, options.size, options.channels))
        kept, reasons, batch = [], [], []
        draft = ("RGB" if options.colour else "L", options.size)
        for index, picture in opened.pictures(draft):
            if isinstance(picture, str):
                reasons.append(f"{opened.names[index]}: {picture}")
            else:
                batch.append(ownimages.square(picture, options.size, options.colour, options.fit))
                kept.append(index)
            if len(batch) == BATCH or index + 1 == total:
                pixels.append(batch)
                batch = []
            if progress is not None and ((index + 1) % BATCH == 0 or index + 1 == total):
                progress(index + 1, total)
    kept = np.array(kept, dtype=np.int64)
    _check_enough(len(kept), total, reasons, source)
    labels = None if opened.labels is None else opened.labels[kept]
    train_rows, test_rows, split = _split(kept, labels, opened.test_start)
    shape = (options.size, options.size, options.channels)
    members = {"x_train": ((len(train_rows), *shape), pixels.rows(train_rows)),
               "x_test": ((len(test_rows), *shape), pixels.rows(test_rows))}
    if labels is not None:
        members |= {"y_train": ((len(train_rows),), iter([labels[train_rows]])),
                    "y_test": ((len(test_rows),), iter([labels[test_rows]]))}
    write_npz(folder / IMAGES_FILE, members)
    pixels.path.unlink()
    classes = None if labels is None else len(opened.class_names or np.unique(labels))
    return {"source": str(source), "size": options.size, "colour": options.colour, "fit": options.fit,
            "channels": options.channels, "class_names": opened.class_names, "classes": classes,
            "counts": {"train": len(train_rows), "test": len(test_rows), "skipped": len(reasons)},
            "split": split, "skip_reasons": reasons[:SKIP_EXAMPLES]}


def _check_enough(kept: int, total: int, reasons: list[str], source: Path):
    why = f" ({'; '.join(reasons[:3])})" if reasons else ""
    if kept == 0:
        raise errors.DatasetError(f"{source}: none of its {total:,} images could be used{why}: check the files, "
                                  f"or re-save them as PNG or JPEG")
    if kept == 1:
        raise errors.DatasetError(f"{source}: only 1 of its {total:,} images could be used{why}; need at least 2 "
                                  f"to make a train and a test split")


def _split(kept: np.ndarray, labels: np.ndarray | None, test_start: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    """(train rows, test rows, the card's words): the file's own split, else 1/6 held out as the catalogue does."""
    if test_start is not None:
        is_test = kept >= test_start
        return np.flatnonzero(~is_test), np.flatnonzero(is_test), "from the file"
    count = len(kept)
    order = arrays._stratified_order(labels, count, SPLIT_SEED)  # every prefix holds the classes in proportion
    test_count = min(max(1, round(count * dataset.TEST_FRACTION)), count - 1)  # as arrays._split
    how = ", stratified" if labels is not None else ""
    return order[test_count:], order[:test_count], f"1/6 held out at random{how}, seed {SPLIT_SEED}"


class PixelFile:
    """Converted images, (total, size, size, channels) uint8, in an .npy made by numpy's open_memmap.

    Written and read through short-lived memmap windows of a batch each: one mapping held over the whole file
    would count every page touched toward the process's resident memory (245 MB for 20,000 64x64 colour).
    """

    def __init__(self, path: Path, shape: tuple[int, int, int, int]):
        self.path, self.shape, self.written = path, shape, 0
        created = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
        self.offset = created.offset  # bytes of the .npy header
        del created

    def append(self, batch: list[np.ndarray]):
        if not batch:
            return
        row_bytes = int(np.prod(self.shape[1:]))
        window = np.memmap(self.path, np.uint8, "r+", self.offset + self.written * row_bytes,
                           (len(batch), *self.shape[1:]))
        window[:] = np.stack(batch)  # (batch, size, size, channels)
        window.flush()
        del window
        self.written += len(batch)

    def rows(self, indices: np.ndarray) -> Iterator[np.ndarray]:
        """The images at `indices`, in that order, READ_ROWS at a time, each chunk (rows, size, size, c)."""
        for start in range(0, max(len(indices), 1), READ_ROWS):  # an empty split still yields one (0, ...) chunk
            view = np.load(self.path, mmap_mode="r")
            yield np.array(view[indices[start:start + READ_ROWS]])
            del view


def write_npz(path: Path, members: dict):
    """An .npz written a chunk at a time, {key: (shape, iterator of chunks in row order)}, that np.load reads."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, (shape, chunks) in members.items():
            first = next(chunks)
            header = {"descr": np.lib.format.dtype_to_descr(first.dtype), "fortran_order": False, "shape": shape}
            with archive.open(f"{key}.npy", "w", force_zip64=True) as handle:
                np.lib.format.write_array_header_1_0(handle, header)
                for chunk in itertools.chain([first], chunks):  # one chunk in memory at a time
                    handle.write(np.ascontiguousarray(chunk).tobytes())
