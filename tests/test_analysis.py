"""Analysis helpers on small trained models: PCA check, grids, feature maps, projections, exports."""

import csv
import io
import zipfile

import numpy as np
import pytest
from scipy import stats

from aecore.analysis import inspection, projections
from aecore.errors import ModelError


def test_linear_autoencoder_spans_the_pca_subspace(trained, digits):
    angles = inspection.pca_angles(trained["linear"], digits.x_train)
    assert angles.shape == (4,)
    assert angles.max() < 10, angles  # degrees; an untrained model sits near 80-90


def test_untrained_linear_model_is_far_from_pca(digits):
    from aecore.models import families

    angles = inspection.pca_angles(families.build("linear", digits.input_shape, 4), digits.x_train)
    assert angles.max() > 45


def test_pca_angles_are_for_the_linear_family_only(trained, digits):
    with pytest.raises(ModelError, match="principal angles apply to the linear family"):
        inspection.pca_angles(trained["conv"], digits.x_train)


def test_vae_grid_sweeps_normal_quantiles(trained):
    images, rows, columns = inspection.latent_grid(trained["vae"], (0, 1), steps=7)
    assert images.shape == (7, 7, 8, 8, 1)
    np.testing.assert_allclose(columns, stats.norm.ppf(np.linspace(0.05, 0.95, 7)), rtol=1e-5)
    assert rows[0] > rows[-1]  # top row is the high end, like a plot's y axis
    assert np.abs(images[0, 0] - images[-1, -1]).mean() > 0.01  # opposite corners decode differently


def test_grid_of_a_plain_model_uses_code_percentiles(trained, digits):
    codes = trained["dense"].encode(digits.x_test)
    images, rows, columns = inspection.latent_grid(trained["dense"], (2, 5), steps=5, codes=codes)
    assert images.shape == (5, 5, 8, 8, 1)
    assert columns[0] == pytest.approx(np.percentile(codes[:, 2], 5), rel=1e-4)
    with pytest.raises(ModelError, match="latent dimension 16 does not exist; this model has 16"):
        inspection.latent_grid(trained["dense"], (0, 16), codes=codes)


def test_feature_maps_of_every_conv_layer(trained, digits):
    maps = inspection.feature_maps(trained["conv"], digits.x_test[0])
    labels = [label for label, _ in maps]
    assert labels[0] == "encoder / encoder_conv0" and any(label.startswith("decoder") for label in labels)
    assert maps[0][1].shape == (4, 4, 32)  # a stride-2 conv: half the 8x8 input, the first stage's 32 channels
    assert labels[-1] == "decoder / reconstruction" and maps[-1][1].shape == (8, 8, 1)  # the transposed convs too
    assert inspection.feature_maps(trained["dense"], digits.x_test[0]) == []


def test_code_statistics(trained, digits):
    vae = inspection.code_statistics(trained["vae"], digits.x_test)
    assert vae.kl_per_dim.shape == (2,) and (vae.kl_per_dim > 0).all()
    dense = inspection.code_statistics(trained["dense"], digits.x_test)
    assert dense.kl_per_dim is None and 0 < dense.active_share <= 1 and 0 < dense.active_units <= 16


def test_interpolation_ends_at_the_two_images(trained, digits):
    model = trained["conv"]
    strip = inspection.interpolate(model, digits.x_test[0], digits.x_test[1], steps=6)
    assert strip.shape == (6, 8, 8, 1)
    np.testing.assert_allclose(strip[0], model.reconstruct(digits.x_test[:1])[0], atol=1e-5)
    np.testing.assert_allclose(strip[-1], model.reconstruct(digits.x_test[1:2])[0], atol=1e-5)


def test_denoise_sweep_gets_worse_with_noise(trained, digits):
    sweep = inspection.denoise_sweep(trained["conv"], digits.x_test[:16], "gaussian", np.linspace(0, 1, 5))
    assert sweep.noisy.shape == (5, 16, 8, 8, 1) and sweep.denoised.shape == (5, 16, 8, 8, 1)
    assert np.all(np.diff(sweep.psnr_noisy) < 0)
    assert np.all(np.diff(sweep.ssim_noisy) < 0)
    from aecore.analysis import metrics
    from aecore.data import noise  # the noisy SSIM equals fresh seeded noise scored on its own

    fresh = noise.add_noise(digits.x_test[:16], "gaussian", 0.5, 0)
    assert sweep.ssim_noisy[2] == pytest.approx(metrics.ssim(digits.x_test[:16], fresh).mean(), rel=1e-6)
    assert sweep.psnr_denoised[-1] > sweep.psnr_noisy[-1]  # at full noise the model beats the noisy input


