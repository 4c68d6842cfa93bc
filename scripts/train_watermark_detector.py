"""The watermark detector's recipe (issue #39): aecore.photo.detectnet trained for hours to find the marks on whole
photos, resumable by running the same command again.

Longer than 300 lines: three networks (the U-Net, the refiner on the frozen blend model, the blend model unfrozen
under it, with or without a running average of its weights) share one loop, its checkpoints, its validation and its
export; split apart, each would import the others'.

Usage:  python scripts/train_watermark_detector.py [--checkpoints DIR] [--steps N] [--threads 1]   train or resume
        python scripts/train_watermark_detector.py --from-blend BLEND.keras     the blend model frozen, a refiner on it
        python scripts/train_watermark_detector.py --recipe tune --from-blend BLEND.keras --start REFINED.keras
                                                   the blend model unfrozen under a refiner, fine-tuned as one
        python scripts/train_watermark_detector.py --recipe tune-ema --start SHIPPED/model.keras --checkpoints DIR
                                                   the shipped model fine-tuned further, Adam's running average of its
                                                   weights saved beside each checkpoint (steps/<step>-ema.keras)
        python scripts/train_watermark_detector.py --export STEP --unmark JSON  ship steps/STEP.keras as photo-unwatermark
        ... --export STEP --average-with 400 --unmark JSON     ship the mean of its weights and steps/400.keras's
        ... --export STEP-ema --unmark JSON                  ship the running average saved at step STEP

The U-Net (detectnet.detector_models) learns from scratch where the watermark is (its mask: cross-entropy with clean
pixels weighted detectnet.CLEAN_WEIGHT, plus Dice over the batch), its opacity and its colour, on crops with a real
watermarked photo's statistics: CROP px, large enough to hold whole letters, cut from watermarks drawn for
photo-sized canvases (CANVAS) and placed over the mark only MARKED_SHARE of the time, so about 4.5% of the pixels are
marked and about a quarter of the crops hold no mark at all (the fourth session's 96-px crops, 80% over the mark,
taught the net that a mark is everywhere: 12% of clean pixels opened). The pairs are the restore recipe's
(scripts/train_restore_model.py: its photos, tasks.blend_pairs in 144 fonts; the held-out fonts, words and photos are
never drawn), and so is the validation: the whole held-out photos, watermarked in the training fonts, scored here
as the mask's F1 and the share of clean pixels opened. The pick is made afterwards on the whole pipeline
(bench/restore.py --checkpoint steps/STEP.keras --unmark ... --clean), the held-out fonts kept for that.

Every CHECKPOINT_STEPS the model (with its optimizer) and state.json are written atomically to DIR (default
~/.cache/aecore/restore-unwatermark-detect2, outside the work tree), kept as steps/<step>.keras and scored. The recipe's
numbers are written to state.json when a run starts and read back from it when it resumes, so a run goes on as it
began whatever the defaults say later. The learning rate is a cosine over --steps; resumed with more steps, the
schedule is stretched to the new end from the step reached (never decayed to nothing and left there).
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

from aecore.base import children  # noqa: E402
from aecore.photo import watermark  # noqa: E402
from scripts import train_restore_model as restore_recipe  # noqa: E402  (the pairs' photos, checkpoints, validation)

FOLDER = "restore-unwatermark-detect2"  # under ~/.cache/aecore
REFINE_FOLDER = "restore-unwatermark-refine"  # --from-blend
TUNE_PREFIX = "restore-unwatermark-"  # + a tuned recipe's name (--recipe tune or tune-slow, with --from-blend)
STEPS = 20_000  # the cosine's length: hours of one nice-19 thread (~2 s a step); resume with more to go on
CHECKPOINT_STEPS = 200
# the recipes, one written to state.json when a run starts (a resumed run reads it from there)
WHOLE = {  # the fifth session's (#39): whole-photo statistics
    "crop": 192,  # px: whole letters of the 15-150 px text the canvases get (the validation photos are 300-600 px)
    "batch": 6,  # crops a step: 6 x 192^2 pixels, twice the fourth session's 12 x 96^2
    "canvas": [320, 640],  # the sides of the photo a crop's watermark is drawn for (watermark.patch_watermark)
    "marked_share": 0.25,  # crops placed over a marked pixel; the rest anywhere: ~4.5% marked, ~27% with no mark
    "bright_share": 0.25,  # crops the brightest of four (white coins, highlights: what a white mark is taken for)
    "rate": 1e-3,  # Adam, from scratch; cosine to 5% of it over the steps
    "loss_weights": [1.0, 10.0, 1.0],  # mask, alpha (MSE everywhere), colour (MSE where marked)
    "clean_weight": 3.0,  # detectnet.CLEAN_WEIGHT (detectnet.whole_mask_loss), recorded
}
RECIPES = {
    "whole": WHOLE,
    "tune": {  # the sixth session's (#39): the blend trunk unfrozen under the refiner, on "whole"'s crops and loss
        **WHOLE, "rate": 1e-4,  # one rate for all (Keras has no per-variable rate; Adam ignores gradient scale): the
        "tune": True,  # refiner starts trained (--start: the fourth session's refiner), the trunk must not be lost
    },
    "tune-slow": {  # "tune" from its step 600 (--start), at 3e-5: at 1e-4 its clean pixels opened swung 0.14-1.27%
        **WHOLE, "rate": 3e-5, "tune": True,  # from checkpoint to checkpoint (step 600 the best, 800 far worse)
    },
    "tune-ema": {  # "tune-slow" from the shipped model (--start its model.keras), Adam keeping a running average of
        **WHOLE, "rate": 3e-5, "tune": True,  # the weights (Keras' use_ema), saved beside each checkpoint as
        "ema_momentum": 0.99,  # steps/<step>-ema.keras: ~100 steps' mean, against the swings between checkpoints
    },
    "crops": {  # the fourth session's (F1 0.08 after 1,000 steps, 12% of clean pixels opened), and its refiner's
        "crop": 96, "batch": 12, "canvas": list(watermark.CANVAS_SIDES), "marked_share": watermark.MARKED_SHARE,
        "bright_share": 0.25, "rate": 1e-3, "loss_weights": [1.0, 10.0, 1.0], "mask_loss": "patch",  # mask_loss
    },
}
SEED = 1  # the fourth session's detector drew its batches from [1, step] too
THRESHOLDS = (0.3, 0.5, 0.7, 0.85)  # the validation's F1 and clean pixels opened at each mask threshold
JIT = True  # XLA: faster steps on the CPU for hours (the tests turn it off: compiling costs more than their few steps)


def batch(step: int, colour: list, grey: list, recipe: dict) -> tuple[np.ndarray, list]:
    """(watermarked, [marked, alpha, colour and marked]) of `step`: the same whether or not the run was resumed."""
    from aecore.photo import tasks

    random = np.random.default_rng([SEED, step])
    size = recipe["batch"]
    from_grey = round(size * restore_recipe.GREY_SHARE) if grey else 0
    parts = [tasks.blend_pairs(pool, count, random, recipe["crop"], bright_share=recipe["bright_share"],
                               canvas=tuple(recipe["canvas"]), marked_share=recipe["marked_share"])
             for pool, count in ((colour, size - from_grey), (grey, from_grey)) if count]
    drawn = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    return drawn["watermarked"], [drawn["marked"], drawn["alpha"],
                                  np.concatenate([drawn["colour"], drawn["marked"]], axis=-1)]


def schedule(recipe: dict, steps: int):
    import keras

    return keras.optimizers.schedules.CosineDecay(recipe["rate"], steps, alpha=0.05)


def is_shipped(path: Path | None) -> bool:
    """True if `path` is a shipped refined model (photo -> restored, one output), not a training checkpoint."""
    import keras

    return path is not None and shipped_network(keras.models.load_model(path, compile=False))


def shipped_network(model) -> bool:
    """True if `model` is a shipped refined model (one output), not a training network (three)."""
    from aecore.photo import detectnet

    return detectnet.is_refined(model) and len(model.outputs) == 1


def build(recipe: dict, steps: int, blend: Path | None = None, start: Path | None = None):
    """The detector from scratch, or (`blend`, a blend checkpoint) that model frozen with a refiner on top (unfrozen
    again if the recipe says "tune"); `start`'s weights (a checkpoint of the same network) copied in, if given. A
    shipped refined model as `start` (no `blend`) is the network itself (detectnet.training_from_shipped)."""
    import keras

    from aecore.photo import detectnet

    keras.utils.set_random_seed(restore_recipe.SEED)
    started = keras.models.load_model(start, compile=False) if start else None  # read once
    if blend is None and started is not None and shipped_network(started):
        model = detectnet.training_from_shipped(started)
    else:
        model = (detectnet.detector_models()[1] if blend is None else
                 detectnet.refined_models(keras.models.load_model(blend, compile=False))[1])
        if started is not None:  # before unfreezing: the weights' order is the frozen network's, as start's was saved
            model.set_weights(started.get_weights())
    if recipe.get("tune"):
        detectnet.unfreeze(model)
    mask_loss = detectnet.mask_loss if recipe.get("mask_loss") == "patch" else detectnet.whole_mask_loss
    average = {"use_ema": True, "ema_momentum": recipe["ema_momentum"]} if "ema_momentum" in recipe else {}
    model.compile(optimizer=keras.optimizers.Adam(schedule(recipe, steps), **average),
                  loss=[mask_loss, "mse", detectnet.marked_mse], loss_weights=recipe["loss_weights"], jit_compile=JIT)
    return model


def resume(checkpoints: Path, steps: int, blend: Path | None = None, recipe: str = "whole",
           start: Path | None = None) -> tuple:
    """(model, state): the last checkpoint of DIR, its schedule stretched to `steps` if that changed, or a new run of
    RECIPES[recipe] (from `start`'s weights, a detector checkpoint, if given; its optimizer is not taken). A run of
    the fourth session (no recipe in its state) goes on as the "crops" recipe."""
    import keras

    from aecore.photo import detectnet  # noqa: F401  (registers the losses a compiled checkpoint names)

    if not (checkpoints / "state.json").exists():
        state = {"step": 0, "log": [], "steps": steps, "recipe": {"name": recipe, **RECIPES[recipe]},
                 **({"blend": str(blend)} if blend else {}), **({"start": str(start)} if start else {})}
        return build(state["recipe"], steps, blend, start), state
    state = json.loads((checkpoints / "state.json").read_text())
    state.setdefault("recipe", {"name": "crops", **RECIPES["crops"]})
    state.setdefault("steps", 5_000)  # the fourth session's default
    model = keras.models.load_model(checkpoints / "model.keras", compile=True)
    if steps != state["steps"]:  # the cosine is a function of the optimizer's step: the same curve, a later end
        model.optimizer.learning_rate = schedule(state["recipe"], steps)
        state.setdefault("stretched", []).append({"at": state["step"], "from": state["steps"], "to": steps})
        state["steps"] = steps
    print(f"resuming at step {state['step']} of {steps}", flush=True)
    return model, state


def validation(model) -> dict:
    """On the restore recipe's whole validation photos (training fonts): the mask's F1 and the share of clean pixels
    opened at each of THRESHOLDS (over all their pixels), its ranking of marked over clean pixels whatever the
    threshold (average precision, ROC AUC), the marked pixels' mean chance, alpha's error there."""
    import keras
    from sklearn import metrics

    counts = {threshold: [0.0, 0.0, 0.0, 0.0] for threshold in THRESHOLDS}  # hits, opened, marked, clean opened
    chance_marked, alpha_error, clean_pixels, every = [], [], 0, ([], [])
    for (_, marked), mark in zip(restore_recipe.validation_photos(), restore_recipe.VALIDATION_MARKS_DRAWN, strict=True):
        logit, alpha = (keras.ops.convert_to_numpy(part)[0, ..., 0] for part in model(marked[None], training=False)[:2])
        truth, chance = mark.mask(), 1.0 / (1.0 + np.exp(-logit))
        clean_pixels += int((~truth).sum())
        for threshold, found in counts.items():
            opened = chance > threshold
            found[0] += float(opened[truth].sum())
            found[1] += float(opened.sum())
            found[2] += float(truth.sum())
            found[3] += float(opened[~truth].sum())
        every[0].append(truth.ravel())
        every[1].append(chance.ravel())
        chance_marked.append(float(chance[truth].mean()))
        alpha_error.append(float(np.abs(alpha[truth] - mark.alpha[truth]).mean()))
    truths, chances = np.concatenate(every[0]), np.concatenate(every[1])
    scores = {"ap": float(metrics.average_precision_score(truths, chances)),
              "auc": float(metrics.roc_auc_score(truths, chances)) if 0 < truths.mean() < 1 else 0.5,
              "chance_marked": float(np.mean(chance_marked)), "alpha_error": float(np.mean(alpha_error))}
    for threshold, (hits, opened, marked, clean_opened) in counts.items():
        scores[f"f1@{threshold:g}"] = 2 * hits / max(1.0, opened + marked)
        scores[f"clean_opened@{threshold:g}"] = clean_opened / max(1, clean_pixels)
    return scores


def save_average(model, checkpoints: Path, step: int) -> dict:
    """steps/<step>-ema.keras: the optimizer's running average of the weights swapped in, saved and validated, then
    the live weights swapped back (training goes on from them). Returns the average's validation."""
    live = [variable.numpy() for variable in model.trainable_variables]
    model.optimizer.finalize_variable_values(model.trainable_variables)  # each weight <- its average (Keras' EMA)
    try:
        temporary = checkpoints / "steps" / ".ema.tmp.keras"
        model.save(temporary)
        os.replace(temporary, checkpoints / "steps" / f"{step}-ema.keras")
        return validation(model)
    finally:
        for variable, value in zip(model.trainable_variables, live, strict=True):
            variable.assign(value)


def train(checkpoints: Path, train400: Path, wheels: Path, steps: int, blend: Path | None = None, recipe: str = "whole",
          start: Path | None = None):
    """The run, resumable: every CHECKPOINT_STEPS the model, state.json, steps/<step>.keras and a validation line (a
    recipe with "ema_momentum": steps/<step>-ema.keras too, its validation under "ema")."""
    checkpoints.mkdir(parents=True, exist_ok=True)
    colour, grey = restore_recipe.pools("unwatermark", train400, wheels)
    model, state = resume(checkpoints, steps, blend, recipe, start)
    started, losses = time.perf_counter(), []
    while state["step"] < steps:
        loss = model.train_on_batch(*batch(state["step"], colour, grey, state["recipe"]))
        losses.append([float(value) for value in np.ravel(loss)])
        state["step"] += 1
        if state["step"] % CHECKPOINT_STEPS == 0 or state["step"] == steps:
            seconds = round(time.perf_counter() - started, 1)
            entry = {"step": state["step"], "loss": [round(float(v), 5) for v in np.mean(losses, axis=0)],
                     "seconds": seconds, "rate": float(model.optimizer.learning_rate),
                     **{key: round(value, 5) for key, value in validation(model).items()}}
            if "ema_momentum" in state["recipe"]:  # before state.json names the step, so a kill redoes it
                (checkpoints / "steps").mkdir(exist_ok=True)
                entry["ema"] = {key: round(value, 5) for key, value in save_average(model, checkpoints,
                                                                                   state["step"]).items()}
            state["log"].append(entry)
            restore_recipe.save_checkpoint(model, state, checkpoints)
            restore_recipe.keep(checkpoints, state["step"], False)
            print(json.dumps(entry), flush=True)
            started, losses = time.perf_counter(), []


def averaged(paths: list[Path]):
    """The first checkpoint's network with every weight the mean over all of `paths` (checkpoints of one run): the
    tune run swung from checkpoint to checkpoint, and the mean of two sat between their swings."""
    import keras

    models = [keras.models.load_model(path, compile=False) for path in paths]
    models[0].set_weights([np.mean(weights, axis=0) for weights in zip(*(model.get_weights() for model in models))])
    return models[0]


def checkpoint_name(text: str) -> str:
    """--export's and --average-with's STEP: a step, or STEP-ema for the running average saved beside it (and for
    --average-with, a .keras file of the same network, such as the model.keras the run started from)."""
    if not text.removesuffix("-ema").isdigit() and not text.endswith(".keras"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a checkpoint: give a step (600), its average (600-ema) or, "
                                         "to --average-with, a .keras file")
    return text


def checkpoint_path(checkpoints: Path, name: int | str) -> Path:
    return Path(name).expanduser() if str(name).endswith(".keras") else checkpoints / "steps" / f"{name}.keras"


def export(checkpoints: Path, step: int | str, unmark: dict, average_with: tuple[int | str, ...] = ()):
    """steps/<step>.keras (its weights averaged with steps/<each of average_with>.keras's; a step may be named
    STEP-ema, the running average saved beside it) ->
    aecore/store/shipped/photo-unwatermark: the detector (its Keras output the blend inverted where the mask's chance is
    0.5 or more) with `unmark` on its card, the post-processing (aecore.photo.unmarking.UnmarkSettings' fields) that
    restoring.unwatermark applies to its heads."""

    from aecore.data import photos
    from aecore.models.autoencoder import Autoencoder
    from aecore.photo import detectnet, restoring
    from aecore.store import modelstore

    state = json.loads((checkpoints / "state.json").read_text())
    recipe = state.get("recipe", RECIPES["crops"])
    steps = int(str(step).removesuffix("-ema"))
    model = detectnet.single_output(averaged([checkpoint_path(checkpoints, one) for one in (step, *average_with)]))
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    refined = detectnet.is_refined(model)
    quarter_width = int(encoder.output[0].shape[-1])  # the photo family's latent_dim; its widths and blocks below
    options = ({**restore_recipe.model_options(), "task": "unwatermark"} if refined else
               {"widths": list(detectnet.WIDTHS[:2]), "blocks": detectnet.QUARTER_CONVS // 2, "task": "unwatermark"})
    meta = {"input_shape": [None, None, 3], "latent_dim": quarter_width, "unmark": dict(unmark)}
    autoencoder = Autoencoder("photo", model, encoder, decoder, options, meta)
    held_out = photos.load_photos().test
    scores = restoring.held_out_scores(autoencoder, "unwatermark", held_out)
    autoencoder.meta.update({
        "family": "photo", "task": "unwatermark", "network": "refined blend" if refined else "detector",
        "options": options, "code_shape": [None, None, quarter_width], "dataset": photos.PHOTOS,
        "dataset_source": "the photo recipe's photos and DnCNN's 400 grey photos, watermarked at random",
        "class_names": None, "params": autoencoder.count_params(),
        "train_seconds": round(sum(entry.get("seconds", 0) for entry in state["log"] if entry["step"] <= steps), 1),
        "train_steps": steps, "train_patches": steps * recipe["batch"],
        "held_out_photos": [photo.name for photo in held_out],
        "metrics": {"test_psnr_damaged": round(scores["psnr_damaged"], 3), "test_psnr": round(scores["psnr"], 3)},
        "recipe": recipe_line(state, step, unmark, average_with), "notes": [note(state, step, refined, average_with)],
    })
    os.environ["AECORE_SHIPPED_MODELS"] = ""  # write into the shipped folder as a plain store
    store, name = modelstore.ModelStore(modelstore.SHIPPED_FOLDER), "photo-unwatermark"
    if (modelstore.SHIPPED_FOLDER / name).exists():
        store.delete(name)
    entry = store.save(autoencoder, name)
    print(json.dumps({"saved": str(entry.path), "step": step, "metrics": autoencoder.meta["metrics"]}), flush=True)


def recipe_line(state: dict, step: int | str, unmark: dict, average_with: tuple[int | str, ...] = ()) -> str:
    script = "python scripts/train_watermark_detector.py"
    blend = f" --from-blend {state['blend'].replace(str(Path.home()), '~')}" if "blend" in state else ""
    blend += f" --start {state['start'].replace(str(Path.home()), '~')}" if "start" in state else ""
    blend = (f" --recipe {state['recipe']['name']}" if state.get("recipe", {}).get("tune") else "") + blend
    return (f"{script}{blend} --steps {state['steps']} (the run stopped at step {state['step']}; step {step} ships, "
            f"picked on the whole pipeline) && {script}{blend} --export {step}"
            + "".join(f" --average-with {str(other).replace(str(Path.home()), '~')}" for other in average_with)
            + f" --unmark '{json.dumps(unmark)}'")


def network_line(state: dict, refined: bool) -> str:
    """Which network the card's note describes, and where its weights started."""
    start = f"{Path(state['start']).parent.parent.name}/{Path(state['start']).name}" if "start" in state else None
    if not refined:
        return ("aecore.photo.detectnet, a small full-resolution U-Net, "
                + (f"from the weights of {start}" if start else "from scratch"))
    if not state.get("recipe", {}).get("tune"):
        return "the blend model (aecore.photo.blendnet) frozen, with a refiner (aecore.photo.detectnet.refined_models)"
    if "blend" not in state:  # --start a shipped model's model.keras
        return ("the refined blend model (aecore.photo.blendnet with a refiner, aecore.photo.detectnet.refined_models) "
                f"that shipped before it (its model.keras copied to {Path(state['start']).name}), fine-tuned further "
                "as one")
    blend = f"{Path(state['blend']).parent.parent.name}/{Path(state['blend']).name}"
    return (f"the blend model (aecore.photo.blendnet, {blend}: the unwatermark model shipped before it) with a refiner "
            "(aecore.photo.detectnet.refined_models) on top, "
            + (f"starting from {start} (the refiner trained on the frozen blend model), " if start else "")
            + "fine-tuned as one, the blend trunk unfrozen")


def note(state: dict, step: int | str, refined: bool, average_with: tuple[int | str, ...] = ()) -> str:
    recipe = state.get("recipe", RECIPES["crops"])
    network = network_line(state, refined)
    whole = "clean_weight" in recipe  # the "whole" recipe (the "crops" one has no clean weight)
    crops = ("cut from watermarks drawn for whole photos, about a quarter of them with no mark" if whole else
             f"{recipe['marked_share']:.0%} of them over the mark")
    loss = (f"cross-entropy with clean pixels weighted {recipe['clean_weight']:g} and Dice over the batch" if whole
            else "cross-entropy and Dice per crop")
    steps = "steps" if len(average_with) > 1 else "step"
    names = [Path(str(one)).name if str(one).endswith(".keras") else str(one) for one in average_with]
    mean = f" and averaged with its {steps} {', '.join(names)}" if average_with else ""
    if any(str(one).endswith(".keras") for one in average_with):  # a file: the weights the run started from
        mean = f" and averaged with {', '.join(names)}"
    if str(step).endswith("-ema"):
        mean = (f", the running average of its weights (Adam's EMA, momentum {recipe['ema_momentum']:g}) at step "
                f"{str(step).removesuffix('-ema')}{mean}")
    return (f"{network}, trained for {str(step).removesuffix('-ema')} steps of {recipe['batch']} crops "
            f"{recipe['crop']}x{recipe['crop']} (Adam, cosine from {recipe['rate']:g}){mean}, {crops}: where the watermark is ({loss} on its mask), its opacity and "
            "colour; aecore.photo.unmarking then finds the marks (hysteresis), pools opacity and colour per mark and "
            "inverts the blend (pixels outside the marks unchanged); random text and logo watermarks in 144 fonts; "
            "metrics on watermarks in 18 held-out fonts and held-out words")


def main():
    from scripts import recipe_photos, train_photo_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoints", type=Path, help=f"default ~/.cache/aecore/{FOLDER} (--from-blend: "
                        f"{REFINE_FOLDER})")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"the cosine schedule's length (default {STEPS}); "
                        "resumed with another, the schedule is stretched from the step reached")
    parser.add_argument("--from-blend", type=Path, help="freeze this blend checkpoint and train a refiner on it")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="whole", help="a new run's crops and loss "
                        "(default whole; crops: the fourth session's); a resumed run keeps its own")
    parser.add_argument("--start", type=Path, help="a new run starts from this detector checkpoint's weights (a fresh "
                        "optimizer), or from a shipped refined model's model.keras (no --from-blend needed); a "
                        "resumed run ignores it")
    parser.add_argument("--export", type=checkpoint_name, metavar="STEP", help="ship steps/STEP.keras as "
                        "photo-unwatermark (STEP-ema: the running average saved beside step STEP)")
    parser.add_argument("--average-with", type=checkpoint_name, action="append", default=[], metavar="STEP",
                        help="--export: average the weights with steps/STEP.keras's (repeatable; STEP or STEP-ema)")
    parser.add_argument("--unmark", type=json.loads, default={}, help="--export: the post-processing "
                        "(aecore.photo.unmarking.UnmarkSettings' fields, a JSON object) written on the model's card")
    parser.add_argument("--train400", type=Path, default=train_photo_model.DEFAULT_TRAIN400)
    parser.add_argument("--wheels", type=Path, default=recipe_photos.DEFAULT_WHEELS)
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow intra- and inter-op threads (default 1)")
    arguments = parser.parse_args()
    restore_recipe.limit_threads(arguments.threads)
    tuned = RECIPES[arguments.recipe].get("tune", False)
    if tuned and not arguments.from_blend and arguments.export is None and not is_shipped(arguments.start):
        parser.error(f"--recipe {arguments.recipe} fine-tunes a blend model under a refiner: give --from-blend "
                     "BLEND.keras, or --start a shipped photo-unwatermark's model.keras")
    folder = TUNE_PREFIX + arguments.recipe if tuned else REFINE_FOLDER if arguments.from_blend else FOLDER
    checkpoints = arguments.checkpoints or Path.home() / ".cache" / "aecore" / folder
    if arguments.export is not None:
        export(checkpoints, arguments.export, arguments.unmark, tuple(arguments.average_with))
    else:
        children.nice_own_session()
        train(checkpoints, arguments.train400, arguments.wheels, arguments.steps, arguments.from_blend, arguments.recipe,
              arguments.start)


if __name__ == "__main__":
    main()
