"""The probes' pixel and PCA baselines kept in the store (#35): computed once per dataset and code size, by the
training job when a model lands, then read by every page and model; real digits, a real training job."""

import threading
import time

import pytest

from aecore.analysis import probes
from aecore.store import probecache
from aecore.training import jobs, trainer, worker


def test_the_baselines_are_computed_once_and_then_read(digits, tmp_path, monkeypatch):
    assert probecache.cached_baselines(digits, 8, tmp_path) is None
    kept = probecache.baselines(digits, 8, tmp_path)
    expected = probes.baseline_probes(digits, 8)
    for part in ("pixels", "pca"):  # on one thread: an unconverged regression's last digit may differ
        assert {key: kept[part][key] for key in expected[part]} == pytest.approx(expected[part], abs=0.004)
    assert probecache.cached_baselines(digits, 8, tmp_path) == kept

    def never(*arguments):
        raise AssertionError("computed again")
    monkeypatch.setattr(probes, "pixel_baseline", never)
    monkeypatch.setattr(probes, "pca_baseline", never)
    assert probecache.baselines(digits, 8, tmp_path) == kept  # read, not computed
    assert probecache.cached_baselines(digits, 4, tmp_path) is None  # another code size: its PCA is not there yet
    with pytest.raises(AssertionError, match="computed again"):
        probecache.baselines(digits, 4, tmp_path)


def test_a_dataset_changed_under_the_same_name_never_meets_an_old_figure(digits, tmp_path):
    probecache.baselines(digits, 8, tmp_path)
    fewer = digits.subset(test=100)  # same name, other test images
    assert probecache.cached_baselines(fewer, 8, tmp_path) is None
    assert probecache.baselines(fewer, 8, tmp_path) != probecache.baselines(digits, 8, tmp_path)
    assert len(list((tmp_path / probecache.FOLDER).iterdir())) == 2


def test_an_unlabelled_dataset_has_no_baselines(digits, tmp_path):
    import dataclasses

    unlabelled = dataclasses.replace(digits, y_train=None, y_test=None)
    assert probecache.baselines(unlabelled, 8, tmp_path) is None
    assert not (tmp_path / probecache.FOLDER).exists()


def test_two_callers_at_once_compute_each_figure_once(digits, tmp_path, monkeypatch):
    calls, real = [], probes.pixel_baseline

    def slow(split, seed=0):
        calls.append(time.monotonic())
        time.sleep(0.5)  # long enough for the other caller to arrive while this one computes
        return real(split, seed)
    monkeypatch.setattr(probes, "pixel_baseline", slow)
    found = []
    callers = [threading.Thread(target=lambda: found.append(probecache.baselines(digits, 8, tmp_path)))
               for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(60)
    assert len(calls) == 1 and len(found) == 2 and found[0] == found[1]


def test_the_training_job_puts_the_probes_on_the_card_and_fills_the_cache(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "models"))
    config = trainer.TrainConfig(epochs=2, batch_size=64, patience=0, snapshots="off")
    job = jobs.create(jobs.jobs_folder(), jobs.JobSpec("dense", "digits", 6, {}, config, "probed"))
    assert probecache.cached_baselines(digits, 6) is None
    outcome = worker.run(job)
    assert outcome["status"] == "done", outcome
    assert {"knn_accuracy", "linear_probe_accuracy"} <= set(outcome["meta"]["metrics"])
    kept = probecache.cached_baselines(digits, 6)
    assert kept is not None and kept["pca"]["dimensions"] == 6
    expected = probes.baseline_probes(digits, 6)["pixels"]["linear_probe_accuracy"]
    assert kept["pixels"]["linear_probe_accuracy"] == pytest.approx(expected, abs=0.004)
