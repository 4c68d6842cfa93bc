"""Custom Keras pieces the families need, all serialisable so a saved model loads with no extra arguments.

Every class stores each constructor argument and returns it from `get_config()`.
"""

import keras
import tensorflow as tf
from keras import layers, ops

PACKAGE = "aecore"


@keras.saving.register_keras_serializable(package=PACKAGE)
class ImageNoise(layers.Layer):
    """Corrupts its input while training only, so a denoising model learns noisy -> clean.

    At inference it passes the input through: the dashboard adds its own (seeded, NumPy) noise.
    """

    def __init__(self, kind="gaussian", level=0.5, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        self.level = level
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        if self.kind == "gaussian":
            noise = keras.random.normal(ops.shape(inputs), seed=self.seed_generator)
            return ops.clip(inputs + self.level * noise, 0.0, 1.0)
        # Whole pixels are hit, all channels at once: (batch, h, w, 1) broadcasts over channels.
        pixel_shape = ops.shape(inputs)[:-1] + (1,)
        hit = keras.random.uniform(pixel_shape, seed=self.seed_generator) < self.level
        if self.kind == "masking":
            return ops.where(hit, ops.zeros_like(inputs), inputs)
        salt = keras.random.uniform(pixel_shape, seed=self.seed_generator) < 0.5
        return ops.where(hit, ops.cast(salt, inputs.dtype) * ops.ones_like(inputs), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "level": self.level, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class KLSparsity(keras.regularizers.Regularizer):
    """Sparsity penalty: KL(target || mean activation) summed over code units (Ng's sparse autoencoder).

    Needs activations in (0, 1), so the sparse family uses a sigmoid code with it.
    """

    def __init__(self, target=0.05, weight=1e-2):
        self.target = target
        self.weight = weight

    def __call__(self, activations):
        mean_activation = ops.clip(ops.mean(activations, axis=0), 1e-6, 1.0 - 1e-6)  # (units,)
        target = self.target
        divergence = target * ops.log(target / mean_activation) + (1.0 - target) * ops.log(
            (1.0 - target) / (1.0 - mean_activation)
        )
        # Keras divides activity penalties by the batch size; this one is already a batch
        # statistic, so multiply back to keep `weight` independent of the batch size.
        batch_size = ops.cast(ops.shape(activations)[0], activations.dtype)
        return self.weight * ops.sum(divergence) * batch_size

    def get_config(self):
        return {"target": self.target, "weight": self.weight}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ContractiveDense(layers.Dense):
    """Sigmoid dense code layer that adds the contractive penalty lambda * ||dh/dx||_F^2.

    For h = sigmoid(W x + b) the Jacobian norm has a closed form (Rifai et al. 2011):
    ||J||_F^2 = sum_j (h_j (1 - h_j))^2 * sum_i W_ij^2, so no second tape is needed.
    """

    def __init__(self, units, penalty=1e-4, **kwargs):
        kwargs.pop("activation", None)  # always sigmoid: the closed form depends on it
        super().__init__(units, activation="sigmoid", **kwargs)
        self.penalty = penalty

    def call(self, inputs):
        code = super().call(inputs)  # (batch, units)
        column_norms = ops.sum(ops.square(self.kernel), axis=0)  # (units,)
        jacobian_norm = ops.sum(ops.square(code * (1.0 - code)) * column_norms, axis=1)  # (batch,)
        self.add_loss(self.penalty * ops.mean(jacobian_norm))
        return code

    def get_config(self):
        return {**super().get_config(), "penalty": self.penalty}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """Reparameterisation trick z = mean + exp(log_var / 2) * eps, seeded."""

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs  # (batch, latent_dim) each
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class VariationalAutoencoder(keras.Model):
    """VAE: the one family whose training step really differs (reconstruction + KL loss).

    Calling the model decodes the posterior mean, so pictures repeat; training samples z.
    Losses are per image: summed binary cross-entropy over pixels, summed KL over latent dims.
    """

    def __init__(self, encoder, decoder, kl_weight=1.0, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_weight = kl_weight
        self.seed = seed
        self.sampler = Sampling(seed=seed, name="sampling")
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    def build(self, input_shape):
        # The encoder and decoder are functional models, built already; the sampler has no weights.
        self.built = True

    @property
    def metrics(self):
        return [self.total_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, inputs, training=False):
        z_mean, _ = self.encoder(inputs, training=training)
        return self.decoder(z_mean, training=training)

    def loss_terms(self, images, training):
        z_mean, z_log_var = self.encoder(images, training=training)  # (batch, latent_dim) each
        decoded = self.decoder(self.sampler([z_mean, z_log_var]), training=training)
        per_pixel = keras.losses.binary_crossentropy(images[..., None], decoded[..., None])  # (b, h, w, c)
        reconstruction = ops.mean(ops.sum(per_pixel, axis=(1, 2, 3)))
        kl_per_dim = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl = ops.mean(ops.sum(kl_per_dim, axis=1))
        return reconstruction, kl

    def _record(self, reconstruction, kl):
        self.total_tracker.update_state(reconstruction + self.kl_weight * kl)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
        images = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            reconstruction, kl = self.loss_terms(images, training=True)
            total = reconstruction + self.kl_weight * kl
            # Gradients are summed over replicas under tf.distribute: scale so the step is a mean.
            scaled = total / tf.distribute.get_strategy().num_replicas_in_sync
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self._record(reconstruction, kl)

    def test_step(self, data):
        images = data[0] if isinstance(data, tuple) else data
        return self._record(*self.loss_terms(images, training=False))

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "kl_weight": self.kl_weight,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)
