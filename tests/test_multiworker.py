"""Training across machines: two `python -m aecore train` workers on localhost under one TF_CONFIG.

Both share one store folder here, as two machines sharing a network folder would: only the chief saves.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

from aecore.store.modelstore import ModelStore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


@pytest.mark.slow
def test_two_workers_train_one_model_and_only_the_chief_saves(tmp_path):
    workers = [f"localhost:{port}" for port in free_ports(2)]
    store = tmp_path / "models"
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        environment = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "AECORE_STORE": str(store), "PYTHONPATH": ROOT}
        command = [sys.executable, "-m", "aecore", "train", "--family", "dense", "--dataset", "digits",
                   "--epochs", "6", "--latent-dim", "8", "--patience", "0", "--name", "together", "--quiet"]
        processes.append(subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise
        assert process.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    chief, other = results
    assert chief["name"] == "together" and other["name"] is None and other["store"] is None
    assert ModelStore(store).names() == ["together"], "exactly one model lands"
    history = ModelStore(store).meta("together")["history"]["loss"]
    assert len(history) == 6 and history[-1] < history[0], history
    assert chief["test_bce"] == pytest.approx(other["test_bce"], rel=1e-5), "both trained the same weights"
    assert len([path for path in (store / ".jobs").iterdir() if path.name[0].isdigit()]) == 1, "only the chief records a job"
