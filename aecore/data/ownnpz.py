"""An .npz of image arrays for `owndata`, read a chunk of rows at a time into the same `Source` as image files.

Keras layout (x_train, y_train, x_test, y_test: the file's own split is kept) or x (+ y); images (n, h, w),
(n, h, w, 1 or 3) or (n, h*w) with a square h*w, uint8 or any numbers. uint8 and integers in 0..255 are
pixels; floats must be in [0, 1]; wider integers (16-bit scans) are stretched from their min to their max
over both splits, as `arrays` does. Only the arrays' headers are read up front; the pixels are streamed
from the zip, so a file of any size costs one chunk of memory (a Fortran-ordered array is read whole).
"""

import contextlib
import math
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from aecore import errors
from aecore.data import arrays, ownimages

CHUNK_BYTES = 16 * 1024**2  # pixels read from the zip at a time
EXPECTED = "x_train, x_test (+ y_train, y_test), or x (+ y)"


@dataclass
class _Array:
    """One image array in the .npz, known from its header."""

    key: str  # "x_train", "x_test" or "x"
    shape: tuple[int, ...]  # as stored
    dtype: np.dtype
    fortran_order: bool


@contextlib.contextmanager
def open_npz(path: Path, limits: ownimages.Limits) -> Iterator[ownimages.Source]:
    """An .npz as a Source; refuses it whole when the keys, shapes, dtypes or pixel values are unusable."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise errors.DatasetError(f"{path} is not a readable .npz file ({error}): re-save it with np.savez") from error
    with archive:
        with _damaged_is_refused(path):
            source = _source(archive, path, limits)
        yield source


@contextlib.contextmanager
def _damaged_is_refused(path: Path):
    """A member that cannot be unpacked or parsed refuses the whole file: its arrays are all or nothing."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as error:
        raise errors.DatasetError(f"{path} is damaged ({error}): re-save it with np.savez") from error


def _source(archive: zipfile.ZipFile, path: Path, limits: ownimages.Limits) -> ownimages.Source:
    keys = {name.removesuffix(".npy") for name in archive.namelist()}
    if {"x_train", "x_test"} <= keys:
        if ("y_train" in keys) != ("y_test" in keys):
            raise errors.DatasetError(f"{path} has only one of y_train and y_test; give both labels or neither")
        parts = [("x_train", "y_train"), ("x_test", "y_test")]
    elif "x" in keys:
        parts = [("x", "y")]
    else:
        raise errors.DatasetError(f"{path} has keys {sorted(keys) or 'none'}; expected {EXPECTED}")
    stored = [_header(archive, key, path) for key, _ in parts]
    counts = [array.shape[0] for array in stored]
    if sum(counts) > limits.max_images:
        raise errors.DatasetError(
            f"{path} holds {sum(counts):,} images, over the {limits.max_images:,} limit: use fewer")
    if stored[-1].shape[1:] != stored[0].shape[1:]:
        raise errors.DatasetError(f"{path}: train images are {stored[0].shape[1:]} but test images are "
                                  f"{stored[-1].shape[1:]}; both splits need the same (height, width, channels)")
    labels = None
    if parts[0][1] in keys:
        labels = np.concatenate([arrays._as_labels(_read_whole(archive, y_key), count, f"{y_key} in {path}")
                                 for (_, y_key), count in zip(parts, counts)])
    offset, divisor = _pixel_scale(archive, stored, path)
    names = [f"{array.key}[{row}]" for array in stored for row in range(array.shape[0])]

    def pictures(draft, indices=None) -> Iterator[ownimages.Picture]:
        wanted, index = None if indices is None else set(indices), 0  # an .npz streams: the rest are passed over
        for array in stored:
            for chunk in _checked_chunks(archive, array, path):
                unit = (chunk.astype(np.float64) - offset) / divisor  # (rows, h, w, c) in [0, 1]
                pixels = np.clip(np.round(unit * 255), 0, 255).astype(np.uint8)
                for image in pixels:
                    if wanted is None or index in wanted:
                        yield index, Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
                    index += 1

    test_start = counts[0] if len(parts) == 2 else None
    return ownimages.Source(names, labels, None, test_start, pictures)


