"""Turn a user's image file into one model input, keeping every step so the dashboard can show it.

Untrusted bytes in, an (h, w, c) float32 array in [0, 1] out. Every failure is an ImageError
whose message a person can act on; no Pillow exception escapes and nothing touches the disk.
Pipeline: check size and format -> refuse huge images from the header -> decode the first frame ->
apply EXIF rotation -> flatten to 8-bit RGB or L (alpha onto white) -> grayscale or RGB ->
fit inside a margin and pad with the background colour -> invert a light background.

Longer than 300 lines: one pipeline (read, guard, flatten, invert, fit, scale) whose steps the dashboard
shows one by one; splitting it would scatter the guards that must run in order.
"""

import io
import numbers
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from aecore import errors
from aecore.data import imagemessages

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # the size cap for one upload
MAX_IMAGE_PIXELS = 40_000_000  # refused from the header, before decoding (decompression bombs)
SUPPORTED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")  # Pillow's names for what we decode
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]  # what convert_for_model reads
INVERT_OPTIONS = ("auto", "always", "never")


@dataclass(frozen=True)
class ConversionDefaults:
    margin: float = 4 / 28  # empty fraction of the frame on each side: MNIST fits 20 px in 28
    invert: str = "auto"  # "auto" (invert a light background) | "always" | "never"
    preview_side: int = 512  # longest side kept for the "original" step; display only


DEFAULTS = ConversionDefaults()


@dataclass
class ConvertedImage:
    """What convert_for_model did, step by step.

    Steps are uint8 arrays for display: "original" is (H, W, 3) RGB (shrunk to at most
    DEFAULTS.preview_side px), the others are (h, w) for grayscale models or (h, w, 3) for RGB ones.
    Step names, in order: "original", "grayscale" (1-channel models only), "resized", "inverted"
    (only when inverted).
    """

    steps: list[tuple[str, np.ndarray]]  # (name, uint8 pixels) in the order they were made
    array: np.ndarray  # (h, w, c) float32 in [0, 1]: exactly the model's input shape
    inverted: bool  # whether the background was inverted to MNIST's white-on-black
    notes: list[str]  # what was done, in words, for the user


def read_image(data: bytes, name: str = "upload") -> Image.Image:
    """Decode untrusted bytes: validated, first frame, EXIF-rotated, fully loaded."""
    image, _ = _read_with_notes(data, name)
    return image


def convert_for_model(
    data: bytes,
    input_shape: tuple[int, int, int],
    name: str = "upload",
    invert: str = DEFAULTS.invert,
    margin: float = DEFAULTS.margin,
) -> ConvertedImage:
    """Bytes of a PNG/JPEG/BMP/GIF/WebP file -> a model input of exactly `input_shape`."""
    _check_options(input_shape, invert, margin)  # first: a bad option is not the file's fault
    image, notes = _read_with_notes(data, name)
    converted = convert_image(image, input_shape, invert=invert, margin=margin)
    converted.notes[:0] = notes
    return converted


def read_capped(path: str | Path) -> bytes:
    """A file's bytes, refused by its size before reading when it is over the upload cap."""
    path = Path(path)
    try:
        size = path.stat().st_size
        data = b"" if size > MAX_UPLOAD_BYTES else path.read_bytes()
    except OSError as error:
        raise errors.ImageError(f"Cannot read {path}: {error.strerror or error}.") from error
    if size > MAX_UPLOAD_BYTES:
        raise errors.ImageError(imagemessages.too_many_bytes(path.name, size, MAX_UPLOAD_BYTES))
    return data


def load_image_file(path: str | Path, input_shape: tuple[int, int, int], **options) -> ConvertedImage:
    """convert_for_model for a file on disk (CLI, notebooks); checks the size cap before reading."""
    path = Path(path)
    return convert_for_model(read_capped(path), input_shape, name=path.name, **options)


def read_photo(data: bytes, name: str = "upload") -> tuple[np.ndarray, list[str]]:
    """Untrusted bytes -> the photo at full size, (h, w, 1) grey or (h, w, 3) colour float32 in [0, 1],
    and notes. The same guards as convert_for_model (size cap, decompression bombs, odd modes); no resizing."""
    image, notes = _read_with_notes(data, name)
    flat, flat_notes = _flatten(image)  # "L" or "RGB", 8 bits
    pixels = np.asarray(flat, dtype=np.float32) / 255.0
    return (pixels[..., None] if pixels.ndim == 2 else pixels), notes + flat_notes


