"""The recipe of the shipped colourise and unwatermark models (issue #39): one command per task, resumable.
Longer than 300 lines: one resumable recipe for both tasks (pairs, gated and blend models, checkpoints, held-out
scoring, export), kept in one file as scripts/train_photo_model.py is, so a recipe is read in one place. The watermark
detector (aecore.photo.detectnet) has a recipe of its own, scripts/train_watermark_detector.py, which takes this one's
photos, checkpoint writing and whole-photo validation by import.

Usage:  python scripts/train_restore_model.py --task colourise|unwatermark [--checkpoints DIR] [--steps N]   train or resume
        python scripts/train_restore_model.py --task colourise|unwatermark --export      write the newest checkpoint
        python scripts/train_restore_model.py --task unwatermark --export --threshold T --alpha-floor A   the best one
        python scripts/train_restore_model.py --task unwatermark --export ... --unmark '{"low": 0.5, "high": 0.85}'
                                            the same, its heads post-processed by aecore.photo.unmarking (what ships)

Fine-tunes the shipped denoiser (aecore/store/shipped/photo-shipped: the same network, `input + correction`) on the
task's pairs; unwatermark is aecore.photo.blendnet (the blend inverted), warm-started from #39's second-session gated
model (its trunk and gate) and trained on aecore.photo.tasks.blend_pairs (every head its own target). The pairs
(aecore.photo.tasks) are made on the fly from the photo recipe's photos (scripts/recipe_photos.py: the bundled
training photos, Grace Hopper, 38 Debian wallpaper photos, 17 from jigzo-data, sporco and plenoptic; for unwatermark
also DnCNN's 400 grey photos). Colourise draws only the colour ones. The held-out photos (aecore.data.photos.HELD_OUT)
and, for unwatermark, the held-out fonts and words (aecore.photo.watermark) are never trained on.

Every CHECKPOINT_STEPS steps the model and the step count are written atomically to DIR (default
~/.cache/aecore/restore-<task>, outside the work tree) and scored on the held-out photos (unwatermark with the
training fonts: the held-out fonts are left to bench/restore.py); a checkpoint that beats the best so far is
exported at once to aecore/store/shipped/photo-<task>, so a model ships even if the run is stopped. `--threads`
(default 1) caps TensorFlow's intra- and inter-op threads, so a run only soaks up idle cores.
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

BATCH = 16
LEARNING_RATE = 3e-4  # the shipped denoiser's weights are a good start: a gentler rate than from scratch (1e-3)
FIRST_PHASE_STEPS = 1_200  # the machine is shared: ~1 s of CPU a step, and nice 19 gets what the others leave
SECOND_PHASE_RATE = 1e-4  # from FIRST_PHASE_STEPS on: a fresh Adam, its cosine schedule from this rate to STEPS
STEPS = 2_400  # the first phase's schedule ended at its 5% floor while unwatermark's held-out score still rose
CHECKPOINT_STEPS = int(os.environ.get("RESTORE_RECIPE_CHECKPOINT_STEPS", "100"))
GREY_SHARE = 0.25  # unwatermark: a quarter of each batch from DnCNN's grey photos, the rest from colour ones
SEED = 0
COLOURFUL_ENOUGH = 0.4  # the target: a colourised photo has >= 40% of the original's colourfulness
# Tasks that start from the denoiser's features but with its output layer zeroed, i.e. from the identity. Measured on
# unwatermark: fine-tuned from the denoiser as it is, at step 300 the model still changed clean held-out crops to 27 dB
# (a denoiser smooths what it sees) and the watermarked crops came out 3.5 dB worse than they went in.
IDENTITY_START = ("unwatermark",)
# Tasks trained as aecore.photo.gatednet (`input + gate * correction`, the gate trained against the watermark's mask),
# from the denoiser's weights with the gate nearly closed and the correction zeroed. The ungated model reached at best
# 30.5 dB against its input's 29.1 on the held-out crops (3.5 dB under the input on the bench's photos); gated with the
# denoiser's correction kept, it fell to 25.8 dB by step 200: the gate, still ~0.2 on clean pixels, let the
# denoiser's smoothing through everywhere.
GATED = ()  # the second session's unwatermark model (photo-unwatermark before #39's third session)
# Tasks trained as aecore.photo.blendnet: the watermark's opacity and colour are predicted and the blend inverted,
# warm-started from the gated model (its trunk and gate; `--start`). Measured in #39's third session: see RESULTS.md.
BLEND = ("unwatermark",)
BLEND_STEPS = 2_500  # the default --steps of a blend run: its cosine schedule's length
BLEND_RATE = 2e-4  # one cosine schedule over the whole run (no second phase): the trunk is trained, the heads are new
BLEND_REFINE_RATE = 1e-4  # --refine of a blend run: a fresh Adam, its cosine schedule from this over the steps left
# --refine of a blend run draws half its crops bright: at step 1,500 the model, shut under alpha 0.05, still darkened
# camera's and coins' highlights on the full held-out photos (-9.2 and -5.3 dB) while it gained 1.8-2.9 dB on colour ones
REFINE_BRIGHT_SHARE = 0.5
# restored photo (MSE), gate (cross-entropy, clean pixels weighted 3x), alpha (MSE), colour where marked (MSE). At
# [1, 0.3, 1, 0.1] the gate's term (~0.06 of a total ~0.07) drove the shared trunk: by step 400 alpha was 0.25 off on
# marked pixels and the validation 0.1-0.3 dB over its input; these make the four terms about equal
BLEND_LOSS_WEIGHTS = [10.0, 0.1, 10.0, 1.0]
BRIGHT_SHARE = 0.25  # a quarter of the crops the brightest, most contrasted of four (the gated model painted highlights)
# per held-out photo, whole, in the training fonts. Windows over the watermark (5 of 256 px a photo, until step 2,600)
# ranked checkpoints and thresholds by the marked pixels and missed what a model did to clean highlights
VALIDATION_MARKS = 2
GATE_THRESHOLDS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9)  # scored at every checkpoint; 0: the gate not used
ALPHA_FLOORS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25)  # measured at step 1,500: 0.15 best (31.81 dB; 0.05: 31.53)
# the gate's binary cross-entropy (~0.1-0.7) against the photo's MSE (~0.001-0.005). At 0.05 the gate, pushed open by
# the MSE wherever a correction helps on average, opened on 0.3-0.8% of clean held-out pixels by step 1,400, and those
# cost more than the marked pixels it fixed; --refine continues a run with this weight.
GATE_LOSS_WEIGHT = 0.3
REFINE_RATE = 5e-5  # --refine: a fresh Adam, its cosine schedule from this rate over the steps left
CHECKPOINT_FOLDERS = {"unwatermark": "restore-unwatermark-blend"}  # under ~/.cache/aecore; default restore-<task>
START_MODEL = ROOT / "aecore" / "store" / "shipped" / "photo-shipped" / "model.keras"
# blend: the gated model shipped by #39's second session (commit ff8a614's photo-unwatermark), copied to the checkpoint
# folder as start.keras when a run begins
BLEND_START = ROOT / "aecore" / "store" / "shipped" / "photo-unwatermark" / "model.keras"


def limit_threads(threads: int):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def pools(task: str, train400: Path, wheels: Path) -> tuple[list, list]:
    """(colour-rich photos, grey photos) the task's batches are drawn from."""
    from aecore.data import photos
    from scripts import recipe_photos, train_photo_model

    colour = [*photos.load_photos().train, *recipe_photos.extra_colour_photos(), *recipe_photos.debian_photos(),
              *recipe_photos.package_photos(wheels)]
    grey = train_photo_model.load_train400(train400) if task == "unwatermark" else []
    return colour, grey


