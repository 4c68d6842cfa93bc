"""Image files for `owndata`: a .zip or a folder read one member at a time, guarded, decoded and made square.

`open_files(path, limits)` refuses a whole source (not a zip, no images, too many, a zip that unpacks to too
many bytes) and returns a `Source`; its `pictures()` decode the members in order into flat Pillow images
("L" or "RGB", 8 bits) or, for a member that cannot be used, the reason it is skipped (too many bytes, an
absurd compression ratio, too many pixels from the header, empty, not an image, truncated or corrupt).
Nothing is extracted to disk and one decoded image is held at a time. `square` crops or pads a picture
and resizes it to the dataset's size. `aecore.data.ownnpz` makes the same `Source` from an .npz.
"""

import contextlib
import io
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from aecore import errors
from aecore.data import imagefolder, images

MAX_ZIP_BYTES = 4 * 1024**3  # image members of one zip, uncompressed: more is refused
MAX_RATIO = 200.0  # uncompressed : compressed for one zip member over RATIO_FLOOR bytes: more is skipped
RATIO_FLOOR = 1024**2  # small members may compress well (a flat PNG in a zip): only big ones are judged
REDUCING_GAP = 2.0  # Pillow first reduces by whole factors (a box filter) down to twice the size, then Lanczos
# (index into Source.names, a flat Pillow image or the reason the member is skipped)
Picture = tuple[int, "Image.Image | str"]


class Skipped(Exception):
    """One member cannot be used; the rest of the source goes on."""


@dataclass(frozen=True)
class Limits:
    """What a source may hold; aecore.data.owndata.default_limits reads the defaults from aecore.data.catalog."""

    max_images: int  # members in one source: more refuses the source
    max_file_bytes: int  # per member, checked before it is read: a bigger one is skipped
    max_pixels: int  # per image, from its header before decoding: a bigger one is skipped
    max_zip_bytes: int = MAX_ZIP_BYTES  # a zip's image members, uncompressed: more refuses the zip
    max_ratio: float = MAX_RATIO  # compression ratio of a member over RATIO_FLOOR bytes: more is skipped


@dataclass
class Source:
    """One opened source: every member's name and label, and a way to decode them in order."""

    names: list[str]  # member names relative to the source ("cats/1.jpg"; "x_train[3]" in an .npz)
    labels: np.ndarray | None  # (len(names),) int64, or None when unlabelled
    class_names: list[str] | None  # label index -> name (subfolders), or None
    test_start: int | None  # an .npz with its own test split: members from here on are its test images
    pictures: Callable[..., Iterator[Picture]]  # (draft (mode, side) for JPEGs or None, indices: those only, in order)


@contextlib.contextmanager
def open_files(path: Path, limits: Limits) -> Iterator[Source]:
    """A folder or .zip of images as a Source; subfolders are labels (a zip's single top folder is not)."""
    if path.is_dir():
        entries = [(name, size, _file_reader(path / name, size, limits)) for name, size, _ in
                   imagefolder._folder_entries(path)]
        yield _source(str(path), entries, limits)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise errors.DatasetError(f"{path} is not a readable .zip file ({error}): re-create the zip") from error
    with archive:
        members = sorted((member for member in archive.infolist()
                          if not member.is_dir() and imagefolder._is_image_name(member.filename)),
                         key=lambda member: member.filename)
        unpacked = sum(member.file_size for member in members)
        if unpacked > limits.max_zip_bytes:
            raise errors.DatasetError(
                f"{path} unpacks to {unpacked:,} bytes of images, over the {limits.max_zip_bytes:,} byte limit: "
                f"split it into smaller zips, or shrink the images first")
        entries = [(member.filename, member.file_size, _member_reader(archive, member, limits))
                   for member in members]
        yield _source(str(path), imagefolder._strip_common_folder(entries), limits)


def _source(where: str, entries: list, limits: Limits) -> Source:
    if not entries:
        raise errors.DatasetError(
            f"{where} holds no images ({', '.join(imagefolder.IMAGE_SUFFIXES)}): add image files, one "
            f"subfolder per label, or give an .npz file")
    if len(entries) > limits.max_images:
        raise errors.DatasetError(
            f"{where} holds {len(entries):,} images, over the {limits.max_images:,} limit: use fewer")
    names = [name for name, _, _ in entries]
    labels, class_names = imagefolder._labels_from_folders(names)
    readers = [read for _, _, read in entries]

    def pictures(draft: tuple[str, int] | None, indices=None) -> Iterator[Picture]:
        for index in range(len(readers)) if indices is None else indices:
            try:
                yield index, decode(readers[index](), limits, draft)
            except Skipped as reason:
                yield index, str(reason)

    return Source(names, labels, class_names, None, pictures)


