"""The quick start's worker (#35): a standby worker loads TensorFlow before the click and takes the first job; a
worker fills the probes' baselines once its queue is empty, after every model has landed, not between them; and its
jobs share one copy of a built-in dataset. Real worker processes on digits, tiny models."""

import json
import os
import time
from pathlib import Path

import pytest

from aecore.analysis import probes
from aecore.data import catalog
from aecore.store import probecache
from aecore.store.modelstore import ModelStore
from aecore.training import jobs, loop, worker

ROOT = Path(__file__).resolve().parents[1]
TINY = loop.TrainConfig(epochs=1, batch_size=64, patience=0, snapshots="off")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "models"))
    monkeypatch.setenv("AECORE_MAX_JOBS", "1")
    return jobs.jobs_folder()


def wait_until(predicate, timeout=180, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def worker_log(folder) -> str:
    path = folder / "workers.log"
    return path.read_text()[-3000:] if path.exists() else ""


def registered(folder) -> list[int]:
    return sorted(int(path.stem) for path in (folder / "workers").glob("*.json")) if (folder / "workers").is_dir() else []


@pytest.mark.slow
def test_a_standby_worker_loads_keras_first_then_takes_the_first_job(folder, monkeypatch):
    monkeypatch.setenv("AECORE_STANDBY", "1")
    assert jobs.launch_standby(folder, "digits")
    assert not jobs.launch_standby(folder, "digits"), "one standby at a time"
    [standby] = registered(folder)
    time.sleep(1)
    assert jobs.live_workers(folder) == 1, worker_log(folder)
    first = jobs.submit(folder, jobs.JobSpec("dense", "digits", 4, {}, TINY, "first"))
    assert registered(folder) == [standby], "no second worker is started while the standby waits"
    wait_until(lambda: not first.active, what="the first job")
    assert first.status == "done", first.message + worker_log(folder)
    assert first.state()["pid"] == standby and ModelStore().names() == ["first"]
    state = first.state()
    assert state["finished"] > state["started"], "the final state keeps when the job started"


def test_the_standby_warm_up_changes_no_later_training_and_yields_to_a_queued_job(digits, monkeypatch, tmp_path,
                                                                                  capsys):
    """The warm-up (a small dense training, a large split) leaves the next training bitwise as it would be, saves
    nothing, and does nothing once a job is queued."""
    from aecore.training import trainer

    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "models"))
    config = loop.TrainConfig(epochs=1, batch_size=64, patience=0, snapshots="off")
    before = trainer.train("conv", digits, 4, None, config)
    worker._warm_up(digits, queued=lambda: False)
    assert "warm-up skipped" not in capsys.readouterr().err  # it trained
    after = trainer.train("conv", digits, 4, None, config)
    for mine, theirs in zip(before.model.get_weights(), after.model.get_weights()):
        assert (mine == theirs).all()
    assert before.meta["metrics"] == after.meta["metrics"] and ModelStore().names() == []
    monkeypatch.setattr(trainer, "train", lambda *args, **kwargs: pytest.fail("warmed up with a job queued"))
    monkeypatch.setattr(trainer, "split_validation", lambda *args: pytest.fail("warmed up with a job queued"))
    worker._warm_up(digits, queued=lambda: True)


def test_the_warm_up_split_is_bounded_in_bytes(digits, monkeypatch):
    from aecore.training import trainer

    split, trained = [], []
    monkeypatch.setattr(trainer, "split_validation", lambda images, share, seed: split.append(len(images)))
    monkeypatch.setattr(trainer, "train", lambda *args, **kwargs: trained.append(args[0]))
    monkeypatch.setattr(worker, "WARM_SPLIT_BYTES", 10 * digits.x_train[:1].nbytes)
    worker._warm_up(digits, queued=lambda: False)
    assert split == [10] and trained == ["dense"]


def test_standby_is_off_when_asked(folder, monkeypatch):
    monkeypatch.setenv("AECORE_STANDBY", "0")
    assert not jobs.launch_standby(folder, "digits") and registered(folder) == []


