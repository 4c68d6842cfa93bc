"""Colour denoising against CBM3D on every colour photo the photo recipe never trained on (issue #39, part 4).
Longer than 300 lines: its subcommands measure one thing on one held-out set and one results file, which they share.

Usage:  python bench/colour_denoise.py run MODEL --methods A,B --sigmas 15,25 [--photos 0:12] [--results FILE]
        python bench/colour_denoise.py table [--results FILE] [--methods A,B]     markdown from the results file
        python bench/colour_denoise.py photos --methods A,B --sigmas 25            one row per colour photo
        python bench/colour_denoise.py speed MODEL --methods A,B                  seconds for a 1-MP colour photo
        python bench/colour_denoise.py probe [--steps 200]                         part 3: grey photos' noise in training
        python bench/colour_denoise.py list                                        the photos, their sources and licences

The held-out set: scikit-image's astronaut and coffee and scikit-learn's china (aecore.data.photos.HELD_OUT), and
the colour photographs of six Debian packages that scripts/recipe_photos.py does not list (docs/photo_sources.md's
survey: lxqt-themes, tuxpaint-data, opencv-doc, digikam-data, cimg-examples, and lomiri-wallpapers-16.04's Wine);
near-grey ones (mean saturation < 0.1) and JPEGs below quality ~70 are left out (the near-grey ones are the grey
set, with camera and coins). A package that is not installed is read from DEFAULT_PACKAGES/<package>, made by
`apt-get download <package> && dpkg-deb -x <package>_*.deb DEFAULT_PACKAGES/<package>` (the error says so). Each photo
is scaled (Lanczos) so its long side is at most SIDE px, as the recipe scales its wallpapers, and rounded to 8 bits.
Noise: Gaussian of sigma/255, seeded by (sigma, photo number), added to the 8-bit photo, clipped and rounded to
8 bits again (what a noisy PNG holds; the issue's Kodak measure). CBM3D = bm3d.bm3d_rgb (BM3D in its opponent colour
space), BM3D-RGB = bm3d.bm3d on each channel; both told the true sigma. Ours is blind.
Each (method, sigma, photo) result is one JSON line in --results, so a run can be cut into pieces of a few minutes
(--photos a:b) and a table made of what is there.
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aecore.analysis import metrics  # noqa: E402
from aecore.data import photos  # noqa: E402

SIDE = 384  # long side of each photo after scaling: CBM3D takes ~20 s for 384x256 at nice 19 on the busy 2 cores
DEFAULT_PACKAGES = Path.home() / ".cache" / "aecore" / "held-out-packages"  # dpkg-deb -x <deb> <this>/<package>
DEFAULT_RESULTS = ROOT / "bench" / "colour_denoise_results.jsonl"
OPENCV = "/usr/share/doc/opencv-doc/examples/data"
TUXPAINT = "/usr/share/tuxpaint/templates"
LXQT = "/usr/share/lxqt/wallpapers"
# (name, package, path, licence as the package states it, author)
COLOUR_PHOTOS = (
    ("Wine_by_Jakkub_Mede", "lomiri-wallpapers-16.04", "/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg", "CC-BY-4.0",
     "Jakub Mede"),
    *((name, "lxqt-themes", f"{LXQT}/{name}.{suffix}",
       "CC-BY-SA-3.0 (wallpapers/License; Debian: LGPL-2.1+)", author) for name, suffix, author in (
        ("after-the-rain", "jpg", "stefonarch"), ("butterfly", "png", "stefonarch"), ("flowers", "png", "stefonarch"),
        ("fog", "jpg", "stefonarch"), ("this-is-not-windows", "jpg", "stefonarch"), ("appleflower", "png", "stefonarch"),
        ("drop", "png", "stefonarch"), ("cloud", "png", "not stated"), ("Butterfly-Kenneth-Wimer", "jpg", "Kenneth Wimer"),
        ("Valendas", "png", "not stated"))),
    ("body-background", "digikam-data", "/usr/share/digikam/about/images/body-background.jpg",
     "not stated per file (Debian: GPL)", "not stated"),
    *((name, "tuxpaint-data", f"{TUXPAINT}/{name}.jpg", "GPL-2+", "Bill Kendrick") for name in (
        "cliff", "rocks", "sun_behind_clouds", "jellyfish", "corn_maze", "sheep", "burnt_bark", "lighthouse",
        "mossy_log", "mudstone", "ocean_splash", "ocean_waves", "redwoods_above", "spiders_web", "sun_behind_leaves",
        "wool_mill_machine", "trees_above", "trees_at_dusk")),
    *((Path(file).stem.replace("butterfly", "butterfly_opencv"), "opencv-doc", f"{OPENCV}/{file}", "Apache-2.0 AND BSD-3-Clause (no per-image entry)",
       "not stated") for file in (
        "aloeL.jpg", "building.jpg", "leuvenA.jpg", "baboon.jpg", "fruits.jpg", "squirrel_cls.jpg", "rubberwhale1.png",
        "home.jpg", "butterfly.jpg", "graf1.png", "ela_original.jpg", "board.jpg")),
    ("plant", "opencv-doc", "/usr/share/doc/opencv-doc/examples/alphamat/input_images/plant.jpg",
     "Apache-2.0 AND BSD-3-Clause (no per-image entry)", "not stated"),
    ("scenetext06", "opencv-doc", "/usr/share/doc/opencv-doc/examples/text/scenetext06.jpg",
     "Apache-2.0 AND BSD-3-Clause (no per-image entry)", "not stated"),
    ("parrot", "cimg-examples", "/usr/share/doc/cimg-dev/examples/img/parrot.ppm", "CeCILL", "not stated"),
)
# near-grey photos of the same packages, read as grey: with camera and coins, the grey check
GREY_PHOTOS = (
    ("free_by_Peter_Nerlich", "lomiri-wallpapers-16.04", "/usr/share/backgrounds/free_by_Peter_Nerlich.jpg"),
    ("greentock_by_Peter_Nerlich", "lomiri-wallpapers-16.04", "/usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg"),
    ("beam", "lxqt-themes", f"{LXQT}/beam.png"),
    ("mossy_bark", "tuxpaint-data", f"{TUXPAINT}/mossy_bark.jpg"),
    ("aero1", "opencv-doc", f"{OPENCV}/aero1.jpg"),
)


def _read(package: str, path: str, packages: Path, mode: str) -> np.ndarray:
    """The photo at `path` (installed, else under packages/<package>), scaled to SIDE, (h, w, c) float32 of 8 bits."""
    found = next((candidate for candidate in (Path(path), packages / package / path.lstrip("/")) if candidate.exists()),
                 None)
    if found is None:
        raise SystemExit(f"{path} is missing: apt-get download {package} && dpkg-deb -x {package}_*.deb "
                         f"{packages / package}  (or apt-get install {package})")
    with Image.open(found) as image:
        image = image.convert(mode)
        image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        pixels = np.asarray(image, np.float32) / 255.0
    return pixels if pixels.ndim == 3 else pixels[..., None]


def _scaled(pixels: np.ndarray) -> np.ndarray:
    """A bundled photo (h, w, c) in [0, 1] scaled as the packages' are (long side SIDE at most), 8 bits."""
    eight_bit = np.round(pixels * 255).astype(np.uint8)
    image = Image.fromarray(eight_bit[..., 0] if pixels.shape[-1] == 1 else eight_bit)
    image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
    scaled = np.asarray(image, np.float32) / 255.0
    return scaled if scaled.ndim == 3 else scaled[..., None]