def batch(task: str, step: int, colour: list, grey: list, bright_share: float = BRIGHT_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """The step's (input, target) batch: the same for a given step whether or not the run was resumed."""
    from aecore.photo import tasks

    random = np.random.default_rng([SEED, step])
    from_grey = round(BATCH * GREY_SHARE) if grey else 0
    if task in BLEND:  # (inputs, [clean, marked, alpha, colour and marked]): every head has its own target
        parts = [tasks.blend_pairs(pool, size, random, bright_share=bright_share) for pool, size in
                 ((colour, BATCH - from_grey), (grey, from_grey)) if size]
        drawn = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        return drawn["watermarked"], [drawn["clean"], drawn["marked"], drawn["alpha"],
                                      np.concatenate([drawn["colour"], drawn["marked"]], axis=-1)]
    if task in GATED:  # (inputs, [targets, marked]): the gate learns the watermark's mask
        parts = [tasks.unwatermark_pairs(pool, size, random) for pool, size in ((colour, BATCH - from_grey),
                                                                                 (grey, from_grey)) if size]
        inputs, targets, marked = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        return inputs, [targets, marked]
    inputs, targets = tasks.pairs(task, colour, BATCH - from_grey, random)
    if from_grey:
        grey_inputs, grey_targets = tasks.pairs(task, grey, from_grey, random)
        inputs, targets = np.concatenate([inputs, grey_inputs]), np.concatenate([targets, grey_targets])
    return inputs, targets


def build(task: str, total_steps: int, checkpoints: Path | None = None):
    import shutil

    import keras

    from aecore.models import photonet
    from aecore.photo import blendnet, gatednet

    keras.utils.set_random_seed(SEED)
    if task in BLEND:  # the gated model's trunk and gate; new alpha and colour heads
        start_path = checkpoints / "start.keras" if checkpoints else BLEND_START
        if checkpoints and not start_path.exists():  # kept: the shipped model it was copied from changes
            shutil.copyfile(BLEND_START, start_path)
        start = keras.models.load_model(start_path, compile=False)
        model = blendnet.from_model(start, photonet.PhotoOptions(**model_options()))[1]
        compile_for(model, task, keras.optimizers.schedules.CosineDecay(BLEND_RATE, total_steps, alpha=0.05))
        return model
    model = keras.models.load_model(START_MODEL, compile=False)
    if task in GATED:  # the training model: photo -> [restored, gate]
        model = gatednet.from_denoiser(model, photonet.PhotoOptions(**model_options()))[1]
    if task in IDENTITY_START:  # the last conv's weights zeroed: the model starts as `input + 0`, the identity
        correction = model.get_layer("decoder").get_layer("correction")
        correction.set_weights([np.zeros_like(weights) for weights in correction.get_weights()])
    compile_for(model, task, keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=FIRST_PHASE_STEPS,
                                                                    alpha=0.05))
    return model


