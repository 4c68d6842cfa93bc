"""The watermark detector: a small U-Net at full resolution that says where a watermark is, how opaque and what colour.

Why: blendnet's heads see the photo through one 32-channel conv at full resolution and a trunk built for denoising;
measured on the whole held-out photos (bench/RESULTS.md, "Restore, fourth session"), its gate's mean on marked
pixels is 0.05-0.6 and coloured watermarks are hardly found at all, while the true opacity alone would be worth
+4 dB. A watermark's strokes are 1-4 px wide, so this network keeps full resolution all the way through: two convs
at full, half and quarter resolution on the way down (the quarter ones alternate dilation 1 and 2 for context), and
on the way up the skips are concatenated, the photo itself included, so the last convs see the exact pixels.

Outputs (plain layers, so it saves and loads in safe mode): `mask_logit` (b, h, w, 1), the logit of "this pixel is
marked" (alpha > watermark.MASK_THRESHOLD); `alpha` (b, h, w, 1) in (0, 1); `colour` (b, h, w, 3) in (0, 1). The
photo is recovered outside the network (aecore.photo.unmarking): the mask, grown by hysteresis, and the opacity and
colour pooled over each mark. Receptive radius about 42 px (RECEPTIVE_RADIUS), inside the photo network's 56, so
the tiler's overlap covers it; sides must be multiples of 4.
"""

import keras
import numpy as np
from keras import layers, ops

WIDTHS = (24, 48, 96)  # channels at full, half and quarter resolution (~0.45 M parameters)
QUARTER_CONVS = 4  # at quarter resolution, dilation 1, 2, 1, 2: context for a letter's shape
RECEPTIVE_RADIUS = 42  # pixels on each side that can change one output pixel (39 measured with an impulse)
ALPHA_LOGIT_MAX = float(np.log(0.9 / 0.1))  # alpha <= 0.9: training draws opacities up to 0.75
SHUT_UNDER = 0.5  # single_output: the inversion is shut where the mask's chance is under this
DICE_WEIGHT = 1.0  # mask_loss: the Dice term beside the cross-entropy (a thin stroke is few pixels of a patch)
# whole_mask_loss: a clean pixel's cross-entropy counts this many times a marked one's. False opens are what cost: every
# clean pixel the mask takes in is changed (the fourth session's U-Net opened 12% of clean pixels at 0.5)
CLEAN_WEIGHT = 3.0


def _conv(filters: int, name: str, strides: int = 1, dilation: int = 1, activation: str | None = "relu"):
    return layers.Conv2D(filters, 3, strides=strides, dilation_rate=dilation, padding="same", activation=activation,
                         name=name)


def detector_encoder(widths: tuple[int, int, int] = WIDTHS, quarter_convs: int = QUARTER_CONVS) -> keras.Model:
    """photo (b, h, w, 3) -> [quarter (b, h/4, w/4, w2), half (b, h/2, w/2, w1), full (b, h, w, w0 + 3)]: the photo
    itself rides along in the full-resolution skip, so the last convs see its exact pixels."""
    full_width, half_width, quarter_width = (int(width) for width in widths)
    images = keras.Input((None, None, 3), name="image")
    full = _conv(full_width, "full_in_1")(images)
    full = _conv(full_width, "full_in_2")(full)  # (b, h, w, w0)
    half = _conv(half_width, "down_1", strides=2)(full)
    half = _conv(half_width, "half_in")(half)  # (b, h/2, w/2, w1)
    quarter = _conv(quarter_width, "down_2", strides=2)(half)
    for number in range(quarter_convs):  # residual, so the dilated context adds to what the strokes look like
        inner = _conv(quarter_width, f"quarter_{number}", dilation=1 + number % 2)(quarter)
        quarter = layers.Add(name=f"quarter_{number}_add")([quarter, inner])
    full = layers.Concatenate(name="full_with_photo")([full, images])
    return keras.Model(images, [quarter, half, full], name="encoder")


