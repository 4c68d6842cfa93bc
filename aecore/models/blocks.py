"""Keras graph pieces the family builders share: encoders, decoders, and their validation."""

import math

import keras
import numpy as np
from keras import layers

from aecore.data.noise import NOISE_KINDS
from aecore.errors import ModelError
from aecore.models import layers as custom_layers


def validate_shape(input_shape, latent_dim):
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3) or min(input_shape[:2]) < 4:
        raise ModelError(
            f"input shape must be (height, width, channels) with channels 1 or 3 and sides >= 4; got {input_shape}"
        )
    size = math.prod(input_shape)
    if not 1 <= latent_dim <= size:
        raise ModelError(
            f"latent_dim must be between 1 and {size} (the number of input values of {input_shape}); got {latent_dim}"
        )


def _require(condition, message):
    if not condition:
        raise ModelError(message)


def validate_options(family, options):
    """Checks option values where the work starts, so a bad value never reaches Keras."""
    values = vars(options)
    for name in ("widths", "filters"):
        if name in values:
            sizes = values[name]
            _require(len(sizes) > 0 and all(int(size) > 0 for size in sizes),
                     f"{name} must be a non-empty list of positive integers; got {list(sizes)}")
    for name in ("penalty", "l1_weight", "kl_weight", "hidden"):
        if name in values:
            _require(values[name] >= 0, f"{name} must be >= 0; got {values[name]}")
    if "sparsity" in values:
        _require(options.sparsity in ("l1", "kl"), f"sparsity must be 'l1' or 'kl'; got {options.sparsity!r}")
        _require(0 < options.kl_target < 1, f"kl_target must be between 0 and 1; got {options.kl_target}")
    if "code" in values:
        _require(options.code in ("flat", "spatial"), f"code must be 'flat' or 'spatial'; got {options.code!r}")
    if "sampling" in values:
        _require(options.sampling in ("strided", "pooling"), f"sampling must be 'strided' or 'pooling'; got {options.sampling!r}")
    if "noise" in values:
        kinds = ("none", "masking", "gaussian") if family == "stacked" else NOISE_KINDS  # stacked corrupts codes too
        _require(options.noise in kinds, f"noise must be one of {', '.join(kinds)}; got {options.noise!r}")
        _require(0 <= options.noise_level <= 1, f"noise_level must be between 0 and 1; got {options.noise_level}")
    if "pretrain_epochs" in values:
        _require(options.pretrain_epochs >= 1, f"pretrain_epochs must be >= 1; got {options.pretrain_epochs}")
    if "variant" in values:
        _require(options.variant in ("conv", "dense"), f"variant must be 'conv' or 'dense'; got {options.variant!r}")
        _require(options.hidden > 0, f"hidden must be > 0; got {options.hidden}")


def dense_encoder(input_shape, latent_dim, widths, activation, regularizer=None):
    inputs = keras.Input(shape=input_shape, name="image")
    hidden = layers.Flatten(name="flatten")(inputs)  # (batch, h * w * c)
    for index, width in enumerate(widths):
        hidden = layers.Dense(width, activation="relu", name=f"encoder_dense{index}")(hidden)
    code = layers.Dense(latent_dim, activation=activation, activity_regularizer=regularizer, name="code")(hidden)
    return keras.Model(inputs, code, name="encoder")


def dense_decoder(input_shape, latent_dim, widths, output_activation="sigmoid"):
    codes = keras.Input(shape=(latent_dim,), name="code")
    hidden = codes
    for index, width in enumerate(widths):
        hidden = layers.Dense(width, activation="relu", name=f"decoder_dense{index}")(hidden)
    flat = layers.Dense(math.prod(input_shape), activation=output_activation, name="decoder_pixels")(hidden)
    image = layers.Reshape(input_shape, name="reconstruction")(flat)  # (batch, h, w, c)
    return keras.Model(codes, image, name="decoder")


def contractive_encoder(input_shape, latent_dim, penalty):
    inputs = keras.Input(shape=input_shape, name="image")
    code = custom_layers.ContractiveDense(latent_dim, penalty=penalty, name="code")(layers.Flatten(name="flatten")(inputs))
    return keras.Model(inputs, code, name="encoder")


def sparsity_regularizer(options):
    if options.sparsity == "kl":
        return custom_layers.KLSparsity(target=options.kl_target, weight=options.kl_weight)
    return keras.regularizers.L1(options.l1_weight)


def noise_layer(kind, level, seed):
    return custom_layers.ImageNoise(kind=kind, level=level, seed=seed, name="training_noise")


def chain(encoder, decoder, before=None):
    """The trainable autoencoder: image -> [training noise] -> encoder -> decoder."""
    inputs = keras.Input(shape=encoder.input_shape[1:], name="image")
    corrupted = before(inputs) if before is not None else inputs
    return keras.Model(inputs, decoder(encoder(corrupted)), name="autoencoder")


# Every layer is named explicitly, so a build never depends on Keras's global name counters (Streamlit's
# per-run clear_session once reset them mid-build: "up_sampling2d is used 2 times"; see
# dashboard/server/streamlit_fixes.py) and feature-map labels stay the same from model to model.


def _conv_stack(inputs, filters, sampling="strided"):
    features = inputs
    for index, count in enumerate(filters):
        if sampling == "strided":  # the conv itself halves h, w: no full-resolution hidden maps
            features = layers.Conv2D(count, 3, strides=2, activation="relu", padding="same", name=f"encoder_conv{index}")(features)
        else:  # the write-up's Conv2D then MaxPooling2D
            features = layers.Conv2D(count, 3, activation="relu", padding="same", name=f"encoder_conv{index}")(features)
            features = layers.MaxPooling2D(2, padding="same", name=f"encoder_pool{index}")(features)
    return features  # (batch, ceil(h / 2^k), ceil(w / 2^k), filters[-1])


