"""Colourise and unwatermark on photos never trained on, against their anchors, and full-size speed (issue #39).

Usage:  python bench/restore.py [--store DIR] [--marks 3]          both tables (markdown)
        python bench/restore.py --only unwatermark --checkpoint MODEL.keras [--threshold 0.5] [--alpha-floor 0.02]
                                                                    a recipe checkpoint before it ships
        python bench/restore.py --only unwatermark [--checkpoint DETECTOR.keras] --unmark '{"low": 0.5}' --clean
                                                                    the heads post-processed (aecore.photo.unmarking),
                                                                    and the photos without a watermark too
        python bench/restore.py [--checkpoint MODEL.keras] --grid '[{"low": 0.5}, {"low": 0.5, "colour": "fit"}]'
                                                                    post-processings side by side (the heads run once a
                                                                    photo): val, bench and the clean photos
        python bench/restore.py --speed TASK                        1-MP time and peak memory of one task (one process)
        python bench/restore.py --figures                           docs/restore_colourise.jpg, docs/restore_unwatermark.jpg

Colourise: the held-out colour photos (aecore.data.photos.HELD_OUT: astronaut, coffee, china) and one colour photo of
a Debian wallpaper package the recipe never draws (Wine_by_Jakkub_Mede, CC-BY-4.0, scaled to 768 px). Scored: PSNR
(RGB) of the grey input, of the mean-colour baseline and of ours, the model's output taken three ways (its RGB as it
is; its a, b on the input's L; its Cb, Cr on the input's Y, at colour strengths STRENGTHS), and colourfulness
(Hasler and Süsstrunk) against the original's. Unwatermark: all five held-out photos, `--marks` random watermarks each in the held-out fonts and words
(aecore.photo.watermark), seeded by photo and mark; ours against the watermarked input and biharmonic inpainting
told the watermark's mask (aecore.photo.classical.oracle_inpaint). `--grid`: the mean PSNR of each post-processing
(aecore.photo.unmarking.UnmarkSettings' fields) on val (the restore recipe's validation: the five held-out photos, two
watermarks each in the *training* fonts and words), on the bench (the table's watermarks, held-out fonts and words)
and on the five photos without a watermark (the least share of their pixels left exactly as they were).
"""

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from aecore.data import photos
from aecore.photo import classical, restoring, tasks, tiling, watermark
from aecore.store import modelstore

STRENGTHS = (1.0, 1.5, 2.0)  # colour strengths (the page's slider): 1 is the model's own colour
EXTRA_COLOUR = Path("/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg")  # lomiri-wallpapers-16.04, never trained on


def load(store, task: str, unmark: dict | None = None):
    """The store's model for `task`; `unmark` (UnmarkSettings' fields) replaces its card's post-processing."""
    autoencoder = store.load(restoring.default_restore_model(store, task))
    if unmark is not None:
        autoencoder.meta["unmark"] = unmark
    return autoencoder


def load_checkpoint(path: Path, task: str, threshold: float, alpha_floor: float = 0.0, unmark: dict | None = None):
    """A checkpoint of scripts/train_restore_model.py as the model that would ship (a gated or blend one: its restored
    output, the gate shut under `threshold`, a blend model's alpha under `alpha_floor`; a detector's, its heads
    post-processed by aecore.photo.unmarking with `unmark`, UnmarkSettings' fields, default {})."""
    import keras

    from aecore.photo import blendnet, detectnet, gatednet
    from scripts import train_restore_model

    model = keras.models.load_model(path, compile=False)
    if detectnet.is_detector(model):
        model, unmark = detectnet.single_output(model), {} if unmark is None else unmark
    elif blendnet.is_blend(model):
        model = blendnet.single_output(model, threshold, alpha_floor)
    elif gatednet.is_gated(model):
        model = gatednet.single_output(model, threshold)
    autoencoder = train_restore_model.wrap(model, task)
    if unmark is not None:
        autoencoder.meta["unmark"] = unmark
    return autoencoder


