"""Full-resolution denoising with a photo model, in overlapping tiles so memory stays bounded.

The photo is padded once (a few mirrored pixels, then up to a multiple of 4 so the stride-2 grids
line up), cut into tiles whose cores start on multiples of 4, and each tile carries an overlap of the
network's receptive radius on every side. An output pixel therefore sees exactly the pixels it would
see in one whole-image pass: the tiled result equals the whole pass up to float rounding
(tests/test_photos.py checks 1e-4). Grey photos go through as three equal channels and come back as
their mean, so grey stays grey and colour stays colour.
"""

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from aecore.errors import ModelError
from aecore.models import photonet

BORDER = 8  # mirrored pixels around the photo so its edges are not denoised against zero padding


@dataclass(frozen=True)
class TileConfig:
    tile: int = 1024  # core side of one tile in pixels (a multiple of 4); ~1 MP per model call
    overlap: int | None = None  # pixels of context on each side; None: the model's receptive radius


def _call(autoencoder):
    """The model as a graph for any (1, h, w, 3) input: traced once per model, not per size."""
    functions = autoencoder.__dict__.setdefault("_compiled", {})
    if "photo" not in functions:
        model = autoencoder.model
        spec = tf.TensorSpec((None, None, None, photonet.CHANNELS), tf.float32)
        functions["photo"] = tf.function(lambda inputs: model(inputs, training=False), input_signature=[spec])
    return functions["photo"]


def _checked(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3) or min(image.shape[:2]) < 1:
        raise ModelError(f"a photo must be (height, width) or (height, width, 1 or 3); got shape {image.shape}")
    return image


def _starts(length: int, core: int) -> list[int]:
    return list(range(0, length, core))


# The eight flips and rotations of the square, as (forward, inverse) on (h, w, c) arrays, ordered so that the first
# 2 and the first 4 are each a group (identity and transpose; with the half turn and the anti-transpose).
TRANSFORMS = (
    (lambda image: image, lambda image: image),
    (lambda image: image.transpose(1, 0, 2), lambda image: image.transpose(1, 0, 2)),
    (lambda image: image[::-1, ::-1], lambda image: image[::-1, ::-1]),
    (lambda image: image[::-1, ::-1].transpose(1, 0, 2), lambda image: image[::-1, ::-1].transpose(1, 0, 2)),
    (lambda image: image[:, ::-1], lambda image: image[:, ::-1]),
    (lambda image: image[::-1], lambda image: image[::-1]),
    (lambda image: np.rot90(image, 1), lambda image: np.rot90(image, -1)),
    (lambda image: np.rot90(image, -1), lambda image: np.rot90(image, 1)),
)
ENSEMBLES = (1, 2, 4, 8)  # how many of TRANSFORMS `denoise` may average
# How a colour photo's chroma is denoised: "rgb" by the model's colour pass alone (1 pass); "half" and "full" take the
# luma from that pass and the two chroma channels from grey passes of the model over them at half size (0.5 pass
# more) or full size (2 passes more). The network leaves chroma noise a colour pass does not expect; as a grey photo
# the same noise is what it was trained on (bench/RESULTS.md, #39 part 4).
CHROMA = ("rgb", "half", "full")
# An orthonormal colour transform (luma, red - blue, red - 2 green + blue): white noise of sigma in RGB stays white
# noise of sigma in each of its channels. channel * CHROMA_SCALES + CHROMA_OFFSETS is in [0, 1] for the model.
OPPONENT = np.array([[1, 1, 1], [1, 0, -1], [1, -2, 1]], np.float32) / np.sqrt([[3], [2], [6]]).astype(np.float32)
CHROMA_SCALES = np.float32([1 / np.sqrt(3), 1 / np.sqrt(2), np.sqrt(6) / 4])
CHROMA_OFFSETS = np.float32([0.0, 0.5, 0.5])


def check_passes(ensemble: int, chroma: str):
    """Raises ModelError naming what is allowed unless `ensemble` is in ENSEMBLES and `chroma` in CHROMA."""
    if ensemble not in ENSEMBLES:
        raise ModelError(f"ensemble must be one of {', '.join(map(str, ENSEMBLES))} (passes averaged over flips and "
                         f"turns); got {ensemble!r}")
    if chroma not in CHROMA:
        raise ModelError(f"chroma must be one of {', '.join(CHROMA)} (how a colour photo's chroma is denoised); "
                         f"got {chroma!r}")


