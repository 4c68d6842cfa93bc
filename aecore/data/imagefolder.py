"""A folder or .zip of image files -> one uint8 pixel array, labels taken from subfolder names.

Subfolder name = label (sorted names -> indices); images in the root make the set unlabelled.
Zips are read member by member in memory; nothing is extracted to disk. Pillow is imported only
when the first image is decoded. The limits come from the caller (`aecore.data.catalog` keeps them).
"""

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore import errors

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")

# (name relative to the root with "/" separators, size in bytes, function that reads the bytes)
ImageEntry = tuple[str, int, Callable[[], bytes]]
# (pixels, labels, class_names): see read_images
LoadedImages = tuple[np.ndarray, np.ndarray | None, list[str] | None]


@dataclass(frozen=True)
class ImageLimits:
    """What a folder or zip may hold before it is refused; see aecore.data.catalog for the defaults."""

    max_images: int  # number of image files
    max_file_bytes: int  # per file, checked before its bytes are read
    max_pixels: int  # per image, checked on the header before decoding
    max_side: int  # the first image's size, shrunk so its longer side fits, is everyone's size


def read_images(path: Path, limits: ImageLimits) -> LoadedImages:
    """(pixels, labels, class_names) from a folder or .zip of images.

    pixels is (n, height, width, 1) uint8 when every image is grey, else (n, height, width, 3);
    labels is (n,) int64 and class_names the sorted subfolder names, or both None.
    """
    if path.is_dir():
        return _decode_all(str(path), _folder_entries(path), limits)
    return _read_zip(path, limits)


def _is_image_name(relative_name: str) -> bool:
    parts = relative_name.split("/")
    if any(part.startswith(".") or part == "__MACOSX" for part in parts):
        return False  # hidden files and macOS resource forks are not images
    return relative_name.lower().endswith(IMAGE_SUFFIXES)


def _folder_entries(folder: Path) -> list[ImageEntry]:
    entries = []
    for path in sorted(folder.rglob("*")):
        relative_name = path.relative_to(folder).as_posix()
        if path.is_file() and _is_image_name(relative_name):
            entries.append((relative_name, path.stat().st_size, path.read_bytes))
    return entries


def _read_zip(path: Path, limits: ImageLimits) -> LoadedImages:
    """read_images for a .zip: the archive stays open while its members are decoded."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(archive.infolist(), key=lambda member: member.filename)
            entries = [
                (member.filename, member.file_size, lambda member=member: archive.read(member))
                for member in members
                if not member.is_dir() and _is_image_name(member.filename)
            ]
            return _decode_all(str(path), _strip_common_folder(entries), limits)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise errors.DatasetError(
            f"{path} is not a readable .zip file ({error}); re-create the zip"
        ) from error


def _strip_common_folder(entries: list[ImageEntry]) -> list[ImageEntry]:
    # Zipping a folder puts everything under its name: "data/cats/1.png" means label "cats".
    first_parts = {relative_name.split("/")[0] for relative_name, _, _ in entries}
    if len(first_parts) != 1 or not all("/" in relative_name for relative_name, _, _ in entries):
        return entries
    return [(relative_name.split("/", 1)[1], size, read) for relative_name, size, read in entries]


def _decode_all(source: str, entries: list[ImageEntry], limits: ImageLimits) -> LoadedImages:
    """read_images once the entries are known; `source` names the folder or zip in messages."""
    if not entries:
        raise errors.DatasetError(
            f"{source} holds no images ({', '.join(IMAGE_SUFFIXES)}): add image files, "
            f"one subfolder per label, or give an .npz file or a folder of IDX files"
        )
    if len(entries) > limits.max_images:
        raise errors.DatasetError(
            f"{source} holds {len(entries):,} images, over the {limits.max_images:,} limit: "
            f"use fewer"
        )
    first = _decode_image(entries[0], source, None, limits)
    target_size = (first.shape[1], first.shape[0])  # Pillow sizes are (width, height)
    pixels = np.empty((len(entries), *first.shape), dtype=np.uint8)  # (n, height, width, 3)
    pixels[0] = first
    for index, entry in enumerate(entries[1:], start=1):
        pixels[index] = _decode_image(entry, source, target_size, limits)
    if (pixels[..., :1] == pixels).all():
        pixels = pixels[..., :1]  # every image is grey: keep one channel, (n, height, width, 1)
    labels, class_names = _labels_from_folders([relative_name for relative_name, _, _ in entries])
    return pixels, labels, class_names


def _labels_from_folders(relative_names: list[str]) -> tuple[np.ndarray | None, list[str] | None]:
    if not all("/" in relative_name for relative_name in relative_names):
        return None, None
    folder_names = [relative_name.split("/")[0] for relative_name in relative_names]
    class_names = sorted(set(folder_names))
    index_of = {class_name: index for index, class_name in enumerate(class_names)}
    return np.array([index_of[folder] for folder in folder_names], dtype=np.int64), class_names


def _decode_image(
    entry: ImageEntry, source: str, target_size: tuple[int, int] | None, limits: ImageLimits
) -> np.ndarray:
    """One image as (height, width, 3) uint8, resized to target_size (width, height) if given."""
    from PIL import Image  # lazy: only image folders need Pillow

    relative_name, size, read = entry
    where = f"image {relative_name} in {source}"
    if size > limits.max_file_bytes:
        raise errors.DatasetError(
            f"{where} is {size:,} bytes, over the {limits.max_file_bytes:,} byte limit: "
            f"shrink or remove it"
        )
    try:
        with Image.open(io.BytesIO(read())) as image:
            width, height = image.size
            if width * height > limits.max_pixels:
                raise errors.DatasetError(
                    f"{where} is {width}x{height} pixels, over the {limits.max_pixels:,} pixel "
                    f"limit: shrink or remove it"
                )
            scale = min(1.0, limits.max_side / max(width, height))
            fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
            target_size = target_size or fitted
            return np.asarray(image.convert("RGB").resize(target_size, Image.Resampling.BILINEAR))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise errors.DatasetError(
            f"{where} cannot be read or decoded ({error}): replace or remove it"
        ) from error