def colour_photos() -> list[photos.Photo]:
    from scripts import recipe_photos

    found = [photo for photo in photos.load_photos().test if photo.pixels.shape[-1] == 3]
    if EXTRA_COLOUR.exists():
        from PIL import Image

        with Image.open(EXTRA_COLOUR) as image:
            found.append(photos.Photo("wine", recipe_photos._scaled(image, recipe_photos.WALLPAPER_SIDE)))
    return found


def with_lab_lightness(predicted: np.ndarray, original_grey: np.ndarray) -> np.ndarray:
    from skimage import color

    lab = color.rgb2lab(np.clip(predicted, 0, 1))
    lab[..., 0] = color.rgb2lab(np.repeat(tasks.luma(original_grey), 3, axis=-1))[..., 0]
    return np.clip(color.lab2rgb(lab), 0, 1).astype(np.float32)


def colourise_table(autoencoder) -> list[dict]:
    rows = []
    for photo in colour_photos():
        clean = photo.pixels
        grey = tasks.grey_input(clean)
        predicted = np.clip(tiling.denoise(autoencoder, grey), 0, 1)
        stronger = {strength: tasks.with_luma(predicted, grey, strength) for strength in STRENGTHS}
        rows.append({"photo": photo.name, "size": f"{clean.shape[1]}x{clean.shape[0]}",
                     "grey": restoring.psnr(clean, grey), "mean colour": restoring.psnr(clean, classical.mean_colour(grey)),
                     "ours RGB": restoring.psnr(clean, predicted),
                     "ours Lab": restoring.psnr(clean, with_lab_lightness(predicted, grey)),
                     **{f"ours YCbCr x{strength:g}": restoring.psnr(clean, image) for strength, image in stronger.items()},
                     "colourfulness original": restoring.colourfulness(clean),
                     **{f"colourfulness x{strength:g}": restoring.colourfulness(image) for strength, image in stronger.items()}})
    return rows


def unwatermark_table(autoencoder, marks: int, clean_too: bool = False) -> list[dict]:
    """Per held-out photo, the mean over `marks` watermarks; `clean_too` adds the photo without a watermark through
    ours: its PSNR (100 when untouched) and the share of its pixels that came out exactly as they went in."""
    rows = []
    for number, photo in enumerate(photos.load_photos().test):
        clean = np.repeat(photo.pixels, 3, axis=-1) if photo.pixels.shape[-1] == 1 else photo.pixels
        scores = {"watermarked": [], "ours": [], "oracle inpainting": [], "covered": [], "seconds ours": [],
                  "seconds oracle": []}
        if clean_too:
            untouched = restoring.unwatermark(autoencoder, clean)
            scores["clean through ours"] = [min(100.0, restoring.psnr(clean, untouched))]
            scores["clean unchanged"] = [float(np.all(untouched == clean, axis=-1).mean())]
        for mark_number in range(marks):
            mark = watermark.random_watermark(*clean.shape[:2], np.random.default_rng([number, mark_number]), held_out=True)
            marked = mark.apply(clean)
            started = time.perf_counter()
            ours = restoring.unwatermark(autoencoder, marked)
            scores["seconds ours"].append(time.perf_counter() - started)
            inpainted, seconds = classical.oracle_inpaint(marked, mark.mask())
            scores["seconds oracle"].append(seconds)
            scores["watermarked"].append(restoring.psnr(clean, marked))
            scores["ours"].append(restoring.psnr(clean, ours))
            scores["oracle inpainting"].append(restoring.psnr(clean, inpainted))
            scores["covered"].append(float(mark.mask().mean()))
        rows.append({"photo": photo.name, **{key: float(np.mean(values)) for key, values in scores.items()}})
    return rows


