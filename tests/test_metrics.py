"""aecore.analysis.metrics against reference answers computed another way."""

import math
import time

import numpy as np
import pytest

from aecore import errors
from aecore.analysis import metrics


def _pair(shape=(3, 12, 12, 1), seed=0) -> tuple[np.ndarray, np.ndarray]:
    random = np.random.default_rng(seed)
    target = random.random(shape)
    output = np.clip(target + 0.1 * random.standard_normal(shape), 0.0, 1.0)
    return target, output


def _reference_bce(target: np.ndarray, output: np.ndarray) -> np.ndarray:
    """Plain loops over every value, Keras's clipping."""
    losses = []
    for target_image, output_image in zip(target, output):
        total, count = 0.0, 0
        for t, o in zip(target_image.ravel(), output_image.ravel()):
            o = min(max(float(o), 1e-7), 1 - 1e-7)
            total += -(t * math.log(o) + (1 - t) * math.log(1 - o))
            count += 1
        losses.append(total / count)
    return np.array(losses)


def _reference_ssim(target: np.ndarray, output: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """Per image, per channel, per pixel: an explicit 2-D Gaussian window over a mirrored image.

    np.pad's "symmetric" mode is scipy's "reflect" (d c b a | a b c d); the radius follows the
    documented rule: 5, or (min(h, w) - 1) // 2 for small images.
    """
    radius = min(5, (min(target.shape[1:3]) - 1) // 2)
    offsets = np.arange(-radius, radius + 1)
    weights_1d = np.exp(-(offsets**2) / (2 * 1.5**2))
    window = np.outer(weights_1d, weights_1d)
    window /= window.sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    scores = []
    for target_image, output_image in zip(target, output):
        channel_means = []
        for channel in range(target.shape[-1]):
            x = np.pad(target_image[..., channel], radius, mode="symmetric")
            y = np.pad(output_image[..., channel], radius, mode="symmetric")
            values = []
            for row in range(target.shape[1]):
                for column in range(target.shape[2]):
                    patch_x = x[row : row + 2 * radius + 1, column : column + 2 * radius + 1]
                    patch_y = y[row : row + 2 * radius + 1, column : column + 2 * radius + 1]
                    mean_x, mean_y = (window * patch_x).sum(), (window * patch_y).sum()
                    var_x = (window * (patch_x - mean_x) ** 2).sum()
                    var_y = (window * (patch_y - mean_y) ** 2).sum()
                    cov = (window * (patch_x - mean_x) * (patch_y - mean_y)).sum()
                    values.append(
                        (2 * mean_x * mean_y + c1) * (2 * cov + c2)
                        / ((mean_x**2 + mean_y**2 + c1) * (var_x + var_y + c2))
                    )
            channel_means.append(np.mean(values))
        scores.append(np.mean(channel_means))
    return np.array(scores)


def test_bce_matches_a_loop_over_pixels():
    target, output = _pair()
    output[0, 0, 0, 0], output[0, 0, 1, 0] = 0.0, 1.0  # exercise the clipping
    result = metrics.binary_cross_entropy(target, output)
    assert result.shape == (3,)
    np.testing.assert_allclose(result, _reference_bce(target, output), rtol=1e-12)


def test_bce_clips_like_keras():
    target, output = np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1, 1))
    assert metrics.binary_cross_entropy(target, output)[0] == pytest.approx(-math.log(1e-7))


def test_mse_per_image():
    target, output = _pair()
    expected = [np.mean((t - o) ** 2) for t, o in zip(target, output)]
    np.testing.assert_allclose(metrics.mean_squared_error(target, output), expected, rtol=1e-12)


def test_psnr_of_a_constant_offset():
    target = np.full((2, 8, 8, 1), 0.4)
    assert metrics.psnr(target, target + 0.1) == pytest.approx([20.0, 20.0])  # mse 0.01
    assert metrics.psnr(255 * target, 255 * target + 25.5, data_range=255.0) == pytest.approx([20.0] * 2)


def test_psnr_of_identical_images_is_capped_not_infinite():
    target, _ = _pair()
    assert np.all(metrics.psnr(target, target) == metrics.PSNR_CAP_DB)


@pytest.mark.parametrize("shape", [(3, 28, 28, 1), (2, 8, 8, 1), (2, 16, 12, 3), (2, 5, 7, 1)])
def test_ssim_matches_a_per_pixel_reference(shape):
    target, output = _pair(shape, seed=1)
    np.testing.assert_allclose(metrics.ssim(target, output), _reference_ssim(target, output), rtol=1e-9)


def test_ssim_of_identical_images_is_one():
    target, _ = _pair((4, 8, 8, 1))
    np.testing.assert_allclose(metrics.ssim(target, target), 1.0)
    np.testing.assert_allclose(metrics.ssim(target[..., 0], target[..., 0]), 1.0)  # (n, h, w)


def test_ssim_of_constant_images_is_the_luminance_term():
    # No variance anywhere: SSIM = (2ab + C1) / (a^2 + b^2 + C1).
    a, b, c1 = 0.2, 0.6, 0.01**2
    result = metrics.ssim(np.full((1, 9, 9, 1), a), np.full((1, 9, 9, 1), b))
    assert result[0] == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1))


