"""The command line, run as a user would: a real process, real files, JSON on the last line."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

METRIC_KEYS = {"name", "family", "dataset", "latent_dim", "params", "train_seconds", "test_bce", "test_mse", "test_psnr", "test_ssim"}


def run(*arguments, store, timeout=600):
    environment = {**os.environ, "AECORE_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "aecore", *arguments], capture_output=True, text=True,
                          timeout=timeout, env=environment)


@pytest.mark.slow
def test_train_fashion_mnist_conv_end_to_end_then_use_it(tmp_path, fashion_small):
    store = tmp_path / "models"
    trained = run("train", "--dataset", "fashion_mnist", "--epochs", "4", "--max-train-images", "5000", "--name", "fm", store=store)
    assert trained.returncode == 0, trained.stderr[-1500:]
    result = json.loads(trained.stdout.strip().splitlines()[-1])
    assert METRIC_KEYS <= set(result) and result["family"] == "conv" and result["dataset"] == "fashion_mnist"
    assert result["test_ssim"] > 0.3 and "epoch 4/4" in trained.stderr

    listed = run("list", store=store)
    assert listed.stdout.startswith("fm ") and "conv" in listed.stdout

    evaluated = run("evaluate", "fm", store=store)
    assert set(json.loads(evaluated.stdout.strip().splitlines()[-1])) >= METRIC_KEYS - {"train_seconds"}

    picture = tmp_path / "shirt.png"
    shirt = np.full((60, 40), 230, np.uint8)
    shirt[10:50, 8:32] = 40  # a dark garment on a light background: it gets inverted
    Image.fromarray(shirt).save(picture)
    denoised = run("denoise", "fm", str(picture), "--noise-level", "0.4", "--out", str(tmp_path / "out.png"),
                   "--compare", str(tmp_path / "strip.png"), store=store)
    assert denoised.returncode == 0, denoised.stderr[-1500:]
    report = json.loads(denoised.stdout.strip().splitlines()[-1])
    assert report["psnr_denoised"] > report["psnr_noisy"]
    assert Image.open(tmp_path / "strip.png").size == (3 * 28, 28)
    assert Image.open(tmp_path / "out.png").size == (28, 28)  # a 28x28 model writes its own output alone

    exported = run("export", "fm", "--limit", "100", "--out", str(tmp_path / "export"), store=store)
    assert exported.returncode == 0 and (tmp_path / "export" / "projector.zip").is_file()
    assert len((tmp_path / "export" / "codes.csv").read_text().splitlines()) == 101


@pytest.mark.parametrize("arguments, message", [
    (["train", "--dataset", "cifar99", "--epochs", "1"], "error: unknown dataset"),
    (["train", "--family", "gan", "--dataset", "digits"], "error: unknown family 'gan'"),
    (["train", "--dataset", "digits", "--latent-dim", "0"], "error: latent_dim must be between 1 and 64"),
    (["train", "--dataset", "digits", "--family", "dense", "--noise", "pink"], "error: family 'dense' has no option noise"),
    (["evaluate", "missing"], "error: no model named 'missing'"),
    (["import", "model.h5"], "error: model.h5: only Keras 3 '.keras' files are accepted"),
])
def test_errors_are_one_line_and_non_zero(tmp_path, arguments, message):
    result = run(*arguments, store=tmp_path / "models")
    assert result.returncode == 2
    assert message.lower() in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_datasets_lists_where_each_comes_from(tmp_path):
    result = run("datasets", store=tmp_path)
    assert result.returncode == 0
    assert "digits" in result.stdout and "scikit-learn" in result.stdout and "mnist" in result.stdout
