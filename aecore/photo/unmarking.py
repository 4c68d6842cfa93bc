"""From a detector's per-pixel guesses to the photo under the watermark: find the marks, pool, invert or inpaint.

Why: a watermark has one opacity and one colour (aecore.photo.watermark: `photo * (1 - alpha) + colour * alpha`,
alpha = opacity x the glyphs' coverage), but a network guesses both per pixel, and its guesses are noisy (blendnet's
alpha was 0.2 off per pixel). So, after the network (aecore.photo.detectnet's heads, tiled over the whole photo):

1. **find** the marks: hysteresis on the mask's chance (pixels above `low` kept where they touch one above `high`:
   the faint ends of strokes grow from their confident cores; `seed_alpha` also seeds where the alpha head is sure;
   `seed_gate` keeps only the regions a second head, a refined blend model's gate, is sure of somewhere),
   small specks dropped, grown by `grow` px to take in the glyphs' anti-aliased edges; with `tiles`, the copies of
   a tiled stamp the detector missed are matched from the marks it found (aecore.photo.repeats);
2. **background**: the photo filled in under the marks (harmonic: a smooth guess from the pixels around them);
3. **pool** per mark (the marks joined by `join` px, so a word is one mark): the colour, the median of the colour
   head over its confident pixels, and the opacity, a high quantile of the alpha head there; a mark with too few
   confident pixels takes the photo's pooled values (`colour="fit"` instead fits both to the mark's pixels by least
   squares: better where the colour head is wrong, no better on the shipped model's marks, bench/RESULTS.md);
4. **alpha per pixel** from the pixel itself: how far it moved from the background towards the colour (a projection),
   capped at the mark's opacity, so texture under the watermark comes back instead of the smooth background;
5. **invert** the blend with it, `(input - alpha * colour) / (1 - alpha)`; a mark whose opacity is `inpaint_above` or
   more (the inversion multiplies the input's error by 1 / (1 - alpha)) is inpainted instead.

Pixels outside the marks come out exactly as they went in. NumPy, SciPy and scikit-image only (no Keras): the heads are
computed by the caller (aecore.photo.restoring).
"""

from dataclasses import dataclass

import numpy as np

from aecore import errors
from aecore.photo import repeats


@dataclass(frozen=True)
class UnmarkSettings:
    low: float = 0.3  # hysteresis: a pixel whose mask chance is above this is marked if it touches a strong one
    high: float = 0.7  # hysteresis: the strong seeds (and the confident pixels the pooling uses)
    min_pixels: int = 6  # marks with fewer strong pixels are dropped (specks on clean texture)
    grow: int = 1  # px the marks are dilated by (the glyphs' anti-aliased edges)
    join: int = 6  # px within which marks are pooled together (the letters of a word)
    opacity_quantile: float = 0.75  # the mark's opacity: this quantile of alpha over its confident pixels
    pool_min: int = 30  # a mark with fewer confident pixels takes the photo's pooled colour and opacity
    alpha: str = "project"  # per pixel: "project" (from the pixel, capped at the opacity) or "head" (the network's)
    colour: str = "head"  # per mark: "head" (the heads pooled) or "fit" (least squares of the blend on its pixels)
    inpaint_above: float = 0.85  # marks at least this opaque are inpainted, not inverted
    seed_alpha: float | None = None  # also seeds: pixels above `low` whose alpha head says at least this (None: off)
    # a mark (a region above `low`) is kept only where the heads' sixth channel, a refined blend model's own gate,
    # reaches this somewhere in it (None: off): the refiner finds more of a mark, the gate opens on fewer clean photos
    seed_gate: float | None = None
    # tiled watermarks: the copies of a found mark, matched over the photo at this normalised correlation or more,
    # are marked too, with the stamp seen in all of them (aecore.photo.repeats; None: off)
    tiles: float | None = None
    # regions above `low` within this many px of a kept mark are kept too, whatever the gate and the seeds say (the
    # letters a word's found ones stand beside; 0: off)
    near: int = 0


