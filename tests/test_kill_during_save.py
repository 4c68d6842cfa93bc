"""SIGKILL in the middle of saving, at random points, many times: the store never lists a half model.

A bounded stress test: one child process keeps saving; the parent kills it at random moments.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from aecore.store.modelstore import ModelStore

SAVER = """
import sys
from aecore.models import families
from aecore.store import modelstore
model = families.build("conv", (28, 28, 1), 16)  # ~120k parameters: a save takes tens of milliseconds
model.meta.update({"dataset": "digits", "metrics": {}, "history": {}})
target = modelstore.ModelStore(sys.argv[1])
print("ready", flush=True)
while True:
    target.save(model, "victim")
"""


@pytest.mark.slow
def test_sigkill_mid_save_never_leaves_a_half_model(tmp_path, trained, digits):
    root = tmp_path / "models"
    store = ModelStore(root)
    store.save(trained["dense"], "earlier")
    expected = trained["dense"].reconstruct(digits.x_test[:8])
    rng = random.Random(0)
    kills = 0
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(root)], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.5))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        kills += 1
        entries, problems = store.scan()
        assert problems == [], [problem.reason for problem in problems]
        for entry in entries:  # everything listed is whole: its meta parses and its model loads
            json.loads((entry.path / "meta.json").read_text())
        assert store.load("earlier").reconstruct(digits.x_test[:8]) == pytest.approx(expected, abs=1e-6)
    assert kills == 4
    victims = [name for name in store.names() if name.startswith("victim")]
    assert victims, "the child saved at least once before being killed"
    store.load(victims[-1])  # the newest complete save loads