def detector_decoder(widths: tuple[int, int, int] = WIDTHS) -> keras.Model:
    """[quarter, half, full] -> [mask_logit (b, h, w, 1), alpha_logit (b, h, w, 1) <= ALPHA_LOGIT_MAX, colour
    (b, h, w, 3)]; the skips are concatenated, not added (a stroke's edge must survive to the heads)."""
    full_width, half_width, quarter_width = (int(width) for width in widths)
    quarter = keras.Input((None, None, quarter_width), name="code")
    half_skip = keras.Input((None, None, half_width), name="half_skip")
    full_skip = keras.Input((None, None, full_width + 3), name="full_skip")
    up = layers.Conv2DTranspose(half_width, 3, strides=2, padding="same", activation="relu", name="up_1")(quarter)
    half = _conv(half_width, "half_out")(layers.Concatenate(name="half_concat")([up, half_skip]))
    up = layers.Conv2DTranspose(full_width, 3, strides=2, padding="same", activation="relu", name="up_2")(half)
    full = _conv(full_width, "full_out_1")(layers.Concatenate(name="full_concat")([up, full_skip]))
    full = _conv(full_width, "full_out_2")(full)
    return keras.Model([quarter, half_skip, full_skip], _heads(full), name="decoder")


def detector_models(widths: tuple[int, int, int] = WIDTHS) -> tuple[keras.Model, keras.Model]:
    """(model: photo -> restored, training_model: photo -> [mask_logit, alpha, colour]), sharing every layer. The
    model inverts the blend where the mask's chance is SHUT_UNDER or more (blendnet's plain-layer inversion): what a
    caller of the Keras model alone gets; aecore.photo.unmarking does better from the heads (pooled per mark)."""
    encoder, decoder = detector_encoder(widths), detector_decoder(widths)
    images = keras.Input((None, None, 3), name="photo")
    mask_logit, logit, colour = decoder(encoder(images))
    alpha = layers.Activation("sigmoid", name="alpha")(logit)
    training = keras.Model(images, [mask_logit, alpha, colour], name="watermark_detector_training")
    return single_output(training), training


def single_output(training_model: keras.Model) -> keras.Model:
    """photo -> the blend inverted where the mask's chance is at least SHUT_UNDER (exactly the input elsewhere)."""
    from aecore.photo import blendnet

    images = keras.Input((None, None, 3), name="photo")
    mask_logit, logit, colour = _outputs(training_model, images)
    chance = layers.Activation("sigmoid", name="mask_chance")(mask_logit)
    restored = blendnet._restored(images, chance, logit, colour, gate_threshold=SHUT_UNDER)
    return keras.Model(images, restored, name="photo_unwatermark")


def _outputs(model: keras.Model, images, with_gate: bool = False) -> list:
    """[mask_logit, alpha_logit, colour] of a detector or a refined blend model (is_refined) for `images`; with
    `with_gate`, a refined model's blend gate (b, h, w, 1) after them (the trunk run once for both)."""
    if not is_refined(model):
        return model.get_layer("decoder")(model.get_layer("encoder")(images))
    gate, logit, colour, trunk = model.get_layer("decoder")(model.get_layer("encoder")(images))
    alpha = layers.Activation("sigmoid", name="blend_alpha")(logit)
    guesses = layers.Concatenate(name="blend_heads")([gate, alpha, colour])
    return [*model.get_layer("refiner")([images, trunk, guesses]), *([gate] if with_gate else [])]


# ---------------------------------------------------------------- the refined blend model

REFINE_WIDTH = 32  # channels of the refiner's three full-resolution convs
REFINED_RADIUS = 64  # blendnet's 56 (photonet.receptive_radius) + the refiner's 1 + 2 + 1 + 1, rounded up


