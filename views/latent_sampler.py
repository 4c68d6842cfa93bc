"""Latent sampler: decode codes you choose — a grid over two dimensions, one slider per dimension,
random samples and the straight line between two images."""

import numpy as np
import streamlit as st

from dashboard import plots, ui

SLIDERS_SHOWN = 8  # sliders on screen at once; larger codes get a selector
SAMPLES = 32

context = ui.sidebar()
st.title("Latent sampler")
ui.require_model(context, "The latent sampler")
autoencoder = context.model
latent_dim = autoencoder.latent_dim
test_codes = ui.flat_codes(context.model_name, context.stamp, context.dataset_name, 2000)
if autoencoder.is_variational:
    st.caption("A VAE is trained so that its codes follow a standard normal N(0, I): any code near the origin "
               "should decode to a plausible image. Values below are in standard deviations.")
else:
    st.caption(f"This is a **{autoencoder.family}** autoencoder: it has no prior over codes, so the ranges come "
               "from the codes of test images (percentiles), and unused dimensions sit at the median code. "
               "Codes far from the test codes often decode to blur; that is what a VAE fixes.")
if len(autoencoder.code_shape) == 3:
    st.caption(f"The code is a {autoencoder.code_shape} map; dimension *k* is its *k*-th value, flattened.")

st.subheader("Grid over two dimensions")
if latent_dim < 2:
    st.info("This model has a one-number code, so there is no grid; use the slider below.")
else:
    first_column, second_column, size_column = st.columns(3)
    dim_x = first_column.selectbox("Across (x)", range(latent_dim), index=0, format_func="z{}".format, key="sampler_x")
    dim_y = second_column.selectbox("Down (y)", range(latent_dim), index=1, format_func="z{}".format, key="sampler_y")
    steps = size_column.slider("Grid size n", 5, 20, 10, key="sampler_n")
    if dim_x == dim_y:
        st.warning("Pick two different dimensions.")
    else:
        images, rows, columns = ui.latent_grid(context.model_name, context.stamp, context.dataset_name,
                                               (dim_x, dim_y), steps)
        figure = plots.latent_grid_figure(images, rows, columns, (dim_x, dim_y), f"{steps} × {steps} decoded codes")
        st.plotly_chart(figure, width="stretch", key="sampler_grid")
        spread, rest = ("normal prior", "0") if autoencoder.is_variational else ("test codes", "the median code")
        st.caption(f"Each axis sweeps the 5th..95th percentile of the {spread}; the other dimensions stay at {rest}.")


def reset(chosen: dict):
    for dim in list(chosen):
        st.session_state.pop(f"z-{context.stamp}-{dim}", None)  # the sliders start afresh
    chosen.clear()


@st.fragment
def one_dimension_at_a_time():
    """Slider moves rerun only this fragment: the grid above is not redrawn."""
    st.subheader("One slider per dimension")
    low, high, start = ui.slider_ranges(autoencoder, test_codes)
    chosen = st.session_state.setdefault(f"sampler-{context.stamp}", {})  # dim -> value, kept across windows
    dims = range(latent_dim)
    if latent_dim > SLIDERS_SHOWN:
        first = st.selectbox("Dimensions", range(0, latent_dim, SLIDERS_SHOWN), key="sampler_window",
                             format_func=lambda dim: f"z{dim}–z{min(dim + SLIDERS_SHOWN, latent_dim) - 1}")
        dims = range(first, min(first + SLIDERS_SHOWN, latent_dim))
    code = start.astype("float64")  # float32 rounding could push a value past its slider's end
    for dim, value in chosen.items():
        code[dim] = value
    slider_column, image_column = st.columns([3, 2])
    with slider_column:
        for dim in dims:
            chosen[dim] = code[dim] = st.slider(f"z{dim}", float(low[dim]), float(high[dim]), float(code[dim]),
                                                step=float(high[dim] - low[dim]) / 100, format="%.2f",
                                                key=f"z-{context.stamp}-{dim}")
        st.button("Reset", on_click=reset, args=(chosen,), help="Back to the prior mean (VAE) or the median code.")
    image_column.plotly_chart(plots.single_image(autoencoder.decode(code[None])[0], "decoded code", height=320),
                              width="stretch", key="sampler_decoded")
    where = "[-3, 3] (standard deviations)" if autoencoder.is_variational else "the 1st..99th percentile of test codes"
    st.caption(f"Each slider spans {where}.")


@st.fragment
def random_samples():
    st.subheader("Random samples")
    seed_column, button_column = st.columns([1, 3], vertical_alignment="bottom")
    seed = seed_column.number_input("Seed", 0, 1_000_000, 0, key="sampler_seed")
    if button_column.button("Random samples", icon=":material/casino:"):
        st.session_state["sampler_shown_seed"] = int(seed)
    if "sampler_shown_seed" in st.session_state:
        shown = st.session_state["sampler_shown_seed"]
        images = ui.random_samples(context.model_name, context.stamp, context.dataset_name, SAMPLES, shown)
        st.plotly_chart(plots.single_image(plots.mosaic(images, 16), f"{SAMPLES} samples, seed {shown}", height=200),
                        width="stretch")
    source = "N(0, I), the VAE's prior" if autoencoder.is_variational else \
        "a Gaussian fitted to the test codes (mean and covariance)"
    st.caption(f"Codes drawn from {source}, then decoded.")


@st.fragment
def interpolation():
    st.subheader("Interpolation between two test images")
    count = len(context.dataset.x_test)
    first_column, second_column, steps_column = st.columns(3)
    first = first_column.number_input("From image", 0, count - 1, 0, key="sampler_from")
    second = second_column.number_input("To image", 0, count - 1, min(1, count - 1), key="sampler_to")
    steps = steps_column.slider("Steps", 3, 12, 8, key="sampler_steps")
    pair = context.dataset.x_test[[first, second]]
    line = ui.interpolation(context.model_name, context.stamp, context.dataset_name, first, second, steps)
    titles = [ui.label_of(context, first)] + [f"{weight:.2f}" for weight in np.linspace(0, 1, steps)] + \
        [ui.label_of(context, second)]
    st.plotly_chart(plots.image_strip(np.concatenate([pair[:1], line, pair[1:]]), titles, cell_px=72), width="stretch")
    st.caption("The ends are the originals; in between, the decoded straight line from one code to the other "
               "(weights 0 to 1). Smooth, plausible steps mean a well-organised latent space.")


one_dimension_at_a_time()
random_samples()
interpolation()