def test_ssim_is_symmetric_and_falls_with_noise():
    target, output = _pair((2, 28, 28, 1))
    np.testing.assert_allclose(metrics.ssim(target, output), metrics.ssim(output, target))
    noisier = np.clip(output + 0.2 * np.random.default_rng(5).standard_normal(output.shape), 0, 1)
    assert np.all(metrics.ssim(target, noisier) < metrics.ssim(target, output))


def test_ssim_of_ten_thousand_mnist_sized_images_is_fast():
    target, output = _pair((10_000, 28, 28, 1))
    start = time.perf_counter()
    result = metrics.ssim(target, output)
    assert time.perf_counter() - start < 5.0  # about 1 s on two busy cores
    assert result.shape == (10_000,)


def _scipy_ssim(target: np.ndarray, output: np.ndarray) -> np.ndarray:
    """The card's SSIM as computed until session 19: scipy's Gaussian filter over (n, h, w, c), float64."""
    from scipy import ndimage

    target, output = target.astype(np.float64), output.astype(np.float64)
    radius = min(5, (min(target.shape[1:3]) - 1) // 2)

    def local_mean(values):
        return ndimage.gaussian_filter(values, sigma=(0, 1.5, 1.5, 0), radius=(0, radius, radius, 0), mode="reflect")

    mean_t, mean_o = local_mean(target), local_mean(output)
    variance_t, variance_o = local_mean(target * target) - mean_t**2, local_mean(output * output) - mean_o**2
    covariance = local_mean(target * output) - mean_t * mean_o
    c1, c2 = 0.01**2, 0.03**2
    ssim_map = (2 * mean_t * mean_o + c1) * (2 * covariance + c2) / ((mean_t**2 + mean_o**2 + c1) * (variance_t + variance_o + c2))
    return ssim_map.reshape(len(target), -1).mean(axis=1)


def test_card_scores_on_real_images_match_the_scipy_filter(fashion_small):
    """Real Fashion-MNIST test images against their PCA reconstructions (blurred, like an autoencoder's): the
    matrix-product window gives the scipy filter's SSIM, and summarize the per-metric functions' means."""
    from sklearn.decomposition import PCA

    pixels = fashion_small.x_train.reshape(len(fashion_small.x_train), -1)
    pca = PCA(n_components=16, random_state=0).fit(pixels)
    target = fashion_small.x_test  # (500, 28, 28, 1) float32, as a training's card scores them
    flat = target.reshape(len(target), -1)
    output = np.clip(pca.inverse_transform(pca.transform(flat)), 0, 1).reshape(target.shape).astype(np.float32)
    scores = metrics.ssim(target, output)
    np.testing.assert_allclose(scores, _scipy_ssim(target, output), rtol=0, atol=1e-12)
    assert 0.4 < scores.mean() < 0.9  # a blurred reconstruction: neither perfect nor noise
    summary = metrics.summarize(target, output)
    assert summary["ssim"] == pytest.approx(float(_scipy_ssim(target, output).mean()), abs=1e-12)
    assert summary["psnr"] == pytest.approx(float(metrics.psnr(target, output).mean()), abs=1e-12)
    assert summary["bce"] == pytest.approx(float(metrics.binary_cross_entropy(target, output).mean()), abs=1e-12)


def test_entropy_floor_reference_values():
    binary = (np.random.default_rng(0).random((3, 8, 8, 1)) > 0.5).astype(float)
    assert metrics.binary_entropy_floor(binary) == 0.0
    assert metrics.binary_entropy_floor(np.full((2, 4, 4, 1), 0.5)) == pytest.approx(math.log(2))


def test_entropy_floor_is_the_bce_of_a_perfect_reconstruction():
    images, _ = _pair()
    floor = metrics.binary_entropy_floor(images)
    assert floor == pytest.approx(metrics.binary_cross_entropy(images, images).mean(), abs=1e-6)
    binary = np.round(images)
    assert metrics.binary_cross_entropy(binary, binary).mean() == pytest.approx(0.0, abs=1e-6)


def test_summarize_gives_plain_floats():
    target, output = _pair()
    summary = metrics.summarize(target, output)
    assert set(summary) == {"bce", "mse", "psnr", "ssim"}
    assert all(type(value) is float for value in summary.values())
    assert summary["mse"] == pytest.approx(metrics.mean_squared_error(target, output).mean())


def test_results_do_not_depend_on_chunking(monkeypatch):
    target, output = _pair((7, 10, 10, 1))
    whole = metrics.ssim(target, output), metrics.binary_cross_entropy(target, output)
    monkeypatch.setattr(metrics, "CHUNK_ELEMENTS", 150)  # one image (100 values) per chunk
    np.testing.assert_allclose(metrics.ssim(target, output), whole[0], rtol=1e-12)
    np.testing.assert_allclose(metrics.binary_cross_entropy(target, output), whole[1], rtol=1e-12)


def test_mismatched_shapes_are_refused():
    with pytest.raises(errors.ModelError, match=r"shapes differ: \(2, 8, 8, 1\) vs \(2, 8, 8, 3\)"):
        metrics.mean_squared_error(np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 3)))


def test_empty_batches_and_bad_ranges_are_refused():
    with pytest.raises(errors.ModelError, match="non-empty batch"):
        metrics.ssim(np.zeros((0, 8, 8, 1)), np.zeros((0, 8, 8, 1)))
    with pytest.raises(errors.ModelError, match="data_range must be a positive number"):
        metrics.psnr(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1)), data_range=0)
