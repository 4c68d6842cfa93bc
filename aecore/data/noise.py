"""Corrupt images for denoising autoencoders and for probing how robust a model is.

Pure NumPy (and PIL for the watermark's letters), so the dashboard can add noise on every slider move without
loading Keras. The watermark's fonts (Debian's TrueType/OpenType files, some held out for benches) are found here, the
lowest room that draws letters, and the photo watermarks (aecore.photo.watermark) draw with them too.
"""

import functools
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from aecore import errors

NOISE_KINDS = ("gaussian", "salt_and_pepper", "masking")  # the Denoise page's kinds
WATERMARK = "watermark"  # a few letters or a symbol in a random font blended over the image, as the photo watermarks
ALL_KINDS = (*NOISE_KINDS, WATERMARK)  # what add_noise and the denoising family's training take
WATERMARK_GLYPHS = "ABCDEFGHKMNPRSTWXYZ0123456789©®@#&*+★"  # drawn 1 to 3 at a time; legible at 28 px


def add_noise(
    images: np.ndarray, kind: str = "gaussian", level: float = 0.5, seed: int = 0
) -> np.ndarray:
    """Return a noisy float32 copy of `images` (values in [0, 1]); the input is never modified.

    kind:
      "gaussian"        x + level * N(0, 1), clipped to [0, 1] (the Keras denoising example's
                        `noise_factor`).
      "salt_and_pepper" each pixel, with probability `level`, becomes 0 or 1 (half each).
      "masking"         each pixel, with probability `level`, becomes 0.
      "watermark"       one to three letters or symbols (a random training font, size, angle and place; white or
                        black) blended over each image at opacity `level` (watermark_alphas).
    level is in [0, 1] for every kind. The same seed gives the same noise.

    For a 4-D batch (n, h, w, c), salt-and-pepper and masking hit whole pixels (every channel
    at once), as a dead or stuck sensor pixel would; for any other shape each element is a pixel.
    """
    _check_options(kind, level)
    noisy = np.array(images, dtype=np.float32, copy=True)
    random = np.random.default_rng(seed)
    if kind == WATERMARK:
        return _watermarked(noisy, float(level), random)
    if kind == "gaussian":
        noisy += np.float32(level) * random.standard_normal(noisy.shape, dtype=np.float32)
        return np.clip(noisy, 0.0, 1.0, out=noisy)
    # One draw per pixel, broadcast across channels: (n, h, w, 1) for a 4-D batch.
    pixel_shape = noisy.shape[:-1] + (1,) if noisy.ndim == 4 else noisy.shape
    hit = random.random(pixel_shape) < level
    if kind == "masking":
        return np.where(hit, np.float32(0.0), noisy)
    salt = random.random(pixel_shape) < 0.5
    value = np.where(salt, np.float32(1.0), np.float32(0.0))
    return np.where(hit, value, noisy)


