"""Datasets as users have them, for the tests of aecore.data.owndata, the Datasets page and the browser: square
crops of scikit-image's bundled photographs, one class folder per photograph, zipped as a file manager zips a
folder (under one top folder), JPEGs at quality 90."""

import io
import zipfile

import numpy as np
import skimage.data
from PIL import Image

COLOUR_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
GREY_PHOTOS = ("camera", "coins")


def jpeg(pixels: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def photo_crops(per_photo: int = 4) -> dict[str, list[np.ndarray]]:
    """photo name -> square crops of it, 96 to 160 px, from scikit-image's bundled photographs."""
    rng = np.random.default_rng(0)
    crops = {}
    for name in COLOUR_PHOTOS + GREY_PHOTOS:
        photo = getattr(skimage.data, name)()
        crops[name] = []
        for _ in range(per_photo):
            side = int(rng.integers(96, 161))
            top, left = (int(rng.integers(0, limit - side)) for limit in photo.shape[:2])
            crops[name].append(np.ascontiguousarray(photo[top:top + side, left:left + side]))
    return crops


def write_photo_zip(path, crops, extra: dict[str, bytes] | None = None):
    """One class folder per photo under a top folder, as zipping a folder makes it; JPEGs at quality 90."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, pictures in crops.items():
            for index, pixels in enumerate(pictures):
                archive.writestr(f"holiday/{name}/{index}.jpg", jpeg(pixels))
        for member, payload in (extra or {}).items():
            archive.writestr(member, payload)
    return path
