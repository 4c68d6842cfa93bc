"""The `photos` dataset and the photo family's trainer: random noisy patches of full-size photos.

Photos differ in size, so they are a list of arrays, not one array: a `PhotoDataset`, split into
training and held-out photos by image (never patches of one photo on both sides). The bundled set is
the real photographs in scikit-image's wheel plus scikit-learn's two sample images; a folder of the
user's own photos works the same way, split by `seed`.

Training draws random patches with Gaussian noise of a random level sigma in [0, 50/255] (blind: the
user never gives a level), clipped to [0, 1] as aecore.data.noise does, and minimises the squared error.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore import errors

PHOTOS = "photos"  # the dataset name for the CLI and the pages
MAX_SIGMA = 50 / 255  # noise levels seen in training: uniform in [0, MAX_SIGMA]
PATCH = 64  # training patch side (a multiple of 4)
STEPS_PER_EPOCH = 100  # batches per "epoch": photos have no natural epoch
FLAT_SPREAD = 0.04  # a training crop whose pixels spread less than this (std, 0..1) is redrawn ...
FLAT_RETRIES = 5  # ... at most this many times
EVAL_SIGMA = 25 / 255  # the held-out PSNR the store keeps
EVAL_SIDE = 256  # held-out photos are scored on a centre crop of at most this side (seconds, not minutes)
FOLDER_TEST_FRACTION = 0.2  # of the user's photos held out, at least one
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MAX_FOLDER_PHOTOS = 500
# (name, loader) of every bundled photograph; two views of the same scene count as one photo.
SKIMAGE_PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
                  "retina", "moon", "coins", "clock", "grass", "gravel", "brick", "cell", "page", "text")
SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")
# Held out for tests and bench/photos.py: portraits, food, a landscape, grey scenes (fixed, not random).
HELD_OUT = ("astronaut", "coffee", "china", "camera", "coins")


@dataclass
class Photo:
    name: str
    pixels: np.ndarray  # (h, w, 1) grey or (h, w, 3) colour, float32 in [0, 1]


@dataclass
class PhotoDataset:
    name: str  # "photos" or the folder the user gave
    train: list[Photo]
    test: list[Photo]  # held-out photos: no patch of them is ever trained on
    source: str  # where the photos came from, for people

    @property
    def class_names(self):
        return None


def bundled_available() -> bool:
    try:
        import skimage  # noqa: F401
    except ImportError:
        return False
    return True


def load_photos(name_or_path: str = PHOTOS, seed: int = 0) -> PhotoDataset:
    """The bundled photos ("photos") or a folder of the user's own photos, split by image."""
    if name_or_path.strip().lower() == PHOTOS:
        return _bundled()
    folder = Path(name_or_path).expanduser()
    if not folder.is_dir():
        raise errors.DatasetError(f"{name_or_path!r} is not a folder of photos; give the name {PHOTOS!r} for the "
                                  "bundled photos or a folder holding .png/.jpg photos")
    return _folder(folder, seed)


def _bundled() -> PhotoDataset:
    if not bundled_available():
        raise errors.DatasetError("the photos dataset needs scikit-image: `pip install scikit-image` "
                                  "(its wheel carries the photographs; nothing is downloaded)")
    import skimage.data
    from sklearn import datasets

    photos = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in SKIMAGE_PHOTOS:
            photos.append(Photo(name, _as_float(getattr(skimage.data, name)())))
        photos.append(Photo("motorcycle", _as_float(skimage.data.stereo_motorcycle()[0])))  # left view only
        bunch = datasets.load_sample_images()
        for filename, pixels in zip(bunch.filenames, bunch.images):
            photos.append(Photo(Path(filename).stem, _as_float(pixels)))
    test = [photo for photo in photos if photo.name in HELD_OUT]
    train = [photo for photo in photos if photo.name not in HELD_OUT]
    return PhotoDataset(PHOTOS, train, test, "scikit-image and scikit-learn bundled photographs")


def _as_float(pixels: np.ndarray) -> np.ndarray:
    """uint8 (h, w) or (h, w, 3) -> float32 (h, w, 1 or 3) in [0, 1]."""
    pixels = np.asarray(pixels)
    scaled = pixels.astype(np.float32) / (255.0 if pixels.dtype == np.uint8 else 1.0)
    return scaled[..., None] if scaled.ndim == 2 else scaled[..., :3]


