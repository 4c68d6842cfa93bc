"""What the codes are good for (k-NN and linear probes) and anomaly detection by reconstruction error, on real
digits and Fashion-MNIST, each checked against the same number computed another way."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from aecore.analysis import anomaly, probes
from aecore.errors import ModelError, TrainingError
from aecore.store.modelstore import ModelStore
from aecore.training import trainer


def knn_by_hand(train, train_labels, test, test_labels, k=5) -> float:
    """Cosine similarity by NumPy, the k most similar training codes vote, ties to the smaller label."""
    unit = lambda rows: rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)  # noqa: E731
    nearest = np.argsort(-(unit(test) @ unit(train).T), axis=1)[:, :k]
    votes = [np.bincount(train_labels[row], minlength=int(train_labels.max()) + 1).argmax() for row in nearest]
    return float(np.mean(np.array(votes) == test_labels))


def linear_by_hand(train, train_labels, test, test_labels) -> float:
    scaler = StandardScaler().fit(train)
    model = LogisticRegression(max_iter=300, random_state=0).fit(scaler.transform(train), train_labels)
    return float(np.mean(model.predict(scaler.transform(test)) == test_labels))


def test_code_probes_match_a_direct_computation(trained, digits):
    model = trained["conv"]
    found = probes.code_probes(model, digits)
    train_images, train_labels, test_images, test_labels = probes.probe_split(digits)
    train_codes, test_codes = model.encode(train_images), model.encode(test_images)
    assert found["knn_accuracy"] == pytest.approx(knn_by_hand(train_codes, train_labels, test_codes, test_labels), abs=0.003)
    assert found["linear_probe_accuracy"] == pytest.approx(linear_by_hand(train_codes, train_labels, test_codes, test_labels), abs=0.003)
    assert found["knn_accuracy"] > 0.8 and found["probe_test_images"] == len(digits.x_test)


def test_every_new_model_card_carries_its_probes_and_baselines_read_on_fashion(fashion_small):
    config = trainer.TrainConfig(epochs=2, batch_size=128, patience=0)
    model = trainer.train("dense", fashion_small, 16, None, config)
    assert {"knn_accuracy", "linear_probe_accuracy"} <= set(model.meta["metrics"])
    assert model.meta["probe_images"] == {"train": 2000, "test": 500}
    baselines = probes.baseline_probes(fashion_small, 16)
    pixels_train = fashion_small.x_train.reshape(2000, -1)
    pixels_test = fashion_small.x_test.reshape(500, -1)
    by_hand = knn_by_hand(pixels_train, fashion_small.y_train, pixels_test, fashion_small.y_test)
    assert baselines["pixels"]["knn_accuracy"] == pytest.approx(by_hand, abs=0.003)
    assert baselines["pca"]["dimensions"] == 16 and 0.6 < baselines["pca"]["linear_probe_accuracy"] < 1


def test_a_model_trained_without_a_class_never_sees_it(digits, monkeypatch):
    seen = []
    original = keras.Model.fit

    def recording_fit(self, x=None, *args, **kwargs):
        seen.append(np.asarray(x))
        return original(self, x, *args, **kwargs)
    monkeypatch.setattr(keras.Model, "fit", recording_fit)
    config = trainer.TrainConfig(epochs=1, batch_size=128, patience=0, exclude_class=3)
    model = trainer.train("dense", digits, 8, None, config)
    threes = digits.x_train[digits.y_train == 3].reshape(-1, 64)
    trained_on = np.concatenate([batch.reshape(len(batch), -1) for batch in seen])
    assert not any(np.any(np.all(trained_on == three, axis=1)) for three in threes)
    assert model.meta["excluded_class"] == 3 and 3 not in model.meta["trained_classes"]
    assert model.meta["train_images"] == int(np.sum(digits.y_train != 3))
    with pytest.raises(TrainingError, match="cannot leave out class 12: 'digits' has the classes 0 to 9"):
        trainer.train("dense", digits, 8, None, trainer.TrainConfig(epochs=1, exclude_class=12))


def test_anomaly_cli_reports_the_auc_sklearn_computes(digits, tmp_path):
    config = trainer.TrainConfig(epochs=15, batch_size=64, patience=0, exclude_class=0)
    model = trainer.train("dense", digits, 8, None, config)
    store = tmp_path / "models"
    ModelStore(store).save(model, "no-zeros")
    run = subprocess.run([sys.executable, "-m", "aecore", "anomaly", "no-zeros", "--store", str(store)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-1500:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    errors = np.mean(np.square(digits.x_test - model.reconstruct(digits.x_test)).reshape(len(digits.x_test), -1), axis=1)
    assert report["rare"] == 0 and report["trained_without_rare"] is True
    assert report["auc"] == pytest.approx(roc_auc_score(digits.y_test == 0, errors), abs=1e-6)
    assert report["auc"] > 0.7 and 0 <= report["precision"] <= 1 and 0 <= report["recall"] <= 1
    assert set(report["pca"]) >= {"auc", "average_precision", "threshold", "precision", "recall"}
    bad = subprocess.run([sys.executable, "-m", "aecore", "anomaly", "no-zeros", "--rare", "42", "--store", str(store)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "class 42 is not among 'digits''s test labels" in bad.stderr


def test_the_threshold_rule_and_the_pca_baseline_on_fashion(fashion_small, trained):
    config = trainer.TrainConfig(epochs=3, batch_size=128, patience=0, exclude_class=5)  # 5: sandals
    model = trainer.train("dense", fashion_small, 16, None, config)
    detection = anomaly.detect(model, fashion_small, 5)
    summary = detection.summary()
    assert summary["auc"] == pytest.approx(roc_auc_score(fashion_small.y_test == 5, detection.scores))
    assert summary["true_positive"] + summary["false_negative"] == int(np.sum(fashion_small.y_test == 5))
    assert detection.at(-1.0)["recall"] == 1.0  # everything flagged
    pca = anomaly.detect_with_pca(fashion_small, 5, 16).summary()
    assert 0.5 < pca["auc"] < 1
    with pytest.raises(ModelError, match="say which class is rare"):
        anomaly.rare_class(trained["dense"].meta, None, fashion_small)
