"""The sequence families' networks: windows of a time series, (window, channels, 1), read as (time, channels).

`lstm_seq_pair` is the LSTM autoencoder of the rare-event article (Ranjan, "LSTM Autoencoder for Extreme Rare Event
Classification in Keras"): an encoder LSTM returning sequences, a second one whose last state is the code, the
code repeated once per time step (RepeatVector), two decoder LSTMs mirroring the encoder, and one linear Dense per
time step. `conv1d_pair` is keras.io's "Timeseries anomaly detection using an Autoencoder": two strided Conv1D
layers with dropout, two Conv1DTranspose layers back up and a last Conv1DTranspose to the channels; a Dense
bottleneck is added between them so the code is a vector like every other family's (latent map, code-space
scores). Both end linear and train on squared error, as in their sources: a series is not bounded like pixels.
"""

import math

import keras
from keras import layers

from aecore.errors import ModelError

MIN_WINDOW = 4


def validate_shape(input_shape, latent_dim):
    """A window (time, channels, 1); checked where the work starts."""
    if len(input_shape) != 3 or input_shape[-1] != 1 or input_shape[0] < MIN_WINDOW or input_shape[1] < 1:
        raise ModelError(f"a sequence family takes windows of a series shaped (time steps >= {MIN_WINDOW}, channels, 1); "
                         f"got {tuple(input_shape)}: add a series with `datasets add NAME FILE.csv`, or pick an image "
                         "family for images")
    if not 1 <= latent_dim <= input_shape[0] * input_shape[1]:
        raise ModelError(f"latent_dim must be between 1 and {input_shape[0] * input_shape[1]} (the values in a window "
                         f"of {tuple(input_shape)}); got {latent_dim}")


def _series_input(input_shape):
    steps, channels, _ = input_shape
    inputs = keras.Input(shape=input_shape, name="window")
    return inputs, layers.Reshape((steps, channels), name="time_channels")(inputs)  # (batch, time, channels)


def _window_output(sequence, input_shape):
    return layers.Reshape(tuple(input_shape), name="reconstruction")(sequence)  # (batch, time, channels, 1)


def lstm_seq_pair(input_shape, latent_dim: int, hidden: int):
    steps, channels, _ = input_shape
    inputs, sequence = _series_input(input_shape)
    sequence = layers.LSTM(hidden, return_sequences=True, name="encoder_lstm")(sequence)  # (batch, time, hidden)
    code = layers.LSTM(latent_dim, name="code")(sequence)  # (batch, latent_dim): the last state
    encoder = keras.Model(inputs, code, name="encoder")

    codes = keras.Input(shape=(latent_dim,), name="code")
    repeated = layers.RepeatVector(steps, name="repeat")(codes)  # (batch, time, latent_dim)
    sequence = layers.LSTM(latent_dim, return_sequences=True, name="decoder_lstm_1")(repeated)
    sequence = layers.LSTM(hidden, return_sequences=True, name="decoder_lstm_2")(sequence)  # (batch, time, hidden)
    values = layers.TimeDistributed(layers.Dense(channels), name="decoder_values")(sequence)  # (batch, time, channels)
    return encoder, keras.Model(codes, _window_output(values, input_shape), name="decoder")


def conv1d_pair(input_shape, latent_dim: int, filters: tuple[int, ...], kernel_size: int, dropout: float):
    steps, channels, _ = input_shape
    scale = 2 ** len(filters)
    padded = math.ceil(steps / scale) * scale  # every stage halves the time axis
    inputs, sequence = _series_input(input_shape)
    if padded > steps:
        sequence = layers.ZeroPadding1D((0, padded - steps), name="pad_time")(sequence)
    for stage, width in enumerate(filters):
        sequence = layers.Conv1D(width, kernel_size, strides=2, padding="same", activation="relu",
                                 name=f"conv_{stage + 1}")(sequence)  # (batch, time / 2^(stage+1), width)
        if stage == 0 and dropout:
            sequence = layers.Dropout(dropout, name="dropout_encoder")(sequence)
    code = layers.Dense(latent_dim, name="code")(layers.Flatten(name="flatten")(sequence))
    encoder = keras.Model(inputs, code, name="encoder")

    codes = keras.Input(shape=(latent_dim,), name="code")
    bottom = padded // scale
    sequence = layers.Dense(bottom * filters[-1], activation="relu", name="expand")(codes)
    sequence = layers.Reshape((bottom, filters[-1]), name="unflatten")(sequence)  # (batch, time / 2^stages, last)
    for stage, width in enumerate(reversed(filters)):
        sequence = layers.Conv1DTranspose(width, kernel_size, strides=2, padding="same", activation="relu",
                                          name=f"deconv_{stage + 1}")(sequence)
        if stage == 0 and dropout:
            sequence = layers.Dropout(dropout, name="dropout_decoder")(sequence)
    values = layers.Conv1DTranspose(channels, kernel_size, padding="same", name="decoder_values")(sequence)
    if padded > steps:
        values = layers.Cropping1D((0, padded - steps), name="crop_time")(values)  # (batch, time, channels)
    return encoder, keras.Model(codes, _window_output(values, input_shape), name="decoder")