def read_photo_file(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """read_photo for a file on disk; checks the size cap before reading."""
    path = Path(path)
    return read_photo(read_capped(path), path.name)


def convert_image(
    image: Image.Image,
    input_shape: tuple[int, int, int],
    invert: str = DEFAULTS.invert,
    margin: float = DEFAULTS.margin,
) -> ConvertedImage:
    """A decoded Pillow image of any mode -> a model input (also for drawn images)."""
    height, width, channels = _check_options(input_shape, invert, margin)
    flat, notes = _flatten(image)  # "RGB" or "L", 8 bits
    steps = [("original", _preview(flat, "RGB"))]
    working = flat.convert("L" if channels == 1 else "RGB")
    if channels == 1:
        steps.append(("grayscale", _preview(working, "L")))
    elif flat.mode == "L":
        notes.append("grayscale image repeated into 3 channels")
    border = _border_pixels(working)  # (k, channels) uint8
    pixels = np.asarray(_fit_into_frame(working, (height, width), margin, border, notes))
    steps.append(("resized", pixels))  # (h, w) or (h, w, 3) uint8
    light_background = float(border.mean()) / 255.0 > 0.5
    inverted = invert == "always" or (invert == "auto" and light_background)
    if inverted:
        pixels = 255 - pixels
        steps.append(("inverted", pixels))
        why = "light background" if invert == "auto" else "asked to always invert"
        notes.append(f"inverted ({why}): MNIST-style models expect white on black")
    elif invert == "auto":
        notes.append("not inverted: the background is already dark")
    array = (pixels.astype(np.float32) / 255.0).reshape(height, width, channels)
    return ConvertedImage(steps=steps, array=array, inverted=inverted, notes=notes)


def to_png_bytes(array: np.ndarray) -> bytes:
    """(h, w), (h, w, 1), (h, w, 3) or (h, w, 4) float in [0, 1] or uint8 -> PNG file bytes."""
    pixels = np.asarray(array)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[-1] not in (3, 4)):
        raise errors.ImageError(
            f"Cannot save an array shaped {pixels.shape} as PNG; expected (h, w) or (h, w, 1|3|4)."
        )
    if pixels.dtype == np.bool_ or np.issubdtype(pixels.dtype, np.floating):
        scaled = np.nan_to_num(pixels.astype(np.float64), nan=0.0) * 255.0
        pixels = np.clip(np.round(scaled), 0, 255).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        raise errors.ImageError(f"Cannot save {pixels.dtype} pixels as PNG; use [0, 1] floats or uint8.")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _read_with_notes(data: bytes, name: str) -> tuple[Image.Image, list[str]]:
    """The validated, decoded first frame, and notes on what was done to it."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected the file's bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise errors.ImageError(f"{name}: the file is empty. Choose an image file and try again.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise errors.ImageError(imagemessages.too_many_bytes(name, len(data), MAX_UPLOAD_BYTES))
    image = _open_header(data, name)
    notes = ["first frame of an animated image"] if _is_animated(image) else []
    try:
        image.seek(0)
        image.load()
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, ...
        raise errors.ImageError(
            f"{name}: the {image.format} image is truncated or corrupt ({error}). "
            "Open and re-save it in an image editor, or choose another file."
        ) from error
    return _apply_exif_rotation(image, notes), notes


def _open_header(data: bytes, name: str) -> Image.Image:
    """Image.open reads only the header; refuse bad formats and huge sizes before decoding."""
    try:
        # Pillow detects the format from the bytes, trying only our formats' parsers: a TIFF
        # named .png is refused, and exotic parsers never see untrusted data.
        image = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own limit, also from the header (the warning only under -W error); its message
        # reads "Image size (400000000 pixels) exceeds limit ...".
        found = re.search(r"\((\d+) pixels\)", str(error))
        pixels = int(found.group(1)) if found else None
        message = imagemessages.too_many_pixels(name, pixels, MAX_IMAGE_PIXELS)
        raise errors.ImageError(message) from error
    except Exception as error:  # UnidentifiedImageError, SyntaxError, struct.error, ...
        raise errors.ImageError(imagemessages.unreadable(name, data)) from error
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        size_text = f" ({width}x{height})"
        message = imagemessages.too_many_pixels(name, width * height, MAX_IMAGE_PIXELS, size_text)
        raise errors.ImageError(message)
    if width < 1 or height < 1:
        raise errors.ImageError(f"{name} has no pixels ({width}x{height}); choose another image.")
    return image


def _is_animated(image: Image.Image) -> bool:
    """GIF and WebP answer by stepping through frame headers; a broken one counts as still."""
    try:
        return bool(getattr(image, "is_animated", False))
    except Exception:  # a corrupt second frame is not our business: we use the first one
        return False


def _apply_exif_rotation(image: Image.Image, notes: list[str]) -> Image.Image:
    """Phones store photos sideways plus an EXIF orientation tag; turn the pixels upright."""
    try:
        orientation = image.getexif().get(0x0112, 1)  # 0x0112: the EXIF Orientation tag
        if orientation in (1, None):
            return image
        upright = ImageOps.exif_transpose(image)
    except Exception:  # malformed EXIF: use the pixels as stored rather than refuse the photo
        notes.append("could not read the EXIF orientation; the image is used as stored")
        return image
    upright.format = image.format  # the rotated copy would otherwise forget it was a JPEG
    notes.append(f"rotated upright using the EXIF orientation tag ({orientation})")
    return upright


def _flatten(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Any Pillow mode -> 8-bit "L" or "RGB"; a mode Pillow cannot convert is an ImageError."""
    try:
        return _flatten_unchecked(image)
    except Exception as error:
        raise errors.ImageError(
            f"Cannot convert an image in colour mode {image.mode}; save it as an RGB PNG."
        ) from error