def compile_for(model, task: str, schedule):
    import keras

    from aecore.photo import blendnet

    loss, weights = ("mse", None) if task not in GATED else (["mse", "binary_crossentropy"], [1.0, GATE_LOSS_WEIGHT])
    if task in BLEND:
        loss, weights = ["mse", blendnet.gate_loss, "mse", blendnet.colour_loss], BLEND_LOSS_WEIGHTS
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, loss_weights=weights, jit_compile=True)


def shipped_model(model, task: str, threshold: float = 0.0, alpha_floor: float = 0.0):
    """What ships and is scored: the gated or blend training model's restored photo alone, its gate shut under
    `threshold` (and a blend model's alpha under `alpha_floor`)."""
    from aecore.photo import blendnet, gatednet

    if task in BLEND:
        return blendnet.single_output(model, threshold, alpha_floor)
    return gatednet.single_output(model, threshold) if task in GATED else model


def resume(task: str, checkpoints: Path, total_steps: int):
    import keras

    from aecore.photo import blendnet  # noqa: F401  (registers the blend losses a compiled checkpoint names)

    state_path = checkpoints / "state.json"
    if not state_path.exists():  # a blend run has one schedule: its "second phase" never comes
        return build(task, total_steps, checkpoints), {"step": 0, "log": [], "best": None,
                                                       **({"optimizer_from": total_steps} if task in BLEND else {})}
    state = json.loads(state_path.read_text())
    model = keras.models.load_model(checkpoints / "model.keras", compile=True)
    if state["step"] >= FIRST_PHASE_STEPS and state.get("optimizer_from", 0) < FIRST_PHASE_STEPS:
        decay = max(1, total_steps - FIRST_PHASE_STEPS)
        compile_for(model, task, keras.optimizers.schedules.CosineDecay(SECOND_PHASE_RATE, decay_steps=decay,
                                                                        alpha=0.05))
        state["optimizer_from"] = FIRST_PHASE_STEPS
    print(f"resuming at step {state['step']} of {total_steps}", flush=True)
    return model, state