def test_worst_reconstructed_are_the_highest_errors(trained, digits):
    errors = inspection.reconstruction_errors(trained["conv"], digits.x_test)
    worst = inspection.worst_reconstructed(trained["conv"], digits.x_test, 5)
    np.testing.assert_array_equal(worst, np.argsort(errors["bce"])[::-1][:5])


def test_projections_are_seeded_and_trustworthy(trained, digits):
    codes = trained["conv"].encode(digits.x_test)
    pca = projections.project(codes, "pca")
    tsne = projections.project(codes, "tsne", seed=3)
    again = projections.project(codes, "tsne", seed=3)
    assert pca.points.shape == tsne.points.shape == (len(codes), 2)
    np.testing.assert_allclose(tsne.points, again.points)
    assert tsne.trustworthiness > 0.9 and tsne.trustworthiness > pca.trustworthiness
    with pytest.raises(ModelError, match="unknown projection 'isomap'; choose one of: pca, umap, tsne"):
        projections.project(codes, "isomap")


def test_umap_and_fast_tsne_keep_neighbours_and_repeat_with_their_seed(trained, digits):
    codes = trained["conv"].encode(digits.x_test)
    pca = projections.project(codes, "pca")
    fractions = []
    umap = projections.project(codes, "umap", seed=1, progress=fractions.append)
    assert umap.points.shape == (len(codes), 2) and umap.trustworthiness > pca.trustworthiness + 0.02
    np.testing.assert_allclose(projections.project(codes, "umap", seed=1).points, umap.points, atol=1e-4)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    fractions.clear()
    fast = projections.fast_tsne(projections.flatten(codes), 3, 30.0, fractions.append)  # openTSNE, as above 10,000
    assert projections.trustworthiness(codes, fast) > pca.trustworthiness + 0.02
    assert len(fractions) >= 10 and fractions == sorted(fractions)


def test_a_map_of_more_than_ten_thousand_codes_takes_the_fast_umap_path_and_keeps_neighbours():
    """Above UMAP_SEEDED_MAX codes UMAP runs unseeded on every core from a PCA start, fewer epochs: still a map that
    keeps neighbours far better than PCA (12,000 real Fashion-MNIST images, their pixels as the codes)."""
    from aecore.data.catalog import load_dataset

    pixels = projections.flatten(load_dataset("fashion_mnist").x_train[: projections.UMAP_SEEDED_MAX + 2000])
    pca, umap = projections.project(pixels, "pca"), projections.project(pixels, "umap")
    assert umap.points.shape == (len(pixels), 2) and np.isfinite(umap.points).all()
    assert umap.trustworthiness > 0.9 and umap.trustworthiness > pca.trustworthiness + 0.05


def test_neighbour_agreement_is_one_with_itself_and_matches_a_direct_count(trained, digits):
    conv, dense = trained["conv"].encode(digits.x_test), trained["dense"].encode(digits.x_test)
    assert np.all(projections.neighbour_agreement(conv, conv * 2.0) == 1.0)  # a scaled copy (exact in float) keeps them all
    shared = projections.neighbour_agreement(conv, dense, 10)
    row = 17
    first = set(projections.nearest_neighbours(conv, row, 10)) & set(projections.nearest_neighbours(dense, row, 10))
    assert shared[row] == pytest.approx(len(first) / 10)
    assert 0.0 < shared.mean() < 1.0
    with pytest.raises(ModelError, match="differ in length"):
        projections.neighbour_agreement(conv, dense[:-1])


def test_nearest_neighbours_share_labels(trained, digits):
    codes = trained["conv"].encode(digits.x_test)
    agree = [np.mean(digits.y_test[projections.nearest_neighbours(codes, index, 5)] == digits.y_test[index])
             for index in range(100)]
    assert np.mean(agree) > 0.6  # chance is 0.1


def test_exports(trained, digits):
    codes = trained["dense"].encode(digits.x_test[:20])
    rows = list(csv.reader(io.StringIO(projections.codes_csv(codes, digits.y_test[:20], digits.class_names))))
    assert rows[0][:4] == ["index", "label", "class", "z0"] and len(rows) == 21 and len(rows[1]) == 3 + 16
    bundle = zipfile.ZipFile(io.BytesIO(projections.projector_bundle(codes, digits.x_test[:20], digits.y_test[:20], digits.class_names)))
    assert sorted(bundle.namelist()) == ["metadata.tsv", "projector_config.pbtxt", "sprite.png", "vectors.tsv"]
    assert len(bundle.read("vectors.tsv").decode().strip().splitlines()) == 20
    from PIL import Image

    assert Image.open(io.BytesIO(bundle.read("sprite.png"))).size == (5 * 8, 5 * 8)
