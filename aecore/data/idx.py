"""Reader for IDX files, the format of MNIST and Fashion-MNIST (gzip-compressed or raw).

An IDX file is a 4-byte magic number `0x00 0x00 <dtype code> <number of dims>`, then one
big-endian uint32 per dimension, then the values in C order. Images are `0x00000803`
(uint8, 3 dims: n, height, width); labels are `0x00000801` (uint8, 1 dim: n).
"""

import gzip
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore import errors

# IDX dtype code -> big-endian NumPy dtype (the standard table; MNIST only uses 0x08).
IDX_DTYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
# Refuse payloads above this many bytes before reading them, so a gzip bomb cannot fill memory.
MAX_IDX_BYTES = 4 * 1024**3
# train-images-idx3-ubyte(.gz), t10k-labels.idx1-ubyte, test-images-idx3-ubyte.gz, ...
IDX_NAME_PATTERN = re.compile(
    r"^(?P<split>train|t10k|test)-(?P<kind>images|labels)[-.]idx[13]-ubyte(\.gz)?$", re.IGNORECASE
)
HOW_TO_FIX = "re-download or re-create it (images: magic 0x00000803, labels: 0x00000801)"


@dataclass
class IdxFolder:
    """The IDX files found in one folder; labels and test images may be missing."""

    train_images: Path  # required: a folder without it is not an IDX folder
    train_labels: Path | None = None
    test_images: Path | None = None
    test_labels: Path | None = None


def find_idx_files(folder: Path) -> IdxFolder | None:
    """The standard-named IDX files in `folder` (gz or raw); None without train images."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = IDX_NAME_PATTERN.match(path.name)
        if match is None or not path.is_file():
            continue
        split = "train" if match["split"].lower() == "train" else "test"
        found.setdefault(f"{split}_{match['kind'].lower()}", path)
    if "train_images" not in found:
        return None
    return IdxFolder(**found)


def read_idx(path: Path) -> np.ndarray:
    """The array stored in one IDX file, in native byte order, shape given by its header."""
    try:
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as stream:
            dtype, shape = _read_header(stream, path)
            expected_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if expected_bytes > MAX_IDX_BYTES:
                raise errors.DatasetError(
                    f"IDX file {path} declares {expected_bytes:,} bytes of data, over the "
                    f"{MAX_IDX_BYTES:,} byte limit: use a smaller file"
                )
            # Read one byte more than needed so trailing garbage is noticed, not ignored.
            payload = stream.read(expected_bytes + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise errors.DatasetError(
            f"IDX file {path} cannot be read ({error}): {HOW_TO_FIX}"
        ) from error
    if len(payload) != expected_bytes:
        state = "truncated" if len(payload) < expected_bytes else "longer than its header says"
        raise errors.DatasetError(
            f"IDX file {path} is {state}: header dims {list(shape)} need {expected_bytes:,} bytes "
            f"of data, found {len(payload):,}{'+' if len(payload) > expected_bytes else ''}; "
            f"{HOW_TO_FIX}"
        )
    values = np.frombuffer(payload, dtype=dtype).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=False)  # big-endian -> native order


def _is_gzip(path: Path) -> bool:
    # Trust the content, not the name: some mirrors serve raw files called .gz and vice versa.
    with open(path, "rb") as stream:
        return stream.read(2) == b"\x1f\x8b"


def _read_header(stream, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = stream.read(4)
    if len(magic) < 4:
        raise errors.DatasetError(
            f"IDX file {path} is truncated: it has no 4-byte header; {HOW_TO_FIX}"
        )
    zero_a, zero_b, dtype_code, dimension_count = magic
    if zero_a != 0 or zero_b != 0 or dtype_code not in IDX_DTYPES or dimension_count == 0:
        raise errors.DatasetError(
            f"IDX file {path} has a bad magic number 0x{magic.hex()}: "
            f"it is not an IDX file; {HOW_TO_FIX}"
        )
    dims_bytes = stream.read(4 * dimension_count)
    if len(dims_bytes) < 4 * dimension_count:
        raise errors.DatasetError(
            f"IDX file {path} is truncated inside its header "
            f"({dimension_count} dims declared); {HOW_TO_FIX}"
        )
    shape = struct.unpack(f">{dimension_count}I", dims_bytes)
    return np.dtype(IDX_DTYPES[dtype_code]), shape


def read_images_and_labels(
    images_path: Path, labels_path: Path | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Images (n, height, width) and labels (n,) or None, checked against each other."""
    images = read_idx(images_path)
    if images.ndim not in (3, 4):
        raise errors.DatasetError(
            f"IDX file {images_path} holds an array of shape {images.shape}; expected images "
            f"(n, height, width): is it a labels file under an images name?"
        )
    if labels_path is None:
        return images, None
    labels = read_idx(labels_path)
    if labels.ndim != 1 or len(labels) != len(images):
        raise errors.DatasetError(
            f"IDX labels {labels_path} have shape {labels.shape} but {images_path} holds "
            f"{len(images)} images: expected one label per image, shape ({len(images)},)"
        )
    return images, labels