def grid_sets(marks: int) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """{"val", "bench", "clean": [(clean, input)]}: the recipe's validation pairs, the bench's, the photos as they are."""
    from scripts import train_restore_model

    bench, clean = [], []
    for number, photo in enumerate(photos.load_photos().test):
        whole = np.repeat(photo.pixels, 3, axis=-1) if photo.pixels.shape[-1] == 1 else photo.pixels
        clean.append((whole, whole))
        for mark_number in range(marks):
            mark = watermark.random_watermark(*whole.shape[:2], np.random.default_rng([number, mark_number]), held_out=True)
            bench.append((whole, mark.apply(whole)))
    return {"val": list(train_restore_model.validation_photos()), "bench": bench, "clean": clean}


def grid_table(autoencoder, grid: list[dict], marks: int) -> list[dict]:
    """One row per post-processing in `grid`: mean PSNR on val and bench, and on the clean photos the mean PSNR and
    the least share of pixels unchanged. The heads are computed once per photo (restoring.unmark_heads)."""
    from aecore.photo import unmarking

    settings = [unmarking.UnmarkSettings(**fields) for fields in grid]
    found = {key: {"val": [], "bench": [], "clean": [], "unchanged": []} for key in range(len(grid))}
    for name, pairs in grid_sets(marks).items():
        for clean, given in pairs:
            heads = restoring.unmark_heads(autoencoder, given)
            for key, setting in enumerate(settings):
                restored = unmarking.recover(given, heads, setting)
                found[key][name].append(min(100.0, restoring.psnr(clean, restored)))
                if name == "clean":
                    found[key]["unchanged"].append(float(np.all(restored == clean, axis=-1).mean()))
    return [{"photo": json.dumps(fields), "val": float(np.mean(found[key]["val"])),
             "bench": float(np.mean(found[key]["bench"])), "clean": float(np.mean(found[key]["clean"])),
             "clean unchanged": float(np.min(found[key]["unchanged"]))} for key, fields in enumerate(grid)]