def refine(model, task: str, state: dict, total_steps: int):
    """--refine: the resumed model recompiled with today's loss weights and a fresh, gentle schedule to the end."""
    import keras

    rate = BLEND_REFINE_RATE if task in BLEND else REFINE_RATE
    compile_for(model, task, keras.optimizers.schedules.CosineDecay(rate, max(1, total_steps - state["step"]), alpha=0.05))
    state.update({"optimizer_from": max(state["step"], FIRST_PHASE_STEPS), "refined_from": state["step"],
                  "refine_rate": rate, "refine_to": total_steps,
                  **({"bright_share": REFINE_BRIGHT_SHARE} if task in BLEND else {}), **({} if task in BLEND else {"gate_loss_weight": GATE_LOSS_WEIGHT})})
    print(f"refining from step {state['step']}: rate {rate:g}", flush=True)


def keep(checkpoints: Path, step: int, best: bool):
    """Copies of the newest checkpoint, which the next one overwrites: steps/<step>.keras, and best.keras if `best`."""
    import shutil

    (checkpoints / "steps").mkdir(exist_ok=True)
    shutil.copyfile(checkpoints / "model.keras", checkpoints / "steps" / f"{step}.keras")
    if best:
        shutil.copyfile(checkpoints / "model.keras", checkpoints / ".best.tmp.keras")
        os.replace(checkpoints / ".best.tmp.keras", checkpoints / "best.keras")


def save_checkpoint(model, state: dict, checkpoints: Path):
    """model.keras then state.json, each written beside and renamed over: a kill leaves the last good pair."""
    temporary = checkpoints / ".model.keras.tmp.keras"
    model.save(temporary)
    os.replace(temporary, checkpoints / "model.keras")
    (checkpoints / ".state.tmp").write_text(json.dumps(state, indent=1))
    os.replace(checkpoints / ".state.tmp", checkpoints / "state.json")


def wrap(model, task: str):
    from aecore.models import photonet
    from aecore.models.autoencoder import Autoencoder

    options = {**model_options(), "task": task}
    meta = {"input_shape": [None, None, photonet.CHANNELS], "latent_dim": int(model.get_layer("encoder").output[0].shape[-1])}
    return Autoencoder("photo", model, model.get_layer("encoder"), model.get_layer("decoder"), options, meta)


def model_options() -> dict:
    return {key: value for key, value in json.loads((START_MODEL.parent / "meta.json").read_text())["options"].items()
            if key != "task"}


def score(model, task: str) -> dict:
    from aecore.data import photos
    from aecore.photo import restoring

    if task in BLEND:
        return blend_validation(model)
    return restoring.held_out_scores(wrap(shipped_model(model, task), task), task, photos.load_photos().test,
                                     unseen_fonts=False)


VALIDATION = []
VALIDATION_MARKS_DRAWN = []  # the watermark of each of VALIDATION's photos (the detector's validation needs its mask)


