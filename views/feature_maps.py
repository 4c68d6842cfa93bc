"""Feature maps: what each conv layer responds to for one test image, and what the codes look like."""

import streamlit as st

from dashboard import plots
from dashboard.sections import images
from dashboard.state import sidebar
from dashboard.text import md

context = sidebar.sidebar(page="feature_maps")
st.title("Feature maps")
st.caption("Look inside the model: the activations of its layers for one test image, then the codes it writes.")
sidebar.require_model(context, "The feature maps page")

autoencoder, test_images, labels = context.model, context.dataset.x_test, context.dataset.y_test
key = context.ref


@st.fragment
def one_image():
    """The picked image, its reconstruction, code and feature maps: a pick reruns only this part, not the codes'
    heat map and bars below, which do not depend on it (bench/class_load.py: they were 40% of a pick's CPU)."""
    picker, original, rebuilt, code_column = st.columns([2, 2, 2, 5])
    index = int(picker.number_input("Test image", 0, len(test_images) - 1, 0,
                                    help=f"An index into the {len(test_images):,} test images."))
    picker.caption(f"Image {sidebar.label_of(context, index, markdown=True)} · {autoencoder.family} model, code of "
                   f"{' × '.join(map(str, autoencoder.code_shape))} numbers")
    probe = images.image_probe(key, index)
    original_title = f"original {sidebar.label_of(context, index)}"
    original.plotly_chart(plots.single_image(test_images[index], original_title, height=230), width="stretch")
    rebuilt.plotly_chart(plots.single_image(probe.reconstruction, "reconstruction", height=230), width="stretch")
    rebuilt.caption(f"BCE {probe.bce:.3f} against the original (lower is better)")
    if probe.code.ndim == 3:  # a spatial code: (h, w, latent_dim) maps
        code_column.plotly_chart(plots.channel_grid(probe.code, "its code: one tile per code channel"), width="stretch")
    else:
        mean_note = " (the VAE's mean)" if autoencoder.is_variational else ""
        code_column.plotly_chart(plots.code_bars(probe.code, f"its code{mean_note}"), width="stretch")

    st.subheader("Feature maps of the conv layers")
    if not probe.layers:
        st.info(f"**{md(context.model_name)}** is a {autoencoder.family} model with no convolutional layers, so there are no "
                "feature maps to show. Pick or train a conv, denoising or conv-VAE model to see them; the codes are below.")
    else:
        st.caption("One grey tile per channel (filter), each scaled to its own range: bright means a strong response. "
                   "The encoder shrinks the image into the code; the decoder grows it back.")
        for start in range(0, len(probe.layers), 3):
            for column, (label, activation) in zip(st.columns(3), probe.layers[start : start + 3]):
                height, width, channels = activation.shape
                title = f"{label}: {channels} channel{'s' if channels > 1 else ''} of {height}×{width}"
                column.plotly_chart(plots.feature_map_grid(activation, title), width="stretch")


one_image()

st.subheader("Codes of many images")
statistics = images.code_statistics(key, min(images.CODE_SAMPLE, len(test_images)))
shown = min(100, len(statistics.codes))
st.plotly_chart(plots.code_heatmap(statistics.codes[:shown], None if labels is None else labels[:shown],
                                   context.dataset.class_names, f"Codes of the first {shown} test images"),
                width="stretch")
st.caption("Each column is one image's code, each row one code dimension. When images of one class share a "
           "pattern, the code has learned what tells the classes apart.")

st.subheader("How much of the code is used")
dims = statistics.codes.shape[1]
active, share, size = st.columns(3)
active.metric("Active dimensions", f"{statistics.active_units} of {dims}", border=True,
              help="Dimensions whose value varies across images (variance > 0.01); the others carry no information.")
share.metric("Non-zero units per image", f"{statistics.active_share:.0%}", border=True,
             help="Share of code values with |value| > 0.001. Sparse (e.g. ReLU or L1) codes switch most units off.")
size.metric("Images measured", f"{len(statistics.codes):,}", border=True, help="The first test images.")
if statistics.kl_per_dim is not None:
    figure = plots.dimension_bars(statistics.kl_per_dim, "KL divergence to the prior, per dimension", "KL (nats)", 0.01)
    caption = ("A VAE pays KL for every dimension it uses; a grey one (KL near 0) has collapsed to the prior "
               "and carries nothing about the image.")
else:
    figure = plots.dimension_bars(statistics.variance, "Variance of each code dimension", "variance", 0.01)
    caption = ("Grey dimensions hardly vary across images (variance ≤ 0.01): they are unused, the decoder "
               "learns nothing from them.")
st.plotly_chart(figure, width="stretch")
st.caption(caption)
