"""Training jobs as processes: files in the jobs folder, Stop, a server restart, AECORE_MAX_JOBS, the CLI.

Real worker processes on digits with a few epochs; every wait has a deadline and polls the files.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from aecore.errors import TrainingError
from aecore.store.modelstore import ModelStore
from aecore.training import jobs, trainer, worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = trainer.TrainConfig(epochs=3, batch_size=64, patience=0)
LONG = trainer.TrainConfig(epochs=300, batch_size=16, patience=0)  # runs until stopped


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(tmp_path / "models"))
    monkeypatch.setenv("AECORE_MAX_JOBS", "1")
    return jobs.jobs_folder()


def wait_until(predicate, timeout=120, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def spec(name, config=QUICK, family="dense"):
    return jobs.JobSpec(family, "digits", 4, {}, config, name)


def worker_log(folder) -> str:
    path = folder / "workers.log"
    return path.read_text()[-3000:] if path.exists() else ""


def test_a_job_trains_in_its_own_niced_process_and_writes_its_files(folder):
    job = jobs.submit(folder, spec("in-a-process", trainer.TrainConfig(epochs=40, batch_size=32, patience=0)))
    wait_until(lambda: job.progress is not None, what="the first progress file")
    state = job.state()
    assert state["status"] == "running" and state["pid"] != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, state["pid"]) >= worker.NICE, "the worker runs below the server's priority"
    progress = job.progress
    assert progress.epochs == 40 and progress.elapsed > 0 and "loss" in progress.logs
    wait_until(lambda: not job.active, what="the job to finish")
    assert job.status == "done", job.message + worker_log(folder)
    assert job.model_name == "in-a-process" and ModelStore().names() == ["in-a-process"]
    history = ModelStore().meta("in-a-process")["history"]["loss"]
    assert history[-1] < history[0]
    assert job.progress.fraction == 1.0 and job.progress.eta == 0


def test_stop_ends_the_process_within_a_second_and_saves_nothing(folder):
    job = jobs.submit(folder, spec("stopped", LONG, family="conv"))
    wait_until(lambda: job.progress is not None and job.progress.epoch >= 2, what="epoch 2")
    pid, tick = job.pid, job.state()["tick"]
    started = time.monotonic()
    jobs.cancel(folder, job.id)
    assert time.monotonic() - started < 1.5
    assert jobs.process_tick(pid) != tick, "the training process has ended"
    assert job.status == "cancelled" and "nothing was saved" in job.message
    assert ModelStore().names() == [] and not list(ModelStore().root.glob(".incoming-*"))


def test_a_server_restart_finds_running_and_queued_jobs(folder, tmp_path):
    """A 'server' process submits two jobs and is killed mid-training; a new runner sees both and both finish."""
    server = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from aecore.training import jobs, trainer\n"
        "from dashboard.state import roles\n"
        "from dashboard.state.job_runner import JobRunner\n"
        "runner = JobRunner()\n"
        "config = trainer.TrainConfig(epochs=12, batch_size=32, patience=0)\n"
        "owner = roles.Visitor('owner', 'test', 'open')\n"
        "first = runner.submit(jobs.JobSpec('dense', 'digits', 4, {}, config, 'first'), owner)\n"
        "runner.submit(jobs.JobSpec('dense', 'digits', 4, {}, config, 'second'), owner)\n"
        "while first.progress is None: time.sleep(0.1)\n"
        "print('training', flush=True)\n"
        "time.sleep(600)\n")], cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    assert server.stdout.readline().strip() == "training"
    server.send_signal(signal.SIGKILL)
    server.wait()
    from dashboard.state.job_runner import JobRunner

    first, second = JobRunner().jobs
    assert (first.status, second.status, second.position) == ("running", "queued", 1)
    wait_until(lambda: not any(job.active for job in JobRunner().jobs), what="both jobs to finish")
    assert (first.status, second.status) == ("done", "done"), worker_log(folder)
    assert sorted(ModelStore().names()) == ["first", "second"]


def test_a_job_whose_process_died_says_so(folder):
    job = jobs.submit(folder, spec("killed", LONG))
    wait_until(lambda: job.progress is not None, what="training to start")
    os.kill(job.pid, signal.SIGKILL)
    wait_until(lambda: job.status == "failed", timeout=10, what="the dead process to show")
    assert f"pid {job.pid}" in job.message and "ended without finishing" in job.message
    assert ModelStore().names() == []


def test_a_job_of_another_machine_is_judged_by_its_heartbeat(folder):
    """A store shared by several machines (#37): a running job or worker recorded by another host is alive while its
    heartbeat file is fresh, whatever this machine's /proc says; a real job's process keeps its heartbeat fresh, and
    Stop leaves another machine's process to stop itself on the cancel file."""
    job = jobs.submit(folder, spec("beating", LONG))
    wait_until(lambda: job.progress is not None, what="training to start")
    beat = job.path / "heartbeat"
    first = beat.stat().st_mtime
    wait_until(lambda: beat.stat().st_mtime > first, timeout=4 * jobs.HEARTBEAT_SECONDS, what="the next heartbeat")
    assert job.state()["host"] == jobs.HOST
    jobs.cancel(folder, job.id)
    assert job.status == "cancelled"

    elsewhere = jobs.create(folder, spec("elsewhere"))  # queued, then "claimed" by a worker on another machine
    jobs.write_json(elsewhere.path / "state.json", {"status": "running", "pid": 4_000_000, "tick": "12345",
                                                    "host": "another-machine", "started": time.time()})
    (elsewhere.path / "heartbeat").touch()
    assert elsewhere.status == "running"  # no such pid here, but its heartbeat is fresh
    stale = time.time() - jobs.STALE_SECONDS - 1
    os.utime(elsewhere.path / "heartbeat", (stale, stale))
    assert elsewhere.status == "failed" and "ended without finishing" in elsewhere.message
    os.utime(elsewhere.path / "heartbeat")
    jobs.cancel(folder, elsewhere.id)  # no local process to end: the cancel file is what it reads
    assert (elsewhere.path / "cancel").exists() and elsewhere.status == "running"

    (folder / "workers").mkdir(exist_ok=True)
    jobs.write_json(folder / "workers" / "4000000.json", {"pid": 4_000_000, "tick": "12345", "host": "another-machine"})
    (folder / "workers" / "4000000.beat").touch()
    assert jobs.live_workers(folder) == 1
    os.utime(folder / "workers" / "4000000.beat", (stale, stale))
    assert jobs.live_workers(folder) == 0 and (folder / "workers" / "4000000.json").exists()  # its host's to clear


def test_max_jobs_two_run_at_once_and_the_third_waits_its_turn(folder, monkeypatch):
    monkeypatch.setenv("AECORE_MAX_JOBS", "2")
    submitted = [jobs.submit(folder, spec(f"parallel-{index}", LONG)) for index in range(3)]
    third = submitted[2]
    wait_until(lambda: [job.status for job in submitted] == ["running", "running", "queued"], what="two running")
    assert len({job.pid for job in submitted[:2]}) == 2, "two separate processes"
    assert [job.position for job in jobs.list_jobs(folder) if job.id == third.id] == [1]
    jobs.cancel(folder, submitted[0].id)  # a slot frees up: the third starts
    wait_until(lambda: third.status == "running", what="the queued job to start")
    for job in submitted:
        jobs.cancel(folder, job.id)
    outcomes = [(job.status, job.message) for job in submitted]
    assert [status for status, _ in outcomes] == ["cancelled"] * 3, f"{outcomes}\n{worker_log(folder)}"
    assert ModelStore().names() == []


def test_a_job_that_starts_from_another_waits_for_it_while_a_second_worker_trains(folder):
    """The quick start's way: `workers=2` spreads the jobs over two one-thread workers, and a job warm-started from a
    model still being trained is not claimed until that model has landed."""
    base = jobs.submit(folder, spec("base", trainer.TrainConfig(epochs=6, batch_size=64, patience=0)), workers=2)
    follower = jobs.submit(folder, spec("follower", dataclasses.replace(QUICK, warm_start="base")), workers=2)
    other = jobs.submit(folder, spec("other"), workers=2)
    wait_until(lambda: base.status == "running" and other.status == "running", what="two jobs side by side")
    assert follower.status == "queued" and base.pid != other.pid
    threads = {pid: dict(item.split("=", 1) for item in open(f"/proc/{pid}/environ").read().split("\0") if "=" in item)
               .get("AECORE_WORKER_THREADS") for pid in (base.pid, other.pid)}
    assert set(threads.values()) == {str(jobs.worker_threads(2))}, threads
    wait_until(lambda: not follower.active and not other.active and not base.active, what="all three")
    outcomes = [(job.status, job.message) for job in (base, follower, other)]
    assert [status for status, _ in outcomes] == ["done"] * 3, f"{outcomes}\n{worker_log(folder)}"
    assert follower.state()["started"] >= base.finished, "the follower waited for the model it starts from"
    assert any("started from the weights of 'base'" in note for note in ModelStore().meta("follower")["notes"])


def test_a_job_warm_started_from_its_own_name_is_not_held_back(folder):
    again = jobs.create(folder, spec("same", dataclasses.replace(QUICK, warm_start="same")))
    follower = jobs.create(folder, spec("next", dataclasses.replace(QUICK, warm_start="same")))
    assert [job.id for job in jobs.claimable(jobs.list_jobs(folder))] == [again.id], "the follower waits for 'same'"
    jobs.cancel(folder, again.id)
    assert [job.id for job in jobs.claimable(jobs.list_jobs(folder))] == [follower.id], "then starts from scratch"


def test_cli_training_shows_up_in_the_jobs_folder_and_background_queues(folder):
    environment = {**os.environ, "PYTHONPATH": ROOT}
    command = [sys.executable, "-m", "aecore", "train", "--family", "dense", "--dataset", "digits", "--epochs", "2",
               "--latent-dim", "4", "--quiet"]
    foreground = subprocess.run([*command, "--name", "from-cli"], capture_output=True, text=True, env=environment, timeout=300)
    assert foreground.returncode == 0, foreground.stderr[-2000:]
    (job,) = jobs.list_jobs(folder)
    assert (job.status, job.model_name, job.spec.family) == ("done", "from-cli", "dense")
    assert job.progress.epoch == 2
    started = time.monotonic()
    background = subprocess.run([*command, "--name", "queued-from-cli", "--background"], capture_output=True, text=True,
                                env=environment, timeout=300)
    assert background.returncode == 0, background.stderr[-2000:]
    answer = json.loads(background.stdout.strip().splitlines()[-1])
    assert answer["status"] in ("queued", "running") and time.monotonic() - started < 30
    queued = next(job for job in jobs.list_jobs(folder) if job.id == answer["job"])
    wait_until(lambda: not queued.active, what="the background job")
    assert queued.model_name == "queued-from-cli", queued.message + worker_log(folder)
    listing = subprocess.run([sys.executable, "-m", "aecore", "jobs"], capture_output=True, text=True, env=environment)
    assert "queued-from-cli" in listing.stdout and "from-cli" in listing.stdout


def test_queued_job_cancel_and_spec_round_trip(folder, monkeypatch):
    monkeypatch.setenv("AECORE_MAX_JOBS", "1")
    original = jobs.JobSpec("dense", "digits", 4, {"widths": (64, 32)}, QUICK, "round-trip")
    assert jobs.JobSpec.from_dict(json.loads(json.dumps(original.to_dict()))) == original
    job = jobs.create(folder, original)  # created but not launched: it stays queued
    assert job.status == "queued" and jobs.list_jobs(folder)[0].position == 1
    jobs.cancel(folder, job.id)
    assert job.status == "cancelled" and "nothing was saved" in job.message


@pytest.mark.parametrize("cancelled, status", [(True, "cancelled"), (False, "failed")])
def test_stop_mangled_by_tensorflow_still_reads_as_stopped(folder, monkeypatch, cancelled, status):
    """Stop's SIGTERM can land inside TensorFlow's C++ code, which re-raises it as e.g. a TypeError (seen in CI)."""
    job = jobs.create(folder, spec("mangled"))
    if cancelled:
        (job.path / "cancel").touch()

    def mangled(*args, **kwargs):
        raise TypeError("'NoneType' object cannot be interpreted as an integer")
    monkeypatch.setattr(trainer, "train", mangled)
    outcome = worker.run(job, save=False)
    assert (outcome["status"], job.status) == (status, status)
    assert ("nothing was saved" if cancelled else "unexpected TypeError") in job.message


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_max_jobs_says_what_is_allowed(monkeypatch, value):
    monkeypatch.setenv("AECORE_MAX_JOBS", value)
    with pytest.raises(TrainingError, match=f"AECORE_MAX_JOBS must be a whole number >= 1; got '{value}'"):
        jobs.max_jobs()


def test_unknown_job_id_says_how_to_list_them(folder):
    with pytest.raises(TrainingError, match="no job 'nope'.*python -m aecore jobs"):
        jobs.cancel(folder, "nope")


def test_default_max_jobs_is_cores_minus_one(monkeypatch):
    monkeypatch.delenv("AECORE_MAX_JOBS", raising=False)
    assert jobs.max_jobs() == max(1, (os.cpu_count() or 2) - 1)


@pytest.mark.parametrize("config, chief", [
    ({}, True),
    ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}, True),
    ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}, False),
    ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}, False),
    ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}, True),
])
def test_only_the_chief_saves(monkeypatch, config, chief):
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert trainer.is_chief() is chief


def test_the_quick_start_keeps_its_training_steps_on_smaller_datasets():
    """Each recipe's steps on Fashion-MNIST, kept on a smaller set (a 16,667-image set of your own took 25 epochs,
    a quarter of an hour at 64x64 colour, when every smaller set got digits' treatment); digits stays at 25 epochs."""
    import math

    from aecore.models import families
    from dashboard.state.job_runner import QUICK_START, quick_start_specs

    for spec, (family, _, _, recipe) in zip(quick_start_specs("yours", 16_667), QUICK_START):
        batch = recipe.get("batch_size") or families.FAMILIES[family].batch_size
        planned = recipe["epochs"] * math.ceil(recipe["max_train_images"] / batch)
        steps = spec.config.epochs * math.ceil(16_667 / spec.config.batch_size)
        assert 0.7 * planned <= steps <= 1.5 * planned and spec.config.epochs <= 3, (family, steps, planned)
    assert [spec.config.epochs for spec in quick_start_specs("digits", 1_350)] == [25, 25, 20, 25]
    assert [spec.config.epochs for spec in quick_start_specs("fashion_mnist", 60_000)] == [1, 4, 1, 2]