def _deconv_stack(features, filters, input_shape, sampling="strided"):
    channels = input_shape[-1]
    if sampling == "strided":
        # Conv2DTranspose with stride 2 doubles h, w; the last one writes the image itself, so no hidden
        # map ever has the input's resolution (~4x cheaper than conv + upsample on 28x28, see bench/RESULTS.md).
        counts = list(reversed(filters[:-1])) + [channels]
        scale = 2 ** len(counts)
        cropped = (features.shape[1] * scale, features.shape[2] * scale) != tuple(input_shape[:2])
        for index, count in enumerate(counts):
            last = index == len(counts) - 1
            name = ("reconstruction_uncropped" if cropped else "reconstruction") if last else f"decoder_conv{index}"
            features = layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="sigmoid" if last else "relu",
                                              name=name)(features)
        return _crop_to(features, input_shape, "reconstruction")
    # The write-up's order, conv then upsample: every hidden conv runs at the lower resolution,
    # which makes the decoder ~2.5x cheaper than upsample-then-conv on 28x28 inputs.
    for index, count in enumerate(reversed(filters)):
        features = layers.Conv2D(count, 3, activation="relu", padding="same", name=f"decoder_conv{index}")(features)
        features = layers.UpSampling2D(2, name=f"decoder_upsample{index}")(features)
    features = _crop_to(features, input_shape, "decoder_crop")
    return layers.Conv2D(channels, 3, activation="sigmoid", padding="same", name="reconstruction")(features)


def _crop_to(features, input_shape, name):
    extra_rows = features.shape[1] - input_shape[0]  # halving rounded up: crop back to the input size
    extra_cols = features.shape[2] - input_shape[1]
    if extra_rows or extra_cols:
        return layers.Cropping2D(((0, extra_rows), (0, extra_cols)), name=name)(features)
    return features


def conv_pair(input_shape, latent_dim, filters, code, sampling="strided"):
    inputs = keras.Input(shape=input_shape, name="image")
    features = _conv_stack(inputs, filters, sampling)
    map_shape = tuple(features.shape[1:])  # e.g. (7, 7, 32) for 28x28 and two stages
    if code == "flat":
        code_tensor = layers.Dense(latent_dim, name="code")(layers.Flatten(name="flatten")(features))
        codes = keras.Input(shape=(latent_dim,), name="code")
        expanded = layers.Dense(math.prod(map_shape), activation="relu", name="decoder_expand")(codes)
        upsampled = layers.Reshape(map_shape, name="decoder_map")(expanded)
    else:
        code_tensor = layers.Conv2D(latent_dim, 3, activation="relu", padding="same", name="code")(features)
        codes = keras.Input(shape=map_shape[:2] + (latent_dim,), name="code")
        upsampled = codes
    encoder = keras.Model(inputs, code_tensor, name="encoder")
    decoder = keras.Model(codes, _deconv_stack(upsampled, filters, input_shape, sampling), name="decoder")
    return encoder, decoder


def vae_pair(input_shape, latent_dim, options):
    inputs = keras.Input(shape=input_shape, name="image")
    features = _conv_stack(inputs, options.filters) if options.variant == "conv" else inputs
    map_shape = tuple(features.shape[1:])
    hidden = layers.Dense(options.hidden, activation="relu", name="encoder_hidden")(layers.Flatten(name="flatten")(features))
    z_mean = layers.Dense(latent_dim, name="z_mean")(hidden)  # (batch, latent_dim)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(hidden)
    encoder = keras.Model(inputs, [z_mean, z_log_var], name="encoder")

    codes = keras.Input(shape=(latent_dim,), name="code")
    hidden = layers.Dense(options.hidden, activation="relu", name="decoder_hidden")(codes)
    if options.variant == "conv":
        expanded = layers.Dense(math.prod(map_shape), activation="relu", name="decoder_expand")(hidden)
        grid = layers.Reshape(map_shape, name="decoder_map")(expanded)
        image = _deconv_stack(grid, options.filters, input_shape)
    else:
        flat = layers.Dense(math.prod(input_shape), activation="sigmoid", name="decoder_pixels")(hidden)
        image = layers.Reshape(input_shape, name="reconstruction")(flat)
    return encoder, keras.Model(codes, image, name="decoder")


def variational(encoder, decoder, kl_weight):
    model = custom_layers.VariationalAutoencoder(encoder, decoder, kl_weight=kl_weight, name="autoencoder")
    model(np.zeros((1,) + tuple(encoder.input_shape[1:]), dtype="float32"))  # builds the weights
    return model


def lstm_pair(input_shape, latent_dim, hidden_units):
    height, width, channels = input_shape
    inputs = keras.Input(shape=input_shape, name="image")
    rows = layers.Reshape((height, width * channels), name="rows")(inputs)  # (batch, time=h, features=w*c)
    code = layers.LSTM(latent_dim, name="code")(rows)  # the last hidden state summarises the image
    encoder = keras.Model(inputs, code, name="encoder")

    codes = keras.Input(shape=(latent_dim,), name="code")
    repeated = layers.RepeatVector(height, name="repeat")(codes)  # (batch, h, latent_dim)
    sequence = layers.LSTM(hidden_units, return_sequences=True, name="decoder_lstm")(repeated)
    pixels = layers.Dense(width * channels, activation="sigmoid", name="decoder_pixels")(sequence)  # (batch, h, w*c)
    image = layers.Reshape(input_shape, name="reconstruction")(pixels)
    return encoder, keras.Model(codes, image, name="decoder")