def _header(archive: zipfile.ZipFile, key: str, path: Path) -> _Array:
    where = f"{key} in {path}"
    with archive.open(f"{key}.npy") as handle:
        version = np.lib.format.read_magic(handle)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = reader(handle)
    if dtype.kind not in "biuf":
        raise errors.DatasetError(f"{where} has dtype {dtype}; expected numbers: uint8 pixels 0..255 or floats in "
                                  f"[0, 1] (arrays of Python objects are never unpickled)")
    if len(shape) == 2 and math.isqrt(shape[1]) ** 2 == shape[1]:
        shape = (shape[0], math.isqrt(shape[1]), math.isqrt(shape[1]))  # flat square images
    if len(shape) == 3:
        shape = (*shape, 1)
    if len(shape) != 4 or shape[-1] not in (1, 3) or min(shape[1:3], default=0) < 1:
        raise errors.DatasetError(f"{where} has shape {shape}; expected (n, height, width) or (n, height, width, "
                                  f"channels) with 1 or 3 channels last")
    if shape[0] == 0:
        raise errors.DatasetError(f"{where} has no images; give at least one")
    return _Array(key, tuple(shape), dtype, fortran_order)


def _read_whole(archive: zipfile.ZipFile, key: str) -> np.ndarray:
    with archive.open(f"{key}.npy") as handle:
        return np.lib.format.read_array(handle, allow_pickle=False)


def _chunks(archive: zipfile.ZipFile, array: _Array) -> Iterator[np.ndarray]:
    """The array's rows, a CHUNK_BYTES block at a time, each (rows, h, w, c) in the stored dtype."""
    if array.fortran_order:  # rows are not contiguous on disk: read it whole
        yield _read_whole(archive, array.key).reshape(array.shape)
        return
    row_bytes = math.prod(array.shape[1:]) * array.dtype.itemsize
    rows_per_chunk = max(1, CHUNK_BYTES // row_bytes)
    with archive.open(f"{array.key}.npy") as handle:
        version = np.lib.format.read_magic(handle)
        (np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0)(handle)
        for start in range(0, array.shape[0], rows_per_chunk):
            rows = min(rows_per_chunk, array.shape[0] - start)
            data = handle.read(rows * row_bytes)
            if len(data) != rows * row_bytes:
                raise EOFError(f"{array.key} ends after {start} images")
            yield np.frombuffer(data, dtype=array.dtype).reshape(rows, *array.shape[1:])


def _checked_chunks(archive: zipfile.ZipFile, array: _Array, path: Path) -> Iterator[np.ndarray]:
    chunks = _chunks(archive, array)
    while True:
        with _damaged_is_refused(path):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def _pixel_scale(archive: zipfile.ZipFile, stored: list[_Array], path: Path) -> tuple[float, float]:
    """(offset, divisor) mapping the pixels to [0, 1], shared by both splits (one pass unless all are uint8)."""
    if all(array.dtype == np.uint8 for array in stored):
        return 0.0, 255.0  # the common case: no pass over the pixels
    low, high = math.inf, -math.inf
    for array in stored:
        for chunk in _checked_chunks(archive, array, path):
            if chunk.dtype.kind == "f" and not np.isfinite(chunk).all():
                raise errors.DatasetError(f"{array.key} in {path} contains NaN or infinite values; replace them "
                                          f"(e.g. np.nan_to_num) first")
            low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    kind = np.result_type(*(array.dtype for array in stored)).kind
    if kind == "b":
        return 0.0, 1.0
    if kind == "f":
        if low < 0 or high > 1:
            raise errors.DatasetError(f"{path}: float pixels range from {low:g} to {high:g}; expected [0, 1]. Divide "
                                      f"by 255 if they are 0..255 pixels, or save them as uint8")
        return 0.0, 1.0
    if low >= 0 and high <= 255:
        return 0.0, 255.0
    return low, max(high - low, 1.0)