def watermark_alphas(height: int, width: int, count: int, random: np.random.Generator) -> np.ndarray:
    """(count, height, width) float32 coverage in [0, 1]: each one to three glyphs (WATERMARK_GLYPHS) in a random
    training font (font_files; the held-out fonts never), 35-70% of the shorter side high, turned up to 40
    degrees, at a random place that keeps most of the text on the image."""
    typeface_files, short = font_files(), min(height, width)
    alphas = np.zeros((count, height, width), np.float32)
    for number in range(count):
        text = "".join(random.choice(list(WATERMARK_GLYPHS), size=int(random.integers(1, 4))))
        size = max(4, int(round(short * random.uniform(0.35, 0.7))))
        typeface = font(typeface_files[random.integers(len(typeface_files))], size)
        drawn = stamp(text, typeface, float(random.uniform(-40, 40)))
        top = int(random.integers(-drawn.shape[0] // 4, max(1, height - 3 * drawn.shape[0] // 4)))
        left = int(random.integers(-drawn.shape[1] // 4, max(1, width - 3 * drawn.shape[1] // 4)))
        paste(alphas[number], drawn, top, left)
    return alphas


def _watermarked(images: np.ndarray, opacity: float, random: np.random.Generator) -> np.ndarray:
    """images (…, h, w, c) or (h, w): each image blended with its own watermark, white or black, at `opacity`."""
    shaped = images if images.ndim >= 3 else images[..., None]  # (h, w) -> (h, w, 1)
    batch = shaped.reshape(-1, *shaped.shape[-3:])  # (n, h, w, c)
    alphas = watermark_alphas(batch.shape[1], batch.shape[2], batch.shape[0], random)[..., None] * np.float32(opacity)
    # the colour that shows: white over dark pixels, black over light ones (a quarter of the time any grey)
    covered = np.maximum(alphas.sum(axis=(1, 2, 3)), 1e-6)  # (n,)
    under = (batch.mean(axis=-1, keepdims=True) * alphas).sum(axis=(1, 2, 3)) / covered  # the mean pixel under the mark
    colours = np.where(random.random(len(batch)) < 0.25, random.random(len(batch)), (under < 0.5).astype(np.float32))
    colours = colours.astype(np.float32)[:, None, None, None]
    return (batch * (1.0 - alphas) + colours * alphas).astype(np.float32).reshape(images.shape)


def _check_options(kind: str, level: float) -> None:
    """Raise ModelError naming the bad option, what is allowed, and how to fix it."""
    if kind not in ALL_KINDS:
        allowed = ", ".join(repr(name) for name in ALL_KINDS)
        raise errors.ModelError(
            f"Unknown noise kind {kind!r}; allowed kinds are {allowed}. Pick one of these."
        )
    try:
        level_value = float(level)
    except (TypeError, ValueError):
        level_value = math.nan
    if not 0.0 <= level_value <= 1.0:  # also False for NaN
        raise errors.ModelError(
            f"Noise level {level!r} is outside the allowed range [0, 1]. "
            "Choose a level between 0 (no noise) and 1."
        )


FONT_FOLDERS = (Path("/usr/share/fonts"),)
# the Debian packages whose fonts the shipped unwatermark model was trained and measured with (.ci/run installs them)
FONT_PACKAGES = ("fonts-dejavu-core", "fonts-dejavu-extra", "fonts-liberation", "fonts-freefont-ttf",
                 "fonts-urw-base35", "fonts-crosextra-carlito", "fonts-crosextra-caladea", "fonts-open-sans",
                 "fonts-lato", "fonts-cantarell",
                 "fonts-comic-neue", "fonts-linuxlibertine", "fonts-lobster", "fonts-oxygen", "fonts-inconsolata",
                 "fonts-hack", "fonts-ebgaramond")
FONT_SUFFIXES = (".ttf", ".otf")
# font families (file-name prefixes) the training never uses: a script, a slab serif, a mono, a bookman, a humanist sans
HELD_OUT_FONTS = ("lobster", "Caladea", "Hack", "URWBookman", "Cantarell")


@functools.cache
def font_files(held_out: bool = False) -> tuple[Path, ...]:
    """The font files for training (held_out=False) or for the bench (True), sorted, so a seed names one font."""
    found = sorted(path for folder in FONT_FOLDERS if folder.is_dir() for path in folder.rglob("*")
                   if path.suffix.lower() in FONT_SUFFIXES)
    chosen = tuple(path for path in found if path.name.startswith(HELD_OUT_FONTS) == held_out)
    if not chosen:
        raise errors.ModelError(f"no {'held-out ' if held_out else ''}fonts in {', '.join(map(str, FONT_FOLDERS))}; "
                                f"install them: apt-get install --no-install-recommends {' '.join(FONT_PACKAGES)}")
    return chosen


@functools.lru_cache(maxsize=512)
def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def stamp(text: str, typeface: ImageFont.FreeTypeFont, angle: float) -> np.ndarray:
    """The text's coverage (h, w) float32 in [0, 1], rotated by `angle` degrees (the canvas grows to hold it)."""
    left, top, right, bottom = typeface.getbbox(text)
    canvas = Image.new("L", (max(1, right - left + 4), max(1, bottom - top + 4)), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, font=typeface, fill=255)
    if angle:
        canvas = canvas.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
    return np.asarray(canvas, np.float32) / 255.0


def paste(coverage: np.ndarray, drawn: np.ndarray, top: int, left: int):
    """coverage = max(coverage, drawn) where `drawn` lands at (top, left), clipped to the area; in place."""
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(coverage.shape[0], top + drawn.shape[0]), min(coverage.shape[1], left + drawn.shape[1])
    if y1 > y0 and x1 > x0:
        region = coverage[y0:y1, x0:x1]
        np.maximum(region, drawn[y0 - top : y1 - top, x0 - left : x1 - left], out=region)
