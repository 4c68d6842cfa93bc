"""The one object every family returns: the trainable model plus its encoder and decoder.

Encode, decode and reconstruct run each model through one compiled `tf.function` per model, never
`model.predict` (~50 ms of overhead per call) nor an eager call (~14 ms for one code through the conv
decoder, most of it Python dispatch per layer; compiled: see bench/RESULTS.md).
"""

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from aecore.errors import ModelError

BATCH = 512  # images per direct call: large enough to amortise overhead, small enough for memory
# Families whose inputs are windows of a series (aecore.models.sequence): outputs are values, not pixels, and a
# test window may leave the training part's [0, 1], so they are never clipped.
SERIES_FAMILIES = ("lstm_seq", "conv1d")


@dataclass
class Autoencoder:
    family: str  # key in aecore.models.families.FAMILIES
    model: keras.Model  # the trainable autoencoder (image -> image)
    encoder: keras.Model  # image -> code (the VAE's encoder gives [z_mean, z_log_var])
    decoder: keras.Model  # code -> image
    options: dict  # the family options, as plain values
    meta: dict = field(default_factory=dict)  # what the store keeps in meta.json

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(size) for size in self.encoder.input_shape[1:])

    @property
    def code_shape(self) -> tuple[int, ...]:
        return tuple(int(size) for size in self.decoder.input_shape[1:])

    @property
    def latent_dim(self) -> int:
        return int(np.prod(self.code_shape))

    @property
    def is_variational(self) -> bool:
        return self.family == "vae"

    @property
    def is_series(self) -> bool:
        """True for a model of windows of a time series, shaped (window, channels, 1)."""
        return self.family in SERIES_FAMILIES

    def _bounded(self, outputs: np.ndarray) -> np.ndarray:
        return outputs if self.is_series else np.clip(outputs, 0.0, 1.0)

    @property
    def name(self) -> str:
        return self.meta.get("name", self.family)

    def check_images(self, images) -> np.ndarray:
        images = np.asarray(images, dtype="float32")
        if images.ndim == 3:
            images = images[None]
        if images.shape[1:] != self.input_shape:
            raise ModelError(
                f"model {self.name!r} takes images of shape {self.input_shape}; got {images.shape[1:]}. "
                "Pick a dataset with that image size, or train a model on this one."
            )
        return images

    def encode_with_variance(self, images) -> tuple[np.ndarray, np.ndarray | None]:
        """Codes (n, *code_shape) and, for the VAE, log-variances; None for the other families."""
        images = self.check_images(images)
        means, log_vars = [], []
        encoder = self.compiled("encoder")
        for start in range(0, len(images), BATCH):
            output = encoder(images[start : start + BATCH])
            if self.is_variational:
                means.append(keras.ops.convert_to_numpy(output[0]))
                log_vars.append(keras.ops.convert_to_numpy(output[1]))
            else:
                means.append(keras.ops.convert_to_numpy(output))
        empty = np.zeros((0,) + self.code_shape, dtype="float32")
        codes = np.concatenate(means) if means else empty
        return codes, (np.concatenate(log_vars) if log_vars else None)

    def encode(self, images) -> np.ndarray:
        """(n, *code_shape) codes; the VAE gives its posterior mean so pictures repeat."""
        return self.encode_with_variance(images)[0]

    def decode(self, codes) -> np.ndarray:
        """(n, h, w, c) images from (n, *code_shape) codes (flat codes are reshaped)."""
        codes = np.asarray(codes, dtype="float32").reshape((-1,) + self.code_shape)
        decoder = self.compiled("decoder")
        outputs = [
            keras.ops.convert_to_numpy(decoder(codes[start : start + BATCH])) for start in range(0, len(codes), BATCH)
        ]
        images = np.concatenate(outputs) if outputs else np.zeros((0,) + self.input_shape, "float32")
        return self._bounded(images)  # the linear family is unbounded; pictures are not

    def reconstruct(self, images) -> np.ndarray:
        """(n, h, w, c) reconstructions in [0, 1] through the clean path (no training noise)."""
        images = self.check_images(images)
        model = self.compiled("model")
        outputs = [
            keras.ops.convert_to_numpy(model(images[start : start + BATCH])) for start in range(0, len(images), BATCH)
        ]
        return self._bounded(np.concatenate(outputs)) if outputs else np.zeros_like(images)

    def compiled(self, part: str):
        """`part(x, training=False)` ("encoder", "decoder" or "model") as a graph traced once per model.

        The batch axis is left open (`None`), so single codes, grids and batches share one trace; the
        function reads the live weights, so it stays right while a model trains.
        """
        functions = self.__dict__.setdefault("_compiled", {})
        if part not in functions:
            model = getattr(self, part)
            shape = self.code_shape if part == "decoder" else self.input_shape
            spec = tf.TensorSpec((None,) + shape, tf.float32)
            functions[part] = tf.function(lambda inputs: model(inputs, training=False), input_signature=[spec])
        return functions[part]

    def count_params(self) -> int:
        return int(self.model.count_params())

    def architecture(self) -> list[dict]:
        """One row per layer of the encoder then the decoder: part, name, type, output shape, parameters."""
        rows = []
        for part, model in (("encoder", self.encoder), ("decoder", self.decoder)):
            for layer in model.layers:
                output = getattr(layer, "output", None)
                shape = getattr(output, "shape", None) if not isinstance(output, (list, tuple)) else [o.shape for o in output]
                rows.append({"part": part, "layer": layer.name, "type": type(layer).__name__,
                             "output shape": str(shape).replace("None, ", ""), "parameters": int(layer.count_params())})
        return rows


def from_keras(model: keras.Model, family: str, options: dict, meta: dict) -> Autoencoder:
    """Finds the encoder and decoder inside a loaded model (functional or the VAE subclass)."""
    encoder = getattr(model, "encoder", None)
    decoder = getattr(model, "decoder", None)
    if encoder is None or decoder is None:
        names = {layer.name: layer for layer in model.layers}
        encoder, decoder = names.get("encoder"), names.get("decoder")
    if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
        raise ModelError("the model has no sub-models named 'encoder' and 'decoder', so it cannot be explored")
    return Autoencoder(family=family, model=model, encoder=encoder, decoder=decoder, options=options, meta=meta)