def _file_reader(path: Path, size: int, limits: Limits) -> Callable[[], bytes]:
    def read() -> bytes:
        _check_bytes(size, limits)
        try:
            return path.read_bytes()
        except OSError as error:
            raise Skipped(f"cannot be read ({error.strerror or error})") from None

    return read


def _member_reader(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits) -> Callable[[], bytes]:
    def read() -> bytes:
        _check_bytes(member.file_size, limits)
        ratio = member.file_size / max(1, member.compress_size)
        if member.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            raise Skipped(f"compressed {ratio:,.0f}:1, over the {limits.max_ratio:,.0f}:1 limit (a zip bomb?)")
        try:  # zipfile stops at the size the header declares, so a lying header cannot unpack more
            return archive.read(member)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as error:  # RuntimeError: encrypted
            raise Skipped(f"cannot be read from the zip ({error})") from None

    return read


def _check_bytes(size: int, limits: Limits):
    if size > limits.max_file_bytes:
        raise Skipped(f"{size:,} bytes, over the {limits.max_file_bytes:,} byte limit")
    if size == 0:
        raise Skipped("empty file (0 bytes)")


def decode(data: bytes, limits: Limits, draft: tuple[str, int] | None) -> "Image.Image":
    """Bytes -> a flat 8-bit "L" or "RGB" image: first frame, EXIF-rotated, transparency on white.

    draft (mode, side): a JPEG is decoded at the smallest scale (1/2, 1/4, 1/8) still at least side x side,
    which is several times faster for big photos; mode "L" also skips the colour conversion.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # Pillow's own limit, as an error
            image = Image.open(io.BytesIO(data), formats=images.SUPPORTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Skipped(f"over the {limits.max_pixels:,} pixel limit (a decompression bomb?)") from None
    except Exception:  # UnidentifiedImageError, SyntaxError, struct.error, ...
        raise Skipped(f"not an image ({', '.join(images.SUPPORTED_FORMATS)})") from None
    width, height = image.size
    if width * height > limits.max_pixels:
        raise Skipped(f"{width}x{height} pixels, over the {limits.max_pixels:,} pixel limit")
    if draft is not None and image.format == "JPEG":
        image.draft(draft[0], (draft[1], draft[1]))
    try:
        image.load()  # the first frame of an animated GIF or WebP
        image = images._apply_exif_rotation(image, [])
        return images._flatten(image)[0]
    except errors.ImageError as error:
        raise Skipped(str(error)) from None
    except Exception as error:  # OSError "image file is truncated", SyntaxError, ValueError, EOFError, ...
        raise Skipped(f"truncated or corrupt {image.format} ({error})") from None


def square(picture: "Image.Image", size: int, colour: bool, fit: str) -> np.ndarray:
    """A flat picture -> (size, size, 3) or (size, size, 1) uint8.

    fit "crop": the centre square, resized; "pad": the whole picture resized to fit, centred on a square of
    the mean colour of its outermost pixels. Lanczos, after a box-filter reduce for big pictures.
    """
    mode = "RGB" if colour else "L"
    picture = picture if picture.mode == mode else picture.convert(mode)
    width, height = picture.size
    if fit == "crop":
        side = min(width, height)
        box = ((width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2)
        result = picture.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
    else:
        scale = size / max(width, height)
        fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
        border = images._border_pixels(picture).mean(axis=0)  # (channels,) float
        fill = tuple(int(round(value)) for value in border)
        result = Image.new(mode, (size, size), fill[0] if mode == "L" else fill)
        resized = picture.resize(fitted, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        result.paste(resized, ((size - fitted[0]) // 2, (size - fitted[1]) // 2))
    return np.asarray(result).reshape(size, size, 3 if colour else 1)


def thumbnail(picture: "Image.Image", side: int) -> np.ndarray:
    """(h, w) grey or (h, w, 3) colour uint8, at most side px a side: the picture as it was, for a preview."""
    small = picture.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(small)