def print_table(title: str, rows: list[dict], mean: bool = True, first: str = "photo"):
    keys = [key for key in rows[0] if key not in ("photo", "size")]
    print(f"\n{title}\n\n| {first} | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    means = [{"photo": "**mean**", **{key: float(np.mean([r[key] for r in rows])) for key in keys}}] if mean else []
    for row in rows + means:
        print(f"| {row['photo']} | " + " | ".join(_cell(key, row[key]) for key in keys) + " |")


def _cell(key: str, value: float) -> str:
    if key in ("covered", "clean unchanged"):
        return f"{value:.2%}"
    return f"{value:.2f}" if "seconds" in key else f"{value:.2f}" if "colourfulness" not in key else f"{value:.1f}"


def speed(store, task: str, unmark: dict | None = None):
    """One 1-MP colour photo (the retina, resized, as bench/photos.py does) through one task, then the peak RSS;
    `unmark` replaces an unwatermark model's post-processing."""
    from PIL import Image

    autoencoder = load(store, task, unmark)
    base = Image.fromarray((photos.load_photos().train[4].pixels * 255).astype(np.uint8))
    image = np.asarray(base.resize((1000, 1000), Image.Resampling.BILINEAR), np.float32) / 255
    restoring.restore_pixels(autoencoder, image[:64, :64], task)  # trace once
    for run in range(2):
        result = restoring.restore_pixels(autoencoder, image, task, watermark_text="© Heritage" if task == "unwatermark" else None)
        print(f"{task}: 1000x1000 (1 MP) run {run + 1}: {result.seconds:.2f} s", json.dumps(result.scores()))
    print(f"peak resident memory (TensorFlow included): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def figures(store):
    from PIL import Image

    colourise, unwatermark = load(store, "colourise"), load(store, "unwatermark")
    columns = []
    for photo in photos.load_photos().test:  # five held-out photos: colour ones made grey, grey ones coloured
        colour = np.repeat(photo.pixels, 3, axis=-1) if photo.pixels.shape[-1] == 1 else photo.pixels
        colour = _thumbnail(colour, 220)
        grey = tasks.grey_input(colour)
        columns.append(np.concatenate([grey, restoring.colourise(colourise, grey), colour], axis=0))
    _save(columns, ROOT / "docs" / "restore_colourise.jpg")
    rows = []
    for number, photo in enumerate(photos.load_photos().test[:3]):
        clean = _thumbnail(np.repeat(photo.pixels, 3, axis=-1) if photo.pixels.shape[-1] == 1 else photo.pixels, 300)
        mark = watermark.random_watermark(*clean.shape[:2], np.random.default_rng([number, 0]), held_out=True)
        marked = mark.apply(clean)
        inpainted, _ = classical.oracle_inpaint(marked, mark.mask())
        rows.append(np.concatenate([marked, restoring.unwatermark(unwatermark, marked), inpainted, clean], axis=1))
    width = min(row.shape[1] for row in rows)
    Image.fromarray(np.round(np.concatenate([row[:, :width] for row in rows], 0) * 255).astype(np.uint8)).save(
        ROOT / "docs" / "restore_unwatermark.jpg", quality=85)


def _thumbnail(image: np.ndarray, height: int) -> np.ndarray:
    from PIL import Image

    picture = Image.fromarray(np.round(image * 255).astype(np.uint8))
    width = round(picture.width * height / picture.height)
    return np.asarray(picture.resize((width, height), Image.Resampling.LANCZOS), np.float32) / 255


def _save(columns: list[np.ndarray], path: Path):
    from PIL import Image

    gap = np.ones((columns[0].shape[0], 6, 3), np.float32)
    strip = np.concatenate([part for column in columns for part in (column, gap)][:-1], axis=1)
    Image.fromarray(np.round(strip * 255).astype(np.uint8)).save(path, quality=85)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store")
    parser.add_argument("--marks", type=int, default=3)
    parser.add_argument("--speed", choices=restoring.RESTORE_TASKS)
    parser.add_argument("--figures", action="store_true")
    parser.add_argument("--only", choices=restoring.RESTORE_TASKS, help="one table")
    parser.add_argument("--checkpoint", type=Path, help="a recipe checkpoint (model.keras) instead of the store's model")
    parser.add_argument("--threshold", type=float, default=0.0, help="a gated checkpoint's gate threshold")
    parser.add_argument("--alpha-floor", type=float, default=0.0, help="a blend checkpoint's alpha floor")
    parser.add_argument("--unmark", type=json.loads, help="unwatermark: post-process the heads with these "
                        "aecore.photo.unmarking.UnmarkSettings fields, a JSON object ('{}': the defaults)")
    parser.add_argument("--clean", action="store_true", help="unwatermark: also each held-out photo without a watermark")
    parser.add_argument("--grid", type=json.loads, help="unwatermark: a JSON list of post-processings "
                        "(UnmarkSettings' fields) scored side by side on val, bench and the clean photos")
    arguments = parser.parse_args()
    store = modelstore.ModelStore(arguments.store)
    warnings.simplefilter("ignore")
    if arguments.speed:
        speed(store, arguments.speed, arguments.unmark if arguments.speed == "unwatermark" else None)
    elif arguments.figures:
        figures(store)
    else:
        def model(task):
            if arguments.checkpoint:
                return load_checkpoint(arguments.checkpoint, task, arguments.threshold, arguments.alpha_floor,
                                       arguments.unmark if task == "unwatermark" else None)
            return load(store, task, arguments.unmark if task == "unwatermark" else None)

        if arguments.grid is not None:
            print_table(f"Unwatermark post-processings (PSNR dB; val: training fonts, bench: {arguments.marks} "
                        "held-out watermarks a photo; clean: least share unchanged)",
                        grid_table(model("unwatermark"), arguments.grid, arguments.marks), False, "post-processing")
            return
        if arguments.only in (None, "colourise"):
            print_table("Colourise (PSNR dB, RGB; colourfulness on 0..255)", colourise_table(model("colourise")))
        if arguments.only in (None, "unwatermark"):
            print_table(f"Unwatermark (PSNR dB; {arguments.marks} watermarks a photo in held-out fonts and words)",
                        unwatermark_table(model("unwatermark"), arguments.marks, arguments.clean))


if __name__ == "__main__":
    main()
