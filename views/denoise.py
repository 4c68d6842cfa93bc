"""Restore: one section per task. Denoise (a photo at full size with a photo model, then the sidebar's small-image
or series model on noisy test data), colourise and unwatermark (a photo at full size). Only the chosen task's
section runs, so the page's first open loads no photo model and computes nothing for the tasks it does not show.
(The address stays /denoise: links and bookmarks made before the page was renamed still open it.)"""

import streamlit as st

from dashboard.sections import photo_denoise, restore, restore_series, restore_small
from dashboard.state import sidebar
from dashboard.text import md

TASKS = {"denoise": "Denoise", "colourise": "Colourise", "unwatermark": "Remove a watermark"}

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
small = (f"windows of {md(context.dataset_name)}'s series" if series else
         f"pictures like {md(context.dataset_name)}'s")
st.caption("Which model serves which upload: **photos** (any size, grey or colour) go through a photo model at "
           f"full size, just below; **{small}** go through the {'series' if series else f'{height}x{width}'} "
           + ("" if series else f"{'colour' if channels == 3 else 'grey'} ") + "model picked in the sidebar, further down.")
photo_denoise.section()
st.divider()
st.subheader("Test windows" if series else "Test images and small pictures")
sidebar.require_model(context, "Denoising")
st.caption("A denoising autoencoder sees corrupted inputs during training and learns to output the clean ones. "
           "Any autoencoder cleans a little, because its code has no room for the noise; compare them below.")
if context.model.family != "denoising":
    st.info(f"**{md(context.model_name)}** is a {context.model.family} model, trained on clean "
            f"{'windows' if series else 'images'} only." + ("" if series else " Train a *denoising* model to see the "
                                                             "difference in the chart further down."))
kind, seed = restore_small.noise_options("time step" if series else "pixel")
if series:
    restore_series.section(context, kind, seed, restore_small.LEVELS)
    restore_small.curves(context, kind, seed, "test windows")
else:
    restore_small.image_slider(context, kind, seed)
    restore_small.curves(context, kind, seed)
    restore_small.uploads(context, kind, seed)
