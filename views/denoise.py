"""Restore: one section per task. Denoise (a photo at full size with a photo model, then the sidebar's small-image
or series model on noisy test data), colourise and unwatermark (a photo at full size). Only the chosen task's
section runs, so the page's first open loads no photo model and computes nothing for the tasks it does not show.
(The address stays /denoise: links and bookmarks made before the page was renamed still open it.)"""

from pathlib import Path

import numpy as np
import streamlit as st

from aecore.analysis import metrics
from aecore.data import catalog, noise
from aecore.data import images as image_files
from aecore.errors import AecoreError
from aecore.store import probecache
from dashboard import plots, vega_plots
from dashboard.components import frame_slider
from dashboard.sections import latent, photo_denoise, restore, restore_series
from dashboard.state import caches, roles, sidebar
from dashboard.text import md

TASKS = {"denoise": "Denoise", "colourise": "Colourise", "unwatermark": "Remove a watermark"}
IMAGES = 6  # test images in the slider figure
CURVE_IMAGES = 100  # test images (or windows) behind each PSNR curve
KIND_NAMES = {"gaussian": "Gaussian", "salt_and_pepper": "Salt and pepper", "masking": "Masking"}
LEVELS = latent.NOISE_LEVELS
START_LEVEL = 5  # the slider opens at level 0.25
STRIP_PX = 160  # an upload's steps are scaled up to at least this many pixels a side


def noise_options(series: bool) -> tuple[str, int]:
    """(noise kind, seed) from the widgets the image and series views share."""
    pixel, high, low = ("time step", "1", "0") if series else ("pixel", "white", "black")
    kind_column, seed_column = st.columns([3, 1])
    kind = kind_column.radio("Noise", noise.NOISE_KINDS, horizontal=True, format_func=KIND_NAMES.get, key="noise_kind",
                             help=f"Gaussian adds level × N(0, 1) to every {pixel}; the others hit a share (the level) "
                                  f"of the {pixel}s: salt and pepper sets them to {high} or {low}, masking to {low}.")
    seed = seed_column.number_input("Seed", 0, 1_000_000, 0, key="noise_seed", help="Which test data, and the noise.")
    return kind, int(seed)


def decibels(value: float) -> str:
    return "∞" if value >= metrics.PSNR_CAP_DB else f"{value:.1f}"  # level 0: the input is the clean image


def mosaics(stack: np.ndarray) -> np.ndarray:
    """(levels, n, h, w, c) -> (levels, H, W, c): one picture of the n images per level."""
    return np.stack([plots.mosaic(pictures, 3) for pictures in stack])


def image_slider(kind: str, seed: int):
    """Six test images noisy and denoised at every level, switched in the browser."""
    indices = probecache.slider_indices(len(context.dataset.x_test), seed, IMAGES)  # seed 0's: kept by the job
    sweep = caches.denoise_sweep(context.ref, indices, kind, LEVELS, seed)
    clean = context.dataset.x_test[list(indices)]
    captions = [f"level {level:.2f}   PSNR {decibels(psnr_in)} → {decibels(psnr_out)} dB   "
                f"SSIM {ssim_in:.2f} → {ssim_out:.2f}" for level, psnr_in, psnr_out, ssim_in, ssim_out in
                zip(LEVELS, sweep.psnr_noisy, sweep.psnr_denoised, sweep.ssim_noisy, sweep.ssim_denoised)]
    rows = [("noisy input", mosaics(sweep.noisy)), ("denoised", mosaics(sweep.denoised)), ("clean", mosaics(clean[None]))]
    frame_slider.frame_slider([f"{level:.2f}" for level in LEVELS], rows, captions, START_LEVEL, "noise level",
                              key="noise_frames")
    st.caption("Drag the slider under the pictures (or press the arrow keys): all 21 levels are already in your "
               "browser, so they switch instantly. The line above them gives the mean PSNR and SSIM of the noisy "
               "input → the denoised output, both against the clean images (higher is better).")


def curves(kind: str, seed: int, what: str):
    """Mean PSNR against noise level for up to 4 models of this input shape, denoising models drawn thick."""
    st.subheader("Which model cleans best?")
    others = st.toggle("Add the other models of this input shape", key="compare_models",
                       help="Up to 3 more, denoising models first: each loads and cleans the same noisy data once "
                            "(a few seconds), then stays ready. Off, the page opens without waiting for them.")
    curve_indices = tuple(range(min(CURVE_IMAGES, len(context.dataset.x_test))))
    found, denoisers, baseline = {}, set(), None
    compared = latent.comparable_models(context)
    for entry in compared if others else compared[:1]:  # the first is the selected model
        try:
            result = caches.denoise_sweep(caches.ModelRef(entry.name, caches.stamp_of(entry.meta), context.dataset_name),
                                          curve_indices, kind, LEVELS, seed)
        except AecoreError as error:
            st.caption(f"Skipped **{md(entry.name)}**: {md(error)}")
            continue
        label = f"{entry.name} ({entry.meta.get('family')})"
        found[label], baseline = result.psnr_denoised, result.psnr_noisy  # the baseline depends on the data only
        if entry.meta.get("family") == "denoising":
            denoisers.add(label)
    found["noisy input"] = np.where(baseline >= metrics.PSNR_CAP_DB, np.nan, baseline)  # level 0 is infinite: a gap
    title = f"Mean PSNR of {len(curve_indices)} {what}, {KIND_NAMES[kind]} noise"
    st.vega_lite_chart(spec=vega_plots.psnr_curves(LEVELS, found, title, denoisers or set(list(found)[:1])),
                       width="stretch", key="psnr_curves")
    st.caption(("Up to 4 models with this input shape (the selected one first, then denoising models, drawn thick). "
                if others else "The selected model against the noisy input. ") +
               "Above the dotted *noisy input* line a model removes noise; below it, it loses detail.")


