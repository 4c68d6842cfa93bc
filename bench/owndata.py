"""Converting the user's own images into a dataset: 20,000 JPEGs in a zip, timed, with the child's peak memory (#27).

Usage:  python bench/owndata.py [--images 20000] [--size 64] [--keep DIR]

Builds a zip of JPEGs (random crops of 100-200 px from scikit-image's colour photographs, quality 90, in 10 class
folders under one top folder, stored as a phone or a file manager zips them) in a temporary folder, then runs
`python -m aecore datasets add bench20k ZIP --size 64 --colour --store TMP` in a child process and reports its
wall-clock seconds and peak resident memory (getrusage RUSAGE_CHILDREN ru_maxrss). Targets: <= 60 s on 2 cores,
peak <= 1 GiB.
"""

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "retina", "hubble_deep_field")
CLASSES = 10


def build_zip(path: Path, count: int, seed: int = 0) -> int:
    """count JPEGs in CLASSES folders; returns the zip's size in bytes."""
    import skimage.data

    photos = [getattr(skimage.data, name)() for name in PHOTOS]
    photos = [photo[..., :3] for photo in photos if photo.ndim == 3]  # (h, w, 3) uint8
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # JPEGs do not deflate
        for index in range(count):
            photo = photos[index % len(photos)]
            height, width = rng.integers(100, 201, size=2)
            top = rng.integers(0, photo.shape[0] - height + 1)
            left = rng.integers(0, photo.shape[1] - width + 1)
            buffer = io.BytesIO()
            Image.fromarray(photo[top:top + height, left:left + width]).save(buffer, "JPEG", quality=90)
            archive.writestr(f"bench/class{index % CLASSES}/{index:05d}.jpg", buffer.getvalue())
    return path.stat().st_size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--keep", help="build the zip and the store here and keep them (default: a temporary folder)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aecore-bench-owndata-") as scratch:
        folder = Path(arguments.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        zip_path = folder / "bench.zip"
        started = time.perf_counter()
        size = build_zip(zip_path, arguments.images)
        print(f"zip: {arguments.images:,} JPEGs, {size / 1e6:.0f} MB, built in {time.perf_counter() - started:.1f} s")
        command = [sys.executable, "-m", "aecore", "datasets", "add", "bench20k", str(zip_path),
                   "--size", str(arguments.size), "--colour", "--store", str(folder / "store")]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"failed ({result.returncode}): {result.stderr[-2000:]}")
        card = json.loads(result.stdout.strip().splitlines()[-1])
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: kilobytes
        npz = folder / "store" / "datasets" / "bench20k" / "images.npz"
        print(f"datasets add: {seconds:.1f} s wall (target <= 60), peak RSS {peak_mib:.0f} MiB (target <= 1024); "
              f"card: {card['counts']}, conversion {card['seconds']} s; images.npz {npz.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