ALPHA_MODES = ("project", "head")
EIGHT = np.ones((3, 3), bool)  # 8-connected regions (scipy.ndimage.label's structure)
COLOUR_MODES = ("head", "fit")


def check(settings: UnmarkSettings):
    if settings.alpha not in ALPHA_MODES:
        raise errors.ModelError(f"alpha must be one of {', '.join(ALPHA_MODES)}; got {settings.alpha!r}")
    if settings.colour not in COLOUR_MODES:
        raise errors.ModelError(f"colour must be one of {', '.join(COLOUR_MODES)}; got {settings.colour!r}")
    if not 0.0 <= settings.low <= settings.high <= 1.0:
        raise errors.ModelError(f"the hysteresis thresholds must satisfy 0 <= low <= high <= 1; got low "
                                f"{settings.low}, high {settings.high}")
    if settings.seed_alpha is not None and not 0.0 < settings.seed_alpha <= 1.0:
        raise errors.ModelError(f"seed_alpha must be in (0, 1], or null to seed from the mask alone; got "
                                f"{settings.seed_alpha}")
    if settings.near < 0:
        raise errors.ModelError(f"near must be 0 (off) or a distance in pixels; got {settings.near}")
    if settings.tiles is not None and not 0.0 < settings.tiles <= 1.0:
        raise errors.ModelError(f"tiles must be in (0, 1], or null to leave tiled copies to the detector; got "
                                f"{settings.tiles}")
    if settings.seed_gate is not None and not 0.0 < settings.seed_gate <= 1.0:
        raise errors.ModelError(f"seed_gate must be in (0, 1], or null to keep marks by the mask alone; got "
                                f"{settings.seed_gate}")


def gated(chance: np.ndarray, gate: np.ndarray, settings: UnmarkSettings) -> np.ndarray:
    """(h, w) chance with every region above `low` (8-connected) where `gate` never reaches `seed_gate` set to 0."""
    kept = regions_reaching(chance > settings.low, gate >= settings.seed_gate, EIGHT)
    return np.where(kept, chance, 0.0).astype(chance.dtype)


def regions_reaching(above: np.ndarray, where: np.ndarray, structure: np.ndarray | None = None,
                     least: int = 0) -> np.ndarray:
    """(h, w) bool: the connected regions of `above` (4-connected, or by `structure`) that hold a pixel of `where`,
    and at least `least` pixels."""
    from scipy import ndimage

    regions, count = ndimage.label(above, structure=structure)
    reached = np.zeros(count + 1, bool)
    reached[regions[where]] = True
    if least:
        reached &= np.bincount(regions.ravel(), minlength=count + 1) >= least
    reached[0] = False
    return reached[regions]


def grown(marked: np.ndarray, settings: UnmarkSettings) -> np.ndarray:
    """`marked` dilated by a disk of `grow` px (the glyphs' anti-aliased edges)."""
    from scipy import ndimage
    from skimage import morphology

    if settings.grow and marked.any():
        return ndimage.binary_dilation(marked, morphology.disk(settings.grow))
    return marked


def seeds(chance: np.ndarray, settings: UnmarkSettings, alpha: np.ndarray | None = None) -> np.ndarray:
    """(h, w) bool: where the hysteresis grows from. The mask's chance above `high`, and with `seed_alpha` the pixels
    above `low` whose alpha head is that sure too (a faint or coloured mark the mask head doubts)."""
    strong = chance >= settings.high
    if settings.seed_alpha is not None and alpha is not None:
        strong = strong | ((chance > settings.low) & (alpha >= settings.seed_alpha))
    return strong


