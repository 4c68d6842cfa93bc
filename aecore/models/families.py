"""The autoencoder families, one builder each with one signature, registered in `FAMILIES`.

Every builder is `build_x(input_shape, latent_dim, options) -> Autoencoder`, where `options` is the
family's own dataclass (or None for its defaults). The CLI and the dashboard both read `FAMILIES`.
Longer than 300 lines: every family's options, builder and table row in one place; the Keras modules the builders
use are imported on first use, so pages that only read the table never import TensorFlow.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aecore.errors import ModelError
from aecore.models import photospec

if TYPE_CHECKING:
    from aecore.models.autoencoder import Autoencoder


class _OnFirstUse:
    """A module imported when a builder first needs it: pages read this table (names, options, defaults) and must
    not import Keras for that (tests/test_light_imports.py)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(importlib.import_module(self._name), attribute)


blocks, sequence, photonet = (_OnFirstUse(f"aecore.models.{name}") for name in ("blocks", "sequence", "photonet"))


@dataclass
class DenseOptions:
    pass  # the write-up's single bottleneck layer has nothing to tune


@dataclass
class SparseOptions:
    sparsity: str = "l1"  # "l1" (activity penalty on a ReLU code) or "kl" (KL to a target rate, sigmoid code)
    l1_weight: float = 1e-4  # weight of the L1 activity penalty (sum over units, mean over images)
    kl_target: float = 0.05  # target mean activation of each code unit for "kl"
    kl_weight: float = 1e-2  # weight of the KL sparsity penalty


@dataclass
class DeepOptions:
    widths: tuple[int, ...] = (256, 128)  # hidden widths from input to code; decoder mirrors them


@dataclass
class StackedOptions:
    widths: tuple[int, ...] = (256, 128)  # hidden widths from input to code, as deep's; decoder mirrors them
    pretrain: bool = True  # greedy layer-wise pretraining before fine-tuning (False: the same net, end to end)
    pretrain_epochs: int = 4  # epochs of each layer's own small autoencoder
    noise: str = "none"  # "none", "masking" or "gaussian": each stage denoises its corrupted input (SdA)
    noise_level: float = 0.3  # share of inputs zeroed (masking) or the std of added noise (gaussian)


@dataclass
class ConvOptions:
    filters: tuple[int, ...] = (32, 64)  # channels of each stage; every stage halves the height and width
    code: str = "flat"  # "flat" (a latent_dim vector) or "spatial" (a map with latent_dim channels)
    sampling: str = "strided"  # "strided" (stride-2 convs down, transposed convs up) or "pooling" (the write-up's)


@dataclass
class DenoisingOptions(ConvOptions):
    noise: str = "gaussian"  # "gaussian", "salt_and_pepper" or "masking", applied while training only
    noise_level: float = 0.5  # the write-up's noise_factor; share of pixels hit for the other kinds
    noise_seed: int = 0  # seeds the training noise


@dataclass
class VAEOptions:
    variant: str = "dense"  # "dense" (the write-up's, ~5 s/epoch on 60k) or "conv" (strided convs: slower, sharper)
    hidden: int = 256  # width of the dense layer before the code
    kl_weight: float = 1.0  # beta: 1 is the plain VAE
    filters: tuple[int, ...] = (16, 32)  # conv stages for the conv variant


@dataclass
class LSTMOptions:
    hidden: int = 128  # LSTM width of the decoder


@dataclass
class LSTMSeqOptions:
    hidden: int = 32  # width of the outer LSTMs (the encoder's first, the decoder's last); the inner ones: latent_dim


@dataclass
class Conv1DOptions:
    filters: tuple[int, ...] = (32, 16)  # channels of each strided Conv1D stage (keras.io's); each halves the time
    kernel_size: int = 7  # steps each convolution sees
    dropout: float = 0.2  # after the first stage of the encoder and of the decoder


@dataclass
class LinearOptions:
    pass  # no activations: spans the top principal subspace (Baldi 2012)


@dataclass
class ContractiveOptions:
    penalty: float = 1e-4  # lambda on ||dh/dx||_F^2


@dataclass(frozen=True)
class Family:
    name: str
    build: Callable  # build(input_shape, latent_dim, options) -> Autoencoder
    options: type  # the options dataclass
    summary: str  # one line for menus and --help
    latent_dim: int  # default code size
    epochs: int  # defaults a user would keep on Fashion-MNIST with 2 CPU cores
    batch_size: int
    learning_rate: float
    loss: str = "binary_crossentropy"  # what `train` compiles with (the VAE brings its own)
    extra: dict = field(default_factory=dict)


def _finish(family, input_shape, latent_dim, options, encoder, decoder, model):
    from aecore.models.autoencoder import Autoencoder

    return Autoencoder(
        family=family,
        model=model,
        encoder=encoder,
        decoder=decoder,
        options=options_to_dict(options),
        meta={"input_shape": list(input_shape), "latent_dim": latent_dim},
    )


