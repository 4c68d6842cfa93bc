"""Greedy layer-wise pretraining for the `stacked` family (Hinton's deep belief nets; Bengio et al. 2007;
Vincent et al.'s stacked denoising autoencoders, 2010), before aecore.training.trainer fine-tunes the whole.

The network is deep's: encoder Dense(w1) -> Dense(w2) -> ... -> code, decoder the mirror. Stage k trains
one small autoencoder made of the k-th encoder layer and its mirror decoder layer (the same layer objects,
so the weights are trained in place) on the codes of the stage below, which are computed once and held
fixed: stage 1 rebuilds the pixels (binary cross-entropy), later stages rebuild the layer below's
activations (squared error). With `noise` each stage sees a corrupted input and rebuilds the clean one
(SdA). Each stage's loss goes into the run's history as "stage k loss", on one epoch axis with the
fine-tuning that follows.
"""

import keras
import numpy as np

from aecore.data import noise as image_noise


def stage_pairs(autoencoder) -> list[tuple[keras.layers.Layer, keras.layers.Layer]]:
    """[(encoder layer, mirror decoder layer)] from the input up: Dense(w1)/decoder_pixels, ..., code/decoder_dense0."""
    encoder = [layer for layer in autoencoder.encoder.layers if isinstance(layer, keras.layers.Dense)]
    decoder = [layer for layer in autoencoder.decoder.layers if isinstance(layer, keras.layers.Dense)]
    return list(zip(encoder, reversed(decoder)))


def corrupt(values: np.ndarray, kind: str, level: float, seed: int, pixels: bool) -> np.ndarray:
    """A noisy copy for one epoch: masking zeroes a share `level` of the entries; gaussian adds `level` * N(0, 1)
    (clipped to [0, 1] for pixels only: hidden activations have no upper bound)."""
    if kind == "none":
        return values
    if pixels or kind == "masking":
        return image_noise.add_noise(values, kind, level, seed)
    return values + np.float32(level) * np.random.default_rng(seed).standard_normal(values.shape, dtype=np.float32)


def pretrain(autoencoder, train_images: np.ndarray, config, monitor_for) -> int:
    """Trains every stage in turn for `options.pretrain_epochs`; returns the epochs used (for the epoch axis).

    `monitor_for(stage, epochs_before)` gives the Keras callback that reports progress and honours Stop for a
    stage (aecore.training.trainer's monitor, with the history key "stage k loss").
    """
    options = autoencoder.options
    if not options.get("pretrain", True):
        return 0
    epochs, level, kind = int(options["pretrain_epochs"]), float(options["noise_level"]), options["noise"]
    inputs = train_images.reshape(len(train_images), -1)  # (n, h * w * c): stage 1 rebuilds the flat pixels
    done = 0
    for stage, (encoder_layer, decoder_layer) in enumerate(stage_pairs(autoencoder), 1):
        pixels = stage == 1
        code = keras.Input((inputs.shape[1],), name=f"stage_{stage}_input")
        small = keras.Model(code, decoder_layer(encoder_layer(code)), name=f"stage_{stage}")
        small.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                      loss="binary_crossentropy" if pixels else "mse")
        monitor = monitor_for(stage, done)
        for epoch in range(epochs):
            noisy = corrupt(inputs, kind, level, config.seed * 1000 + stage * 100 + epoch, pixels)
            small.fit(noisy, inputs, batch_size=config.batch_size, epochs=epoch + 1, initial_epoch=epoch, shuffle=True,
                      callbacks=[monitor], verbose=0)
            if monitor.cancelled or monitor.nan_at is not None:
                return done + epoch + 1
        done += epochs
        inputs = np.asarray(encoder_layer(inputs))  # (n, width_k): the next stage's fixed input
    return done


def planned_epochs(options: dict) -> int:
    """Pretraining epochs in all: one stage per hidden layer and one for the code."""
    return int(options["pretrain_epochs"]) * (len(options["widths"]) + 1) if options.get("pretrain", True) else 0

