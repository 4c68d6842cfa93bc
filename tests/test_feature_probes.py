"""inspection.feature_maps: one traced graph per model gives what Keras gives layer by layer, for image models
(Conv2D) and series models (Conv1D; an LSTM's hidden state at every step, whose last is the code)."""

import keras
import numpy as np
import pytest

from aecore.analysis import inspection
from aecore.data import owndata
from aecore.store import modelstore


def eager_outputs(model, layer_names, inputs) -> list[np.ndarray]:
    """The reference, computed another way: an eager Keras model per layer, batch axis dropped."""
    return [keras.ops.convert_to_numpy(keras.Model(model.inputs[0], model.get_layer(name).output)(inputs))[0]
            for name in layer_names]


@pytest.fixture(scope="module")
def series_models(series_store):
    root, names = series_store
    store = modelstore.ModelStore(root)
    return {family: store.load(name) for family, name in names.items()}, owndata.load("kdd", root)


def test_image_model_maps_equal_keras_layer_by_layer(trained, digits):
    model, image = trained["conv"], digits.x_test[3:4]
    maps = inspection.feature_maps(model, image)
    encoder = [label.split(" / ")[1] for label, _ in maps if label.startswith("encoder")]
    decoder = [label.split(" / ")[1] for label, _ in maps if label.startswith("decoder")]
    assert encoder and decoder
    expected = (eager_outputs(model.encoder, encoder, image) +
                eager_outputs(model.decoder, decoder, model.encode(image)))
    for (label, activation), reference in zip(maps, expected, strict=True):
        np.testing.assert_allclose(activation, reference, atol=1e-5, err_msg=label)
    assert maps[0][1].ndim == 3  # (h, w, channels)


def test_conv1d_channels_over_time(series_models):
    (models, data) = series_models
    model, window = models["conv1d"], data.x_test[10:11]  # (1, 32, 1, 1)
    maps = dict(inspection.feature_maps(model, window))
    assert list(maps) == ["encoder / conv_1", "encoder / conv_2", "decoder / deconv_1", "decoder / deconv_2",
                          "decoder / decoder_values"]
    assert [activation.shape[0] for activation in maps.values()] == [16, 8, 16, 32, 32]  # stride 2 down, then up
    assert maps["decoder / decoder_values"].shape == (32, 1)  # (time, channels): the window's values, uncropped
    np.testing.assert_allclose(maps["decoder / decoder_values"][:, 0], model.reconstruct(window)[0, :, 0, 0], atol=1e-5)
    reference = eager_outputs(model.encoder, ["conv_1"], window)[0]
    np.testing.assert_allclose(maps["encoder / conv_1"], reference, atol=1e-5)


def test_lstm_hidden_states_over_time_end_at_the_code(series_models):
    (models, data) = series_models
    model, window = models["lstm_seq"], data.x_test[20:21]
    maps = dict(inspection.feature_maps(model, window))
    assert list(maps) == ["encoder / encoder_lstm", "encoder / code", "decoder / decoder_lstm_1",
                          "decoder / decoder_lstm_2"]
    code_states = maps["encoder / code"]
    assert code_states.shape == (32, model.latent_dim)  # the code LSTM's hidden state at each of the 32 steps
    np.testing.assert_allclose(code_states[-1], model.encode(window)[0], atol=1e-5)  # its last state is the code
    assert np.abs(code_states[0] - code_states[-1]).max() > 1e-3  # and the states move over the window
    reference = eager_outputs(model.encoder, ["encoder_lstm"], window)[0]
    np.testing.assert_allclose(maps["encoder / encoder_lstm"], reference, atol=1e-5)


def test_a_model_without_probed_layers_has_none(trained, digits):
    assert inspection.feature_maps(trained["dense"], digits.x_test[0]) == []


def test_a_window_of_the_wrong_length_says_which_shape_fits(series_models):
    from aecore.errors import ModelError

    (models, _) = series_models
    with pytest.raises(ModelError, match=r"takes images of shape \(32, 1, 1\); got \(16, 1, 1\)"):
        inspection.feature_maps(models["conv1d"], np.zeros((1, 16, 1, 1), "float32"))
