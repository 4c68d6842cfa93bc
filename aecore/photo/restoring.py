"""Restore one photo with a colourise or unwatermark model: what `python -m aecore restore` and the pages call.

At full size in tiles (aecore.photo.tiling), as denoising is. Colourise takes any photo: a colour one is made grey
first (so the result can be scored against it), a grey one is coloured. Unwatermark takes the photo as it is, or
adds a typed watermark first (`watermark_text`) so the result can be scored. The models are found by task:
the store's photo models whose options say `task`, the shipped `photo-<task>` first.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aecore import errors
from aecore.analysis import metrics
from aecore.data import images, photos
from aecore.photo import tasks, tiling, unmarking, watermark

RESTORE_TASKS = ("colourise", "unwatermark")


@dataclass
class RestoreResult:
    task: str
    original: np.ndarray | None  # (h, w, 3) the clean photo when known (a colour photo made grey, a watermark added)
    damaged: np.ndarray  # (h, w, 3) what the model sees: the grey or the watermarked photo
    restored: np.ndarray  # (h, w, 3) float32 in [0, 1]
    seconds: float  # time in the model (and tiling)
    mask: np.ndarray | None = None  # (h, w) bool where a watermark we added lies (for oracle inpainting)
    notes: list[str] = field(default_factory=list)

    def scores(self) -> dict:
        """PSNR (RGB) of the damaged and restored photos against the original (None when there is no original)."""
        if self.original is None:
            return {"psnr_damaged": None, "psnr_restored": None}
        return {"psnr_damaged": psnr(self.original, self.damaged), "psnr_restored": psnr(self.original, self.restored)}


def psnr(clean: np.ndarray, other: np.ndarray) -> float:
    return float(metrics.psnr(np.asarray(clean, np.float32)[None], np.asarray(other, np.float32)[None])[0])


def colourfulness(image: np.ndarray) -> float:
    """Hasler and Süsstrunk's colourfulness on the 0..255 scale (0 for grey; ~110 for a vivid photo)."""
    rgb = np.asarray(image, np.float64) * 255.0
    if rgb.shape[-1] == 1:
        return 0.0
    red_green = rgb[..., 0] - rgb[..., 1]
    yellow_blue = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    spread = np.hypot(red_green.std(), yellow_blue.std())
    return float(spread + 0.3 * np.hypot(red_green.mean(), yellow_blue.mean()))


def check_model(autoencoder, task: str):
    if task not in RESTORE_TASKS:
        raise errors.ModelError(f"unknown restore task {task!r}; choose one of: {', '.join(RESTORE_TASKS)} "
                                "(denoising is `python -m aecore denoise`)")
    trained_for = tasks.task_of(autoencoder.options) if autoencoder.family == "photo" else autoencoder.family
    if trained_for != task:
        raise errors.ModelError(f"model {autoencoder.name!r} was trained for {trained_for}, not {task}; give a {task} "
                                f"model (photo-{task} is shipped with aecore) or leave --model out")


def colourise(autoencoder, image: np.ndarray, strength: float = 1.0, progress: Callable | None = None) -> np.ndarray:
    """(h, w, 1 or 3) -> (h, w, 3): colour for the image's brightness; the brightness itself is kept exactly."""
    predicted = tiling.denoise(autoencoder, tasks.grey_input(image), progress=progress)
    return tasks.with_luma(predicted, image, strength)


def unwatermark(autoencoder, image: np.ndarray, progress: Callable | None = None) -> np.ndarray:
    """(h, w, 1 or 3) -> (h, w, 3): a model whose card names its post-processing (meta "unmark") gives its heads to
    aecore.photo.unmarking (marks found, their opacity and colour pooled, the blend inverted or inpainted); any other
    unwatermark model's own output is taken as it is."""
    image = np.asarray(image, np.float32)
    colour = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image
    settings = unmark_settings(autoencoder)
    if settings is None:
        return tiling.denoise(autoencoder, colour, progress=progress)
    return unmarking.recover(colour, unmark_heads(autoencoder, colour, progress), settings)


def unmark_settings(autoencoder) -> "unmarking.UnmarkSettings | None":
    """The post-processing a model ships with (meta "unmark": UnmarkSettings' fields), or None."""
    found = (autoencoder.meta or {}).get("unmark")
    return None if found is None else unmarking.UnmarkSettings(**found)


def unmark_heads(autoencoder, colour: np.ndarray, progress: Callable | None = None) -> np.ndarray:
    """(h, w, 3) -> (h, w, 5): the model's heads (mask chance or gate, alpha, colour) over the photo in tiles; a refined
    blend model's have a sixth, its own gate (detectnet.heads_model)."""
    import tensorflow as tf

    from aecore.photo import blendnet, detectnet

    functions = autoencoder.__dict__.setdefault("_compiled", {})
    if "heads" not in functions:
        detector = detectnet.is_detector(autoencoder.model)
        model = (detectnet if detector else blendnet).heads_model(autoencoder.model)
        spec = tf.TensorSpec((None, None, None, 3), tf.float32)
        radius = detectnet.radius(autoencoder.model) if detector else tiling.receptive_radius(autoencoder)
        functions["heads"] = (tf.function(lambda inputs: model(inputs, training=False), input_signature=[spec]), radius)
    call, radius = functions["heads"]
    total, done = tiling.tile_count(colour.shape[:2]), [0]

    def tick():
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    return tiling.tiled(call, colour, radius, tick=tick)


