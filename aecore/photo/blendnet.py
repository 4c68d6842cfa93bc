"""The unwatermark network that inverts the blend: it predicts the watermark's opacity and colour, and the photo follows.

Why: a watermark is `photo * (1 - alpha) + colour * alpha` (aecore.photo.watermark), with alpha <= 0.75 in training,
so the photo is still in the pixels. aecore.photo.gatednet painted a correction over whatever its gate took for a
watermark (bright coins came out darkened); this network instead says how opaque the watermark is at each pixel and
what colour it has, and undoes the blend exactly:

    photo = (input - alpha * colour) / (1 - alpha) = input + alpha / (1 - alpha) * (input - colour)

With `z` the alpha head's logit, alpha = sigmoid(z) and alpha / (1 - alpha) = exp(z), so the inversion is plain Keras
layers (Activation, Subtract, Multiply, Add, ReLU, Rescaling): the model saves, loads and tiles as any photo model,
with no custom class. z is capped at ALPHA_LOGIT_MAX (alpha <= 0.9), so exp(z) stays finite.

The decoder (photonet.decoder_trunk, same layer names) has three heads at full resolution: `gate` (b, h, w, 1), the
chance that a pixel is marked, as gatednet's gate (its weights load from a gated model by name); `alpha_logit`
(b, h, w, 1); `colour` (b, h, w, 3) in (0, 1). At inference the inversion is shut (exactly 0) wherever the gate is below
a threshold or alpha below a floor, so clean pixels come out exactly as they went in.
"""

import keras
import numpy as np
from keras import layers, ops

from aecore.models import photonet

ALPHA_LOGIT_MAX = float(np.log(0.9 / 0.1))  # alpha <= 0.9: training draws opacities up to 0.75
ALPHA_BIAS = -4.0  # sigmoid(-4) = 0.018, exp(-4) = 0.018: a new alpha head leaves the photo nearly as it is
STEP_SHARPNESS = 1000.0  # the shut: min(1, max(0, 1000 * (gate - threshold))), 0 below the threshold, 1 from +0.001
CLEAN_WEIGHT = 3.0  # gate_loss: a clean pixel's cross-entropy counts this much more than a marked one's


def blend_decoder(latent_dim: int, options: photonet.PhotoOptions) -> keras.Model:
    """[code, half, full] -> [gate (b, h, w, 1), alpha logit (b, h, w, 1) <= ALPHA_LOGIT_MAX, colour (b, h, w, 3)]."""
    inputs, full = photonet.decoder_trunk(latent_dim, options)
    gate = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="gate")(full)
    logit = layers.Conv2D(1, 3, padding="same", name="alpha_logit",
                          bias_initializer=keras.initializers.Constant(ALPHA_BIAS))(full)
    # min(z, max) as plain layers: max - relu(max - z)
    below = layers.ReLU(name="alpha_logit_room")(layers.Rescaling(-1.0, ALPHA_LOGIT_MAX, name="alpha_logit_flip")(logit))
    logit = layers.Rescaling(-1.0, ALPHA_LOGIT_MAX, name="alpha_logit_capped")(below)
    colour = layers.Conv2D(photonet.CHANNELS, 3, padding="same", activation="sigmoid", name="colour")(full)
    return keras.Model(inputs, [gate, logit, colour], name="decoder")


def _shut(values, threshold: float, name: str):
    """(b, h, w, 1) -> 0 where `values` < threshold, 1 from threshold + 1/STEP_SHARPNESS on: a step in plain layers."""
    scaled = layers.Rescaling(STEP_SHARPNESS, -STEP_SHARPNESS * float(threshold), name=f"{name}_step")(values)
    return layers.ReLU(max_value=1.0, name=f"{name}_open")(scaled)


def _restored(images, gate, logit, colour, gate_threshold: float = 0.0, alpha_floor: float = 0.0):
    """The inverted blend, clipped to [0, 1]: images + exp(z) * open * (images - colour), (b, h, w, 3)."""
    gain = layers.Activation("exponential", name="gain")(logit)  # alpha / (1 - alpha), (b, h, w, 1)
    if gate_threshold:
        gain = layers.Multiply(name="gain_gated")([gain, _shut(gate, gate_threshold, "gate")])
    if alpha_floor:
        alpha = layers.Activation("sigmoid", name="alpha_for_floor")(logit)
        gain = layers.Multiply(name="gain_floored")([gain, _shut(alpha, alpha_floor, "alpha")])
    away = layers.Subtract(name="input_minus_colour")([images, colour])  # (b, h, w, 3)
    step = layers.Multiply(name="unblend")([gain, away])  # the gain broadcasts over the channels
    return layers.ReLU(max_value=1.0, name="restored")(layers.Add(name="input_plus_unblend")([images, step]))


def blend_models(latent_dim: int, options: photonet.PhotoOptions) -> tuple[keras.Model, keras.Model]:
    """(model: photo -> restored, training_model: photo -> [restored, gate, alpha, colour]), sharing every layer.
    Trained ungated: the alpha head itself must say 0 on clean pixels; the gate is a second guard at inference."""
    encoder, decoder = photonet.photo_encoder(latent_dim, options), blend_decoder(latent_dim, options)
    images = keras.Input((None, None, photonet.CHANNELS), name="photo")
    gate, logit, colour = decoder(encoder(images))
    restored = _restored(images, gate, logit, colour)
    alpha = layers.Activation("sigmoid", name="alpha")(logit)
    training = keras.Model(images, [restored, gate, alpha, colour], name="photo_unwatermark_training")
    return keras.Model(images, restored, name="photo_unwatermark"), training


