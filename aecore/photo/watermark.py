"""Random watermarks drawn on photos: the unwatermark task's training pairs, the bench's held-out test, the page's own.

A watermark is an opacity map `alpha` (h, w) in [0, 1] and one colour (3,): the photo becomes
`photo * (1 - alpha) + colour * alpha`, as an editor blends a semi-transparent layer. It holds text (random words,
numbers and symbols in a random font, size and angle, once or tiled over the photo) and sometimes a simple logo
(ring, disc, star or frame). The fonts are the TrueType/OpenType files of Debian's fonts-* packages
(/usr/share/fonts); HELD_OUT_FONTS and HELD_OUT_WORDS are never drawn in training, so the bench measures a model on
fonts and words it never saw. Every draw takes a numpy Generator: the same seed gives the same watermark.
Training patches are windows of a watermark drawn for a whole photo (`patch_watermark`), so they hold as much of it
as a real photo's patches do; many are clean, and those teach the model to leave clean pixels alone.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from aecore import errors
from aecore.data import noise as typefaces  # its fonts, shared with the small-image watermark noise

# the fonts are found in the data room (aecore.data.noise), which the small-image watermark noise shares
FONT_FOLDERS, FONT_PACKAGES, FONT_SUFFIXES = typefaces.FONT_FOLDERS, typefaces.FONT_PACKAGES, typefaces.FONT_SUFFIXES
HELD_OUT_FONTS, font_files = typefaces.HELD_OUT_FONTS, typefaces.font_files
TRAIN_WORDS = (
    "SAMPLE", "PREVIEW", "PROOF", "COPY", "DRAFT", "stock", "photo", "Photography", "studio", "images", "pictures",
    "DO NOT COPY", "all rights reserved", "www.example.com", "licensed", "unlicensed", "demo", "watermark", "archive",
    "agency", "press", "news", "daily", "gallery", "media", "design", "creative", "shutter", "lens", "focus",
    "Anna", "Marco", "Jean", "Olga", "Kenji", "Lucia", "Pedro", "Sofia", "Ivan", "Amara", "portfolio", "travel",
    "wedding", "events", "nature", "wildlife", "fotografie", "Bildarchiv", "imágenes", "фото", "Φωτό", "COMP",
)
HELD_OUT_WORDS = ("CONFIDENTIAL", "specimen", "Not for sale", "Heritage", "Nordlicht", "Kowalski", "LIMITED",
                  "snapshot", "Moments", "Lumière", "prints", "ORIGINAL")
SYMBOLS = "©®™@#&*★●◆♦✓+"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
LOGOS = ("ring", "disc", "star", "frame")
CANVAS_SIDES = (128, 640)  # patch_watermark: the sides of the photo a training patch's watermark is drawn for
MASK_THRESHOLD = 0.02  # the alpha above which a pixel counts as marked (what oracle inpainting and the gates are told)
MARKED_SHARE = 0.8  # patch_watermark: windows placed over the watermark; the rest fall anywhere, often on clean photo


@dataclass(frozen=True)
class Watermark:
    alpha: np.ndarray  # (h, w) float32 opacity in [0, 1]; > 0 where the watermark is
    colour: np.ndarray  # (3,) float32 in [0, 1]

    def apply(self, photo: np.ndarray) -> np.ndarray:
        """(h, w, 1 or 3) clean photo in [0, 1] -> the watermarked (h, w, 3) photo."""
        photo = np.asarray(photo, np.float32)
        photo = np.repeat(photo, 3, axis=-1) if photo.shape[-1] == 1 else photo
        alpha = self.alpha[..., None]
        return photo * (1.0 - alpha) + self.colour * alpha

    def mask(self, threshold: float = MASK_THRESHOLD) -> np.ndarray:
        """(h, w) bool: the pixels the watermark changes visibly (what oracle inpainting is told)."""
        return self.alpha > threshold


def random_text(random: np.random.Generator, words: tuple[str, ...] = TRAIN_WORDS) -> str:
    """One to three of `words`, random letters or a year, with a symbol now and then: '© Anna 2019', 'PROOF ★'."""
    parts = []
    for _ in range(int(random.integers(1, 4))):
        kind = random.random()
        if kind < 0.6:
            parts.append(str(words[random.integers(len(words))]))
        elif kind < 0.8:
            parts.append("".join(random.choice(list(LETTERS), size=int(random.integers(2, 9)))))
        else:
            parts.append(str(random.integers(1990, 2031)))
    if random.random() < 0.4:
        parts.insert(0 if random.random() < 0.7 else len(parts), str(random.choice(list(SYMBOLS))))
    return " ".join(parts)


def draw_text(height: int, width: int, random: np.random.Generator, fonts: tuple[Path, ...] | None = None,
              words: tuple[str, ...] = TRAIN_WORDS, text: str | None = None, size: int | None = None) -> np.ndarray:
    """(h, w) float32 coverage in [0, 1] of one text, rotated, placed once or tiled over the whole area."""
    fonts = fonts or font_files()
    text = text or random_text(random, words)
    short = min(height, width)
    size = size or int(np.clip(random.uniform(0.04, 0.2) * max(short, 256), 9, 400))
    typeface = typefaces.font(fonts[random.integers(len(fonts))], size)  # drawn before the angle: seeds stay as they were
    stamp = typefaces.stamp(text, typeface, random.uniform(-50, 50) * (random.random() < 0.7))
    coverage = np.zeros((height, width), np.float32)
    if random.random() < 0.4:  # tiled, as stock agencies do, with gaps of half to two stamps
        step_y = max(4, int(stamp.shape[0] * random.uniform(1.5, 3.0)))
        step_x = max(4, int(stamp.shape[1] * random.uniform(1.1, 2.0)))
        for row, top in enumerate(range(-int(random.integers(step_y)), height, step_y)):
            shift = int(step_x * 0.5 * (row % 2))
            for left in range(-int(random.integers(step_x)) - shift, width, step_x):
                typefaces.paste(coverage, stamp, top, left)
    else:
        top = int(random.integers(-stamp.shape[0] // 2, max(1, height - stamp.shape[0] // 2)))
        left = int(random.integers(-stamp.shape[1] // 2, max(1, width - stamp.shape[1] // 2)))
        typefaces.paste(coverage, stamp, top, left)
    return coverage


def draw_logo(height: int, width: int, random: np.random.Generator) -> np.ndarray:
    """(h, w) coverage of one simple logo (LOGOS) at a random place and size."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    radius = max(3.0, random.uniform(0.05, 0.2) * max(min(height, width), 128))
    centre_x, centre_y = random.uniform(0, width), random.uniform(0, height)
    box = (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)
    kind = LOGOS[random.integers(len(LOGOS))]
    line = max(2, int(radius * random.uniform(0.08, 0.25)))
    if kind == "ring":
        draw.ellipse(box, outline=255, width=line)
    elif kind == "disc":
        draw.ellipse(box, fill=255)
    elif kind == "star":
        turn = random.uniform(0, math.pi)
        points = [(centre_x + radius * (1.0 if k % 2 == 0 else 0.45) * math.cos(turn + k * math.pi / 5),
                   centre_y + radius * (1.0 if k % 2 == 0 else 0.45) * math.sin(turn + k * math.pi / 5)) for k in range(10)]
        draw.polygon(points, fill=255)
    else:
        draw.rectangle(box, outline=255, width=line)
    return np.asarray(canvas, np.float32) / 255.0