def refiner(trunk_width: int, width: int = REFINE_WIDTH) -> keras.Model:
    """[photo (b, h, w, 3), the blend trunk's full-resolution features (b, h, w, trunk_width), its heads (b, h, w, 5):
    gate, alpha, colour] -> [mask_logit, alpha_logit, colour], as detector_decoder's: three convs at full resolution
    (the middle one dilated) that see the exact pixels beside what the trained blend network made of them."""
    photo = keras.Input((None, None, 3), name="photo")
    trunk = keras.Input((None, None, trunk_width), name="trunk")
    guesses = keras.Input((None, None, 5), name="guesses")
    features = layers.Concatenate(name="refine_inputs")([photo, trunk, guesses])
    features = _conv(width, "refine_1")(features)
    features = _conv(width, "refine_2", dilation=2)(features)
    features = _conv(width, "refine_3")(features)
    return keras.Model([photo, trunk, guesses], _heads(features), name="refiner")


def _heads(features) -> list:
    """[mask_logit, alpha_logit <= ALPHA_LOGIT_MAX (min(z, max) as plain layers, as blendnet caps it: the inversion's
    gain stays finite), colour] from full-resolution features."""
    mask_logit = layers.Conv2D(1, 3, padding="same", name="mask_logit")(features)
    logit = layers.Conv2D(1, 3, padding="same", name="alpha_logit")(features)
    below = layers.ReLU(name="alpha_logit_room")(layers.Rescaling(-1.0, ALPHA_LOGIT_MAX, name="alpha_logit_flip")(logit))
    logit = layers.Rescaling(-1.0, ALPHA_LOGIT_MAX, name="alpha_logit_capped")(below)
    colour = layers.Conv2D(3, 3, padding="same", activation="sigmoid", name="colour")(features)
    return [mask_logit, logit, colour]


def refined_models(blend: keras.Model) -> tuple[keras.Model, keras.Model]:
    """(model: photo -> restored, training_model: photo -> [mask_logit, alpha, colour]) from a trained blend model
    (aecore.photo.blendnet), frozen, and a new refiner on top: the blend network already finds some of the watermark
    (its gate), so the refiner starts from its guesses instead of from nothing."""
    encoder, blend_decoder = blend.get_layer("encoder"), blend.get_layer("decoder")
    trunk = blend_decoder.get_layer("full_skip_add").output  # (b, h, w, 32)
    decoder = keras.Model(blend_decoder.inputs, [*blend_decoder.outputs, trunk], name="decoder")
    encoder.trainable = decoder.trainable = False
    images = keras.Input((None, None, 3), name="photo")
    gate, logit, colour, features = decoder(encoder(images))
    alpha = layers.Activation("sigmoid", name="blend_alpha")(logit)
    guesses = layers.Concatenate(name="blend_heads")([gate, alpha, colour])
    mask_logit, logit, colour = refiner(int(features.shape[-1]))([images, features, guesses])
    alpha = layers.Activation("sigmoid", name="alpha")(logit)
    training = keras.Model(images, [mask_logit, alpha, colour], name="refined_detector_training")
    return single_output(training), training


def training_from_shipped(shipped: keras.Model) -> keras.Model:
    """photo -> [mask_logit, alpha, colour], the training network refined_models makes, rebuilt from a shipped refined
    model (keras.models.load_model of its model.keras: layers "encoder", "decoder" with the trunk output, "refiner"),
    sharing its layers and so its weights: training it goes on from what ships. Its trainable flags are the shipped
    layers' own (unfreeze to train the trunk)."""
    if not is_refined(shipped):
        raise ValueError(f"{shipped.name!r} has no 'refiner' layer: give a refined blend model (refined_models or a "
                         "shipped photo-unwatermark's model.keras)")
    images = keras.Input((None, None, 3), name="photo")
    mask_logit, logit, colour = _outputs(shipped, images)
    alpha = layers.Activation("sigmoid", name="alpha")(logit)
    return keras.Model(images, [mask_logit, alpha, colour], name="refined_detector_training")


def unfreeze(model: keras.Model) -> keras.Model:
    """A refined model (refined_models) with the blend trunk and heads trainable again, beside the refiner: the trunk
    already finds marks (its gate), fine-tuned under the refiner's full-resolution loss. Call before compiling."""
    for part in ("encoder", "decoder"):
        model.get_layer(part).trainable = True
    return model