def restore_pixels(autoencoder, photo: np.ndarray, task: str, strength: float = 1.0, watermark_text: str | None = None,
                   progress: Callable | None = None) -> RestoreResult:
    """A photo (h, w, 1 or 3) in [0, 1] -> RestoreResult; see the module's docstring for what is done first."""
    check_model(autoencoder, task)
    photo = np.asarray(photo, np.float32)
    colour = np.repeat(photo, 3, axis=-1) if photo.shape[-1] == 1 else photo
    original, mask, notes = None, None, []
    if task == "colourise":
        damaged = tasks.grey_input(colour)
        if photo.shape[-1] == 3 and tasks.chroma(colour).std() > 1e-3:
            original, notes = colour, ["the colour photo was made grey first, so the result is scored against it"]
        started = time.perf_counter()
        restored = colourise(autoencoder, damaged, strength, progress)
    else:
        damaged = colour
        if watermark_text:
            size = max(12, min(colour.shape[:2]) // 12)
            mark = watermark.text_watermark(*colour.shape[:2], watermark_text, size, 0.5)
            original, damaged, mask = colour, mark.apply(colour), mark.mask()
        started = time.perf_counter()
        restored = unwatermark(autoencoder, damaged, progress)
    return RestoreResult(task, original, damaged, restored, time.perf_counter() - started, mask, notes)


def restore_file(autoencoder, path: str | Path, task: str, strength: float = 1.0, watermark_text: str | None = None,
                 progress: Callable | None = None) -> RestoreResult:
    """restore_pixels for an image file; every upload guard of aecore.data.images holds (size, pixels, format)."""
    path = Path(path)
    photo, notes = images.read_photo(images.read_capped(path), path.name)
    result = restore_pixels(autoencoder, photo, task, strength, watermark_text, progress)
    result.notes = notes + result.notes
    return result


def comparison_strip(result: RestoreResult) -> np.ndarray:
    """[original |] damaged | restored side by side, (h, 2w or 3w, 3): what `--compare` writes."""
    shown = [result.original] if result.original is not None else []
    return np.concatenate([*shown, result.damaged, result.restored], axis=1)


def restore_models(store, task: str) -> list:
    """The store's photo models trained for `task`, the shipped one first, then the newest first."""
    found = [entry for entry in store.entries() if entry.meta.get("family") == "photo"
             and tasks.task_of(entry.meta) == task]
    return sorted(found, key=lambda entry: not entry.meta.get("shipped", False))


def default_restore_model(store, task: str) -> str:
    found = restore_models(store, task)
    if not found:
        raise errors.StoreError(f"no {task} model in {store.root}, and none is shipped with this copy of aecore; train "
                                f"one: python -m aecore train --dataset photos --task {task}")
    return found[0].name


def held_out_scores(autoencoder, task: str, held_out: list[photos.Photo], side: int = photos.EVAL_SIDE,
                    seed: int = 0, unseen_fonts: bool = True, anchors: bool = False,
                    mean_chroma: tuple[float, float] | None = None) -> dict:
    """Mean scores on centre crops of `held_out`: colourise, PSNR of grey and coloured and the colourfulness ratio
    (coloured / original); unwatermark, PSNR of watermarked and restored with watermarks in held-out fonts and words
    (`unseen_fonts`; the recipe picks its checkpoints with the training fonts, leaving the held-out ones to the bench).
    `anchors` adds the classical anchor's PSNR as `psnr_anchor`: the mean-colour baseline (`mean_chroma`, default the
    photos' mean) or biharmonic inpainting told the watermark's mask (aecore.photo.classical)."""
    from aecore.photo import classical  # scikit-image, loaded only when asked for

    scores = {"psnr_damaged": [], "psnr": [], "colourfulness_ratio": [], "psnr_anchor": []}
    for number, photo in enumerate(held_out):
        clean = photos.centre_crop(photo.pixels, side)
        clean = np.repeat(clean, 3, axis=-1) if clean.shape[-1] == 1 else clean
        if task == "colourise":
            if not tasks.is_colourful(photos.Photo(photo.name, clean)):
                continue
            damaged = tasks.grey_input(clean)
            restored = colourise(autoencoder, damaged)
            scores["colourfulness_ratio"].append(colourfulness(restored) / max(colourfulness(clean), 1e-6))
            anchor = (lambda: classical.mean_colour(damaged, mean_chroma or classical.MEAN_CHROMA)) if anchors else None
        else:
            mark = watermark.random_watermark(*clean.shape[:2], np.random.default_rng([seed, number]),
                                              held_out=unseen_fonts)
            damaged = mark.apply(clean)
            restored = unwatermark(autoencoder, damaged)
            anchor = (lambda: classical.oracle_inpaint(damaged, mark.mask())[0]) if anchors else None
        scores["psnr_damaged"].append(psnr(clean, damaged))
        scores["psnr"].append(psnr(clean, restored))
        if anchor is not None:
            scores["psnr_anchor"].append(psnr(clean, anchor()))
    if not scores["psnr"]:
        raise errors.DatasetError(f"none of the {len(held_out)} held-out images has colour in it, so a colourise "
                                  "model cannot be scored on them; give a dataset of colour images")
    return {key: float(np.mean(values)) for key, values in scores.items() if values} | {"images": len(scores["psnr"])}


def mean_chroma(images: np.ndarray) -> tuple[float, float]:
    """(n, h, w, 3) -> the mean (Cb, Cr) of a set of colour images: the mean-colour baseline's tint for a dataset."""
    chroma = tasks.chroma(np.asarray(images, np.float32)).reshape(-1, 2).mean(axis=0)
    return float(chroma[0]), float(chroma[1])