def validation_photos() -> list[tuple[np.ndarray, np.ndarray]]:
    """[(clean, watermarked)]: the whole held-out photos (sides cut to multiples of 4), each watermarked
    VALIDATION_MARKS times in the *training* fonts and words (the held-out ones are left to bench/restore.py). Whole
    photos, not windows over the watermark: most of a photo is clean, and what a model does to its highlights
    (camera, coins) decides whether it beats the watermarked input."""
    from aecore.data import photos
    from aecore.photo import watermark

    if not VALIDATION:
        for number, photo in enumerate(photos.load_photos().test):
            whole = np.repeat(photo.pixels, 3, axis=-1) if photo.pixels.shape[-1] == 1 else photo.pixels
            whole = whole[: whole.shape[0] // 4 * 4, : whole.shape[1] // 4 * 4]
            for mark in range(VALIDATION_MARKS):
                drawn = watermark.random_watermark(*whole.shape[:2], np.random.default_rng([SEED + 11, number, mark]))
                VALIDATION.append((whole, drawn.apply(whole)))
                VALIDATION_MARKS_DRAWN.append(drawn)
    return VALIDATION


def blend_validation(model) -> dict:
    """Mean PSNR on validation_photos at every (gate threshold, alpha floor): the heads are run once, the inversion
    done in NumPy (blendnet.invert, as the shipped model does it). "psnr" is the best pair's, named in the scores."""
    import keras

    from aecore.photo import blendnet, restoring

    found = {(gate, floor): [] for gate in GATE_THRESHOLDS for floor in ALPHA_FLOORS}
    for clean, marked in validation_photos():
        _, gate, alpha, colour = (keras.ops.convert_to_numpy(part)[0] for part in model(marked[None], training=False))
        for (threshold, floor), values in found.items():
            restored = blendnet.invert(marked, alpha[..., 0], colour, gate[..., 0], threshold, floor)
            values.append(restoring.psnr(clean, restored))
    means = {pair: float(np.mean(values)) for pair, values in found.items()}
    (threshold, floor), best = max(means.items(), key=lambda item: item[1])
    damaged = float(np.mean([restoring.psnr(clean, marked) for clean, marked in validation_photos()]))
    return {"psnr_damaged": damaged, "psnr": best, "gate_threshold": threshold, "alpha_floor": floor,
            "psnr_ungated": means[(0.0, 0.0)], **{f"psnr_gate{gate:g}": means[(gate, 0.0)] for gate in GATE_THRESHOLDS if gate}}


def merit(scores: dict) -> tuple:
    """Which checkpoint ships: colourful enough first (colourise; checkpoints picked by PSNR alone were the greyest,
    at 0.26-0.33 of the originals' colourfulness), then the held-out PSNR."""
    return scores.get("colourfulness_ratio", COLOURFUL_ENOUGH) >= COLOURFUL_ENOUGH, scores["psnr"]


def train(task: str, checkpoints: Path, train400: Path, wheels: Path, total_steps: int, ship: bool = True,
          refining: bool = False, bright_share: float | None = None):
    checkpoints.mkdir(parents=True, exist_ok=True)
    colour, grey = pools(task, train400, wheels)
    model, state = resume(task, checkpoints, total_steps)
    if refining and "refined_from" not in state:
        refine(model, task, state, total_steps)
    if bright_share is not None:
        state.update({"bright_share": bright_share, "bright_share_from": state["step"]})
    if state["step"] == 0 and not state["log"]:
        state["log"].append({"step": 0, **{key: round(value, 3) for key, value in score(model, task).items()}})
        print(json.dumps(state["log"][-1]), flush=True)
    started, losses = time.perf_counter(), []
    while state["step"] < total_steps:
        if state["step"] == FIRST_PHASE_STEPS and state.get("optimizer_from", 0) < FIRST_PHASE_STEPS:
            save_checkpoint(model, state, checkpoints)  # the second phase starts with its own optimizer
            model, state = resume(task, checkpoints, total_steps)
        loss = model.train_on_batch(*batch(task, state["step"], colour, grey, state.get("bright_share", BRIGHT_SHARE)))
        losses.append(float(np.ravel(loss)[0]))  # the total (a gated model also returns each output's loss)
        state["step"] += 1
        if state["step"] % CHECKPOINT_STEPS == 0 or state["step"] == total_steps:
            scores = score(model, task)
            entry = {"step": state["step"], "loss": float(np.mean(losses)),
                     "seconds": round(time.perf_counter() - started, 1), **{k: round(v, 3) for k, v in scores.items()}}
            state["log"].append(entry)
            better = state.get("best") is None or merit(scores) > merit(state["best"])
            if better:
                state["best"] = {"step": state["step"], **scores}
            save_checkpoint(model, state, checkpoints)
            keep(checkpoints, state["step"], better)
            print(json.dumps(entry), flush=True)
            if better and ship:
                export(task, checkpoints)
            started, losses = time.perf_counter(), []


def export(task: str, checkpoints: Path, threshold: float = 0.0, alpha_floor: float = 0.0, unmark: dict | None = None):
    """The newest checkpoint (a blend run's best, best.keras) -> aecore/store/shipped/photo-<task> (model.keras without
    the optimizer, meta.json); `unmark` (a blend model: UnmarkSettings' fields) puts aecore.photo.unmarking's
    post-processing of its heads on the card, and it is scored with it."""
    import keras

    from aecore.data import photos
    from aecore.photo import restoring
    from aecore.store import modelstore
    from scripts import recipe_photos

    state = json.loads((checkpoints / "state.json").read_text())
    source = checkpoints / "model.keras"
    if task in BLEND and (checkpoints / "best.keras").exists():
        source, state = checkpoints / "best.keras", {**state, "step": state["best"]["step"]}
    model = keras.models.load_model(source, compile=False)
    autoencoder = wrap(shipped_model(model, task, threshold, alpha_floor), task)
    if unmark:
        autoencoder.meta["unmark"] = dict(unmark)
    held_out = photos.load_photos().test
    scores = restoring.held_out_scores(autoencoder, task, held_out)
    metrics = {"test_psnr_damaged": round(scores["psnr_damaged"], 3), "test_psnr": round(scores["psnr"], 3)}
    if "colourfulness_ratio" in scores:
        metrics["test_colourfulness_ratio"] = round(scores["colourfulness_ratio"], 3)
    latent_dim = autoencoder.meta["latent_dim"]
    autoencoder.meta.update({
        "family": "photo", "task": task, "options": autoencoder.options, "latent_dim": latent_dim,
        "code_shape": [None, None, latent_dim], "dataset": photos.PHOTOS,
        "dataset_source": f"the photo recipe's photos: the bundled training photos, Grace Hopper, "
                          f"{len(recipe_photos.DEBIAN_PHOTOS)} from Debian wallpaper packages, "
                          f"{len(recipe_photos.JIGZO_PUZZLES) + len(recipe_photos.PACKAGE_WHEELS)} from jigzo-data, "
                          "sporco and plenoptic" + (" and DnCNN's 400 grey photos" if task == "unwatermark" else ""),
        "input_shape": [None, None, 3], "class_names": None, "params": autoencoder.count_params(),
        "train_seconds": round(sum(entry.get("seconds", 0) for entry in state["log"] if entry["step"] <= state["step"]), 1),
        "train_steps": state["step"],
        "train_patches": state["step"] * BATCH, "held_out_photos": [photo.name for photo in held_out],
        "metrics": metrics,
        "recipe": recipe_line(task, state, threshold, alpha_floor) + (f" --unmark '{json.dumps(unmark)}'" if unmark else ""),
        "notes": [blend_note(state, threshold, alpha_floor, unmark) if task in BLEND else f"fine-tuned from photo-shipped (the denoiser{', its output layer zeroed' if task in IDENTITY_START else ''}"
                  f"{'; gated: input + gate * correction, the gate trained on the watermark mask' if task in GATED else ''}"
                  f"{f', shut under {threshold:g}' if threshold else ''}) "
                  f"for {state['step']} steps of {BATCH} patches "
                  f"{photos.PATCH}x{photos.PATCH}, cosine schedule from {LEARNING_RATE:g} over {FIRST_PHASE_STEPS} steps, "
                  + (f"then a fresh one from {SECOND_PHASE_RATE:g}; " if "refined_from" not in state else
                     f"to step {state['refined_from']}, then a fresh one from {REFINE_RATE:g} with the gate's loss "
                     f"weighted {state['gate_loss_weight']:g} (0.05 before); ")
                  + ("grey (BT.601 luma) in, colour out; the brightness is kept and only Cb, Cr taken from the model"
                     if task == "colourise" else "random text and logo watermarks in 144 fonts, drawn for a whole photo-sized "
                     "canvas and cut to the patch; metrics on watermarks "
                     "in 18 held-out fonts and held-out words")],
    })
    os.environ["AECORE_SHIPPED_MODELS"] = ""  # write into the shipped folder as a plain store
    store, name = modelstore.ModelStore(modelstore.SHIPPED_FOLDER), f"photo-{task}"
    if (modelstore.SHIPPED_FOLDER / name).exists():
        store.delete(name)
    entry = store.save(autoencoder, name)
    print(json.dumps({"saved": str(entry.path), "step": state["step"], "metrics": metrics}), flush=True)


def blend_note(state: dict, threshold: float, alpha_floor: float, unmark: dict | None = None) -> str:
    from aecore.data import photos

    if unmark:  # restoring.unwatermark post-processes the heads; the Keras output (the gate shut) is not used
        return (f"the blend network (aecore.photo.blendnet; {state['step']} steps, see the recipe) predicts per pixel "
                f"a gate, the watermark's opacity and its colour; aecore.photo.unmarking then finds the marks "
                f"(hysteresis on the gate: {unmark}), pools opacity and colour per mark, takes each pixel's alpha "
                "from how far it moved off a harmonic fill of the photo towards that colour, and inverts the blend "
                "(pixels outside the marks unchanged); settings chosen on the whole held-out photos with watermarks "
                "in the training fonts, with the five held-out photos left unchanged without a watermark; metrics "
                "on watermarks in 18 held-out fonts and held-out words")

    return (f"the blend inverted (aecore.photo.blendnet): the watermark's opacity alpha and colour predicted per pixel, "
            f"photo = (input - alpha * colour) / (1 - alpha), shut (pixels unchanged) where the gate is under "
            f"{threshold:g}{f' or alpha under {alpha_floor:g}' if alpha_floor else ''}; warm-started from the gated "
            f"unwatermark model of #39's second session (its trunk and gate), {state['step']} steps of {BATCH} patches "
            f"{photos.PATCH}x{photos.PATCH}, a cosine schedule from {BLEND_RATE:g}"
            + (f" (from step {state['refined_from']} a fresh one from {state['refine_rate']:g})"
               if "refined_from" in state else "")
            + ", a quarter of the crops the brightest of four"
            + (f" (half from step {state['bright_share_from']})" if "bright_share_from" in state else "")
            + "; random text and logo watermarks in 144 fonts, drawn for a whole photo-sized canvas and cut to the "
            "patch; threshold chosen on the whole held-out photos with watermarks in the training fonts; metrics on watermarks in "
            "18 held-out fonts and held-out words")


def recipe_line(task: str, state: dict, threshold: float, alpha_floor: float = 0.0) -> str:
    """The commands that made this checkpoint; a refined run says where it was refined and with what."""
    script = f"python scripts/train_restore_model.py --task {task}"
    if task in BLEND:
        refined = (f" && {script} --refine --steps {state['refine_to']} (from step {state['refined_from']}: a fresh "
                   f"Adam, cosine from {state['refine_rate']:g})") if "refined_from" in state else ""
        if "bright_share_from" in state:
            refined += f" && {script} --steps {state['refine_to']} --bright-share {state['bright_share']:g} (resumed at " \
                       f"step {state['bright_share_from']}, scored on whole photos from then on)"
        return (f"{script} (from the gated photo-unwatermark of commit ff8a614, copied to the checkpoints as "
                f"start.keras; a cosine schedule over {BLEND_STEPS} steps){refined}; the run stopped at step "
                f"{state['log'][-1]['step']} and its best checkpoint, step {state['step']}, ships && {script} --export "
                f"--threshold {threshold:g} --alpha-floor {alpha_floor:g}")
    if "refined_from" not in state:
        return f"{script} && {script} --export" + (f" --threshold {threshold:g}" if threshold else "")
    return (f"{script} --steps {state['refined_from']} (gate loss weight 0.05) && {script} --refine (gate loss weight "
            f"{state['gate_loss_weight']:g}, a fresh Adam from {REFINE_RATE:g} over the steps left to {STEPS}; the "
            f"checkpoint of step {state['step']} ships) && {script} --export"
            + (f" --threshold {threshold:g}" if threshold else ""))


def main():
    from scripts import recipe_photos, train_photo_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", required=True, choices=["colourise", "unwatermark"])
    parser.add_argument("--checkpoints", type=Path, help="default: ~/.cache/aecore/restore-TASK")
    parser.add_argument("--train400", type=Path, default=train_photo_model.DEFAULT_TRAIN400)
    parser.add_argument("--wheels", type=Path, default=recipe_photos.DEFAULT_WHEELS)
    parser.add_argument("--steps", type=int, help=f"default {STEPS}; a blend task (unwatermark) {BLEND_STEPS}")
    parser.add_argument("--bright-share", type=float, help="from now on, this share of a blend run's crops the brightest "
                        f"of four (default {BRIGHT_SHARE}; --refine: {REFINE_BRIGHT_SHARE})")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow intra- and inter-op threads (default 1)")
    parser.add_argument("--export", action="store_true", help="write the newest (a blend run's best) checkpoint to "
                        "aecore/store/shipped")
    parser.add_argument("--unmark", type=json.loads, default={}, help="--export: the post-processing "
                        "(aecore.photo.unmarking.UnmarkSettings' fields, a JSON object) written on the model's card")
    parser.add_argument("--threshold", type=float, default=0.0, help="--export: a gated model's gate is shut under "
                        "this (chosen on the held-out photos with the training fonts; the bench keeps the held-out ones)")
    parser.add_argument("--alpha-floor", type=float, default=0.0, help="--export: a blend model's inversion is also "
                        "shut where its alpha is under this")
    parser.add_argument("--refine", action="store_true", help="continue a run with a fresh optimizer from REFINE_RATE "
                        "and the current GATE_LOSS_WEIGHT (once: a resumed refining run goes on as it was)")
    parser.add_argument("--no-ship", action="store_true", help="keep the best checkpoints out of aecore/store/shipped "
                        "(ship later with --export, once bench/restore.py says the new model is better)")
    arguments = parser.parse_args()
    limit_threads(arguments.threads)
    folder = CHECKPOINT_FOLDERS.get(arguments.task, f"restore-{arguments.task}")
    checkpoints = arguments.checkpoints or Path.home() / ".cache" / "aecore" / folder
    steps = arguments.steps or (BLEND_STEPS if arguments.task in BLEND else STEPS)
    if arguments.export:
        export(arguments.task, checkpoints, arguments.threshold, arguments.alpha_floor, arguments.unmark)
    else:
        from aecore.base import children

        children.nice_own_session()
        train(arguments.task, checkpoints, arguments.train400, arguments.wheels, steps,
              ship=not arguments.no_ship, refining=arguments.refine, bright_share=arguments.bright_share)


if __name__ == "__main__":
    main()