def _flatten_unchecked(image: Image.Image) -> tuple[Image.Image, list[str]]:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        full_scale = 1.0 if image.mode == "F" else 65535.0  # integer modes come from 16-bit files
        values = np.asarray(image, dtype=np.float64) / full_scale * 255.0
        eight_bit = np.clip(np.round(values), 0, 255).astype(np.uint8)
        return Image.fromarray(eight_bit), [f"{image.mode} image scaled to 8 bits"]
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        # Drawing tools export dark ink on a transparent canvas: white paper is the natural backdrop.
        rgba = image.convert("RGBA")
        see_through = rgba.getextrema()[3][0] < 255
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, rgba).convert("RGB")
        return flat, ["transparent areas placed on white"] if see_through else []
    if image.mode in ("L", "RGB"):
        return image, []
    target_mode = "L" if image.mode == "1" else "RGB"
    quiet = image.mode in ("1", "P")  # lossless, nothing worth telling the user
    return image.convert(target_mode), [] if quiet else [f"converted from {image.mode} to RGB"]


def _preview(image: Image.Image, mode: str) -> np.ndarray:
    """(H, W, 3) for "RGB" or (H, W) for "L", uint8, at most DEFAULTS.preview_side px a side."""
    preview = image.convert(mode)  # always a copy, so thumbnail() cannot shrink the caller's image
    preview.thumbnail((DEFAULTS.preview_side, DEFAULTS.preview_side), Image.Resampling.LANCZOS)
    return np.asarray(preview)


def _border_pixels(image: Image.Image) -> np.ndarray:
    """The outermost rows and columns as (k, channels) uint8: the background's colour."""
    width, height = image.size
    strips = [(0, 0, width, 1), (0, height - 1, width, height)]  # top and bottom rows
    strips += [(0, 0, 1, height), (width - 1, 0, width, height)]  # left and right columns
    channels = len(image.getbands())
    return np.concatenate([np.asarray(image.crop(box)).reshape(-1, channels) for box in strips])


def _fit_into_frame(
    image: Image.Image, frame: tuple[int, int], margin: float, border: np.ndarray, notes: list[str]
) -> Image.Image:
    """Resize keeping the aspect ratio into the frame minus margins; pad with the background."""
    frame_height, frame_width = frame
    box_height = max(1.0, frame_height * (1 - 2 * margin))
    box_width = max(1.0, frame_width * (1 - 2 * margin))
    scale = min(box_height / image.height, box_width / image.width)
    new_width = min(frame_width, max(1, round(image.width * scale)))
    new_height = min(frame_height, max(1, round(image.height * scale)))
    # Bilinear (a triangle filter, widened when shrinking) has no negative lobes: unlike Lanczos it
    # never rings, so ink and paper keep their grey levels and a flat background stays flat.
    resized = image.resize((new_width, new_height), Image.Resampling.BILINEAR, reducing_gap=3.0)
    # The median ignores ink touching the border; one value per channel, (channels,)
    background = tuple(int(value) for value in np.median(border, axis=0))
    fill = background[0] if image.mode == "L" else background
    canvas = Image.new(image.mode, (frame_width, frame_height), fill)
    canvas.paste(resized, ((frame_width - new_width) // 2, (frame_height - new_height) // 2))
    notes.append(
        f"resized {image.width}x{image.height} -> {new_width}x{new_height} px (width x height) "
        f"keeping the aspect ratio, centred in {frame_width}x{frame_height} with a {margin:.0%} "
        "margin of background colour"
    )
    return canvas


def _check_options(input_shape, invert: str, margin: float) -> tuple[int, int, int]:
    """Validate the caller's options; return (height, width, channels)."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else ()
    integers = all(isinstance(size, (int, np.integer)) and size is not True for size in shape)
    if len(shape) != 3 or not integers or min(shape[:2]) < 1 or shape[2] not in (1, 3):
        raise errors.ModelError(
            f"input_shape {input_shape!r} is not usable for images; expected (height, width, 1) "
            "for grayscale or (height, width, 3) for colour models, e.g. (28, 28, 1)."
        )
    if invert not in INVERT_OPTIONS:
        allowed = ", ".join(repr(option) for option in INVERT_OPTIONS)
        raise errors.ModelError(f"invert={invert!r} is not an option; choose one of {allowed}.")
    if not (isinstance(margin, numbers.Real) and 0.0 <= margin < 0.5):
        raise errors.ModelError(
            f"margin={margin!r} must be a fraction in [0, 0.5); the default is {DEFAULTS.margin:.3f}."
        )
    return int(shape[0]), int(shape[1]), int(shape[2])