def denoise(autoencoder, image: np.ndarray, config: TileConfig | None = None,
            progress: Callable[[int, int], None] | None = None, ensemble: int = 1, chroma: str = "rgb") -> np.ndarray:
    """(h, w, c) in [0, 1] -> (h, w, c) denoised, c = 1 or 3 as given; `progress(done, total)` per tile.

    ensemble > 1 denoises the photo flipped and turned that many ways (TRANSFORMS) and averages the results turned
    back: each pass sees the noise in another orientation, so their errors partly cancel (`ensemble` times the time).
    chroma (CHROMA) says how a colour photo's chroma is denoised; a grey photo has none and ignores it."""
    config = config or TileConfig()
    if config.tile < photonet.SIZE_MULTIPLE or config.tile % photonet.SIZE_MULTIPLE:
        raise ModelError(f"tile must be a positive multiple of {photonet.SIZE_MULTIPLE}; got {config.tile}")
    check_passes(ensemble, chroma)
    if autoencoder.family != "photo":
        raise ModelError(f"model {autoencoder.name!r} is a {autoencoder.family} model; full-size denoising "
                         "needs a photo model (train one with `python -m aecore train --dataset photos`)")
    image = _checked(image)
    if image.shape[-1] == 1 or chroma == "rgb":
        return _averaged(autoencoder, image, config, _Progress(progress, [(image.shape[:2], ensemble)], config), ensemble)
    return _grey_chroma(autoencoder, image, config, progress, ensemble, chroma == "half")


