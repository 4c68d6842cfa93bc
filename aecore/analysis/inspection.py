"""What the pages show: errors per image, feature maps, code statistics, latent grids, interpolation, denoising.

Everything here calls the models directly through `Autoencoder` or one traced graph, never `model.predict`.
"""

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from scipy import linalg, stats

from aecore.analysis import metrics
from aecore.data import noise
from aecore.errors import ModelError


def reconstruction_errors(autoencoder, images) -> dict[str, np.ndarray]:
    """Per-image reconstructions and errors: {"reconstructions", "bce", "mse", "psnr", "ssim"}."""
    reconstructions = autoencoder.reconstruct(images)
    return {
        "reconstructions": reconstructions,
        "bce": metrics.binary_cross_entropy(images, reconstructions),
        "mse": metrics.mean_squared_error(images, reconstructions),
        "psnr": metrics.psnr(images, reconstructions),
        "ssim": metrics.ssim(images, reconstructions),
    }


def worst_reconstructed(autoencoder, images, count: int) -> np.ndarray:
    """Indices of the `count` images with the highest per-image binary cross-entropy, worst first."""
    errors = metrics.binary_cross_entropy(images, autoencoder.reconstruct(images))
    return np.argsort(errors)[::-1][:count]


# Layers whose outputs the Feature maps page draws: images' (h, w, channels), a series' (time, channels).
PROBED_LAYERS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
                 keras.layers.LSTM)


def _probed_layers(model) -> list:
    return [layer for layer in model.layers if isinstance(layer, PROBED_LAYERS)]


def _over_time(layer):
    """A layer's output at every time step: an LSTM that returns only its last state (the lstm_seq family's code) is
    read through a copy returning the whole sequence of hidden states, with the trained weights copied in (the copy
    is made once per loaded model; the page's models are read-only)."""
    if not isinstance(layer, keras.layers.LSTM) or layer.return_sequences or isinstance(layer.input, (list, tuple)):
        return layer.output
    config = {**layer.get_config(), "return_sequences": True, "return_state": False, "name": f"{layer.name}_over_time"}
    copy = keras.layers.LSTM.from_config(config)
    sequence = copy(layer.input)  # (batch, time, units)
    copy.set_weights(layer.get_weights())
    return sequence


def _feature_probe(autoencoder):
    """(labels, one traced graph image -> every probed layer's output), built once per model: the encoder's layers,
    then the decoder's fed with the encoder's code (the VAE's mean), in one call (eager Keras calls cost ~13 ms a
    pick in Python dispatch; this one, ~2 ms)."""
    if "_feature_probe" in autoencoder.__dict__:
        return autoencoder.__dict__["_feature_probe"]
    encoder, decoder = autoencoder.encoder, autoencoder.decoder
    encoder_layers = _probed_layers(encoder)
    decoder_layers = _probed_layers(decoder) if len(decoder.inputs) == 1 else []  # a U-Net's skips: encoder only
    labels = ([f"encoder / {layer.name}" for layer in encoder_layers] +
              [f"decoder / {layer.name}" for layer in decoder_layers])
    probe = None
    if labels:
        encoder_probe = keras.Model(encoder.inputs[0], [*map(_over_time, encoder_layers), encoder.outputs[0]])
        decoder_outputs = [layer.output for layer in decoder_layers]
        decoder_probe = keras.Model(decoder.inputs[0], decoder_outputs) if decoder_layers else None

        def run(images):
            *inside, code = encoder_probe(images, training=False)
            return inside + (list(decoder_probe(code, training=False)) if decoder_probe else [])

        spec = tf.TensorSpec((None,) + autoencoder.input_shape, tf.float32)
        probe = tf.function(run, input_signature=[spec])
    autoencoder.__dict__["_feature_probe"] = labels, probe
    return labels, probe


def feature_maps(autoencoder, image) -> list[tuple[str, np.ndarray]]:
    """Activations of every convolutional and LSTM layer for one input, encoder first: [(label, activation)], each
    (h, w, channels) for an image model (Conv2D, Conv2DTranspose) or (time, channels) for a series model (Conv1D,
    Conv1DTranspose; an LSTM's hidden state at every step, the code's LSTM included); [] for a model without any."""
    image = autoencoder.check_images(image)[:1]  # (1, h, w, c) or a window (1, time, channels, 1)
    labels, probe = _feature_probe(autoencoder)
    if probe is None:
        return []
    outputs = probe(image)
    return [(label, keras.ops.convert_to_numpy(output)[0]) for label, output in zip(labels, outputs)]


@dataclass
class CodeStatistics:
    codes: np.ndarray  # (n, latent_dim) flattened codes (VAE: means)
    active_units: int  # dimensions whose variance over the images exceeds 0.01 (Burda et al. 2016)
    active_share: float  # mean share of code units with |activation| > 1e-3 per image (sparsity)
    variance: np.ndarray  # (latent_dim,) variance of each dimension over the images
    kl_per_dim: np.ndarray | None  # (latent_dim,) mean KL to N(0, 1) per dimension; VAE only


def code_statistics(autoencoder, images) -> CodeStatistics:
    means, log_vars = autoencoder.encode_with_variance(images)
    codes = means.reshape(len(means), -1)
    variance = codes.var(axis=0)
    kl = None
    if log_vars is not None:
        kl = (-0.5 * (1.0 + log_vars - means**2 - np.exp(log_vars))).mean(axis=0)
    return CodeStatistics(
        codes=codes,
        active_units=int((variance > 0.01).sum()),
        active_share=float((np.abs(codes) > 1e-3).mean()),
        variance=variance,
        kl_per_dim=kl,
    )