def find_marks(chance: np.ndarray, settings: UnmarkSettings, alpha: np.ndarray | None = None) -> np.ndarray:
    """(h, w) mask chance -> (h, w) bool: hysteresis from `seeds`, specks with under `min_pixels` of them dropped,
    grown by `grow`."""
    from scipy import ndimage
    from skimage import filters

    strong = seeds(chance, settings, alpha)
    if settings.seed_alpha is None or alpha is None:
        marked = filters.apply_hysteresis_threshold(chance, settings.low, settings.high)
    else:  # as scikit-image's hysteresis (4-connected weak regions), from these seeds
        marked = regions_reaching(chance > settings.low, strong)
    labels, count = ndimage.label(marked, structure=EIGHT)
    if count:
        strong = np.bincount(labels[strong], minlength=count + 1)
        keep = strong >= settings.min_pixels
        keep[0] = False
        marked = keep[labels]
    return grown(marked, settings)


def nearby(chance: np.ndarray, marked: np.ndarray, settings: UnmarkSettings) -> np.ndarray:
    """(h, w) bool: the regions of `chance` above `low` (8-connected, at least `min_pixels` of them) that come within
    `near` px of `marked`, grown by `grow`. A mark's word goes on beside the letters found with confidence, so there a
    weaker guess is taken (bench/RESULTS.md, Restore's seventh session)."""
    from scipy import ndimage

    close = ndimage.distance_transform_edt(~marked) <= settings.near
    return grown(regions_reaching(chance > settings.low, close, EIGHT, settings.min_pixels), settings)