def random_watermark(height: int, width: int, random: np.random.Generator, held_out: bool = False) -> Watermark:
    """Text (and a logo one time in four) in one colour at one opacity: white, black, grey or any colour."""
    fonts, words = font_files(held_out), HELD_OUT_WORDS if held_out else TRAIN_WORDS
    coverage = draw_text(height, width, random, fonts, words)
    if random.random() < 0.25:
        np.maximum(coverage, draw_logo(height, width, random), out=coverage)
    kind = random.random()
    if kind < 0.4:
        colour = np.ones(3)
    elif kind < 0.6:
        colour = np.zeros(3)
    elif kind < 0.75:
        colour = np.full(3, random.uniform(0.2, 0.8))
    else:
        colour = random.uniform(0, 1, 3)
    opacity = random.uniform(0.25, 0.75)
    return Watermark((coverage * opacity).astype(np.float32), colour.astype(np.float32))


def patch_watermark(patch: int, random: np.random.Generator, held_out: bool = False,
                    canvas: tuple[int, int] = CANVAS_SIDES, marked_share: float = MARKED_SHARE) -> Watermark:
    """A `patch` x `patch` window of a watermark drawn on a whole photo-sized canvas, so a training patch holds as much
    watermark as that much of a real photo does (a few letters' strokes and clean photo around them), not a whole text
    squeezed into 64 px. `marked_share` of the windows are placed over a marked pixel, the rest anywhere (often clean)."""
    side = int(random.integers(max(canvas[0], patch), max(canvas[1], patch) + 1))
    whole = random_watermark(side, side, random, held_out)
    marked = np.argwhere(whole.alpha > 0.02)
    if len(marked) and random.random() < marked_share:
        y, x = marked[random.integers(len(marked))]
        top = int(np.clip(y - random.integers(patch), 0, side - patch))
        left = int(np.clip(x - random.integers(patch), 0, side - patch))
    else:
        top, left = (int(value) for value in random.integers(0, side - patch + 1, 2))
    return Watermark(whole.alpha[top : top + patch, left : left + patch].copy(), whole.colour)


def text_watermark(height: int, width: int, text: str, size: int, opacity: float, colour=(1.0, 1.0, 1.0),
                   angle: float = 30.0, tiled: bool = True, font: Path | None = None) -> Watermark:
    """A watermark a user types (the page): `text` at `size` px and `opacity`, tiled or once in the middle."""
    if not str(text).strip():
        raise errors.ModelError("the watermark text is empty; type a few letters")
    if not 0.0 < float(opacity) <= 1.0:
        raise errors.ModelError(f"watermark opacity must be in (0, 1]; got {opacity}")
    if not 4 <= int(size) <= 1000:
        raise errors.ModelError(f"watermark size must be 4 to 1000 pixels; got {size}")
    font_path = font or next((path for path in font_files() if path.name == "DejaVuSans-Bold.ttf"), font_files()[0])
    stamp = typefaces.stamp(str(text), typefaces.font(font_path, int(size)), float(angle))
    coverage = np.zeros((height, width), np.float32)
    if tiled:
        step_y, step_x = int(stamp.shape[0] * 2), int(stamp.shape[1] * 1.5)
        for row, top in enumerate(range(0, height, max(4, step_y))):
            for left in range(-int(step_x * 0.5 * (row % 2)), width, max(4, step_x)):
                typefaces.paste(coverage, stamp, top, left)
    else:
        typefaces.paste(coverage, stamp, (height - stamp.shape[0]) // 2, (width - stamp.shape[1]) // 2)
    return Watermark(coverage * np.float32(opacity), np.asarray(colour, np.float32))