class _Progress:
    """progress(done, total) over every tile of every pass: passes is [((height, width), count), ...]."""

    def __init__(self, progress, passes: list, config: TileConfig):
        self.progress, self.done = progress, 0
        self.total = sum(count * _tile_count(shape, config.tile) for shape, count in passes)

    def tile(self):
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _tile_count(shape: tuple[int, int], tile: int) -> int:
    padded = [-(-(side + 2 * BORDER) // photonet.SIZE_MULTIPLE) * photonet.SIZE_MULTIPLE for side in shape]
    return len(_starts(padded[0], tile)) * len(_starts(padded[1], tile))


def _averaged(autoencoder, image: np.ndarray, config: TileConfig, progress: _Progress, ensemble: int) -> np.ndarray:
    """(h, w, 1 or 3) -> the same shape: the mean of `ensemble` passes, each over the photo flipped or turned."""
    channels = image.shape[-1]
    colour = np.repeat(image, 3, axis=-1) if channels == 1 else image
    denoised = None
    for forward, inverse in TRANSFORMS[:ensemble]:
        result = inverse(_denoise_once(autoencoder, forward(colour), config, progress))
        # the first pass's output (a view into its own padded buffer, no copy) accumulates the others
        denoised = result if denoised is None else np.add(denoised, result, out=denoised)
    if ensemble > 1:
        denoised /= ensemble
    return denoised.mean(axis=-1, keepdims=True) if channels == 1 else denoised


def _grey_chroma(autoencoder, image: np.ndarray, config: TileConfig, progress, ensemble: int, half: bool) -> np.ndarray:
    """(h, w, 3) -> (h, w, 3): the luma of the colour pass, each chroma channel denoised as a grey photo (at half size:
    2x2 means, so a quarter of the pixels and half the noise, scaled back up bicubically)."""
    height, width = image.shape[:2]
    small = (-(-height // 2), -(-width // 2)) if half else (height, width)
    tracker = _Progress(progress, [((height, width), ensemble), (small, 2 * ensemble)], config)
    colour = _averaged(autoencoder, image, config, tracker, ensemble)  # (h, w, 3), a buffer of our own
    for channel in (1, 2):
        weights = OPPONENT[channel]  # (3,)
        plane = (image @ weights * CHROMA_SCALES[channel] + CHROMA_OFFSETS[channel])[..., None]  # (h, w, 1) in [0, 1]
        if half:
            even = np.pad(plane, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
            plane = even.reshape(small[0], 2, small[1], 2, 1).mean(axis=(1, 3))
        plane = _averaged(autoencoder, plane, config, tracker, ensemble)[..., 0]
        if half:  # PIL's bicubic: 0.02 s for 1 MP where scikit-image's cubic spline took 1.9 s, 0.01 dB apart
            plane = np.asarray(Image.fromarray(plane).resize((2 * small[1], 2 * small[0]), Image.Resampling.BICUBIC))
            plane = plane[:height, :width]
        # replace this chroma channel of the colour pass; the rows of OPPONENT are orthonormal, so adding along one
        # leaves the luma and the other chroma channel as they were (and no full-size opponent copy is needed)
        change = (plane - CHROMA_OFFSETS[channel]) / CHROMA_SCALES[channel] - colour @ weights  # (h, w)
        for component in range(3):
            colour[..., component] += change * weights[component]
    return np.clip(colour, 0.0, 1.0, out=colour)


def _denoise_once(autoencoder, colour: np.ndarray, config: TileConfig, progress: _Progress) -> np.ndarray:
    """(h, w, 3) -> (h, w, 3) clipped to [0, 1]: one pass of the model over the padded photo, tile by tile."""
    overlap = receptive_radius(autoencoder) if config.overlap is None else config.overlap
    denoised = tiled(_call(autoencoder), colour, overlap, config.tile, progress.tile)
    np.clip(denoised, 0.0, 1.0, out=denoised)
    return denoised


def tiled(call: Callable, colour: np.ndarray, overlap: int, tile: int = TileConfig.tile,
          tick: Callable[[], None] | None = None) -> np.ndarray:
    """(h, w, 3) -> (h, w, k): a fully convolutional `call` ((1, H, W, 3) -> (1, H, W, k)) over the padded photo,
    tile by tile, each tile with `overlap` pixels of context (the network's receptive radius) on every side;
    `tick()` after each tile. Returns a view into its own padded buffer (no second full-size copy)."""
    height, width = colour.shape[:2]
    padded = _pad(colour)  # (H, W, 3), H and W multiples of 4
    overlap = -(-overlap // photonet.SIZE_MULTIPLE) * photonet.SIZE_MULTIPLE
    output = None
    for top in _starts(padded.shape[0], tile):
        for left in _starts(padded.shape[1], tile):
            bottom, right = min(top + tile, padded.shape[0]), min(left + tile, padded.shape[1])
            y0, x0 = max(0, top - overlap), max(0, left - overlap)
            y1, x1 = min(padded.shape[0], bottom + overlap), min(padded.shape[1], right + overlap)
            result = keras.ops.convert_to_numpy(call(padded[None, y0:y1, x0:x1]))[0]
            if output is None:  # (H, W, k): k from the first tile's result
                output = np.empty(padded.shape[:2] + result.shape[-1:], np.float32)
            output[top:bottom, left:right] = result[top - y0 : bottom - y0, left - x0 : right - x0]
            if tick is not None:
                tick()
    return output[BORDER : BORDER + height, BORDER : BORDER + width]


def receptive_radius(autoencoder) -> int:
    """The photo model's receptive radius (its options' widths and blocks): the tiles' overlap."""
    return photonet.receptive_radius(photonet.PhotoOptions(**_options(autoencoder)))


def tile_count(shape: tuple[int, int], tile: int = TileConfig.tile) -> int:
    """How many tiles `tiled` cuts a photo of `shape` (height, width) into."""
    return _tile_count(shape, tile)


def _options(autoencoder) -> dict:
    options = dict(autoencoder.options or {})
    return {"widths": tuple(options.get("widths", photonet.PhotoOptions.widths)),
            "blocks": int(options.get("blocks", photonet.PhotoOptions.blocks))}


def _pad(image: np.ndarray) -> np.ndarray:
    """Mirror BORDER pixels on every side, then more at the bottom and right up to multiples of 4."""
    height, width = image.shape[:2]
    multiple = photonet.SIZE_MULTIPLE
    extra_height = -(height + 2 * BORDER) % multiple
    extra_width = -(width + 2 * BORDER) % multiple
    pads = ((BORDER, BORDER + extra_height), (BORDER, BORDER + extra_width), (0, 0))
    return np.pad(image, pads, mode="symmetric")
