"""Code-space anomaly scores (issue #38) on real digits: each distance checked against SciPy or Keras computing it
another way, a class left out of training scoring higher, and `anomaly` printing them beside today's keys."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from scipy.spatial import distance
from sklearn.metrics import roc_auc_score

from aecore.analysis import anomaly, codespace
from aecore.errors import ModelError
from aecore.store.modelstore import ModelStore
from aecore.training import trainer


@pytest.fixture(scope="module")
def no_zeros(digits):
    """A small conv model of the digits trained without the 0s."""
    config = trainer.TrainConfig(epochs=10, batch_size=64, patience=0, exclude_class=0, snapshots="off")
    return trainer.train("conv", digits, 8, None, config)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_knn_distance_is_scipys_mean_distance_to_the_k_nearest(no_zeros, digits, metric):
    train_codes = no_zeros.encode(digits.x_train[digits.y_train != 0]).astype(np.float64)
    test_codes = no_zeros.encode(digits.x_test).astype(np.float64)
    space = codespace.fit(train_codes, metric, neighbours=5)
    reference = np.sort(distance.cdist(test_codes, train_codes, metric), axis=1)[:, :5].mean(axis=1)
    np.testing.assert_allclose(codespace.knn_distance(space, test_codes), reference, rtol=1e-6, atol=1e-9)
    # A training code's own distance (0) is left out when asked: its 2nd to 6th nearest.
    own = np.sort(distance.cdist(train_codes[:50], train_codes, metric), axis=1)[:, 1:6].mean(axis=1)
    np.testing.assert_allclose(codespace.knn_distance(space, train_codes[:50], skip_self=True), own, rtol=1e-6,
                               atol=1e-9)


def test_mahalanobis_is_scipys(no_zeros, digits):
    train_codes = no_zeros.encode(digits.x_train[digits.y_train != 0]).astype(np.float64)
    test_codes = no_zeros.encode(digits.x_test[:40]).astype(np.float64)
    space = codespace.fit(train_codes)
    inverse = np.linalg.inv(np.cov(train_codes, rowvar=False))
    reference = [distance.mahalanobis(code, train_codes.mean(axis=0), inverse) for code in test_codes]
    np.testing.assert_allclose(codespace.mahalanobis(space, test_codes), reference, rtol=1e-4)


def test_negative_elbo_is_the_vaes_own_loss_at_the_mean(trained, digits):
    vae, images = trained["vae"], digits.x_test[:32]
    z_mean, z_log_var = (keras.ops.convert_to_numpy(part) for part in vae.encoder(images, training=False))
    decoded = keras.ops.convert_to_numpy(vae.decoder(z_mean, training=False))
    cross_entropy = keras.losses.binary_crossentropy(images[..., None], decoded[..., None])  # as the VAE trains
    reconstruction = keras.ops.convert_to_numpy(keras.ops.sum(cross_entropy, axis=(1, 2, 3)))
    kl = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
    np.testing.assert_allclose(codespace.negative_elbo(vae, images), reconstruction + kl, rtol=2e-3)
    with pytest.raises(ModelError, match="the negative ELBO needs a VAE; .* is a conv model"):
        codespace.negative_elbo(trained["conv"], images)


def test_the_left_out_class_lies_far_from_the_training_codes(no_zeros, digits):
    found = anomaly.detect_all(no_zeros, digits, 0)
    assert set(found) == {"reconstruction", "code_distance", "mahalanobis"}
    distances, zeros = found["code_distance"].scores, digits.y_test == 0
    assert distances[zeros].mean() > 1.5 * distances[~zeros].mean()
    assert found["code_distance"].summary()["auc"] == pytest.approx(roc_auc_score(zeros, distances))
    assert found["code_distance"].summary()["auc"] > 0.8
    # The threshold is the largest score of a normal training image, its own code not counted as a neighbour.
    scorer = anomaly.fit_scorer(no_zeros, digits, 0)
    assert found["code_distance"].threshold == pytest.approx(float(scorer.scores(scorer.threshold_images, True)
                                                                   ["code_distance"].max()))
    assert found["code_distance"].threshold > 0


def test_bad_code_space_settings_say_what_is_allowed(no_zeros, digits):
    codes = no_zeros.encode(digits.x_train[:10])
    with pytest.raises(ModelError, match="unknown code distance 'manhattan': choose one of cosine, euclidean"):
        codespace.fit(codes, "manhattan")
    with pytest.raises(ModelError, match="k = 10 nearest codes needs more than 10 training codes; got 10"):
        codespace.fit(codes, neighbours=10)


def test_anomaly_cli_prints_code_scores_beside_todays_keys(no_zeros, digits, tmp_path):
    store = tmp_path / "models"
    ModelStore(store).save(no_zeros, "no-zeros")
    run = subprocess.run([sys.executable, "-m", "aecore", "anomaly", "no-zeros", "--store", str(store),
                          "--code-metric", "euclidean", "--neighbours", "3"], check=False, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-1500:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert {"auc", "average_precision", "threshold", "precision", "recall", "pca"} <= set(report)
    expected = anomaly.detect_all(ModelStore(store).load("no-zeros"), digits, 0, metric="euclidean", neighbours=3)
    for name in ("code_distance", "mahalanobis"):
        assert {"auc", "average_precision", "precision", "recall", "threshold"} <= set(report[name])
        assert report[name]["auc"] == pytest.approx(expected[name].summary()["auc"], abs=1e-6)
    assert report["code_distance"]["metric"] == "euclidean" and report["code_distance"]["k"] == 3
    assert "negative_elbo" not in report  # a conv model has no ELBO
