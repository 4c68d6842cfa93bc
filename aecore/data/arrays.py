"""Check and convert the arrays every dataset loader produces, split off a test set, read .npz.

In: (images, labels) pairs as given (any of the shapes and dtypes below). Out: images float32 in
[0, 1] shaped (n, height, width, channels) and labels (n,) int64 or None. Every refusal is a
DatasetError naming the array and the fix.
"""

import math
import zipfile
from pathlib import Path

import numpy as np

from aecore import errors

# (images, labels) as a loader found them; labels None when unlabelled
ArrayPair = tuple[np.ndarray, np.ndarray | None]


def checked_splits(
    train: ArrayPair,
    test: ArrayPair | None,
    source: str,
    seed: int,
    test_count: int | None,
    test_fraction: float,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """(x_train, y_train, x_test, y_test), checked and converted.

    With no test pair, train is split by `seed`, holding out `test_count` images, or
    `test_fraction` of them when test_count is None.
    """
    x_train, y_train = _checked_pair(train, "x_train" if test is not None else "x", source)
    if test is None:
        split = _split(x_train, y_train, seed, source, test_count, test_fraction)
        (x_train, y_train), (x_test, y_test) = split
    else:
        x_test, y_test = _checked_pair(test, "x_test", source)
        if x_test.shape[1:] != x_train.shape[1:]:
            raise errors.DatasetError(
                f"{source}: train images are {x_train.shape[1:]} but test images are "
                f"{x_test.shape[1:]}; both splits need the same (height, width, channels)"
            )
    offset, divisor = _pixel_scale((x_train, x_test), source)
    x_train = _to_unit_float(x_train, offset, divisor)
    x_test = _to_unit_float(x_test, offset, divisor)
    return x_train, y_train, x_test, y_test
def read_npz(path: Path) -> tuple[ArrayPair, ArrayPair | None]:
    """(train, test) pairs from an .npz file; test is None when it holds only x (+ y)."""
    expected = "x_train, x_test (+ optional y_train, y_test), or x (+ optional y)"
    try:
        with np.load(path, allow_pickle=False) as archive:
            stored = {key: archive[key] for key in archive.files}
    except ValueError as error:  # object arrays need pickle, which we refuse
        raise errors.DatasetError(
            f"{path} holds arrays of Python objects ({error}); save numbers instead, "
            f"e.g. np.savez(path, x_train=images.astype(np.uint8), ...)"
        ) from error
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise errors.DatasetError(
            f"{path} is not a readable .npz file ({error}); re-save it with np.savez"
        ) from error
    if "x_train" in stored and "x_test" in stored:
        if ("y_train" in stored) != ("y_test" in stored):
            raise errors.DatasetError(
                f"{path} has only one of y_train and y_test; give both labels or neither"
            )
        train = (stored["x_train"], stored.get("y_train"))
        test = (stored["x_test"], stored.get("y_test"))
        return train, test
    if "x" in stored:
        return (stored["x"], stored.get("y")), None
    raise errors.DatasetError(f"{path} has keys {sorted(stored) or 'none'}; expected {expected}")


def _checked_pair(pair: tuple, key: str, source: str) -> tuple[np.ndarray, np.ndarray | None]:
    images = _as_images(pair[0], f"{key} in {source}")
    if len(images) == 0:
        raise errors.DatasetError(f"{key} in {source} has no images; give at least one")
    labels = _as_labels(pair[1], len(images), f"{key.replace('x', 'y', 1)} in {source}")
    return images, labels


def _as_images(array: np.ndarray, where: str) -> np.ndarray:
    """(n, height, width, channels) with 1 or 3 channels, same dtype as given."""
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise errors.DatasetError(
            f"{where} has dtype {array.dtype}; expected numbers: "
            f"uint8 pixels 0..255 or floats in [0, 1]"
        )
    if array.ndim == 2:  # (n, d) flat vectors: d must be a square number of pixels
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1]:
            raise errors.DatasetError(
                f"{where} has shape {array.shape}: {array.shape[1]} values per image is not "
                f"a square number, so the image size is unknown; "
                f"reshape to (n, height, width) first"
            )
        array = array.reshape(len(array), side, side)
    if array.ndim == 3:
        array = array[..., np.newaxis]  # (n, height, width) -> (n, height, width, 1)
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        raise errors.DatasetError(
            f"{where} has shape {array.shape}; expected (n, height, width) or "
            f"(n, height, width, channels) with 1 or 3 channels last"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise errors.DatasetError(
            f"{where} contains NaN or infinite values; replace them (e.g. np.nan_to_num) first"
        )
    return array


def _as_labels(labels: np.ndarray | None, image_count: int, where: str) -> np.ndarray | None:
    """(n,) int64 class indices, or None."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]  # (n, 1) column from some exporters
    if labels.ndim != 1 or len(labels) != image_count:
        raise errors.DatasetError(
            f"{where} has {labels.shape[0] if labels.ndim else 0} labels (shape {labels.shape}) "
            f"for {image_count} images; give one label per image, shape ({image_count},)"
        )
    # Float labels like 3.0 (from a CSV) are fine; 0.5 or NaN are not class indices.
    whole_floats = labels.dtype.kind == "f" and bool(
        np.isfinite(labels).all() and np.all(labels == np.round(labels))
    )
    if labels.dtype.kind not in "biu" and not whole_floats:
        raise errors.DatasetError(
            f"{where} has dtype {labels.dtype}; expected whole-number class indices 0, 1, 2, ..."
        )
    if len(labels) and labels.min() < 0:
        raise errors.DatasetError(
            f"{where} has negative labels (min {labels.min()}); class indices start at 0"
        )
    return labels.astype(np.int64)


def _pixel_scale(arrays: tuple[np.ndarray, ...], source: str) -> tuple[float, float]:
    """(offset, divisor) mapping the pixels to [0, 1], shared by both splits.

    uint8 and other integers within 0..255 are divided by 255; floats must already be in [0, 1];
    integers outside 0..255 (e.g. 16-bit scans) are min-max scaled over both splits together.
    """
    if all(array.dtype == np.uint8 for array in arrays):
        return 0.0, 255.0  # the common case: skip the min/max passes
    kind = np.result_type(*arrays).kind
    if kind == "b":
        return 0.0, 1.0
    low = float(min(array.min() for array in arrays))
    high = float(max(array.max() for array in arrays))
    if kind == "f":
        if low < 0 or high > 1:
            raise errors.DatasetError(
                f"{source}: float pixels range from {low:g} to {high:g}; expected [0, 1]. "
                f"Divide by 255 if they are 0..255 pixels, or save them as uint8"
            )
        return 0.0, 1.0
    if low >= 0 and high <= 255:
        return 0.0, 255.0
    return low, max(high - low, 1.0)


def _to_unit_float(images: np.ndarray, offset: float, divisor: float) -> np.ndarray:
    needs_scaling = offset != 0 or divisor != 1
    # One float32 copy; float32 input already in [0, 1] is passed through without copying.
    result = images.astype(np.float32, copy=needs_scaling)
    if offset:
        result -= offset
    if divisor != 1:
        result /= divisor
    return result


def _split(images, labels, seed: int, source: str, test_count: int | None, test_fraction: float):
    """((x_train, y_train), (x_test, y_test)), stratified by label when there are labels."""
    count = len(images)
    if count < 2:
        raise errors.DatasetError(
            f"{source} has {count} image; need at least 2 to make a train and a test split"
        )
    test_count = min(test_count or max(1, round(count * test_fraction)), count - 1)
    order = _stratified_order(labels, count, seed)
    test_index, train_index = order[:test_count], order[test_count:]
    if labels is None:
        return (images[train_index], None), (images[test_index], None)
    return (images[train_index], labels[train_index]), (images[test_index], labels[test_index])


def _stratified_order(labels: np.ndarray | None, count: int, seed: int) -> np.ndarray:
    """A seeded shuffle of range(count) in which every prefix holds the classes in proportion."""
    order = np.random.default_rng(seed).permutation(count)
    if labels is None:
        return order
    shuffled_labels = labels[order]
    # Each image's rank within its class as a fraction in (0, 1); sorting by it interleaves classes.
    position = np.empty(count)
    for label in np.unique(shuffled_labels):
        members = np.flatnonzero(shuffled_labels == label)
        position[members] = (np.arange(len(members)) + 0.5) / len(members)
    return order[np.argsort(position, kind="stable")]