def latent_axis(autoencoder, codes: np.ndarray | None, dim: int, steps: int, span=(0.05, 0.95)) -> np.ndarray:
    """Values to sweep along one code dimension: inverse-normal quantiles for the VAE (its prior),
    percentiles of the observed codes otherwise (codes of other families have no prior)."""
    quantiles = np.linspace(span[0], span[1], steps)
    if autoencoder.is_variational:
        return stats.norm.ppf(quantiles).astype("float32")
    if codes is None or len(codes) == 0:
        raise ModelError("a latent grid of a non-variational model needs the codes of some images")
    return np.percentile(codes.reshape(len(codes), -1)[:, dim], quantiles * 100).astype("float32")


def base_code(autoencoder, codes: np.ndarray | None) -> np.ndarray:
    """Where the other dimensions sit: the prior mean (0) for the VAE, the median code otherwise."""
    if autoencoder.is_variational or codes is None:
        return np.zeros(autoencoder.latent_dim, dtype="float32")
    return np.median(codes.reshape(len(codes), -1), axis=0).astype("float32")


def latent_grid(autoencoder, dims=(0, 1), steps: int = 15, codes=None, base=None):
    """Decodes a steps x steps grid over two code dimensions, the rest fixed at `base`.

    Returns (images (steps, steps, h, w, c), row values, column values); rows sweep dims[1] top to
    bottom from high to low, like a plot's y axis.
    """
    first, second = (int(dim) for dim in dims)
    for dim in (first, second):
        if not 0 <= dim < autoencoder.latent_dim:
            raise ModelError(f"latent dimension {dim} does not exist; this model has {autoencoder.latent_dim} "
                             f"(0..{autoencoder.latent_dim - 1})")
    columns = latent_axis(autoencoder, codes, first, steps)
    rows = latent_axis(autoencoder, codes, second, steps)[::-1]
    grid = np.tile(base_code(autoencoder, codes) if base is None else np.asarray(base, "float32"), (steps, steps, 1))
    grid[:, :, first] = columns[None, :]
    grid[:, :, second] = rows[:, None]
    images = autoencoder.decode(grid.reshape(steps * steps, -1))
    return images.reshape((steps, steps) + autoencoder.input_shape), rows, columns


def interpolate(autoencoder, image_a, image_b, steps: int = 10) -> np.ndarray:
    """(steps, h, w, c): decodes the straight line between the codes of two images."""
    codes = autoencoder.encode(np.stack([autoencoder.check_images(image)[0] for image in (image_a, image_b)]))
    weights = np.linspace(0.0, 1.0, steps, dtype="float32").reshape((-1,) + (1,) * (codes.ndim - 1))
    return autoencoder.decode((1 - weights) * codes[0] + weights * codes[1])


@dataclass
class DenoiseSweep:
    levels: np.ndarray  # (levels,)
    noisy: np.ndarray  # (levels, n, h, w, c)
    denoised: np.ndarray  # (levels, n, h, w, c)
    psnr_noisy: np.ndarray  # (levels,) mean PSNR of the noisy images against the clean ones
    psnr_denoised: np.ndarray  # (levels,)
    ssim_noisy: np.ndarray  # (levels,)
    ssim_denoised: np.ndarray  # (levels,)


def denoise_sweep(autoencoder, images, kind="gaussian", levels=np.linspace(0, 1, 21), seed=0) -> DenoiseSweep:
    """Noisy and denoised versions of `images` at every level, in one decoder pass (slider frames)."""
    images = autoencoder.check_images(images)
    levels = np.asarray(levels, dtype="float32")
    noisy = np.stack([noise.add_noise(images, kind, float(level), seed) for level in levels])
    flat = noisy.reshape((-1,) + autoencoder.input_shape)
    denoised = autoencoder.reconstruct(flat).reshape(noisy.shape)
    clean = np.broadcast_to(images, noisy.shape).reshape(flat.shape)
    per_level = lambda values: values.reshape(len(levels), -1).mean(axis=1)  # noqa: E731
    return DenoiseSweep(
        levels, noisy, denoised,
        per_level(metrics.psnr(clean, flat)),
        per_level(metrics.psnr(clean, denoised.reshape(flat.shape))),
        per_level(metrics.ssim(clean, flat)),
        per_level(metrics.ssim(clean, denoised.reshape(flat.shape))),
    )


def pca_angles(autoencoder, images) -> np.ndarray:
    """Principal angles (degrees) between the linear decoder's column space and the top-k PCA subspace.

    Baldi & Hornik: a linear autoencoder trained to its optimum spans the top principal subspace,
    so after good training these angles are small.
    """
    from sklearn.decomposition import PCA

    dense = [layer for layer in autoencoder.decoder.layers if isinstance(layer, keras.layers.Dense)]
    if autoencoder.family != "linear" or len(dense) != 1:
        raise ModelError(f"principal angles apply to the linear family; {autoencoder.name!r} is {autoencoder.family!r}")
    decoder_basis = keras.ops.convert_to_numpy(dense[0].kernel).T  # (input_size, latent_dim)
    flat = np.asarray(images, dtype="float64").reshape(len(images), -1)
    components = PCA(n_components=autoencoder.latent_dim, random_state=0).fit(flat).components_.T
    return np.degrees(linalg.subspace_angles(decoder_basis, components))
