"""Unwatermark's post-processing beyond what the detector found (#39): the copies of a tiled stamp matched from the
one it found (aecore.photo.repeats, `tiles`), and a word's letters kept beside the ones it was sure of (`near`)."""

import numpy as np
import pytest
from scipy import ndimage

from aecore.data import photos
from aecore.errors import ModelError
from aecore.photo import repeats, restoring, unmarking, watermark


@pytest.fixture(scope="module")
def coffee():
    pytest.importorskip("skimage")
    return next(photo for photo in photos.load_photos().test if photo.name == "coffee").pixels


def heads_sure_of(sure: np.ndarray, alpha: np.ndarray, seed: int = 0, gate: np.ndarray | None = None) -> np.ndarray:
    """(h, w, 5 or 6) heads: the mask's chance 0.9-1 on `sure` and 0-0.2 elsewhere, `alpha`, a white colour, and the
    gate head if given."""
    random = np.random.default_rng(seed)
    chance = np.where(sure, random.uniform(0.9, 1.0, sure.shape), random.uniform(0.0, 0.2, sure.shape))
    parts = [chance[..., None], alpha[..., None], np.ones(sure.shape + (3,))]
    return np.concatenate(parts + ([gate[..., None]] if gate is not None else []), axis=-1).astype(np.float32)


def test_the_copies_of_a_tiled_stamp_come_from_the_one_the_detector_found(coffee):
    photo = photos.centre_crop(coffee, 256)
    mark = watermark.text_watermark(256, 256, "PROOF", 20, 0.5)  # tiled, as the Restore page adds it
    truth = mark.mask()
    copies, _ = ndimage.label(ndimage.binary_dilation(truth, iterations=6))
    one = (copies == np.bincount(copies.ravel())[1:].argmax() + 1) & truth  # the largest copy: 21% of the marks
    marked, heads = mark.apply(photo), heads_sure_of(one, mark.alpha)
    alone = unmarking.recover(marked, heads, unmarking.UnmarkSettings())
    tiled = unmarking.recover(marked, heads, unmarking.UnmarkSettings(tiles=0.35))
    changed = np.any(tiled != marked, axis=-1)
    assert np.any(alone != marked, axis=-1)[truth].mean() < 0.3, "the detector's guesses alone find one copy"
    assert changed[truth].mean() > 0.75 and truth[changed].mean() > 0.8, (changed[truth].mean(), truth[changed].mean())
    scores = [restoring.psnr(photo, image) for image in (marked, alone, tiled)]
    assert scores[2] > scores[1] + 4, scores  # measured 24.2, 25.6, 30.6
    assert np.array_equal(unmarking.recover(photo, heads_sure_of(np.zeros_like(truth), mark.alpha),
                                            unmarking.UnmarkSettings(tiles=0.35)), photo), "no mark found: no copies"


def test_a_copy_cut_by_the_border_is_matched_and_a_flat_window_is_not():
    random = np.random.default_rng(1)
    template = random.normal(0, 1, (20, 30)).astype(np.float32)
    field = np.zeros((100, 120), np.float32)
    field[40:60, 10:40] = template  # whole
    field[:10, 80:110] = template[10:]  # its lower half, at the top border
    field[40:60, 60:120] += random.normal(0, 0.01, (20, 60))  # nearly flat: too little texture to be a copy
    scores = repeats.correlation(field, template)
    at = lambda top, left: scores[top + 10, left + 15]  # noqa: E731  (index = top-left corner + half the template)
    assert at(40, 10) == pytest.approx(1.0, abs=1e-4)
    assert 0.6 < at(-10, 80) < 0.8, at(-10, 80)  # the square root of the share inside
    assert np.all(scores[40 + 10 : 41 + 10, 65 + 15 : 90 + 15] == 0.0), "flat windows score 0"
    found = repeats.peaks(scores, 0.35, 10)
    assert {tuple(peak) for peak in found} == {(50, 25), (0, 95)}


def test_the_letters_beside_a_vouched_one_are_kept_and_a_far_guess_is_not(coffee):
    photo = photos.centre_crop(coffee, 160)
    mark = watermark.text_watermark(160, 160, "PROOF", 24, 0.5, angle=0.0, tiled=False)
    truth = mark.mask()
    letters, count = ndimage.label(truth, structure=np.ones((3, 3)))
    assert count == 5, "five letters apart"
    centres = ndimage.center_of_mass(truth, letters, range(1, count + 1))
    first = letters == 1 + int(np.argmin([abs(x - 80) for _, x in centres]))  # the middle letter: the detector and
    # its gate are sure of it
    heads = heads_sure_of(first, mark.alpha, gate=np.where(first, 0.9, 0.0))
    heads[..., 0] = np.where(truth & ~first, 0.5, heads[..., 0])  # the other letters: found, never sure
    far = np.zeros_like(truth)
    far[150:158, 130:158] = True  # a guess as weak, over 60 px from the sure letter
    heads[..., 0] = np.where(far, 0.5, heads[..., 0])
    marked = mark.apply(photo)
    gated = unmarking.UnmarkSettings(seed_gate=0.7)
    alone, beside = (unmarking.recover(marked, heads, unmarking.UnmarkSettings(**{**gated.__dict__, "near": near}))
                     for near in (0, 60))
    changed = np.any(beside != marked, axis=-1)
    assert np.any(alone != marked, axis=-1)[truth & ~first].mean() == 0.0, "no seed and no gate in them: dropped"
    assert changed[truth].mean() > 0.95, changed[truth].mean()
    assert np.array_equal(beside[far], marked[far]), "a weak guess far from every mark stays as it was"
    assert restoring.psnr(photo, beside) > restoring.psnr(photo, alone) + 5


def test_tiles_and_near_say_what_is_allowed():
    heads = np.zeros((8, 8, 5), np.float32)
    with pytest.raises(ModelError, match=r"tiles must be in \(0, 1\], or null to leave tiled copies to the detector; "
                                         "got 1.5"):
        unmarking.recover(np.zeros((8, 8, 3)), heads, unmarking.UnmarkSettings(tiles=1.5))
    with pytest.raises(ModelError, match="near must be 0 \\(off\\) or a distance in pixels; got -3"):
        unmarking.recover(np.zeros((8, 8, 3)), heads, unmarking.UnmarkSettings(near=-3))


def test_the_stamps_lower_quartile_is_numpys_over_the_copies_inside_the_photo():
    random = np.random.default_rng(0)
    windows = random.normal(size=(5, 40, 50)).astype(np.float32)
    windows[random.random(windows.shape) < 0.3] = np.nan  # parts of copies outside the photo
    windows[:, 0, 0] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="All-NaN slice"):
        expected = np.nan_to_num(np.nanquantile(windows, repeats.STAMP_QUANTILE, axis=0))
    np.testing.assert_allclose(repeats.lower_quartile(windows), expected, atol=1e-6)
