"""The decoder export for the browser: every family's decoder exports, batch norm folds, and a layer or
wiring the browser cannot run is refused with a message that names it. (The numbers themselves are
checked against Keras in Chromium: tests/browser/test_5_live_decoder.py.)"""

import keras
import numpy as np
import pytest
from keras import layers

from aecore.models import families, webexport
from aecore.models.webexport import WebExportError

# The families that decode a code into an image (the photo family is a denoiser with skip inputs).
CODE_FAMILIES = ["dense", "sparse", "deep", "conv", "denoising", "vae", "lstm", "linear", "contractive"]


@pytest.mark.parametrize("family", CODE_FAMILIES)
def test_every_family_decoder_exports_all_its_weights(family):
    autoencoder = families.build(family, (28, 28, 1), families.FAMILIES[family].latent_dim)
    web = webexport.export_decoder(autoencoder.decoder)
    assert web.spec["format"] == webexport.FORMAT
    assert web.spec["input_shape"] == list(autoencoder.code_shape) and web.spec["output_shape"] == [28, 28, 1]
    assert web.size == 4 * autoencoder.decoder.count_params()  # float32, nothing dropped or duplicated
    first = web.spec["layers"][0]
    if first["type"] == "dense":
        np.testing.assert_array_equal(webexport.weights_from_bytes(web.weights, first["kernel"]),
                                      np.asarray(autoencoder.decoder.get_layer(first["name"]).kernel))


def test_batch_norm_after_a_linear_layer_is_folded_into_it():
    codes = keras.Input((4,))
    hidden = layers.BatchNormalization(name="norm")(layers.Dense(6, name="linear")(codes))
    model = keras.Model(codes, layers.Dense(3, activation="relu", name="out")(layers.Dropout(0.5)(hidden)))
    norm = model.get_layer("norm")
    norm.moving_mean.assign(np.arange(6, dtype="float32"))
    norm.moving_variance.assign(np.full(6, 4.0, dtype="float32"))
    norm.gamma.assign(np.full(6, 3.0, dtype="float32"))
    web = webexport.export_decoder(model)
    assert [layer["type"] for layer in web.spec["layers"]] == ["dense", "dense"]  # folded; dropout dropped
    folded = web.spec["layers"][0]
    kernel = webexport.weights_from_bytes(web.weights, folded["kernel"])
    scale = 3.0 / np.sqrt(4.0 + norm.epsilon)
    np.testing.assert_allclose(kernel, np.asarray(model.get_layer("linear").kernel) * scale, rtol=1e-6)


def test_batch_norm_after_an_activation_stays_a_scale_and_shift():
    codes = keras.Input((4,))
    model = keras.Model(codes, layers.BatchNormalization()(layers.Dense(6, activation="relu")(codes)))
    assert [layer["type"] for layer in webexport.export_decoder(model).spec["layers"]] == ["dense", "scale_shift"]


def test_a_layer_the_browser_cannot_run_is_named():
    codes = keras.Input((4, 4, 2))
    model = keras.Model(codes, layers.Conv2D(1, 3, dilation_rate=2, padding="same", name="dilated")(codes))
    with pytest.raises(WebExportError, match=r"layer 'dilated' is a Conv2D \(dilation or groups\).*runs Dense, Conv2D"):
        webexport.export_decoder(model)
    attention = keras.Input((5, 3))
    model = keras.Model(attention, layers.LayerNormalization(name="norm")(attention))
    with pytest.raises(WebExportError, match="layer 'norm' is a LayerNormalization"):
        webexport.export_decoder(model)


def test_an_unknown_activation_is_named():
    codes = keras.Input((4,))
    model = keras.Model(codes, layers.Dense(3, activation="softmax", name="probabilities")(codes))
    with pytest.raises(WebExportError, match="activation 'softmax'; supported: relu, sigmoid"):
        webexport.export_decoder(model)


def test_a_decoder_with_a_skip_connection_is_refused():
    codes = keras.Input((4,))
    hidden = layers.Dense(4, activation="relu")(codes)
    model = keras.Model(codes, layers.Add()([codes, hidden]), name="skip")
    with pytest.raises(WebExportError, match="'skip' is not a plain chain of layers"):
        webexport.export_decoder(model)


# ---------------------------------------------------------------- the encoder: image -> code

# Every fixed-size image family with its options that change the encoder's layers.
ENCODER_CASES = [(family, {}) for family in ("dense", "sparse", "deep", "stacked", "conv", "denoising", "vae", "lstm",
                                             "linear", "contractive")] + [
    ("conv", {"sampling": "pooling"}), ("conv", {"code": "spatial"}), ("vae", {"variant": "conv"})]