@pytest.mark.slow
def test_the_baselines_are_filled_once_the_queue_is_empty(folder, digits):
    """Two models queued at once: the second starts right after the first lands; the baselines come after both."""
    specs = [jobs.JobSpec("dense", "digits", 6, {}, TINY, "one"), jobs.JobSpec("dense", "digits", 8, {}, TINY, "two")]
    queued = [jobs.create(folder, spec) for spec in specs]
    jobs.launch_workers(folder)
    wait_until(lambda: not any(job.active for job in queued), what="both models")
    pid = queued[0].state()["pid"]  # it leaves the register at once, and ends after the baselines and sweeps
    wait_until(lambda: jobs.process_tick(pid) is None, what="the worker's end")
    states = [job.state() for job in queued]
    assert [state["status"] for state in states] == ["done", "done"], worker_log(folder)
    place = probecache.folder(digits, probes.probe_split(digits), folder.parent)
    filled = min(path.stat().st_mtime for path in place.glob("*.json"))
    assert states[1]["started"] - states[0]["finished"] < 2, "the second model starts right after the first lands"
    assert filled >= states[1]["finished"], "the baselines waited for the queue to empty"
    assert {path.name for path in place.glob("*.json")} == {"pixels.json", "pca-6.json", "pca-8.json"}
    assert json.loads((place / "pca-8.json").read_text())["dimensions"] == 8
    images = digits.x_test[:probecache.SWEEP_IMAGES]
    for name in ("one", "two"):  # and the Denoise page's first curve of each
        kept = probecache.cached_sweep(ModelStore(), name, images, "gaussian", probecache.SWEEP_LEVELS, 0)
        assert kept is not None and kept.denoised.shape == (21, *images.shape), name + worker_log(folder)


def test_a_kept_sweep_reads_back_as_computed_and_never_for_another_model(digits, tmp_path):
    from aecore.analysis import inspection

    store = ModelStore(tmp_path / "models")
    model = trainer_model(digits)
    store.save(model, "swept")
    images, levels = digits.x_test[:12], probecache.SWEEP_LEVELS
    assert probecache.cached_sweep(store, "swept", images, "gaussian", levels, 0) is None
    computed = probecache.keep_sweep(store, "swept", model, images)
    kept = probecache.cached_sweep(store, "swept", images, "gaussian", levels, 0)
    again = inspection.denoise_sweep(model, images, "gaussian", levels, 0)
    assert abs(kept.denoised - computed.denoised).max() <= 0.5 / 255 + 1e-6
    assert (kept.noisy == again.noisy).all() and (kept.psnr_denoised == computed.psnr_denoised).all()
    assert probecache.cached_sweep(store, "swept", images, "gaussian", levels, 1) is None, "another seed"
    assert probecache.cached_sweep(store, "swept", images[:6], "gaussian", levels, 0) is None, "other images"
    store.delete("swept")
    store.save(model, "swept")  # saved again under the same name: another entry
    assert probecache.cached_sweep(store, "swept", images, "gaussian", levels, 0) is None


def test_the_kept_sweep_is_the_one_the_denoise_page_asks_for():
    from dashboard.sections import latent

    denoise_page = (ROOT / "views" / "denoise.py").read_text()
    assert f"CURVE_IMAGES = {probecache.SWEEP_IMAGES} " in denoise_page
    assert latent.NOISE_LEVELS == probecache.SWEEP_LEVELS


def trainer_model(digits):
    from aecore.training import trainer

    return trainer.train("dense", digits, 4, None, loop.TrainConfig(epochs=1, patience=0, snapshots="off"))


def test_a_workers_jobs_share_one_copy_of_a_built_in_dataset(monkeypatch):
    loads = []
    monkeypatch.setattr(catalog, "load_dataset", lambda name, seed=0: loads.append(name) or object())
    monkeypatch.setattr(worker, "_LOADED", {})
    first, again = worker.load_dataset("digits"), worker.load_dataset("digits")
    assert first is again and loads == ["digits"]
    worker.load_dataset("my-own-cells"), worker.load_dataset("my-own-cells")  # one of yours: read afresh each job
    assert loads == ["digits", "my-own-cells", "my-own-cells"]


def test_a_job_runs_its_scikit_learn_on_one_thread(folder, monkeypatch):
    """The card's probes run inside the job on one BLAS thread (they took 8x longer on two, on a loaded machine)."""
    import threadpoolctl

    seen = []
    real = worker.trainer.train

    def train(*args, **kwargs):
        seen.append({info["internal_api"]: info["num_threads"] for info in threadpoolctl.threadpool_info()})
        return real(*args, **kwargs)
    monkeypatch.setattr(worker.trainer, "train", train)
    job = jobs.create(folder, jobs.JobSpec("dense", "digits", 4, {}, TINY, "threads"))
    assert worker.run(job, baselines=False)["status"] == "done"
    assert seen and seen[0].get("openblas") == 1
    assert os.cpu_count() == 1 or max(info["num_threads"] for info in threadpoolctl.threadpool_info()) > 1, \
        "the limit ends with the job"


def test_the_quick_start_queues_its_fastest_model_first():
    """Home queues dense first (a model on every page within 15 s of the click); the denoiser still after conv, whose
    weights it starts from; the same four recipes."""
    from dashboard.state import job_runner

    queue = job_runner.quick_start_queue("fashion_mnist", 60_000)
    names = [spec.name for spec in queue]
    assert names[0] == "quick-dense-32" and names.index("quick-conv-32") < names.index("quick-denoising-32")
    assert sorted(names) == sorted(spec.name for spec in job_runner.quick_start_specs("fashion_mnist", 60_000))