def from_model(start: keras.Model, options: photonet.PhotoOptions) -> tuple[keras.Model, keras.Model]:
    """blend_models with `start`'s weights in every layer of the same name: a blend model gives all of them (a run
    continued), a gated one its trunk and gate, a denoiser its trunk. From a gated model the alpha head starts as its
    gate, 4 lower (the same detector, but alpha must stay small until it learns the opacity); a new colour head
    starts as Keras initialises it."""
    latent_dim = int(start.get_layer("encoder").output[0].shape[-1])
    model, training_model = blend_models(latent_dim, options)
    for part in ("encoder", "decoder"):
        source = {layer.name: layer for layer in start.get_layer(part).layers}
        for layer in model.get_layer(part).layers:
            if layer.weights and layer.name in source:
                layer.set_weights(source[layer.name].get_weights())
    if not is_blend(start) and "gate" in {layer.name for layer in start.get_layer("decoder").layers}:
        kernel, bias = start.get_layer("decoder").get_layer("gate").get_weights()
        model.get_layer("decoder").get_layer("alpha_logit").set_weights([kernel, bias + ALPHA_BIAS])
    return model, training_model


def single_output(training_model: keras.Model, gate_threshold: float = 0.0, alpha_floor: float = 0.0) -> keras.Model:
    """What ships and what the tiler calls: the restored photo alone, the inversion shut where the gate is under
    `gate_threshold` or alpha under `alpha_floor` (either 0: not used)."""
    encoder, decoder = training_model.get_layer("encoder"), training_model.get_layer("decoder")
    images = keras.Input((None, None, photonet.CHANNELS), name="photo")
    gate, logit, colour = decoder(encoder(images))
    restored = _restored(images, gate, logit, colour, gate_threshold, alpha_floor)
    return keras.Model(images, restored, name="photo_unwatermark")


def is_blend(model: keras.Model) -> bool:
    return any(layer.name == "alpha_logit" for layer in model.get_layer("decoder").layers)


def heads(model: keras.Model, image: np.ndarray) -> dict:
    """(h, w, 3) with sides multiples of 4 -> {"gate": (h, w), "alpha": (h, w), "colour": (h, w, 3)}."""
    gate, logit, colour = model.get_layer("decoder")(model.get_layer("encoder")(np.asarray(image, np.float32)[None]))
    return {"gate": ops.convert_to_numpy(gate)[0, ..., 0], "alpha": ops.convert_to_numpy(ops.sigmoid(logit))[0, ..., 0],
            "colour": ops.convert_to_numpy(colour)[0]}


def heads_model(model: keras.Model) -> keras.Model:
    """photo (b, h, w, 3) -> (b, h, w, 5): the gate, alpha, colour (3): what aecore.photo.unmarking pools."""
    images = keras.Input((None, None, photonet.CHANNELS), name="photo")
    gate, logit, colour = model.get_layer("decoder")(model.get_layer("encoder")(images))
    alpha = layers.Activation("sigmoid", name="alpha")(logit)
    return keras.Model(images, layers.Concatenate(name="heads")([gate, alpha, colour]), name="blend_heads")


def invert(image: np.ndarray, alpha: np.ndarray, colour: np.ndarray, gate: np.ndarray | None = None,
           gate_threshold: float = 0.0, alpha_floor: float = 0.0) -> np.ndarray:
    """The inversion in NumPy, as the model does it: (h, w, 3) watermarked, (h, w) alpha, (h, w, 3) or (3,) colour ->
    the photo, clipped to [0, 1]; pixels shut (gate < threshold or alpha < floor) are returned exactly as given."""
    image, alpha = np.asarray(image, np.float32), np.asarray(alpha, np.float32)
    opened = alpha >= alpha_floor if alpha_floor else np.ones(alpha.shape, bool)
    if gate is not None and gate_threshold:
        opened &= np.asarray(gate) >= gate_threshold
    gain = np.where(opened, alpha / np.maximum(1.0 - alpha, 1e-6), 0.0).astype(np.float32)[..., None]
    return np.clip(image + gain * (image - np.asarray(colour, np.float32)), 0.0, 1.0)


# The training losses: registered so a resumed checkpoint (compiled) loads them back.
@keras.saving.register_keras_serializable(package="aecore_blend")
def gate_loss(marked, gate):
    """Binary cross-entropy against the mask, a clean pixel's CLEAN_WEIGHT times a marked one's: a gate that opens on
    clean pixels costs most (those pixels were perfect as they came in)."""
    gate = ops.clip(gate, 1e-6, 1.0 - 1e-6)
    entropy = -(marked * ops.log(gate) + (1.0 - marked) * ops.log(1.0 - gate))
    return ops.mean(entropy * (1.0 + (CLEAN_WEIGHT - 1.0) * (1.0 - marked)), axis=(1, 2, 3))


@keras.saving.register_keras_serializable(package="aecore_blend")
def colour_loss(colour_and_marked, colour):
    """Squared error of the colour where the watermark is (the target's 4th channel is the mask), per marked pixel."""
    target, marked = colour_and_marked[..., :3], colour_and_marked[..., 3:]
    error = ops.sum(marked * ops.square(colour - target), axis=(1, 2, 3))
    return error / (3.0 * ops.sum(marked, axis=(1, 2, 3)) + 1.0)