def build_dense(input_shape, latent_dim, options=None):
    options = options or DenseOptions()
    encoder = blocks.dense_encoder(input_shape, latent_dim, widths=(), activation="relu")
    decoder = blocks.dense_decoder(input_shape, latent_dim, widths=())
    return _finish("dense", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_sparse(input_shape, latent_dim, options=None):
    options = options or SparseOptions()
    regularizer = blocks.sparsity_regularizer(options)
    activation = "sigmoid" if options.sparsity == "kl" else "relu"
    encoder = blocks.dense_encoder(input_shape, latent_dim, (), activation, regularizer)
    decoder = blocks.dense_decoder(input_shape, latent_dim, widths=())
    return _finish("sparse", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_deep(input_shape, latent_dim, options=None):
    options = options or DeepOptions()
    encoder = blocks.dense_encoder(input_shape, latent_dim, tuple(options.widths), activation="relu")
    decoder = blocks.dense_decoder(input_shape, latent_dim, tuple(reversed(options.widths)))
    return _finish("deep", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_stacked(input_shape, latent_dim, options=None):
    """deep's network; what differs is training (aecore.training.stacked pretrains it layer by layer)."""
    options = options or StackedOptions()
    encoder = blocks.dense_encoder(input_shape, latent_dim, tuple(options.widths), activation="relu")
    decoder = blocks.dense_decoder(input_shape, latent_dim, tuple(reversed(options.widths)))
    return _finish("stacked", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_conv(input_shape, latent_dim, options=None):
    options = options or ConvOptions()
    encoder, decoder = blocks.conv_pair(input_shape, latent_dim, tuple(options.filters), options.code, options.sampling)
    return _finish("conv", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_denoising(input_shape, latent_dim, options=None):
    options = options or DenoisingOptions()
    encoder, decoder = blocks.conv_pair(input_shape, latent_dim, tuple(options.filters), options.code, options.sampling)
    noise = blocks.noise_layer(options.noise, options.noise_level, options.noise_seed)
    model = blocks.chain(encoder, decoder, before=noise)
    return _finish("denoising", input_shape, latent_dim, options, encoder, decoder, model)


def build_vae(input_shape, latent_dim, options=None):
    options = options or VAEOptions()
    if latent_dim < 2:
        raise ModelError(f"a VAE needs latent_dim >= 2 to map its latent space; got {latent_dim}")
    encoder, decoder = blocks.vae_pair(input_shape, latent_dim, options)
    model = blocks.variational(encoder, decoder, options.kl_weight)
    return _finish("vae", input_shape, latent_dim, options, encoder, decoder, model)


def build_lstm(input_shape, latent_dim, options=None):
    options = options or LSTMOptions()
    encoder, decoder = blocks.lstm_pair(input_shape, latent_dim, options.hidden)
    return _finish("lstm", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_lstm_seq(input_shape, latent_dim, options=None):
    options = options or LSTMSeqOptions()
    _require(options.hidden >= 1, f"hidden must be >= 1; got {options.hidden}")
    encoder, decoder = sequence.lstm_seq_pair(input_shape, latent_dim, options.hidden)
    return _finish("lstm_seq", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_conv1d(input_shape, latent_dim, options=None):
    options = options or Conv1DOptions()
    _require(options.kernel_size >= 1, f"kernel_size must be >= 1; got {options.kernel_size}")
    _require(0 <= options.dropout < 1, f"dropout must be in [0, 1); got {options.dropout}")
    encoder, decoder = sequence.conv1d_pair(input_shape, latent_dim, tuple(options.filters), options.kernel_size,
                                            options.dropout)
    return _finish("conv1d", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def _require(condition, message):
    if not condition:
        raise ModelError(message)


def build_linear(input_shape, latent_dim, options=None):
    options = options or LinearOptions()
    encoder = blocks.dense_encoder(input_shape, latent_dim, widths=(), activation=None)
    decoder = blocks.dense_decoder(input_shape, latent_dim, widths=(), output_activation=None)
    return _finish("linear", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


def build_contractive(input_shape, latent_dim, options=None):
    options = options or ContractiveOptions()
    encoder = blocks.contractive_encoder(input_shape, latent_dim, options.penalty)
    decoder = blocks.dense_decoder(input_shape, latent_dim, widths=())
    return _finish("contractive", input_shape, latent_dim, options, encoder, decoder, blocks.chain(encoder, decoder))


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in [
        Family("dense", build_dense, DenseOptions, "one dense bottleneck layer (the write-up's first model)", 32, 20, 256, 2e-3),
        Family("sparse", build_sparse, SparseOptions, "dense with an L1 (or KL) sparsity penalty on the code", 32, 20, 256, 2e-3),
        Family("deep", build_deep, DeepOptions, "stacked dense encoder and decoder", 32, 20, 256, 1e-3),
        # Greedy layer-wise pretraining (Hinton; Bengio; Vincent's SdA with --noise), then fine-tuning: aecore.training.stacked.
        Family("stacked", build_stacked, StackedOptions, "deep's network pretrained layer by layer, then fine-tuned (SdA with --noise)", 32, 12, 256, 1e-3, extra={"pretrain": True}),
        Family("conv", build_conv, ConvOptions, "strided Conv2D encoder, Conv2DTranspose decoder (or the write-up's pooling)", 32, 12, 128, 2e-3),
        Family("denoising", build_denoising, DenoisingOptions, "conv autoencoder trained on noisy input against the clean image", 32, 12, 128, 2e-3),
        Family("vae", build_vae, VAEOptions, "variational autoencoder: a smooth latent space you can sample", 2, 20, 128, 1e-3, loss="vae"),
        Family("lstm", build_lstm, LSTMOptions, "sequence autoencoder: image rows are time steps", 32, 8, 128, 2e-3),
        Family("linear", build_linear, LinearOptions, "no activations, squared error: the same subspace as PCA", 32, 20, 256, 1e-2, loss="mse"),
        Family("contractive", build_contractive, ContractiveOptions, "dense with a Jacobian penalty that makes codes robust", 32, 20, 256, 1e-2),
        # Windows of a time series, (window, channels, 1) (aecore.data.series); linear outputs on squared error.
        Family("lstm_seq", build_lstm_seq, LSTMSeqOptions, "the rare-event article's LSTM autoencoder for windows of a series", 16, 30, 64, 1e-3, loss="mse", extra={"input": "series"}),
        Family("conv1d", build_conv1d, Conv1DOptions, "keras.io's Conv1D autoencoder for windows of a series", 16, 30, 128, 1e-3, loss="mse", extra={"input": "series"}),
        # Photos of any size (aecore.models.photonet); trained on noisy patches by aecore.training.phototraining; latent_dim = code channels.
        Family("photo", lambda *arguments: photonet.build_photo(*arguments), photospec.PhotoOptions, "fully convolutional photo denoiser: any size, grey or colour, blind to the noise level", 96, 16, 16, 2e-3, loss="mse", extra={"trainer": True}),
    ]
}

RECOMMENDED_FAMILY = "conv"  # what a newcomer gets when no family is named
PHOTO_FAMILY = "photo"  # what `train --dataset photos` gets when no family is named
SERIES_FAMILY = "conv1d"  # what a series gets when no family is named (bench/rare_events.py series measures both)


def fixed_size_families() -> list[str]:
    """The families built for one image size: all but those with their own trainer (photo: any size) and the
    sequence families (windows of a series)."""
    return [name for name, family in FAMILIES.items() if "trainer" not in family.extra and "input" not in family.extra]


def series_families() -> list[str]:
    """The families that take windows of a time series."""
    return [name for name, family in FAMILIES.items() if family.extra.get("input") == "series"]


def default_family(dataset: str | None) -> str:
    """The photo family for photos ("photos" or "photos:FOLDER"), else the recommended one."""
    is_photos = (dataset or "").strip().lower().split(":")[0] == "photos"  # aecore.data.catalog.PHOTOS
    return PHOTO_FAMILY if is_photos else RECOMMENDED_FAMILY


def get_family(name: str) -> Family:
    if name not in FAMILIES:
        raise ModelError(f"unknown family {name!r}; choose one of: {', '.join(FAMILIES)}")
    return FAMILIES[name]


def make_options(family: str, values: dict | None = None):
    """Builds the family's options dataclass from plain values, with a clear error for a bad key."""
    options_class = get_family(family).options
    values = dict(values or {})
    known = {field.name: field for field in dataclasses.fields(options_class)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        allowed = ", ".join(known) or "none"
        raise ModelError(f"family {family!r} has no option {', '.join(unknown)}; its options are: {allowed}")
    for name, value in values.items():
        if isinstance(value, list):
            values[name] = tuple(value)
    options = options_class(**values)
    blocks.validate_options(family, options)
    return options


def options_to_dict(options) -> dict:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in dataclasses.asdict(options).items()}


def build(family: str, input_shape, latent_dim: int, options: dict | None = None) -> Autoencoder:
    """Builds any family from plain values: the one call the trainer, the CLI and the tests use."""
    input_shape = tuple(int(size) for size in input_shape)
    is_series = get_family(family).extra.get("input") == "series"
    (sequence.validate_shape if is_series else blocks.validate_shape)(input_shape, latent_dim)
    return get_family(family).build(input_shape, int(latent_dim), make_options(family, options))
