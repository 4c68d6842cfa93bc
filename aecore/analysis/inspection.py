"""What the pages show: errors per image, feature maps, code statistics, latent grids, interpolation, denoising.

Everything here calls the models directly through `Autoencoder`, never `model.predict`.
"""

from dataclasses import dataclass

import keras
import numpy as np
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


def _conv_layers(model):
    return [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]


def feature_maps(autoencoder, image) -> list[tuple[str, np.ndarray]]:
    """Activations of every Conv2D layer for one image: [(label, (h, w, channels)), ...], encoder first."""
    image = autoencoder.check_images(image)[:1]  # (1, h, w, c)
    probes = autoencoder.__dict__.setdefault("_feature_probes", {})
    results = []
    code = autoencoder.encode(image)
    for part, model, model_input in (("encoder", autoencoder.encoder, image), ("decoder", autoencoder.decoder, code)):
        layers = _conv_layers(model)
        if not layers:
            continue
        if part not in probes:  # built once per model: a probe shares the trained weights
            probes[part] = keras.Model(model.inputs[0], [layer.output for layer in layers])
        outputs = probes[part](model_input, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for layer, output in zip(layers, outputs):
            results.append((f"{part} / {layer.name}", keras.ops.convert_to_numpy(output)[0]))
    return results


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
            raise ModelError(f"latent dimension {dim} does not exist; this model has {autoencoder.latent_dim} (0..{autoencoder.latent_dim - 1})")
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