def background(image: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """(h, w, 3) photo and (h, w) marks -> the photo filled in under them, (h, w, 3) float32: harmonic (each marked
    pixel the mean of its four neighbours, the unmarked ones fixed; one sparse solve). Scikit-image's biharmonic
    overshoots on large joined marks (on china 24.4 dB against the harmonic fill's 29.4, told the true mask)."""
    from scipy import sparse
    from scipy.sparse import linalg

    height, width = marked.shape
    rows, columns = np.nonzero(marked)  # the unknowns, (n,)
    index = np.full(marked.shape, -1, np.int64)
    index[rows, columns] = np.arange(len(rows))
    pairs, known = [], np.zeros((len(rows), image.shape[-1]))
    degree = np.zeros(len(rows))
    for step_y, step_x in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        near_y, near_x = rows + step_y, columns + step_x
        inside = np.nonzero((near_y >= 0) & (near_y < height) & (near_x >= 0) & (near_x < width))[0]
        degree[inside] += 1
        near_y, near_x = near_y[inside], near_x[inside]
        unknown = marked[near_y, near_x]
        pairs.append((inside[unknown], index[near_y[unknown], near_x[unknown]]))
        np.add.at(known, inside[~unknown], image[near_y[~unknown], near_x[~unknown]])
    first = np.concatenate([np.arange(len(rows))] + [pair[0] for pair in pairs])
    second = np.concatenate([np.arange(len(rows))] + [pair[1] for pair in pairs])
    weights = np.concatenate([degree] + [-np.ones(len(pair[0])) for pair in pairs])
    system = sparse.csc_matrix((weights, (first, second)), shape=(len(rows), len(rows)))
    filled = np.array(image, np.float32)
    filled[rows, columns] = np.asarray(linalg.spsolve(system, known)).reshape(len(rows), -1)
    return filled


def pooled(chance, alpha, colour, members, settings: UnmarkSettings) -> tuple[float, np.ndarray] | None:
    """(opacity, colour (3,)) over `members` (bool, (h, w)), from its confident pixels; None if too few."""
    confident = members & (chance >= settings.high)
    if confident.sum() < settings.pool_min:
        return None
    return float(np.quantile(alpha[confident], settings.opacity_quantile)), np.median(colour[confident], axis=0)


def projected_alpha(image, behind, colour, opacity) -> np.ndarray:
    """(n, 3) pixels, (n, 3) background, (3,) colour, opacity -> (n,) alpha in [0, opacity]: how far each pixel moved
    from the background towards the colour (the component along colour - background)."""
    towards = colour - behind
    moved = ((image - behind) * towards).sum(axis=-1) / np.maximum((towards * towards).sum(axis=-1), 1e-4)
    return np.clip(moved, 0.0, opacity)


def fitted(pixels: np.ndarray, behind: np.ndarray, opacity: float, tint: np.ndarray,
           rounds: int = 3) -> tuple[float, np.ndarray]:
    """(opacity, colour (3,)) that best explain a mark's (n, 3) pixels as `(1 - opacity) * behind + opacity * colour`
    (least squares, linear in 1 - opacity and opacity * colour), refitted on the pixels whose projected alpha is at
    least 0.6 of the opacity (the glyphs' cores, not their anti-aliased edges). Returns (opacity, tint) as given
    when the fit is out of range (opacity outside 0.05-0.9): a background too like the colour says nothing."""
    use = np.ones(len(pixels), bool)
    found = None
    for _ in range(rounds):
        count = int(use.sum())
        if count < 8:
            break
        design = np.zeros((3 * count, 4))  # rows per pixel and channel: [behind, one-hot channel]
        for channel in range(3):
            design[channel::3, 0] = behind[use, channel]
            design[channel::3, 1 + channel] = 1.0
        (keep, *shifted), *_ = np.linalg.lstsq(design, pixels[use].reshape(-1), rcond=None)
        guess = 1.0 - float(keep)
        if not 0.05 <= guess <= 0.9:
            break
        found = (guess, np.clip(np.asarray(shifted) / guess, 0.0, 1.0))
        use = projected_alpha(pixels, behind, found[1], 1.0) >= 0.6 * guess
    return found or (opacity, tint)


def recover(image: np.ndarray, heads: np.ndarray, settings: UnmarkSettings | None = None) -> np.ndarray:
    """(h, w, 3) watermarked photo in [0, 1] and (h, w, 5) heads (mask chance, alpha, colour; a sixth, the gate, for
    `seed_gate`) -> (h, w, 3) float32."""
    from scipy import ndimage

    settings = settings or UnmarkSettings()
    check(settings)
    image = np.asarray(image, np.float32)
    chance, alpha, colour = heads[..., 0], heads[..., 1], heads[..., 2:5]
    if settings.seed_gate is not None:
        if heads.shape[-1] < 6:
            raise errors.ModelError(f"seed_gate keeps marks by a refined blend model's gate, a sixth head; this "
                                    f"model has {heads.shape[-1]} heads: drop seed_gate from its card's unmark")
        chance = gated(chance, heads[..., 5], settings)
    marked = find_marks(chance, settings, alpha)
    if settings.near and marked.any():
        marked |= nearby(heads[..., 0], marked, settings)
    if settings.tiles is not None and marked.any():
        found = pooled(heads[..., 0], alpha, colour, marked, settings)  # too few confident pixels: none to match
        tint = found[1] if found else np.ones(3, np.float32)
        marked = repeats.complete(image, heads[..., 0], tint, marked, settings.high, settings.join, settings.pool_min,
                                  settings.tiles)
    restored = image.copy()
    if not marked.any():
        return restored
    behind = background(image, marked)
    whole = pooled(chance, alpha, colour, marked, settings) or (float(np.quantile(alpha[marked], 0.75)),
                                                                np.median(colour[marked], axis=0))
    joined = ndimage.binary_dilation(marked, iterations=settings.join) if settings.join else marked
    labels, count = ndimage.label(joined, structure=EIGHT)
    for number, box in enumerate(ndimage.find_objects(labels), start=1):
        members = (labels[box] == number) & marked[box]
        opacity, tint = pooled(chance[box], alpha[box], colour[box], members, settings) or whole
        if settings.colour == "fit":
            opacity, tint = fitted(image[box][members], behind[box][members], opacity, tint)
        if opacity >= settings.inpaint_above:
            restored[box][members] = behind[box][members]
            continue
        pixels = image[box][members]  # (n, 3)
        if settings.alpha == "project":
            guessed = projected_alpha(pixels, behind[box][members], tint, opacity)
        else:
            guessed = np.minimum(alpha[box][members], opacity)
        gain = (guessed / (1.0 - guessed))[:, None]
        restored[box][members] = np.clip(pixels + gain * (pixels - tint), 0.0, 1.0)
    return restored
