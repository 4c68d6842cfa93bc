"""Latent sampler: decode codes you choose, live in the browser — a plane over two dimensions under the
mouse, one slider per dimension, the straight line between two images — and random samples. On a time series the
decoded window is drawn as lines, as it moves."""

import numpy as np
import streamlit as st

from aecore.data import images as image_files
from dashboard import plots, series_plots
from dashboard.components import live_decoder
from dashboard.sections import latent, sampler
from dashboard.state import caches, sidebar
from dashboard.text import md

SLIDERS_SHOWN = 8  # sliders on screen at once; larger codes get a selector
SAMPLES = 32

context = sidebar.sidebar(page="latent_sampler")
st.title("Latent sampler")
sidebar.require_model(context, "The latent sampler")
autoencoder = context.model
latent_dim, image_shape = autoencoder.latent_dim, autoencoder.input_shape
test_codes = latent.flat_codes(context.ref, 2000)
live = caches.live_decoder_of(context.model_name, context.stamp)
low, high, start = latent.slider_ranges(autoencoder, test_codes)
started_from = sampler.start_from_picture(context, low, high)  # a code the Latent map's pad sent, or an upload
series, thing = context.is_series, context.noun  # a series model decodes windows, drawn as lines
if autoencoder.is_variational:
    st.caption("A VAE is trained so that its codes follow a standard normal N(0, I): any code near the origin "
               f"should decode to a plausible {thing}. Values below are in standard deviations.")
else:
    st.caption(f"This is a **{autoencoder.family}** autoencoder: it has no prior over codes, so the ranges come "
               f"from the codes of test {thing}s (1st..99th percentile) and the code starts at the median code. "
               "Codes far from the test codes often decode to blur; that is what a VAE fixes.")
if len(autoencoder.code_shape) == 3:
    st.caption(f"The code is a {autoencoder.code_shape} map; dimension *k* is its *k*-th value, flattened.")
if live.live:
    st.caption(f"The decoder runs in your browser ({sampler.size_text(live.download_bytes)}, sent once): "
               + ("decoded windows, drawn as lines on the training part's scale, " if series else "pictures ")
               + "follow the mouse and the sliders while they move.")
else:
    st.caption(f"Pictures are decoded on the server when you release a control: {md(live.reason)}.")


with (st.container() if series else st.expander("Start from a picture of your own", expanded=bool(started_from),
                                                  icon=":material/draw:")):
    if not series:  # a window comes from the series itself: the plane, the map or the interpolation's ends
        st.caption("Drop an image (converted as the Denoise page converts uploads): the sliders and the plane jump to "
                   "its code, and you drag from there. On the Latent map you can also draw one and press *Open in the "
                   "Latent sampler*.")
    picture = None if series else st.file_uploader("A picture", type=image_files.UPLOAD_TYPES,
                                                   key=f"sampler_picture-{context.stamp}")
    if picture is not None and st.session_state.get("sampler_picture_used") != (picture.file_id, context.stamp):
        st.session_state["sampler_picture_used"] = (picture.file_id, context.stamp)
        started_from = sampler.adopt_picture(context, picture.getvalue(), picture.name, low, high)
    if started_from:
        st.caption(md(started_from))


