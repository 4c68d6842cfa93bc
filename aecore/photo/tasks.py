"""The photo family's three tasks and their training pairs, made on the fly from clean photos.

- denoise: Gaussian noise in, the clean photo out (aecore.data.photos.noisy_patches, unchanged).
- colourise: the photo's luma (BT.601, as PIL's "L") in, as three equal channels, the colour photo out. The model
  predicts RGB; `with_luma` then keeps the input's brightness exactly and takes only the colour (Cb, Cr of YCbCr)
  from the model, scaled by a colour strength. Only photos with colour in them are drawn (`is_colourful`).
- unwatermark: a random watermark (aecore.photo.watermark) in, the clean photo out.

The network is the same for all three (aecore.models.photonet, `input + correction`), so a model for a new task can
start from the shipped denoiser's weights. Every pair is drawn from a numpy Generator: the same seed, the same pairs.
"""

import numpy as np

from aecore import errors
from aecore.data import photos
from aecore.models import photonet
from aecore.photo import watermark

TASKS = photonet.TASKS  # ("denoise", "colourise", "unwatermark")
LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # BT.601 (JPEG's YCbCr and PIL's "L")
CB = np.array([-0.168736, -0.331264, 0.5], np.float32)
CR = np.array([0.5, -0.418688, -0.081312], np.float32)
COLOURFUL_SPREAD = 0.03  # a photo whose chroma (Cb, Cr) spreads less than this is grey for colourise's training


def check_task(task: str) -> str:
    if task not in TASKS:
        raise errors.ModelError(f"unknown task {task!r}; the photo family's tasks are: {', '.join(TASKS)}")
    return task


def task_of(options_or_meta: dict | None) -> str:
    """The task a stored photo model was trained for: its options' `task` (models before tasks: denoise)."""
    options_or_meta = options_or_meta or {}
    options = options_or_meta.get("options", options_or_meta) or {}
    return options.get("task") or options_or_meta.get("task") or "denoise"


def luma(image: np.ndarray) -> np.ndarray:
    """(h, w, 1 or 3) in [0, 1] -> (h, w, 1) brightness."""
    image = np.asarray(image, np.float32)
    return image if image.shape[-1] == 1 else (image @ LUMA)[..., None]


def grey_input(image: np.ndarray) -> np.ndarray:
    """What the colourise model sees: the luma as three equal channels, (..., h, w, 3)."""
    return np.repeat(luma(image), 3, axis=-1)


def chroma(image: np.ndarray) -> np.ndarray:
    """(h, w, 3) RGB -> (h, w, 2) Cb, Cr around 0 (-0.5 .. 0.5)."""
    image = np.asarray(image, np.float32)
    return np.stack([image @ CB, image @ CR], axis=-1)


def from_luma_chroma(brightness: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """(h, w, 1) luma and (h, w, 2) Cb, Cr -> (h, w, 3) RGB in [0, 1] (JPEG's inverse transform)."""
    y, cb, cr = brightness[..., 0], colour[..., 0], colour[..., 1]
    rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=-1)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def with_luma(predicted: np.ndarray, brightness: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """The model's colours on the input's brightness: Y from `brightness`, Cb and Cr from `predicted` times `strength`
    (0: grey, 1: as predicted, above 1: more saturated than the model dared)."""
    if not 0.0 <= float(strength) <= 4.0:
        raise errors.ModelError(f"colour strength must be between 0 and 4; got {strength}")
    return from_luma_chroma(luma(brightness), chroma(predicted) * np.float32(strength))


def is_colourful(photo: photos.Photo) -> bool:
    return photo.pixels.shape[-1] == 3 and float(chroma(photo.pixels[::4, ::4]).std()) >= COLOURFUL_SPREAD


def pairs(task: str, pool: list[photos.Photo], count: int, random: np.random.Generator, patch: int = photos.PATCH,
          held_out: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets), each (count, patch, patch, 3) float32 in [0, 1], for `task` from random crops of `pool`.

    `held_out` draws unwatermark's watermarks in the held-out fonts and words (the bench's pairs)."""
    check_task(task)
    if task == "denoise":
        return photos.noisy_patches(pool, count, random, patch)
    if task == "colourise":
        pool = [photo for photo in pool if is_colourful(photo)]
        if not pool:
            raise errors.DatasetError("colourise trains on colour photos, and none of these has colour in it")
        clean = photos.clean_crops(pool, count, random, patch)
        return grey_input(clean), clean
    inputs, targets, _ = unwatermark_pairs(pool, count, random, patch, held_out)
    return inputs, targets


def unwatermark_pairs(pool: list[photos.Photo], count: int, random: np.random.Generator, patch: int = photos.PATCH,
                      held_out: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(watermarked, clean, marked): (count, patch, patch, 3) twice and (count, patch, patch, 1) 1.0 where the
    watermark's alpha is above 0.02 (what the gated network's gate learns, aecore.photo.gatednet)."""
    clean = photos.clean_crops(pool, count, random, patch)
    marks = [watermark.patch_watermark(patch, random, held_out) for _ in range(count)]
    watermarked = np.stack([mark.apply(crop) for mark, crop in zip(marks, clean, strict=True)]).astype(np.float32)
    marked = np.stack([mark.mask()[..., None] for mark in marks]).astype(np.float32)
    return watermarked, clean, marked


def blend_pairs(pool: list[photos.Photo], count: int, random: np.random.Generator, patch: int = photos.PATCH,
                held_out: bool = False, bright_share: float = 0.0, canvas: tuple[int, int] = watermark.CANVAS_SIDES,
                marked_share: float = watermark.MARKED_SHARE) -> dict[str, np.ndarray]:
    """What aecore.photo.blendnet learns from: {"watermarked", "clean": (count, patch, patch, 3); "marked", "alpha":
    (count, patch, patch, 1), the mask (alpha > 0.02) and the watermark's opacity; "colour": (count, patch, patch, 3),
    its colour at every pixel}. `bright_share` of the crops are the brightest, most contrasted of four drawn (white
    coins on black, highlights: where a model most easily takes clean pixels for a white watermark). `canvas` and
    `marked_share` are watermark.patch_watermark's: the photo sides a watermark is drawn for, the windows over it."""
    bright = int(round(count * bright_share))
    clean = photos.clean_crops(pool, count - bright, random, patch)
    if bright:
        candidates = photos.clean_crops(pool, 4 * bright, random, patch).reshape(bright, 4, patch, patch, 3)
        brightness = candidates @ LUMA  # (bright, 4, patch, patch)
        merit = (brightness > 0.8).mean(axis=(2, 3)) * brightness.std(axis=(2, 3))
        clean = np.concatenate([clean, candidates[np.arange(bright), merit.argmax(axis=1)]])
    marks = [watermark.patch_watermark(patch, random, held_out, canvas, marked_share) for _ in range(count)]
    alpha = np.stack([mark.alpha[..., None] for mark in marks]).astype(np.float32)
    colour = np.stack([np.broadcast_to(mark.colour, (patch, patch, 3)) for mark in marks]).astype(np.float32)
    watermarked = (clean * (1.0 - alpha) + colour * alpha).astype(np.float32)
    return {"watermarked": watermarked, "clean": clean, "marked": (alpha > watermark.MASK_THRESHOLD).astype(np.float32),
            "alpha": alpha, "colour": colour}