def is_refined(model: keras.Model) -> bool:
    return any(layer.name == "refiner" for layer in model.layers)


def heads_model(model: keras.Model) -> keras.Model:
    """photo (b, h, w, 3) -> (b, h, w, 5): the mask's chance, alpha, colour (3), from a shipped or training model; a
    refined blend model adds a sixth, the blend network's own gate under the refiner (b, h, w, 6): what
    aecore.photo.unmarking's `seed_gate` keeps a mark by (bench/RESULTS.md, "Restore, sixth session")."""
    images = keras.Input((None, None, 3), name="photo")
    mask_logit, logit, colour, *gate = _outputs(model, images, with_gate=True)  # gate: [] or [(b, h, w, 1)]
    chance = layers.Activation("sigmoid", name="mask_chance")(mask_logit)
    alpha = layers.Activation("sigmoid", name="alpha")(logit)
    return keras.Model(images, layers.Concatenate(name="heads")([chance, alpha, colour, *gate]), name="detector_heads")


def radius(model: keras.Model) -> int:
    """The tiles' overlap for heads_model(model)."""
    return REFINED_RADIUS if is_refined(model) else RECEPTIVE_RADIUS


def is_detector(model: keras.Model) -> bool:
    """True for a model whose decoder is detector_decoder, or a refined blend model (a shipped one, or a training
    checkpoint): one whose heads are a mask's chance, alpha and colour."""
    return is_refined(model) or any(layer.name == "mask_logit" for layer in model.get_layer("decoder").layers)


# The training losses: registered so a resumed checkpoint (compiled) loads them back.
@keras.saving.register_keras_serializable(package="aecore_detect")
def mask_loss(marked, logit):
    """Cross-entropy on the mask plus DICE_WEIGHT times the soft Dice loss, per patch: the Dice term counts a
    missed stroke as much on a patch with two marked pixels as on one with two thousand."""
    entropy = ops.mean(ops.binary_crossentropy(marked, logit, from_logits=True), axis=(1, 2, 3))
    chance = ops.sigmoid(logit)
    overlap = ops.sum(chance * marked, axis=(1, 2, 3))
    dice = 1.0 - (2.0 * overlap + 1.0) / (ops.sum(chance, axis=(1, 2, 3)) + ops.sum(marked, axis=(1, 2, 3)) + 1.0)
    return entropy + DICE_WEIGHT * dice


@keras.saving.register_keras_serializable(package="aecore_detect")
def whole_mask_loss(marked, logit):
    """The cross-entropy on the mask, clean pixels weighted CLEAN_WEIGHT, per patch, plus DICE_WEIGHT times the soft
    Dice loss over the whole batch (mask_loss's Dice is per patch: on a patch with no mark at all it is ~1 whatever
    the net does, 1 - 1 / (1 + the chances' sum), and teaches nothing; a quarter of the whole-photo crops are clean)."""
    weights = 1.0 + (CLEAN_WEIGHT - 1.0) * (1.0 - marked)
    entropy = ops.mean(weights * ops.binary_crossentropy(marked, logit, from_logits=True), axis=(1, 2, 3))
    chance = ops.sigmoid(logit)
    dice = 1.0 - (2.0 * ops.sum(chance * marked) + 1.0) / (ops.sum(chance) + ops.sum(marked) + 1.0)
    return entropy + DICE_WEIGHT * dice


@keras.saving.register_keras_serializable(package="aecore_detect")
def marked_mse(target_and_marked, predicted):
    """Squared error where the watermark is (the target's last channel is the mask), per marked pixel and channel."""
    target, marked = target_and_marked[..., :-1], target_and_marked[..., -1:]
    error = ops.sum(marked * ops.square(predicted - target), axis=(1, 2, 3))
    return error / (ops.cast(ops.shape(target)[-1], "float32") * ops.sum(marked, axis=(1, 2, 3)) + 1.0)