def _folder(folder: Path, seed: int) -> PhotoDataset:
    from aecore.data import images

    files = sorted(path for path in folder.rglob("*") if path.suffix.lower() in PHOTO_SUFFIXES and path.is_file())
    if len(files) < 2:
        raise errors.DatasetError(f"{folder} holds {len(files)} photo(s); a photo dataset needs at least 2 "
                                  f"({', '.join(PHOTO_SUFFIXES)}) so one can be held out")
    if len(files) > MAX_FOLDER_PHOTOS:
        raise errors.DatasetError(f"{folder} holds {len(files)} photos; the limit is {MAX_FOLDER_PHOTOS}")
    photos = []
    for path in files:
        if path.stat().st_size > images.MAX_UPLOAD_BYTES:
            raise errors.DatasetError(f"{path.name} is larger than {images.MAX_UPLOAD_BYTES // 2**20} MiB; "
                                      "shrink it or move it out of the folder")
        photos.append(Photo(str(path.relative_to(folder)), images.read_photo(path.read_bytes(), path.name)[0]))
    order = np.random.default_rng(seed).permutation(len(photos))
    held_out = max(1, round(len(photos) * FOLDER_TEST_FRACTION))
    test = [photos[index] for index in sorted(order[:held_out])]
    train = [photos[index] for index in sorted(order[held_out:])]
    return PhotoDataset(str(folder), train, test, str(folder))


# ---------------------------------------------------------------- training patches


def noisy_patches(photos: list[Photo], count: int, random: np.random.Generator, patch: int = PATCH):
    """(noisy, clean), each (count, patch, patch, 3): random crops, flips and turns, sigma ~ U[0, MAX_SIGMA].

    Every photo is drawn equally often, whatever its size, and a flat crop (pixel spread below FLAT_SPREAD,
    e.g. the black sky of the Hubble field or the retina's border) is redrawn up to FLAT_RETRIES times:
    drawn by area, a third of the patches came from the retina photo and many were empty. Measured on 3-minute
    runs (held-out 256-px crops, sigma 15/25/50): 26.76/25.94/23.39 dB by area, 27.40/26.33/23.24 like this.
    Grey photos become three equal channels with the same noise in each, as they reach the model.
    """
    chosen = random.integers(0, len(photos), size=count)
    clean = np.empty((count, patch, patch, 3), np.float32)
    noise = np.empty_like(clean)
    for row, index in enumerate(chosen):
        crop = _textured_crop(photos[index].pixels, patch, random)
        crop = np.rot90(crop, random.integers(4))
        crop = crop[:, ::-1] if random.random() < 0.5 else crop
        clean[row] = crop  # (patch, patch, 1) broadcasts to 3 channels
        draws = random.standard_normal((patch, patch, crop.shape[-1]), dtype=np.float32)
        noise[row] = draws * np.float32(random.uniform(0.0, MAX_SIGMA))
    return np.clip(clean + noise, 0.0, 1.0), clean


def _textured_crop(pixels: np.ndarray, patch: int, random: np.random.Generator) -> np.ndarray:
    for _ in range(1 + FLAT_RETRIES):
        top = random.integers(0, max(1, pixels.shape[0] - patch + 1))
        left = random.integers(0, max(1, pixels.shape[1] - patch + 1))
        crop = _fit(pixels[top : top + patch, left : left + patch], patch)
        if crop.std() >= FLAT_SPREAD:
            break
    return crop  # a photo with no texture anywhere still gives its last crop


def _fit(crop: np.ndarray, patch: int) -> np.ndarray:
    """Mirror-pad a crop of a photo smaller than one patch."""
    missing_rows, missing_columns = patch - crop.shape[0], patch - crop.shape[1]
    if missing_rows <= 0 and missing_columns <= 0:
        return crop
    return np.pad(crop, ((0, max(0, missing_rows)), (0, max(0, missing_columns)), (0, 0)), mode="symmetric")


def centre_crop(pixels: np.ndarray, side: int = EVAL_SIDE) -> np.ndarray:
    top = max(0, (pixels.shape[0] - side) // 2)
    left = max(0, (pixels.shape[1] - side) // 2)
    return pixels[top : top + side, left : left + side]


def clean_crops(photos: list[Photo], count: int, random: np.random.Generator, patch: int = PATCH) -> np.ndarray:
    """(count, patch, patch, 3) random crops, flips and turns without noise (the restore tasks' targets); drawn as
    noisy_patches draws them: every photo equally often, flat crops redrawn, grey photos as three equal channels."""
    chosen = random.integers(0, len(photos), size=count)
    clean = np.empty((count, patch, patch, 3), np.float32)
    for row, index in enumerate(chosen):
        crop = np.rot90(_textured_crop(photos[index].pixels, patch, random), random.integers(4))
        clean[row] = crop[:, ::-1] if random.random() < 0.5 else crop
    return clean
