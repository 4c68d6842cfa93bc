"""The unwatermark network: the photo denoiser's network with a gate, `input + gate * correction`.

Why: fine-tuned as `input + correction`, the model changed clean pixels too (bright coins on dark came out darkened as
if they were white text; 3.5 dB under the watermarked input on held-out photos). A watermark covers a few percent of a
photo, so the network says *where* it acts: its decoder puts out, beside the correction (b, h, w, 3), a gate
(b, h, w, 1) in (0, 1) from a sigmoid, trained against the watermark's own mask (alpha > MASK_THRESHOLD), and only
gated pixels change. The gate's bias starts at GATE_BIAS (sigmoid -4 = 0.018), so the model starts as the identity.

Plain Keras layers only (Conv2D, Conv2DTranspose, Add, Multiply): it saves and loads as any photo model, and the tiler
(aecore.photo.tiling) calls it unchanged. The gate's 3x3 conv at full resolution adds 1 px to the receptive radius,
inside photonet.receptive_radius's slack. `training_model` shares every layer and also returns the gate, for the loss.
"""

import keras
import numpy as np
from keras import layers

from aecore.models import photonet

GATE_BIAS = -4.0  # sigmoid(-4) = 0.018: nearly closed, so a new model leaves the photo as it is
MASK_THRESHOLD = 0.02  # the watermark's alpha above which a pixel counts as marked (Watermark.mask's default)


def gated_decoder(latent_dim: int, options: photonet.PhotoOptions) -> keras.Model:
    """[code, half, full] -> [correction (b, h, w, 3), gate (b, h, w, 1)]: photonet.photo_decoder's layers (same
    names, so the denoiser's weights load by name) and the gate."""
    inputs, full = photonet.decoder_trunk(latent_dim, options)
    correction = layers.Conv2D(photonet.CHANNELS, 3, padding="same", name="correction")(full)
    gate = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="gate",
                         bias_initializer=keras.initializers.Constant(GATE_BIAS))(full)
    return keras.Model(inputs, [correction, gate], name="decoder")


def gated_models(latent_dim: int, options: photonet.PhotoOptions) -> tuple[keras.Model, keras.Model]:
    """(model: photo -> restored, training_model: photo -> [restored, gate]), sharing every layer."""
    encoder, decoder = photonet.photo_encoder(latent_dim, options), gated_decoder(latent_dim, options)
    images = keras.Input((None, None, photonet.CHANNELS), name="photo")
    correction, gate = decoder(encoder(images))
    gated = layers.Multiply(name="gated_correction")([gate, correction])  # (b, h, w, 3): the gate broadcasts
    restored = layers.Add(name="input_plus_correction")([images, gated])
    return keras.Model(images, restored, name="photo_unwatermark"), keras.Model(images, [restored, gate])


def from_denoiser(denoiser: keras.Model, options: photonet.PhotoOptions) -> tuple[keras.Model, keras.Model]:
    """gated_models with the denoiser's weights in every layer they share (the gate is new): the identity to start."""
    latent_dim = int(denoiser.get_layer("encoder").output[0].shape[-1])
    model, training_model = gated_models(latent_dim, options)
    for part in ("encoder", "decoder"):
        source = denoiser.get_layer(part)
        for layer in model.get_layer(part).layers:
            if layer.weights and layer.name != "gate":
                layer.set_weights(source.get_layer(layer.name).get_weights())
    return model, training_model


def single_output(training_model: keras.Model, threshold: float = 0.0) -> keras.Model:
    """The restored photo alone, from a (possibly reloaded) training model: what ships and what the tiler calls.

    `threshold` > 0 shuts the gate where it is below it (layers.ReLU's threshold: a gate of 0.3 under a threshold of
    0.5 becomes 0), so pixels the model is unsure of stay exactly as they came in."""
    if not threshold:
        return keras.Model(training_model.inputs, training_model.outputs[0], name="photo_unwatermark")
    encoder, decoder = training_model.get_layer("encoder"), training_model.get_layer("decoder")
    images = keras.Input((None, None, photonet.CHANNELS), name="photo")
    correction, gate = decoder(encoder(images))
    gate = layers.ReLU(threshold=float(threshold), name="gate_threshold")(gate)  # (b, h, w, 1): 0 below threshold
    gated = layers.Multiply(name="gated_correction")([gate, correction])
    restored = layers.Add(name="input_plus_correction")([images, gated])
    return keras.Model(images, restored, name="photo_unwatermark")


def is_gated(model: keras.Model) -> bool:
    return any(layer.name == "gate" for layer in model.get_layer("decoder").layers)


def gate_map(model: keras.Model, image: np.ndarray) -> np.ndarray:
    """(h, w, 3) with sides multiples of 4 -> (h, w) the gate: where the model thinks the watermark is."""
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    _, gate = decoder(encoder(np.asarray(image, np.float32)[None]))
    return keras.ops.convert_to_numpy(gate)[0, ..., 0]
