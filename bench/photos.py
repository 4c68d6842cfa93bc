"""Photo denoising against classical denoisers on the held-out photos, and full-size speed (issue #13).

Usage:  python bench/photos.py MODEL [--store DIR] [--sigmas 15,25,50]   quality table (markdown)
        python bench/photos.py MODEL [--store DIR] --speed [--tile N]    1-MP and 12-MP times, peak memory

Noise: Gaussian, sigma of 255, clipped to [0, 1] (aecore.data.noise, as in the app), seed = photo number.
Every classical method is told the true sigma: scikit-image's TV (Chambolle, weight = 2 sigma), wavelet
(BayesShrink, soft), non-local means (fast_mode=True, h = 0.8 sigma, 5x5 patches, 13x13 search) and
BM3D (the `bm3d` package: bm3d_rgb for colour, bm3d for grey; bench/requirements.txt). Ours is blind.
"""

import argparse
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aecore.analysis import metrics
from aecore.data import noise, photos
from aecore.photo import (
    classical,
    tiling,  # noqa: E402
)
from aecore.store import modelstore


def classical_methods() -> dict:
    """name -> denoise(noisy (h, w, c), sigma in [0, 1]) -> (h, w, c): aecore.photo.classical's, then BM3D."""
    methods = {"TV": classical.total_variation, "wavelet": classical.wavelet, "NL-means": classical.non_local_means}
    try:
        import bm3d

        def block_matching(image, sigma):
            if image.shape[-1] == 3:
                return bm3d.bm3d_rgb(image, sigma)
            return bm3d.bm3d(image[..., 0], sigma)[..., None]

        methods["BM3D"] = block_matching
    except ImportError:
        print("bm3d is not installed (pip install -r bench/requirements.txt): no BM3D column", file=sys.stderr)
    return methods


def quality(autoencoder, sigmas: list[int], mode: str | None = None) -> dict:
    """{sigma: {method: (mean PSNR, mean SSIM, mean seconds per image)}} over the held-out photos (mode "grey" or
    "colour": only those)."""
    held_out = [photo for photo in photos.load_photos().test
                if mode is None or (photo.pixels.shape[-1] == 3) == (mode == "colour")]
    methods = {"noisy": lambda image, sigma: image, **classical_methods(),
               "ours": lambda image, sigma: tiling.denoise(autoencoder, image)}
    tiling.denoise(autoencoder, held_out[0].pixels[:64, :64])  # trace the graph once, outside the timings
    table = {}
    for sigma in sigmas:
        scores = {name: ([], [], []) for name in methods}
        for number, photo in enumerate(held_out):
            noisy = noise.add_noise(photo.pixels, "gaussian", sigma / 255, seed=number)
            for name, method in methods.items():
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = np.clip(np.asarray(method(noisy, sigma / 255), np.float32).reshape(noisy.shape), 0.0, 1.0)
                seconds = time.perf_counter() - started
                psnr, ssim, times = scores[name]
                psnr.append(float(metrics.psnr(photo.pixels[None], result[None])[0]))
                ssim.append(float(metrics.ssim(photo.pixels[None], result[None])[0]))
                times.append(seconds)
            print(f"sigma {sigma} {photo.name}: " + ", ".join(f"{name} {values[0][-1]:.2f}" for name, values in scores.items()),
                  file=sys.stderr)
        table[sigma] = {name: tuple(statistics.mean(values) for values in columns) for name, columns in scores.items()}
    return table


def print_quality(table: dict, model_name: str, mode: str | None = None):
    names = list(next(iter(table.values())))
    chosen = [photo.name for photo in photos.load_photos().test
              if mode is None or (photo.pixels.shape[-1] == 3) == (mode == "colour")]
    print(f"Mean PSNR (dB) / SSIM over the {len(chosen)} {mode or ''} held-out photos ({', '.join(chosen)}); seconds per image\n")
    print("| sigma | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for sigma, row in table.items():
        print(f"| {sigma} | " + " | ".join(f"{psnr:.2f} / {ssim:.3f} ({seconds:.2f} s)" for psnr, ssim, seconds in row.values()) + " |")
    print(f"\nours = {model_name} (blind: never told sigma)")


def speed(autoencoder, tile: int):
    """Times one 1-MP and one 12-MP colour photo (a bundled photo resized), then the process's peak RSS."""
    from PIL import Image

    base = Image.fromarray((photos.load_photos().train[4].pixels * 255).astype(np.uint8))  # retina, 1411x1411
    tiling.denoise(autoencoder, np.zeros((64, 64, 3), np.float32))
    print(f"resident memory before the photos (TensorFlow, the model): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    for width, height in ((1000, 1000), (4000, 3000)):
        image = np.asarray(base.resize((width, height), Image.Resampling.BILINEAR), np.float32) / 255
        noisy = noise.add_noise(image, "gaussian", 25 / 255, 0)
        started = time.perf_counter()
        tiling.denoise(autoencoder, noisy, tiling.TileConfig(tile=tile))
        print(f"tile {tile}: {width}x{height} ({width * height / 1e6:.0f} MP) colour: {time.perf_counter() - started:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process (TensorFlow included): {peak:.0f} MiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--store")
    parser.add_argument("--sigmas", default="15,25,50")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--tile", type=int, default=tiling.TileConfig.tile, help="tile side for --speed")
    parser.add_argument("--modes", default="grey,colour", help="grey, colour, or both: one table each")
    arguments = parser.parse_args()
    autoencoder = modelstore.ModelStore(arguments.store).load(arguments.model)
    if arguments.speed:
        speed(autoencoder, arguments.tile)
        return
    for mode in arguments.modes.split(","):
        print_quality(quality(autoencoder, [int(part) for part in arguments.sigmas.split(",")], mode), arguments.model, mode)
        print()


if __name__ == "__main__":
    main()
