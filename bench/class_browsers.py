"""A class on one dashboard (issue #26): 30 browser sessions explore while the owner trains, on this machine.

Usage:  python bench/class_browsers.py [--sessions 30]

The server runs with AECORE_OWNER_PASSWORD set, so 29 sessions are viewers; session 0 signs in as the owner,
starts a training on the Train page, then explores like the others. Every session picks its own test images on
Feature maps and must see exactly those (the BCE under the picture is checked against this process's own).
It reuses tests/browser/test_3_load.py's sessions, and prints the interaction times (p50, p95, max) as JSON.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

import test_3_load as load  # noqa: E402

from aecore.analysis import metrics  # noqa: E402
from aecore.data import catalog  # noqa: E402
from aecore.store import modelstore  # noqa: E402
from aecore.training import trainer  # noqa: E402
from scripts import serve  # noqa: E402

PASSWORD = "class-of-2026"


async def owner_starts_training(page, url, timings):
    """Signs in with the owner password, then starts a training as the load test's session 0 does."""
    started = time.perf_counter()
    await page.goto(f"{url}/train")
    await page.get_by_text("Owner sign-in").click(timeout=180_000)
    await page.get_by_label("Owner password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_text("You are the owner").first.wait_for(timeout=120_000)
    timings.setdefault("owner signs in", []).append(time.perf_counter() - started)
    started = time.perf_counter()  # no reload: a password sign-in lasts as long as the browser session
    await page.get_by_text("Start training").wait_for(timeout=180_000)
    await page.get_by_label("Name (optional)").fill("trained-under-load")
    await page.get_by_text("Start training").click()
    await page.get_by_text("Training conv on digits").first.wait_for(timeout=120_000)
    timings["start a training"].append(time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    arguments = parser.parse_args()
    load.SESSIONS, load.start_training = arguments.sessions, owner_starts_training
    folder = Path(tempfile.mkdtemp(prefix="class-load-"))
    digits = catalog.load_dataset("digits")
    autoencoder = trainer.train("conv", digits, 8, config=trainer.TrainConfig(epochs=15, patience=0))
    modelstore.ModelStore(folder).save(autoencoder, load.MODEL)
    expected = metrics.binary_cross_entropy(digits.x_test, autoencoder.reconstruct(digits.x_test))
    process, url = serve.start(folder, dataset="digits", env={"AECORE_OWNER_PASSWORD": PASSWORD})
    started = time.perf_counter()
    try:
        timings, problems = asyncio.run(load.run_sessions({"executable_path": serve.CHROMIUM, "args": serve.FLAGS},
                                                          url, expected))
        deadline = time.time() + 300  # the owner's training may still be running when the visitors are done
        while time.time() < deadline and not (folder / "trained-under-load" / "model.keras").is_file():
            time.sleep(1)
    finally:
        serve.stop(process)
    report = {name: {"n": len(values), "p50_s": round(statistics.median(values), 2),
                     "p95_s": round(load.percentile(values, 0.95), 2), "max_s": round(max(values), 2)}
              for name, values in timings.items() if values}
    trained = (folder / "trained-under-load" / "model.keras").is_file()
    print(json.dumps({"sessions": arguments.sessions, "seconds": round(time.perf_counter() - started), "errors": problems,
                      "owner_training_landed": trained, **report}, indent=1))


if __name__ == "__main__":
    main()
