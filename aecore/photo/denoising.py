"""Denoise one image file with any stored model: what `python -m aecore denoise` and the pages call.

A photo model works on the photo as it is: full size, grey stays grey, colour stays colour (aecore.photo.tiling).
A 28x28 model (digits, clothing) can only see its own input: the file is converted to that input
(aecore.data.images.convert_for_model: grey, shrunk, centred, maybe inverted) and the result is the model's
size. Upscaling a 28x28 reconstruction to the photo's size would only pretend to a resolution it
never had, so the result stays small and a note says why.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aecore import errors
from aecore.analysis import metrics
from aecore.data import images, noise
from aecore.photo import tiling


@dataclass
class DenoiseResult:
    clean: np.ndarray  # (h, w, c) what was denoised before any added noise: the photo, or the model's input
    noisy: np.ndarray  # (h, w, c) the model's input after the added noise (== clean at level 0)
    denoised: np.ndarray  # (h, w, c) float32 in [0, 1]
    full_size: bool  # True for photo models: the result has the file's size and mode
    seconds: float  # time in the model (and tiling), for people
    notes: list[str] = field(default_factory=list)

    def scores(self) -> dict:
        """PSNR and SSIM of the noisy and denoised images against the clean one (None when nothing was added)."""
        if np.array_equal(self.clean, self.noisy):
            return {"psnr_noisy": None, "psnr_denoised": None, "ssim_noisy": None, "ssim_denoised": None}
        clean, noisy, denoised = self.clean[None], self.noisy[None], self.denoised[None]
        return {"psnr_noisy": float(metrics.psnr(clean, noisy)[0]), "psnr_denoised": float(metrics.psnr(clean, denoised)[0]),
                "ssim_noisy": float(metrics.ssim(clean, noisy)[0]), "ssim_denoised": float(metrics.ssim(clean, denoised)[0])}


# A photo model denoises a colour photo's chroma by grey passes at half size by default: on 48 held-out colour photos
# at sigma 25, 0.18 dB above CBM3D where the colour pass alone is 0.55 dB under; 1.22 s for 1 MP against 0.76 s on an
# idle machine (bench/RESULTS.md, #39 part 4). Grey photos are the same either way.
PHOTO_CHROMA = "half"


def denoise_bytes(autoencoder, data: bytes, name: str, kind: str = "gaussian", level: float = 0.0, seed: int = 0,
                  progress: Callable[[int, int], None] | None = None, ensemble: int = 1,
                  chroma: str | None = None) -> DenoiseResult:
    """Untrusted file bytes -> DenoiseResult; every upload guard of aecore.data.images holds at full size.
    ensemble and chroma: how a photo model runs (aecore.photo.tiling.denoise: passes averaged over flips and turns,
    1, 2, 4 or 8; a colour photo's chroma from the colour pass, "rgb", or from grey passes, "half" or "full"; None:
    PHOTO_CHROMA for a photo model, "rgb" for any other)."""
    if chroma is None:
        chroma = PHOTO_CHROMA if autoencoder.family == "photo" else "rgb"
    noise.add_noise(np.zeros((1, 1, 1), np.float32), kind, level)  # a bad option fails before any decoding
    tiling.check_passes(ensemble, chroma)  # before any decoding, as the noise options
    if (ensemble > 1 or chroma != "rgb") and autoencoder.family != "photo":
        raise errors.ModelError(f"ensemble and chroma are ways to run a photo model; {autoencoder.name!r} is a "
                                f"{autoencoder.family} model: leave them at 1 and rgb")
    task = (autoencoder.options or {}).get("task", "denoise") if autoencoder.family == "photo" else "denoise"
    if task != "denoise":
        raise errors.ModelError(f"model {autoencoder.name!r} was trained to {task}, not to denoise; use it with "
                                f"python -m aecore restore PHOTO --task {task} --model {autoencoder.name} --out OUT")
    if autoencoder.family == "photo":
        clean, notes = images.read_photo(data, name)
    else:
        converted = images.convert_for_model(data, autoencoder.input_shape, name)
        clean = converted.array
        notes = converted.notes + [(f"a {autoencoder.family} model sees {'x'.join(map(str, clean.shape[:2]))} px, so "
                                    "the result has that size; a photo model keeps the photo's size")]
    noisy = noise.add_noise(clean, kind, level, seed) if level > 0 else clean
    started = time.perf_counter()
    if autoencoder.family == "photo":
        denoised = tiling.denoise(autoencoder, noisy, progress=progress, ensemble=ensemble, chroma=chroma)
    else:
        denoised = autoencoder.reconstruct(noisy[None])[0]
    return DenoiseResult(clean, noisy, denoised, autoencoder.family == "photo", time.perf_counter() - started, notes)


def denoise_file(autoencoder, path: str | Path, kind: str = "gaussian", level: float = 0.0, seed: int = 0,
                 progress: Callable[[int, int], None] | None = None, ensemble: int = 1,
                 chroma: str | None = None) -> DenoiseResult:
    """denoise_bytes for a file on disk; the size cap is checked before reading."""
    path = Path(path)
    return denoise_bytes(autoencoder, images.read_capped(path), path.name, kind, level, seed, progress, ensemble, chroma)


def comparison_strip(result: DenoiseResult) -> np.ndarray:
    """clean | noisy | denoised side by side, (h, 3w, c): what `--compare` writes."""
    return np.concatenate([result.clean, result.noisy, result.denoised], axis=1)


def write_image(path: str | Path, pixels: np.ndarray):
    """Writes (h, w, 1) as grey and (h, w, 3) as colour, in the format the suffix names (.png, .jpg, ...)."""
    from PIL import Image

    path = Path(path)
    formats = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP"}
    if path.suffix.lower() not in formats:
        raise errors.ImageError(f"cannot write {path.name}: the suffix {path.suffix or '(none)'!r} names no format we "
                                f"write; use one of {', '.join(formats)}")
    eight_bit = np.clip(np.round(np.asarray(pixels, np.float64) * 255.0), 0, 255).astype(np.uint8)
    picture = Image.fromarray(eight_bit[..., 0] if eight_bit.shape[-1] == 1 else eight_bit)
    try:
        picture.save(path, format=formats[path.suffix.lower()], **({"quality": 95} if formats[path.suffix.lower()] == "JPEG" else {}))
    except OSError as error:
        raise errors.ImageError(f"cannot write {path}: {error.strerror or error}") from error


def photo_models(store) -> list:
    """The store's photo denoisers (the shipped one included), best first: by the held-out PSNR at sigma 25 that
    every photo model's meta carries (on the bundled held-out photos unless trained on a folder), and on a tie or
    without scores the shipped one first, as it is the one measured on the most photos."""
    found = [entry for entry in store.entries() if entry.meta.get("family") == "photo"
             and (entry.meta.get("options") or {}).get("task", "denoise") == "denoise"]  # not colourise, unwatermark
    return sorted(found, key=lambda entry: (-(entry.meta.get("metrics", {}).get("test_psnr_sigma25") or 0.0),
                                            not entry.meta.get("shipped", False)))


def default_photo_model(store) -> str:
    """The name of the best photo model there is (see photo_models); raises when there is none at all."""
    found = photo_models(store)
    if not found:
        raise errors.StoreError(f"no photo model in {store.root}, and none is shipped with this copy of aecore; train one: "
                                "python -m aecore train --dataset photos (about 10 minutes on 2 cores)")
    return found[0].name