def strip(steps: list[tuple[str, np.ndarray]]):
    """An upload's conversion steps in one row, each above its name, STRIP_PX wide, as <img>s (no chart library to load):
    small pictures are scaled up here by whole pixels to STRIP_PX or more a side, so the browser's smoothing keeps
    them crisp."""
    for column, (name, image) in zip(st.columns(len(steps)), steps):
        factor = max(1, int(np.ceil(STRIP_PX / max(image.shape[:2]))))
        column.image(image_files.to_png_bytes(np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)),
                     caption=name, width=STRIP_PX)


@st.fragment
def uploads(kind: str, seed: int):
    """Your own pictures; changing these options reruns only this part."""
    st.subheader("Your own images")
    white_on_black = context.dataset_name in catalog.DATASET_NAMES  # digits and clothes; your own are as they are
    colours = "colour" if context.model.input_shape[-1] == 3 else "grey levels"
    st.caption(f"Each file is converted to what the model expects ({'×'.join(map(str, context.model.input_shape))}): "
               f"{colours}, resized with its aspect kept" + (", and inverted if the background is light." if white_on_black
                                                              else ", colours as they are (your dataset's own look)."))
    files = st.file_uploader("Images", type=image_files.UPLOAD_TYPES, accept_multiple_files=True, key="denoise_uploads")
    invert_column, level_column = st.columns(2)
    invert = invert_column.radio("Invert colours", image_files.INVERT_OPTIONS, horizontal=True, key="upload_invert",
                                 index=image_files.INVERT_OPTIONS.index("auto" if white_on_black else "never"),
                                 help="Digits and clothes are white on black; *auto* inverts images with a light background.")
    level = level_column.slider("Added noise", 0.0, 1.0, 0.0, 0.05, key="upload_level",
                                help="A real photo is already 'noisy' for a model trained on clean digits.")
    for file in files or []:
        show_upload(file, level, invert, kind, seed)


def show_upload(file, level: float, invert: str, kind: str, seed: int):
    if not roles.allow_upload(file.getvalue()):
        st.warning(f"{md(file.name)}: {roles.UPLOAD_LIMIT_MESSAGE}")
        return
    result = latent.process_upload(file.getvalue(), file.name, context.model, level, invert, kind, seed)
    if result.error:
        st.error(md(result.error))
        return
    steps = list(result.converted.steps) + ([("noisy", result.noisy)] if level > 0 else [])
    steps.append(("denoised", result.denoised))
    with st.container(border=True):
        st.markdown(f"**{md(file.name)}**")
        strip(steps)
        st.caption(md(" · ".join(result.converted.notes)))
        st.download_button("Denoised PNG", result.png, f"{Path(file.name).stem}-denoised.png", "image/png",
                           key=f"download-{file.file_id}", on_click="ignore", icon=":material/download:")


context = sidebar.sidebar(page="denoise")
st.title("Restore")
task = st.segmented_control("Task", list(TASKS), format_func=TASKS.get, default="denoise", required=True,
                            key="restore_task", help="The three things the autoencoder lecture says an autoencoder "
                                                     "is for: denoising, colourisation and watermark removal.")
if task == "colourise":
    restore.colourise_section()
    st.stop()
if task == "unwatermark":
    restore.unwatermark_section()
    st.stop()

series = getattr(context.dataset, "is_series", False)
height, width, channels = context.dataset.input_shape
small = (f"**windows of {md(context.dataset_name)}'s series** go through the series model" if series else
         f"**pictures like {md(context.dataset_name)}'s** go through the {height}x{width} "
         f"{'colour' if channels == 3 else 'grey'} model")
st.caption("Which model serves which upload: **photos** (any size, grey or colour) go through a photo model at "
           f"full size, just below; {small} picked in the sidebar, further down.")
photo_denoise.section()
st.divider()
st.subheader("Test windows" if series else "Test images and small pictures")
sidebar.require_model(context, "Denoising")
st.caption("A denoising autoencoder sees corrupted inputs during training and learns to output the clean ones. "
           "Any autoencoder cleans a little, because its code has no room for the noise; compare them below.")
if context.model.family != "denoising":
    st.info(f"**{md(context.model_name)}** is a {context.model.family} model, trained on clean "
            + ("windows only." if series else "images only. Train a *denoising* model to see the difference in the "
                                              "chart further down."))
kind, seed = noise_options(series)
if series:
    restore_series.section(context, kind, seed, LEVELS)
    curves(kind, seed, "test windows")
else:
    image_slider(kind, seed)
    curves(kind, seed, "test images")
    uploads(kind, seed)
