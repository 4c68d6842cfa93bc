"""Tiled watermarks: the copies of a mark the detector found, found by matching it against the rest of the photo.

Why: stock photos (and the Restore page's typed watermark) tile one stamp over the whole photo, and the detector finds
some copies whole, others in part and some not at all (faint on busy texture: on the bench's tiled marks it found
16-52% of the pixels). Every copy is the same stamp at a shift, so a copy found well finds the others:

1. **evidence**: how much each pixel stands out from its surroundings towards the mark's colour (the photo projected
   on the direction from its mean colour to the mark's, minus a blur of it), where a stamp shows whatever its colour;
2. **match**: each of the TEMPLATES largest found marks (by confident pixels), cut from the evidence, is matched
   everywhere by normalised cross-correlation (windows with little texture of their own score 0: a flat sky is no
   copy of anything); peaks at `tiles` or more are its copies;
3. **the stamp**: where the evidence is high in three of four of the mark and its copies (the photo under each copy
   differs, the stamp does not): its lower quartile over them reaches STAMP_SHARE of its median over the found
   pixels, within CLOSE px of them, so strokes the detector missed in one copy come from the others; the stamp is
   then placed at every copy.

Found on photos without a watermark nothing is added (nothing is matched unless the detector found a mark first).
NumPy and SciPy only; aecore.photo.unmarking calls it between finding the marks and inverting the blend.
"""

import numpy as np

TEMPLATES = 4  # the largest found marks matched (each match: an FFT correlation over the photo, ~45 ms a megapixel)
PAD = 4  # px around a found mark's box in its template (the strokes' edges)
TEXTURE_FLOOR = 0.1  # a window's evidence energy under this share of the template's scores 0
BLUR = 3.0  # px: the evidence is the pixel minus a Gaussian blur of this sigma
STAMP_QUANTILE = 0.25  # the stamp is where the evidence is high in three copies of four (photo edges that two copies
# share pass a median of four: a tiled "PROOF" on coffee, precision 46% with the median, 90% with this and CLOSE)
STAMP_SHARE = 0.8  # of the found pixels' level (0.6-1.0 gave the same val and bench to 0.01 dB)
CLOSE = 4  # px: the stamp is kept within this of the pixels found (a letter's missed strokes, not the photo's edges)


def evidence(image: np.ndarray, tint: np.ndarray) -> np.ndarray:
    """(h, w, 3) photo and (3,) the mark's colour -> (h, w) float32: how far each pixel stands out from a blur of the
    photo towards that colour (along the direction from the photo's mean colour to it)."""
    from scipy import ndimage

    direction = np.asarray(tint, np.float32) - image.reshape(-1, 3).mean(axis=0)
    projected = image @ (direction / max(float(np.linalg.norm(direction)), 1e-3))
    return (projected - ndimage.gaussian_filter(projected, BLUR)).astype(np.float32)


