"""aecore.data.noise: seeded, pure-NumPy corruption of image batches."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aecore import errors
from aecore.data import noise


def _grey_batch(shape=(4, 16, 16, 1), value=0.5) -> np.ndarray:
    return np.full(shape, value, dtype=np.float32)


def _random_batch(shape=(4, 16, 16, 1), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


@pytest.mark.parametrize("kind", noise.ALL_KINDS)
def test_output_is_a_float32_copy_in_range(kind):
    images = _random_batch()
    before = images.copy()
    noisy = noise.add_noise(images, kind=kind, level=0.7, seed=3)
    assert noisy.shape == images.shape
    assert noisy.dtype == np.float32
    assert 0.0 <= noisy.min() and noisy.max() <= 1.0
    np.testing.assert_array_equal(images, before)  # the input is untouched
    assert not np.shares_memory(noisy, images)


@pytest.mark.parametrize("kind", noise.ALL_KINDS)
def test_same_seed_same_noise_other_seed_other_noise(kind):
    images = _random_batch()
    first = noise.add_noise(images, kind, 0.3, seed=11)
    np.testing.assert_array_equal(first, noise.add_noise(images, kind, 0.3, seed=11))
    assert not np.array_equal(first, noise.add_noise(images, kind, 0.3, seed=12))


@pytest.mark.parametrize("kind", noise.ALL_KINDS)
def test_level_zero_changes_nothing(kind):
    images = _random_batch()
    np.testing.assert_array_equal(noise.add_noise(images, kind, 0.0), images)


def test_gaussian_noise_has_standard_deviation_level():
    # Mid-grey images and a small level: clipping almost never happens, so the difference is
    # level * N(0, 1) and its standard deviation is the level.
    images = _grey_batch((8, 32, 32, 1))
    difference = noise.add_noise(images, "gaussian", level=0.1, seed=0) - images
    assert difference.std() == pytest.approx(0.1, rel=0.03)
    assert abs(difference.mean()) < 0.005


def test_integer_images_are_accepted_as_floats():
    noisy = noise.add_noise(np.zeros((2, 4, 4, 1), dtype=np.uint8), "gaussian", 0.2)
    assert noisy.dtype == np.float32


def test_salt_and_pepper_hits_a_fraction_level_half_salt_half_pepper():
    images = _grey_batch((8, 32, 32, 1))
    noisy = noise.add_noise(images, "salt_and_pepper", level=0.4, seed=0)
    changed = noisy != 0.5
    assert changed.mean() == pytest.approx(0.4, abs=0.02)
    assert set(np.unique(noisy[changed])) == {0.0, 1.0}
    assert (noisy[changed] == 1.0).mean() == pytest.approx(0.5, abs=0.03)


def test_masking_zeroes_a_fraction_level():
    images = _grey_batch((8, 32, 32, 1))
    noisy = noise.add_noise(images, "masking", level=0.25, seed=0)
    assert (noisy == 0.0).mean() == pytest.approx(0.25, abs=0.02)
    assert set(np.unique(noisy)) == {0.0, 0.5}
    assert noise.add_noise(images, "masking", level=1.0).max() == 0.0


@pytest.mark.parametrize("kind", ["salt_and_pepper", "masking"])
def test_impulse_noise_hits_whole_pixels_of_colour_images(kind):
    images = _grey_batch((4, 16, 16, 3))
    noisy = noise.add_noise(images, kind, level=0.5, seed=1)
    # Every pixel's three channels are equal: untouched (0.5), pepper (0) or salt (1).
    np.testing.assert_array_equal(noisy, np.repeat(noisy[..., :1], 3, axis=-1))
    assert (noisy[..., 0] != 0.5).mean() == pytest.approx(0.5, abs=0.05)


def test_unknown_kind_names_what_was_given_and_what_is_allowed():
    with pytest.raises(errors.ModelError, match=r"Unknown noise kind 'speckle'.*'gaussian'.*'masking', 'watermark'"):
        noise.add_noise(_grey_batch(), kind="speckle")


@pytest.mark.parametrize("level", [-0.1, 1.5, float("nan"), "high", None])
def test_level_outside_zero_one_is_refused(level):
    with pytest.raises(errors.ModelError, match=r"Noise level .* outside the allowed range \[0, 1\]"):
        noise.add_noise(_grey_batch(), level=level)


@settings(max_examples=50, deadline=None)
@given(
    kind=st.sampled_from(noise.NOISE_KINDS),
    level=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3])),
)
def test_any_valid_call_keeps_shape_and_range(kind, level, seed, shape):
    images = _random_batch(shape, seed=seed % 1000)
    noisy = noise.add_noise(images, kind, level, seed)
    assert noisy.shape == shape and noisy.dtype == np.float32
    assert np.all((noisy >= 0.0) & (noisy <= 1.0))


def test_watermark_blends_letters_at_the_opacity_level_over_part_of_each_image():
    images = _grey_batch((6, 28, 28, 1), 0.5)
    noisy = noise.add_noise(images, "watermark", level=0.6, seed=1)
    changed = np.abs(noisy - images)[..., 0] > 1e-4  # (6, 28, 28)
    shares = changed.mean(axis=(1, 2))
    assert (shares > 0.02).all() and (shares < 0.6).all(), "letters cover part of each image, never all of it"
    # photo * (1 - alpha) + colour * alpha with alpha <= level and a colour in [0, 1]: at most level * 0.5 from grey
    assert np.abs(noisy - images).max() <= 0.6 * 0.5 + 1e-5
    assert np.abs(noisy - images).max() > 0.25, "a fully covered stroke moves by nearly the whole opacity"
    assert len({changed[i].tobytes() for i in range(6)}) == 6, "each image gets its own watermark"


def test_watermark_takes_colour_images_and_single_images():
    colour = _random_batch((2, 32, 32, 3))
    noisy = noise.add_noise(colour, "watermark", 0.8, seed=0)
    moved = np.abs(noisy - colour).max(axis=-1) > 1e-4
    assert noisy.shape == colour.shape and moved.any()
    single = noise.add_noise(colour[0], "watermark", 0.8, seed=0)  # (h, w, c): one image, one watermark
    assert single.shape == colour[0].shape and not np.array_equal(single, colour[0])


def test_watermark_alphas_are_drawn_in_training_fonts_and_repeat_by_seed():
    first = noise.watermark_alphas(28, 28, 4, np.random.default_rng(0))
    assert first.shape == (4, 28, 28) and first.dtype == np.float32 and 0 <= first.min() and first.max() <= 1
    np.testing.assert_array_equal(first, noise.watermark_alphas(28, 28, 4, np.random.default_rng(0)))
    assert not np.array_equal(first, noise.watermark_alphas(28, 28, 4, np.random.default_rng(1)))