def reference_forward(web: webexport.WebDecoder, inputs: np.ndarray) -> np.ndarray:
    """The exported layer list run in NumPy (float64), one image at a time: a second reading of the spec that
    does not go through Keras, for the layers encoders use."""
    def weight(reference):
        return webexport.weights_from_bytes(web.weights, reference).astype("float64")
    outputs = []
    for values in inputs.astype("float64"):
        for layer in web.spec["layers"]:
            values = REFERENCE_LAYERS[layer["type"]](layer, values, weight)
        outputs.append(np.asarray(values).ravel())
    return np.stack(outputs)


def _activate(spec, values):
    return {"linear": lambda v: v, "relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
            "tanh": np.tanh}[spec["name"]](values)


def _ref_conv(layer, values, weight):
    (kh, kw), (sh, sw), (out_h, out_w, _) = layer["kernel_size"], layer["strides"], layer["output_shape"]
    height, width, _ = values.shape
    if layer["padding"] == "same":
        pad_h, pad_w = max((out_h - 1) * sh + kh - height, 0), max((out_w - 1) * sw + kw - width, 0)
        values = np.pad(values, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(values, (kh, kw), axis=(0, 1))[::sh, ::sw][:out_h, :out_w]
    summed = np.einsum("yxcij,ijcf->yxf", windows, weight(layer["kernel"])) + weight(layer["bias"])  # (oh, ow, f)
    return _activate(layer["activation"], summed)


def _ref_maxpool(layer, values, weight):
    (ph, pw), (out_h, out_w, _) = layer["pool_size"], layer["output_shape"]
    assert layer["strides"] == [ph, pw]  # what the families use; decoder_math.js runs any stride
    if layer["padding"] == "same":  # Keras pads after (bottom, right) with what never wins
        height, width, _ = values.shape
        values = np.pad(values, ((0, out_h * ph - height), (0, out_w * pw - width), (0, 0)), constant_values=-np.inf)
    return values[: out_h * ph, : out_w * pw].reshape(out_h, ph, out_w, pw, -1).max(axis=(1, 3))


def _ref_lstm(layer, values, weight):
    kernel, recurrent, bias = weight(layer["kernel"]), weight(layer["recurrent_kernel"]), weight(layer["bias"])
    units = layer["units"]
    hidden, cell = np.zeros(units), np.zeros(units)
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))
    for step in values:
        gates = step @ kernel + hidden @ recurrent + bias  # (4 units,): i, f, c, o
        i, f, c, o = np.split(gates, 4)
        cell = sigmoid(f) * cell + sigmoid(i) * np.tanh(c)
        hidden = sigmoid(o) * np.tanh(cell)
    assert not layer["return_sequences"]
    return hidden


REFERENCE_LAYERS = {
    "reshape": lambda layer, values, weight: values.reshape(layer["target_shape"]),
    "dense": lambda layer, values, weight: _activate(layer["activation"],
                                                     values @ weight(layer["kernel"]) + weight(layer["bias"])),
    "conv2d": _ref_conv, "maxpool2d": _ref_maxpool, "lstm": _ref_lstm,
}


@pytest.mark.parametrize("family, options", ENCODER_CASES)
def test_every_image_family_encoder_exports_and_its_layer_list_gives_its_codes(family, options, digits):
    autoencoder = families.build(family, (8, 8, 1), 4, options)  # digits' size: small and quick
    web = webexport.export_encoder(autoencoder)
    assert web.spec["role"] == "encoder" and web.spec["input_shape"] == [8, 8, 1]
    assert web.spec["output_shape"] == list(autoencoder.code_shape)
    images = digits.x_test[:16]
    expected = autoencoder.encode(images).reshape(len(images), -1)  # a VAE's z_mean
    np.testing.assert_allclose(reference_forward(web, images), expected, atol=1e-4)
    if family != "vae":  # a VAE's z_log_var branch stays on the server: it is the one thing left out
        assert web.size == 4 * autoencoder.encoder.count_params()
    else:
        assert web.size < 4 * autoencoder.encoder.count_params()


def test_an_encoder_the_browser_cannot_run_says_why():
    series = families.build("conv1d", (64, 1, 1), 8)
    with pytest.raises(WebExportError, match="layer 'conv_1' is a Conv1D, which the browser does not run"):
        webexport.export_encoder(series)
    photo = families.build("photo", (32, 32, 1), families.FAMILIES["photo"].latent_dim)
    with pytest.raises(WebExportError, match="the encoder 'encoder' has 3 outputs and is not a VAE's"):
        webexport.export_encoder(photo)