@st.fragment
def explore():
    """The plane and the sliders share one code: a click on the plane moves the sliders, a slider the plane."""
    code = sampler.current_code(context.stamp, start)
    st.subheader("Latent plane")
    if latent_dim < 2:
        st.info("This model has a one-number code, so there is no plane; use the slider below.")
    else:
        (widest, second), dead = sampler.plane_defaults(test_codes)
        label = lambda dim: sampler.dimension_label(dim, dead)  # noqa: E731
        x_column, y_column = st.columns(2)
        dim_x = x_column.selectbox("Across (x)", range(latent_dim), index=widest, format_func=label, key="sampler_x",
                                   help="The plane opens on the two dimensions whose test codes vary most.")
        dim_y = y_column.selectbox("Up (y)", range(latent_dim), index=second, format_func=label, key="sampler_y")
        if dead:
            shown = ", ".join(f"z{dim}" for dim in list(dead)[:12]) + (", …" if len(dead) > 12 else "")
            st.caption(f"{len(dead)} of {latent_dim} dimensions never change on the test images (dead): {shown}.")
        if dim_x == dim_y:
            st.warning("Pick two different dimensions.")
        else:
            data = {**sampler.plane_data(context, test_codes, (dim_x, dim_y), low, high, code), "series": series}
            plane_key = f"plane-{context.stamp}"
            live_decoder.live_view("plane", data, live, image_shape, plane_key, signature=[dim_x, dim_y, data["code"]],
                                  on_release=sampler.adopter(context.stamp, plane_key, low, high))
            if not live.live:
                sampler.server_picture(autoencoder, code, "the pinned code", series)
            rest = "0" if autoencoder.is_variational else "the code of the sliders below"
            coloured = "coloured by label" if series else "coloured by class"
            st.caption(f"Dots: {len(data['points'])} test codes, {coloured}; behind them, what each region "
                       f"decodes to. The other dimensions stay at {rest}. Click to pin a code: the sliders take it.")
    st.subheader("One slider per dimension")
    mean, spread = sampler.random_spread(autoencoder, test_codes)
    data = {"code": code.tolist(), "low": low.tolist(), "high": high.tolist(), "start": start.tolist(),
            "mean": mean, "std": spread, "window": SLIDERS_SHOWN, "seed": 0, "series": series,
            "minimap": sampler.minimap_data(context, test_codes)}
    sliders_key = f"sliders-{context.stamp}"
    live_decoder.live_view("sliders", data, live, image_shape, sliders_key, signature=[latent_dim],
                          on_release=sampler.adopter(context.stamp, sliders_key, low, high))
    if not live.live:
        sampler.server_picture(autoencoder, code, "decoded code", series)
    where = "[-3, 3] (standard deviations)" if autoencoder.is_variational else "the 1st..99th percentile of test codes"
    origin = "the prior mean" if autoencoder.is_variational else "the median code"
    st.caption(f"Each slider spans {where}. Reset goes back to {origin}; Random code draws every dimension from "
               + ("N(0, 1)." if autoencoder.is_variational else "the spread of the test codes."))
    if data["minimap"]:
        st.caption(f"The small map is the PCA map of {len(data['minimap']['points'])} test codes, coloured by "
                   f"{'label' if series else 'class'} (as the Latent map's PCA); the red ring is the sliders' code, "
                   "and it moves while you drag.")


@st.fragment
def interpolation():
    st.subheader(f"Interpolation between two test {thing}s")
    count = len(context.dataset.x_test)
    first_column, second_column = st.columns(2)
    first = first_column.number_input(f"From {thing} (A)", 0, count - 1, 0, key="sampler_from")
    second = second_column.number_input(f"To {thing} (B)", 0, count - 1, min(1, count - 1), key="sampler_to")
    key = f"interpolate-{context.stamp}"
    released = (st.session_state.get(key) or {}).get("t")
    weight = 0.5 if released is None else float(released)
    data = {**sampler.interpolation_data(context, autoencoder, first, second, weight), "series": series}
    live_decoder.live_view("interpolate", data, live, image_shape, key, signature=[first, second])
    if not live.live:
        line = (1 - weight) * np.asarray(data["a"]) + weight * np.asarray(data["b"])
        sampler.server_picture(autoencoder, line, f"weight {weight:.2f}", series)
    st.caption("The slider walks the straight line from A's code to B's. Smooth, plausible steps mean a "
               "well-organised latent space.")


@st.fragment
def random_samples():
    st.subheader("Random samples")
    seed_column, button_column = st.columns([1, 3], vertical_alignment="bottom")
    seed = seed_column.number_input("Seed", 0, 1_000_000, 0, key="sampler_seed")
    if button_column.button("Random samples", icon=":material/casino:"):
        st.session_state["sampler_shown_seed"] = int(seed)
    if "sampler_shown_seed" in st.session_state:
        shown = st.session_state["sampler_shown_seed"]
        images = latent.random_samples(context.ref, SAMPLES, shown)
        if series:  # each decoded window drawn as a small curve picture, as on the Latent map's thumbnails
            images = series_plots.curve_pictures(images)
        st.plotly_chart(plots.single_image(plots.mosaic(images, 16 if not series else 8), f"{SAMPLES} samples, seed {shown}",
                                           height=200 if not series else 240), width="stretch")
    source = "N(0, I), the VAE's prior" if autoencoder.is_variational else \
        "a Gaussian fitted to the test codes (mean and covariance)"
    st.caption(f"Codes drawn from {source}, then decoded on the server.")


explore()
interpolation()
random_samples()
