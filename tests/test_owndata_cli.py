"""The user's own datasets from the command line, in a real process: `datasets add` with a progress bar, `datasets`
listing them without importing TensorFlow, `train --dataset NAME`, `datasets remove`; errors exit with code 2."""

import json
import os
import subprocess
import sys

import pytest
from owndata_sources import photo_crops, write_photo_zip


@pytest.fixture(scope="module")
def crops():
    return photo_crops()


def run(*arguments, timeout=600):
    environment = {**os.environ, "AECORE_STORE": "/nonexistent-use-the-store-flag"}
    return subprocess.run([sys.executable, "-m", "aecore", *arguments], capture_output=True, text=True,
                          timeout=timeout, env=environment)


@pytest.mark.slow
def test_the_command_line_adds_lists_trains_on_and_removes_a_dataset(tmp_path, crops):
    store = str(tmp_path / "store")
    write_photo_zip(tmp_path / "set.zip", crops, {"holiday/coins/broken.png": b"not a png"})
    added = run("datasets", "add", "holiday", str(tmp_path / "set.zip"), "--size", "28", "--grey", "--fit", "pad",
                "--store", store)
    assert added.returncode == 0, added.stderr[-1500:]
    card = json.loads(added.stdout.strip().splitlines()[-1])
    assert card["counts"] == {"train": 20, "test": 4, "skipped": 1} and card["fit"] == "pad"
    assert "converting [" in added.stderr and "25/25 images" in added.stderr
    code = ("import sys; from aecore.cli import main; main.main(['datasets', '--store', sys.argv[1]]); "
            "print('keras' in sys.modules or 'tensorflow' in sys.modules)")
    light = subprocess.run([sys.executable, "-c", code, store], capture_output=True, text=True, check=True)
    assert light.stdout.strip().splitlines()[-1] == "False"  # `datasets` never pays for TensorFlow (~7 s, ~700 MB)

    listed = run("datasets", "--store", store)
    assert listed.returncode == 0
    line = next(line for line in listed.stdout.splitlines() if line.startswith("holiday"))
    assert "available" in line and "24 images, 28x28 grayscale, 6 classes — yours" in line

    refused = run("datasets", "add", "holiday", str(tmp_path / "set.zip"), "--store", store)
    assert refused.returncode == 2 and "error: a dataset named 'holiday' exists already" in refused.stderr
    assert "Traceback" not in refused.stderr

    trained = run("train", "--dataset", "holiday", "--epochs", "1", "--latent-dim", "4", "--batch-size", "8",
                  "--snapshots", "off", "--quiet", "--name", "on-holiday", "--store", store)
    assert trained.returncode == 0, trained.stderr[-1500:]
    result = json.loads(trained.stdout.strip().splitlines()[-1])
    assert result["dataset"] == "holiday" and result["name"] == "on-holiday" and result["epochs_run"] == 1

    removed = run("datasets", "remove", "holiday", "--store", store)
    assert removed.returncode == 0 and json.loads(removed.stdout)["removed"] == "holiday"
    assert "holiday" not in run("datasets", "--store", store).stdout
    again = run("datasets", "remove", "holiday", "--store", store)
    assert again.returncode == 2 and "error: no dataset named 'holiday'" in again.stderr
