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
