"""The `photo` family: a fully convolutional encoder-decoder that denoises photos of any size.

RED-Net / U-Net in miniature, sized for 2 CPU cores: the encoder halves the image twice with stride-2
convolutions, residual blocks work at quarter resolution (where a 3x3 conv is 16x cheaper), and the
decoder doubles it back with transposed convolutions, adding the encoder's features of the same scale
(additive skips). The model outputs `input + correction`: it learns the noise, not the photo (DnCNN's
residual learning). Measured on the default 16-epoch model (bench/RESULTS.md): held-out photos at sigma
15/25/50 come out at 29.0/27.7/24.8 dB, ahead of non-local means only at heavy noise; fine texture suffers most.

Every model is colour (3 channels); grey photos go in as three equal channels (aecore.photo.tiling).
Height and width must be multiples of 4 (`SIZE_MULTIPLE`); aecore.photo.tiling pads any photo to that.
"""

import keras
from keras import layers

from aecore.models.autoencoder import Autoencoder
from aecore.models.photospec import TASKS, PhotoOptions, validate  # noqa: F401  (photonet.PhotoOptions, photonet.TASKS)

CHANNELS = 3  # every photo model is colour; grey is handled outside the network
SIZE_MULTIPLE = 4  # two stride-2 stages: sides divisible by 4 line the skips up exactly


def _conv(filters, name, strides=1, activation="relu"):
    return layers.Conv2D(filters, 3, strides=strides, padding="same", activation=activation, name=name)


def photo_encoder(latent_dim: int, options: PhotoOptions) -> keras.Model:
    """(b, h, w, 3) -> [code (b, h/4, w/4, latent_dim), half (b, h/2, w/2, w1), full (b, h, w, w0)]."""
    full_width, half_width = (int(width) for width in options.widths)
    images = keras.Input((None, None, CHANNELS), name="image")
    full = _conv(full_width, "full_conv")(images)
    half = _conv(half_width, "down_1", strides=2)(full)
    half = _conv(half_width, "half_conv")(half)
    code = _conv(latent_dim, "down_2", strides=2)(half)
    for block in range(int(options.blocks)):
        inner = _conv(latent_dim, f"block_{block}_a")(code)
        inner = _conv(latent_dim, f"block_{block}_b", activation=None)(inner)
        code = layers.Add(name=f"block_{block}_add")([code, inner])
    return keras.Model(images, [code, half, full], name="encoder")


def decoder_trunk(latent_dim: int, options: PhotoOptions) -> tuple[list, object]:
    """The decoder's inputs [code, half, full] and its full-resolution features (b, h, w, full width), before any
    output head: the denoiser's correction here, and aecore.photo.gatednet's correction and gate (same layer names,
    so one model's weights load into the other by name)."""
    full_width, half_width = (int(width) for width in options.widths)
    code = keras.Input((None, None, latent_dim), name="code")
    half_skip = keras.Input((None, None, half_width), name="half_skip")
    full_skip = keras.Input((None, None, full_width), name="full_skip")
    half = layers.Conv2DTranspose(half_width, 3, strides=2, padding="same", activation="relu", name="up_1")(code)
    half = layers.Add(name="half_skip_add")([half, half_skip])
    half = _conv(half_width, "half_conv")(half)
    full = layers.Conv2DTranspose(full_width, 3, strides=2, padding="same", activation="relu", name="up_2")(half)
    return [code, half_skip, full_skip], layers.Add(name="full_skip_add")([full, full_skip])


def photo_decoder(latent_dim: int, options: PhotoOptions) -> keras.Model:
    """[code, half, full] -> the correction (b, h, w, 3) that the model adds to its input."""
    inputs, full = decoder_trunk(latent_dim, options)
    return keras.Model(inputs, _conv(CHANNELS, "correction", activation=None)(full), name="decoder")


def build_photo(input_shape, latent_dim: int, options: PhotoOptions | None = None) -> Autoencoder:
    """`input_shape` is ignored but for its channels: the model takes photos of any size."""
    options = options or PhotoOptions()
    validate(latent_dim, options)
    encoder, decoder = photo_encoder(latent_dim, options), photo_decoder(latent_dim, options)
    images = keras.Input((None, None, CHANNELS), name="photo")
    denoised = layers.Add(name="input_plus_correction")([images, decoder(encoder(images))])
    model = keras.Model(images, denoised, name="photo_denoiser")
    options_dict = {"widths": [int(width) for width in options.widths], "blocks": int(options.blocks)}
    if options.task != "denoise":  # a denoiser's options stay as they were before tasks
        options_dict["task"] = options.task
    meta = {"input_shape": [None, None, CHANNELS], "latent_dim": int(latent_dim)}
    return Autoencoder("photo", model, encoder, decoder, options_dict, meta)


def receptive_radius(options: PhotoOptions | None = None) -> int:
    """Pixels on each side that can change one output pixel (the tiler's overlap must cover it).

    Full res: 1 conv in, 1 out (1 px each). Half res: stride-2 in, 1 conv, transposed up, 1 conv
    (2 px each). Quarter res: stride-2 in, 2 per block, transposed up (4 px each). Rounded up to
    a multiple of SIZE_MULTIPLE, plus one stage of slack for the stride-2 grids.
    """
    options = options or PhotoOptions()
    radius = 2 * 1 + 4 * 2 + (2 + 2 * int(options.blocks)) * 4
    return -(-radius // SIZE_MULTIPLE) * SIZE_MULTIPLE + SIZE_MULTIPLE