def correlation(field: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation of `template` at every position where at least half of it lies in `field`
    ((h + th // 2 * 2 - th + 1, ...): index (y, x) is the top-left corner (y - th // 2, x - tw // 2)); windows whose
    own energy is under TEXTURE_FLOOR of the template's score 0. Outside the photo the field counts as 0, which the
    evidence (a high-pass) is on average, so a copy cut by the border scores as the part of it inside."""
    from scipy import ndimage, signal

    field = np.pad(field, [(side // 2, side // 2) for side in template.shape])
    count = template.size
    centred = template - template.mean()
    energy = float((centred * centred).sum())
    products = signal.fftconvolve(field, centred[::-1, ::-1], mode="valid")
    height, width = template.shape
    corner = (slice(height // 2, height // 2 + products.shape[0]), slice(width // 2, width // 2 + products.shape[1]))
    mean = ndimage.uniform_filter(field.astype(np.float64), template.shape, mode="constant")[corner]
    square = ndimage.uniform_filter(field.astype(np.float64) ** 2, template.shape, mode="constant")[corner]
    variance = np.maximum(square - mean * mean, 0.0) * count
    scores = products / np.sqrt(np.maximum(variance, 1e-12) * max(energy, 1e-12))
    scores[variance < TEXTURE_FLOOR * energy] = 0.0
    return scores


def place(marked: np.ndarray, stamp: np.ndarray, top: int, left: int):
    """Marks `stamp` (bool) into `marked` at (top, left), whatever of it falls inside."""
    height, width = stamp.shape
    first_y, first_x = max(0, -top), max(0, -left)
    last_y, last_x = min(height, marked.shape[0] - top), min(width, marked.shape[1] - left)
    if last_y > first_y and last_x > first_x:
        marked[top + first_y : top + last_y, left + first_x : left + last_x] |= stamp[first_y:last_y, first_x:last_x]


def lower_quartile(windows: np.ndarray) -> np.ndarray:
    """(k, h, w) with NaN where a window left the photo -> (h, w): the STAMP_QUANTILE of each pixel's values that are
    not NaN (linear between the sorted values, as np.nanquantile, which loops in Python per pixel: 1.7 s a megapixel
    photo), 0 where none is."""
    ordered = np.sort(windows, axis=0)  # NaN sorts last
    count = (~np.isnan(windows)).sum(axis=0)
    position = STAMP_QUANTILE * np.maximum(count - 1, 0)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(count - 1, 0))
    low, high = (np.take_along_axis(ordered, index[None], axis=0)[0] for index in (below, above))
    quartile = low + (position - below) * (high - low)
    return np.where(count > 0, np.nan_to_num(quartile), 0.0)


def copies_stamp(field: np.ndarray, found: np.ndarray, top: int, left: int, shifts: list):
    """The stamp from the evidence over the windows at (top, left) and its copies' shifts (parts outside the photo
    left out): where its STAMP_QUANTILE over them reaches STAMP_SHARE of that over the `found` pixels, grown by a pixel.
    None if that level is not above 0."""
    from scipy import ndimage

    height, width = found.shape
    windows = []
    for shift_y, shift_x in [(0, 0), *shifts]:
        window = np.full((height, width), np.nan, np.float32)
        y, x = top + shift_y, left + shift_x
        first_y, first_x = max(0, -y), max(0, -x)
        last_y, last_x = min(height, field.shape[0] - y), min(width, field.shape[1] - x)
        window[first_y:last_y, first_x:last_x] = field[y + first_y : y + last_y, x + first_x : x + last_x]
        windows.append(window)
    quartile = lower_quartile(np.stack(windows))
    level = float(np.median(quartile[found]))
    if level <= 0:
        return None
    return ndimage.binary_dilation(quartile > STAMP_SHARE * level)


def complete(image: np.ndarray, chance: np.ndarray, tint: np.ndarray, marked: np.ndarray, strong: float,
             join: int, least: int, threshold: float) -> np.ndarray:
    """(h, w) bool `marked` with the copies of its marks added: the TEMPLATES largest marks (joined by `join` px) with
    at least `least` pixels of `chance` >= `strong` are matched over the photo's evidence towards `tint`; copies
    scoring `threshold` or more get the stamp seen in them (copies_stamp)."""
    from scipy import ndimage

    if not marked.any():
        return marked
    joined = ndimage.binary_dilation(marked, iterations=join) if join else marked
    labels, _ = ndimage.label(joined, structure=np.ones((3, 3)))
    confident = np.bincount(labels[marked & (chance >= strong)], minlength=labels.max() + 1)
    confident[0] = 0
    largest = [number for number in np.argsort(confident)[::-1][:TEMPLATES] if confident[number] >= least]
    field, completed = evidence(image, tint), marked.copy()
    boxes = ndimage.find_objects(labels)
    for number in largest:
        rows, columns = boxes[number - 1]
        top, left = max(0, rows.start - PAD), max(0, columns.start - PAD)
        bottom, right = min(image.shape[0], rows.stop + PAD), min(image.shape[1], columns.stop + PAD)
        found = (labels[top:bottom, left:right] == number) & marked[top:bottom, left:right]
        if min(found.shape) < 8 or found.size > 0.25 * marked.size:  # a speck, or no room for a copy
            continue
        template = field[top:bottom, left:right] * ndimage.binary_dilation(found, iterations=2)
        scores = correlation(field, template)
        margin_y, margin_x = (side // 2 for side in template.shape)
        shifts = [(int(y) - margin_y - top, int(x) - margin_x - left)
                  for y, x in peaks(scores, threshold, min(found.shape) // 2)]
        shifts = [(y, x) for y, x in shifts if abs(y) >= 3 or abs(x) >= 3]  # not the mark itself
        if len(shifts) >= 2:  # three windows or more
            stamp = copies_stamp(field, found, top, left, shifts)
            found = found if stamp is None else stamp & ndimage.binary_dilation(found, iterations=CLOSE)
        for shift_y, shift_x in [(0, 0), *shifts]:
            place(completed, found, top + shift_y, left + shift_x)
    return completed


def peaks(scores: np.ndarray, threshold: float, spacing: int) -> np.ndarray:
    """(n, 2) the local maxima of `scores` at `threshold` or more, at least `spacing` (>= 4) px apart."""
    from skimage import feature

    return feature.peak_local_max(scores, min_distance=max(4, spacing), threshold_abs=threshold, exclude_border=False)
