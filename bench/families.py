"""Trains every family with its defaults through the CLI, one after another, and writes one JSON line each.

Usage: python bench/families.py [DATASET] > bench/out/families.jsonl
"""

import json
import subprocess
import sys
import tempfile

from aecore.models.families import FAMILIES

dataset = sys.argv[1] if len(sys.argv) > 1 else "fashion_mnist"
store = tempfile.mkdtemp(prefix="bench-families-")
for family in FAMILIES:
    run = subprocess.run([sys.executable, "-m", "aecore", "train", "--family", family, "--dataset", dataset,
                          "--store", store, "--quiet"], capture_output=True, text=True)
    line = run.stdout.strip().splitlines()[-1] if run.returncode == 0 else json.dumps({"family": family, "error": run.stderr[-300:]})
    print(line, flush=True)