def held_out(mode: str, packages: Path = DEFAULT_PACKAGES) -> list[photos.Photo]:
    """The bundled held-out photos of that mode, then the packages' ones (colour: COLOUR_PHOTOS, grey: GREY_PHOTOS)."""
    colour = mode == "colour"
    bundled = [photos.Photo(photo.name, _scaled(photo.pixels)) for photo in photos.load_photos().test
               if (photo.pixels.shape[-1] == 3) == colour]
    listed = COLOUR_PHOTOS if colour else GREY_PHOTOS
    return bundled + [photos.Photo(entry[0], _read(entry[1], entry[2], packages, "RGB" if colour else "L"))
                      for entry in listed]


def noisy_8bit(clean: np.ndarray, sigma: int, number: int) -> np.ndarray:
    """clean + N(0, sigma/255), clipped and rounded to 8 bits: seeded by (sigma, photo number)."""
    random = np.random.default_rng([sigma, number])
    noisy = clean + random.standard_normal(clean.shape).astype(np.float32) * (sigma / 255.0)
    return (np.round(np.clip(noisy, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def methods(autoencoder) -> dict:
    """name -> denoise(noisy (h, w, c), sigma in [0, 1]) -> (h, w, c)."""
    import bm3d

    from aecore.photo import tiling

    def per_channel(image, sigma):
        return np.stack([bm3d.bm3d(image[..., channel], sigma) for channel in range(image.shape[-1])], axis=-1)

    found = {"noisy": lambda image, sigma: image,
             "CBM3D": lambda image, sigma: bm3d.bm3d_rgb(image, sigma) if image.shape[-1] == 3
             else bm3d.bm3d(image[..., 0], sigma)[..., None],
             "BM3D-RGB": per_channel}
    if autoencoder is not None:
        for count in (1, 2, 4, 8):
            found["ours" if count == 1 else f"ours-x{count}"] = (
                lambda image, sigma, count=count: tiling.denoise(autoencoder, image, ensemble=count))
        for chroma in ("half", "full"):
            for count in (1, 2):
                found[f"ours-{chroma}" + (f"-x{count}" if count > 1 else "")] = (
                    lambda image, sigma, chroma=chroma, count=count: tiling.denoise(autoencoder, image, ensemble=count,
                                                                                    chroma=chroma))
    return found


def run(autoencoder, model_name: str, names: list[str], sigmas: list[int], chosen: slice, mode: str,
        results: Path):
    held = held_out(mode)
    every = methods(autoencoder)
    if autoencoder is not None:
        from aecore.photo import tiling

        tiling.denoise(autoencoder, held[0].pixels[:64, :64])  # trace once, outside the timings
    done = _load(results)
    with results.open("a") as out:
        for sigma in sigmas:
            for number, photo in list(enumerate(held))[chosen]:
                noisy = noisy_8bit(photo.pixels, sigma, number)
                for name in names:
                    key = (mode, model_name if name.startswith("ours") else "", name, sigma, photo.name)
                    if key in done:
                        continue
                    started = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = np.clip(np.asarray(every[name](noisy, sigma / 255), np.float32).reshape(noisy.shape), 0, 1)
                    seconds = time.perf_counter() - started
                    psnr = float(metrics.psnr(photo.pixels[None], result[None])[0])
                    record = dict(zip(("mode", "model", "method", "sigma", "photo"), key), psnr=round(psnr, 4),
                                  seconds=round(seconds, 3), shape=list(photo.pixels.shape), **_split_error(photo.pixels, result))
                    out.write(json.dumps(record) + "\n")
                    out.flush()
                    print(json.dumps(record), flush=True)


def _split_error(clean: np.ndarray, result: np.ndarray) -> dict:
    """The squared error (in 8-bit units) of the luma and of the two chroma channels of tiling.OPPONENT: their mean is the
    RGB mean squared error, as the transform is orthonormal."""
    if clean.shape[-1] != 3:
        return {}
    from aecore.photo import tiling

    error = ((result - clean) * 255.0) @ tiling.OPPONENT.T  # (h, w, 3)
    squares = (error**2).reshape(-1, 3).mean(axis=0)
    return {"mse_luma": round(float(squares[0]), 3), "mse_chroma": round(float(squares[1:].mean()), 3)}


def _load(results: Path) -> dict:
    if not results.exists():
        return {}
    records = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    return {(r["mode"], r["model"], r["method"], r["sigma"], r["photo"]): r for r in records}


def table(results: Path, names: list[str] | None, mode: str, model: str = "photo-shipped"):
    """Mean PSNR per (method, sigma) over the photos that every listed method has, and each ours-variant's mean gap to
    CBM3D with the count of photos where it is ahead."""
    records = [r for r in _load(results).values() if r["mode"] == mode and r["model"] in ("", model)]
    names = names or sorted({r["method"] for r in records})
    for sigma in sorted({r["sigma"] for r in records}):
        by = {name: {r["photo"]: r for r in records if r["method"] == name and r["sigma"] == sigma} for name in names}
        common = sorted(set.intersection(*(set(found) for found in by.values() if found)) if any(by.values()) else [])
        if not common:
            continue
        print(f"\n{mode}, sigma {sigma}, {len(common)} photos: mean PSNR dB (mean seconds per photo)\n")
        print("| method | PSNR | vs CBM3D (median) | ahead of CBM3D | luma / chroma MSE | seconds |\n|---|---|---|---|---|---|")
        for name in names:
            if not by[name]:
                continue
            psnr = np.array([by[name][photo]["psnr"] for photo in common])
            seconds = np.mean([by[name][photo]["seconds"] for photo in common])
            gap = psnr - np.array([by["CBM3D"][photo]["psnr"] for photo in common]) if by.get("CBM3D") else None
            versus = f"{gap.mean():+.2f} ({np.median(gap):+.2f})" if gap is not None else ""
            ahead = f"{int((gap > 0).sum())} of {len(common)}" if gap is not None else ""
            split = ""
            if mode == "colour":
                split = " / ".join(f"{np.mean([by[name][photo][key] for photo in common]):.1f}"
                                   for key in ("mse_luma", "mse_chroma"))
            print(f"| {name} | {psnr.mean():.2f} | {versus} | {ahead} | {split} | {seconds:.2f} |")


def per_photo(results: Path, names: list[str], sigma: int):
    """One row per colour photo: each method's PSNR at `sigma`."""
    records = [r for r in _load(results).values() if r["mode"] == "colour" and r["sigma"] == sigma
               and r["model"] in ("", "photo-shipped")]
    print("| photo | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for photo in [photo.name for photo in held_out("colour")]:
        found = {r["method"]: r["psnr"] for r in records if r["photo"] == photo}
        if all(name in found for name in names):
            print(f"| {photo} | " + " | ".join(f"{found[name]:.2f}" for name in names) + " |")


def speed(autoencoder, names: list[str], repeats: int = 2):
    """Seconds for a 1-MP colour photo (the bundled retina scaled to 1000x1000), best of `repeats`, and peak RSS."""
    import resource

    every = methods(autoencoder)
    base = Image.fromarray((photos.load_photos().train[4].pixels * 255).astype(np.uint8))
    image = np.asarray(base.resize((1000, 1000), Image.Resampling.BILINEAR), np.float32) / 255
    noisy = noisy_8bit(image, 25, 0)
    every["ours"](noisy[:64, :64], 0)
    for name in names:
        times, processor = [], []
        for _ in range(repeats):
            started, cpu = time.perf_counter(), time.process_time()
            every[name](noisy, 25 / 255)
            times.append(time.perf_counter() - started)
            processor.append(time.process_time() - cpu)
        # on a shared machine the wall time says how busy it was; the CPU seconds (both cores) say what the work costs
        print(f"{name}: 1 MP colour {min(times):.2f} s (best of {repeats}), {min(processor):.2f} CPU s", flush=True)
    print(f"peak resident memory (TensorFlow included): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


PROBES = ("same", "independent", "chroma3")


def probe(store, steps: int, results: Path, chosen: slice = slice(None), variants: tuple = PROBES[:2]):
    """Part 3's few-minute measurement: the shipped model fine-tuned `steps` steps from the same start and batches,
    once per variant: "same", grey training photos given the same noise in every channel (as the recipe does);
    "independent", independent noise per channel (a grey scene taken in colour); "chroma3", as "same" with the squared
    error of the two chroma channels of tiling.OPPONENT weighted 3 to the luma's 1. Each is scored with its colour pass
    alone on the held-out colour and grey photos at sigma 25. Never saved: the shipped model is not touched."""
    import keras

    from aecore.store import modelstore
    from scripts import recipe_photos, train_photo_model

    grey = train_photo_model.load_train400(train_photo_model.DEFAULT_TRAIN400)
    pool = photos.load_photos().train + recipe_photos.extra_colour_photos() + recipe_photos.package_photos()[:11]
    from aecore.photo import tiling

    weights = keras.ops.convert_to_tensor(np.float32([1, 3, 3]) / 7 * 3)  # the mean weight stays 1

    def chroma_weighted(clean, output):  # (batch, h, w, 3) each
        error = keras.ops.matmul(output - clean, keras.ops.convert_to_tensor(tiling.OPPONENT.T))
        return keras.ops.mean(keras.ops.square(error) * weights, axis=-1)

    for variant in variants:
        independent = variant == "independent"
        autoencoder = modelstore.ModelStore(store).load("photo-shipped")
        loss = chroma_weighted if variant == "chroma3" else "mse"
        autoencoder.model.compile(optimizer=keras.optimizers.Adam(5e-5), loss=loss, jit_compile=True)
        for step in range(steps):
            random = np.random.default_rng([7, step])
            noisy_a, clean_a = photos.noisy_patches(pool, 12, random)
            noisy_b, clean_b = photos.noisy_patches(grey, 4, random)
            if independent:  # the same draws of sigma's size, now one per channel
                levels = random.uniform(0.0, photos.MAX_SIGMA, (4, 1, 1, 1)).astype(np.float32)
                noisy_b = np.clip(clean_b + random.standard_normal(clean_b.shape, dtype=np.float32) * levels, 0, 1)
            autoencoder.model.train_on_batch(np.concatenate([noisy_a, noisy_b]), np.concatenate([clean_a, clean_b]))
        label = f"probe-{variant}-{steps}"
        autoencoder.__dict__.pop("_compiled", None)
        run(autoencoder, label, ["ours"], [25], chosen, "colour", results)
        run(autoencoder, label, ["ours"], [25], chosen, "grey", results)


def list_photos():
    for mode in ("colour", "grey"):
        for photo in held_out(mode):
            print(mode, photo.name, "x".join(map(str, photo.pixels.shape)))
    for name, package, path, licence, author in COLOUR_PHOTOS:
        print(f"| {name} | {package} | {path} | {licence} | {author} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("run", "table", "photos", "speed", "probe", "list"))
    parser.add_argument("model", nargs="?")
    parser.add_argument("--store")
    parser.add_argument("--methods", default="")
    parser.add_argument("--sigmas", default="15,25")
    parser.add_argument("--photos", default=":", help="a slice of the held-out list, e.g. 0:12")
    parser.add_argument("--mode", default="colour", choices=("colour", "grey"))
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--steps", type=int, default=200, help="probe: fine-tuning steps of 16 patches")
    parser.add_argument("--variants", default="same,independent", help=f"probe: some of {', '.join(PROBES)}")
    arguments = parser.parse_args()
    names = [name for name in arguments.methods.split(",") if name]
    if arguments.command == "list":
        return list_photos()
    start, _, stop = arguments.photos.partition(":")
    chosen = slice(int(start) if start else None, int(stop) if stop else None)
    if arguments.command == "probe":
        return probe(arguments.store, arguments.steps, arguments.results, chosen, tuple(arguments.variants.split(",")))
    if arguments.command == "table":
        return table(arguments.results, names or None, arguments.mode, arguments.model or "photo-shipped")
    if arguments.command == "photos":
        return per_photo(arguments.results, names, int(arguments.sigmas.split(",")[0]))
    autoencoder = None
    if arguments.model:
        from aecore.store import modelstore

        autoencoder = modelstore.ModelStore(arguments.store).load(arguments.model)
    if arguments.command == "speed":
        return speed(autoencoder, names)
    run(autoencoder, arguments.model or "", names, [int(part) for part in arguments.sigmas.split(",")], chosen,
        arguments.mode, arguments.results)


if __name__ == "__main__":
    main()
