"""Feature maps: what each conv layer responds to for one test image (on a series: each Conv1D channel and LSTM hidden
unit over one window's steps), and what the codes look like."""

import numpy as np
import streamlit as st

from dashboard import plots, series_plots, vega_plots
from dashboard.sections import images
from dashboard.state import sidebar
from dashboard.text import md

context = sidebar.sidebar(page="feature_maps")
st.title("Feature maps")
st.caption(f"Look inside the model: the activations of its layers for one test {context.noun}, then the codes it "
           "writes.")
sidebar.require_model(context, "The feature maps page")

autoencoder, test_images, labels = context.model, context.dataset.x_test, context.dataset.y_test
key = context.ref


@st.fragment
def one_image():
    """The picked image, its reconstruction, code and feature maps: a pick reruns only this part, not the codes'
    heat map and bars below, which do not depend on it (bench/class_load.py: they were 40% of a pick's CPU)."""
    picker, original, rebuilt, code_column = st.columns([2, 2, 2, 5]) if not context.is_series else (
        st.columns([2, 6, 4]) + [None])
    index = int(picker.number_input(f"Test {context.noun}", 0, len(test_images) - 1, 0,
                                    help=f"An index into the {len(test_images):,} test {context.noun}s."))
    picker.caption(f"{context.noun.capitalize()} {sidebar.label_of(context, index, markdown=True)} · "
                   f"{autoencoder.family} model, code of {' × '.join(map(str, autoencoder.code_shape))} numbers")
    probe = images.image_probe(key, index)
    if context.is_series:
        steps = window_steps(index)
        window_and_code(index, steps, probe, original, rebuilt)
        series_layers(probe.layers, steps)
        return
    original_title = f"original {sidebar.label_of(context, index)}"
    images.show_picture(original, test_images[index], original_title)
    images.show_picture(rebuilt, probe.reconstruction, "reconstruction")
    rebuilt.caption(f"BCE {probe.bce:.3f} against the original (lower is better)")
    if probe.code.ndim == 3:  # a spatial code: (h, w, latent_dim) maps
        images.show_picture(code_column, probe.code, "its code: one tile per code channel", columns=8)
    else:
        code_column.vega_lite_chart(spec=code_bars(probe.code), width="stretch")
    image_layers(probe.layers)


def code_bars(code):
    mean_note = " (the VAE's mean)" if autoencoder.is_variational else ""
    return vega_plots.code_bars(code, f"its code{mean_note}")


def image_layers(layers):
    st.subheader("Feature maps of the conv layers")
    if not layers:
        st.info(f"**{md(context.model_name)}** is a {autoencoder.family} model with no convolutional layers, so there "
                "are no feature maps to show. Pick or train a conv, denoising or conv-VAE model to see them; the codes "
                "are below.")
        return
    st.caption("One grey tile per channel (filter), each scaled to its own range: bright means a strong response. "
               "The encoder shrinks the image into the code; the decoder grows it back.")
    for start in range(0, len(layers), 3):
        for column, (label, activation) in zip(st.columns(3), layers[start : start + 3]):
            height, width, channels = activation.shape
            title = f"{label}: {channels} channel{'s' if channels > 1 else ''} of {height}×{width}"
            images.show_picture(column, activation, title)


def window_steps(index: int) -> np.ndarray:
    """The window's steps in the whole series: the x axis of its lines and of every layer's strips."""
    start = int(context.dataset.test_starts[index])
    return np.arange(start, start + context.dataset.window)


def window_and_code(index: int, steps, probe, lines_column, code_column):
    """A series window and its reconstruction as lines (values as the model sees them), then its code's bars."""
    curves = [("window", test_images[index]), ("reconstruction", probe.reconstruction)]
    lines = series_plots.window_lines(curves, context.dataset.columns, steps=steps, height=300)
    lines.update_layout(legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"))  # clear of the axis
    lines_column.plotly_chart(lines, width="stretch")
    error = float(np.mean((np.asarray(test_images[index]) - probe.reconstruction) ** 2))
    lines_column.caption(f"MSE {error:.4f} against the window (lower is better; values scaled so the training part "
                         "spans 0 to 1)")
    code_column.vega_lite_chart(spec=code_bars(probe.code), width="stretch")


def series_layers(layers, steps):
    st.subheader("Channels over time")
    st.caption("One strip per channel of each layer across the window's steps, each scaled to its own range: bright "
               "means a strong response. A Conv1D layer's channels are its filters (a strided one has fewer steps, "
               "each placed over the steps it covers); an LSTM layer's are its hidden units, their state after each "
               "step: the code LSTM's last step is the code.")
    for start in range(0, len(layers), 2):
        for column, (label, activation) in zip(st.columns(2), layers[start : start + 2]):
            length, channels = activation.shape
            title = f"{label}: {channels} channel{'s' if channels > 1 else ''} over {length} steps"
            column.plotly_chart(plots.time_strips(activation, title, steps), width="stretch")


one_image()

st.subheader(f"Codes of many {context.noun}s")
statistics = images.code_statistics(key, min(images.CODE_SAMPLE, len(test_images)))
shown = min(100, len(statistics.codes))
st.vega_lite_chart(spec=vega_plots.code_heatmap(
    statistics.codes[:shown], None if labels is None else labels[:shown], context.dataset.class_names,
    f"Codes of the first {shown} test {context.noun}s"), width="stretch")
st.caption(f"Each column is one {context.noun}'s code, each row one code dimension. When {context.noun}s of one class "
           "share a pattern, the code has learned what tells the classes apart.")

st.subheader("How much of the code is used")
dims = statistics.codes.shape[1]
active, share, size = st.columns(3)
active.metric("Active dimensions", f"{statistics.active_units} of {dims}", border=True,
              help=f"Dimensions whose value varies across {context.noun}s (variance > 0.01); the others carry no "
                   "information.")
share.metric(f"Non-zero units per {context.noun}", f"{statistics.active_share:.0%}", border=True,
             help="Share of code values with |value| > 0.001. Sparse (e.g. ReLU or L1) codes switch most units off.")
size.metric(f"{context.noun.capitalize()}s measured", f"{len(statistics.codes):,}", border=True,
            help=f"The first test {context.noun}s.")
if statistics.kl_per_dim is not None:
    figure = vega_plots.dimension_bars(statistics.kl_per_dim, "KL divergence to the prior, per dimension", "KL (nats)", 0.01)
    caption = ("A VAE pays KL for every dimension it uses; a grey one (KL near 0) has collapsed to the prior "
               f"and carries nothing about the {context.noun}.")
else:
    figure = vega_plots.dimension_bars(statistics.variance, "Variance of each code dimension", "variance", 0.01)
    caption = (f"Grey dimensions hardly vary across {context.noun}s (variance ≤ 0.01): they are unused, the decoder "
               "learns nothing from them.")
st.vega_lite_chart(spec=figure, width="stretch")
st.caption(caption)
