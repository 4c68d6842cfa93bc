"""The training timeline's targets (issue #24).

Usage:  python bench/timeline.py cost [--epochs 12] [--dataset fashion_mnist]   the default conv model trained with
                                                                                snapshots off, on, on, off (ABBA, so
                                                                                drift cancels): what they cost
        python bench/timeline.py align [--frames 20] [--points 2000]            aligning the frames of a real
                                                                                training, by method: seconds and
                                                                                each image's median move per frame
        python bench/timeline.py browser [--seconds 5]                          frames per second while the timeline
                                                                                plays in headless Chromium

`cost` and `align` train through the CLI (a job, like a user's); `browser` serves the app on a store of its own.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def train(store: str, *flags: str) -> dict:
    command = [sys.executable, "-m", "aecore", "train", "--store", store, "--quiet", *flags]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        raise SystemExit(run.stderr[-800:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def cost(arguments):
    seconds = {"off": [], "on": []}
    print("| run | snapshots | epochs | train s | snapshots kept | file KB |")
    print("|---|---|---|---|---|---|")
    for run, state in enumerate(("off", "on", "on", "off")):
        found = train(arguments.store, "--family", "conv", "--dataset", arguments.dataset, "--epochs",
                      str(arguments.epochs), "--patience", "0", "--snapshots", state, "--name", f"cost-{run}-{state}")
        file = Path(arguments.store) / found["name"] / "snapshots.npz"
        seconds[state].append(found["train_seconds"])
        print(f"| {run + 1} | {state} | {arguments.epochs} | {found['train_seconds']:.1f} | "
              f"{found.get('snapshots', '-')} | {file.stat().st_size / 1024 if file.is_file() else 0:.0f} |", flush=True)
    on, off = sum(seconds["on"]), sum(seconds["off"])
    print(f"\nsnapshots cost {100 * (on - off) / off:+.1f}% of training time ({on / 2:.1f} s on, {off / 2:.1f} s off, "
          "mean of two each)")


def align(arguments):
    from aecore.analysis import timeline
    from aecore.store.modelstore import ModelStore

    epochs = arguments.frames - 4  # four snapshots inside the first epoch, then one per epoch
    found = train(arguments.store, "--family", "conv", "--dataset", arguments.dataset, "--epochs", str(epochs),
                  "--patience", "0", "--max-train-images", "10000", "--name", "aligned")  # a minute, not four
    codes = ModelStore(arguments.store).snapshots(found["name"])["codes"][:, : arguments.points].astype(np.float32)
    print(f"{codes.shape[0]} frames of {codes.shape[1]} points, {codes.shape[2]}-number codes "
          f"(conv on 10,000 {arguments.dataset} training images, {epochs} epochs)\n")
    print("| method | seconds | median move per frame (share of the map's RMS radius) | largest frame's median move |")
    print("|---|---|---|---|")
    methods = {"PCA per frame, Procrustes onto the last (shipped)": timeline.aligned_maps,
               "PCA per frame, unaligned": timeline.pca_maps,
               "umap-learn AlignedUMAP": aligned_umap}
    for name, method in methods.items():
        started = time.perf_counter()
        maps = method(codes)
        elapsed = time.perf_counter() - started
        moves = timeline.median_moves(unit_rms(maps))
        print(f"| {name} | {elapsed:.1f} | {np.median(moves):.3f} | {moves.max():.3f} |", flush=True)


def unit_rms(maps: np.ndarray) -> np.ndarray:
    """Each frame centred and scaled to unit RMS radius, so moves compare across methods."""
    maps = maps - maps.mean(axis=1, keepdims=True)
    return maps / np.sqrt(np.mean(np.sum(maps ** 2, axis=2), axis=1))[:, None, None]


def aligned_umap(codes: np.ndarray) -> np.ndarray:
    """AlignedUMAP over the frames, every image tied to itself in the next frame."""
    from umap import AlignedUMAP

    relations = [{index: index for index in range(codes.shape[1])} for _ in range(len(codes) - 1)]
    fitted = AlignedUMAP(n_neighbors=15, random_state=0).fit(list(codes), relations=relations)
    return np.stack(fitted.embeddings_).astype(np.float32)


def browser(arguments):
    """A 20-frame timeline of 2,000 digits-sized points (conv on Fashion-MNIST), played for `seconds`."""
    from playwright.sync_api import sync_playwright

    from scripts import serve

    found = train(arguments.store, "--family", "conv", "--dataset", "fashion_mnist", "--epochs", "16",
                  "--patience", "0", "--max-train-images", "10000", "--name", "played")
    process, url = serve.start(Path(arguments.store), dataset="fashion_mnist")
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/timeline")
            player = page.locator(".timeline-player")
            player.locator("canvas.map").wait_for(timeout=180_000)
            deadline = time.monotonic() + 60  # the player sits in the component's shadow root: poll its locator
            while not int(player.get_attribute("data-count") or 0) and time.monotonic() < deadline:
                time.sleep(0.25)
            count = int(player.get_attribute("data-count"))
            points = int(player.get_attribute("data-points"))
            player.locator("button.play").click()
            start = int(player.get_attribute("data-draws"))
            time.sleep(arguments.seconds)
            drawn = int(player.get_attribute("data-draws")) - start
            chromium.close()
    finally:
        serve.stop(process)
    print(f"{found['name']}: {count} frames of {points} points; playing drew {drawn} frames in {arguments.seconds} s: "
          f"{drawn / arguments.seconds:.1f} frames per second")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["cost", "align", "browser"])
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--epochs", type=int, default=12, help="cost: epochs of each run (the conv default)")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--store", default=None)
    arguments = parser.parse_args()
    arguments.store = arguments.store or tempfile.mkdtemp(prefix="bench-timeline-")
    {"cost": cost, "align": align, "browser": browser}[arguments.what](arguments)


if __name__ == "__main__":
    main()
