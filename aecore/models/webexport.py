"""A decoder (or an encoder) as a JSON layer list plus one float32 blob, for the forward pass in the browser.

`export_decoder(decoder)` walks a decoder that is a plain chain of layers (every family's, and the
Keras-layer decoders of imported models) and writes what dashboard/components/live_decoder/live_decoder.js needs to run it:
`export_encoder(autoencoder)` does the same for the image -> code direction (a VAE's `z_mean` alone: the
deterministic code the displays use); decoder_math.js's `compileDecoder` runs either, image in, code out.

    spec = {"format": FORMAT, "input_shape": [...], "output_shape": [...], "layers": [{"type": ..., ...}]}
    weights = little-endian float32 bytes; a layer names its arrays as {"offset": index, "shape": [...]}

Batch normalisation is folded into the layer before it (or into a per-channel scale and shift), dropout
and training-only noise are dropped, and a layer the browser cannot run raises `WebExportError`, whose
message the page shows when it falls back to decoding on the server.

Longer than 300 lines: one walk over a chain of Keras layers, one small spec writer per layer type, and the batch
norm folding they share; split by direction, the encoder's and the decoder's walks would repeat each other.
"""

from dataclasses import dataclass

import keras
import numpy as np

from aecore.errors import ModelError

FORMAT = "aecore-live-decoder/1"  # both directions: a spec is a layer chain, whichever way it runs
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "selu", "leaky_relu", "softplus", "gelu", "linear", "silu")
IDENTITY_LAYERS = ("InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
                   "AlphaDropout", "ActivityRegularization", "ImageNoise")  # no-ops at inference
SUPPORTED_LAYERS = ("Dense", "Conv2D", "Conv2DTranspose", "UpSampling2D", "MaxPooling2D", "Reshape", "Flatten",
                    "BatchNormalization", "Dropout", "RepeatVector", "LSTM", "TimeDistributed(Dense)", "Cropping2D",
                    "Activation", "ReLU", "LeakyReLU", "ELU")
PARITY_TOLERANCE = 1e-5  # the layer chain must reproduce the decoder's own output to this


class WebExportError(ModelError):
    """The decoder (or encoder) has a layer (or a wiring) the browser cannot run."""


@dataclass
class WebDecoder:
    spec: dict  # architecture: shapes and one dict per layer
    weights: bytes  # every array, float32, concatenated in the order the spec names them

    @property
    def size(self) -> int:
        return len(self.weights)


class _Blob:
    """Collects arrays into one float32 buffer and hands out their references."""

    def __init__(self):
        self.parts, self.count = [], 0

    def add(self, array) -> dict:
        array = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
        self.parts.append(array.ravel())
        reference = {"offset": self.count, "shape": list(array.shape)}
        self.count += array.size
        return reference

    def bytes(self) -> bytes:
        return np.concatenate(self.parts).tobytes() if self.parts else b""


def export_decoder(decoder: keras.Model) -> WebDecoder:
    """The decoder as (spec, weights); raises WebExportError naming the first layer the browser cannot run."""
    return _export_chain(decoder, "decoder")


def export_encoder(autoencoder) -> WebDecoder:
    """The autoencoder's encoder as (spec, weights): image (h, w, c) in, flat or shaped code out, as
    `autoencoder.encode` gives it (a VAE's z_mean). Raises WebExportError with the reason when the browser cannot
    run it (a Conv1D, a custom layer, a branch); the page then encodes on the server."""
    encoder = autoencoder.encoder
    if isinstance(encoder.output, (list, tuple)):
        if not autoencoder.is_variational:
            raise WebExportError(f"the encoder {encoder.name!r} has {len(encoder.output)} outputs and is not a VAE's "
                                 "(z_mean, z_log_var); the browser runs one chain")
        encoder = keras.Model(encoder.input, encoder.output[0], name=f"{encoder.name}_mean")  # (batch, latent_dim)
    return _export_chain(encoder, "encoder")


def _export_chain(model: keras.Model, role: str) -> WebDecoder:
    chain = _leaf_layers(model, role)
    _check_chain(model, chain, role)
    blob, specs = _Blob(), []
    for layer in chain:
        specs.extend(_layer_spec(layer, blob))
    specs = _fold_batch_norms(specs, blob)
    spec = {"format": FORMAT, "role": role, "input_shape": [int(size) for size in model.input_shape[1:]],
            "output_shape": [int(size) for size in model.output_shape[1:]], "layers": specs}
    return WebDecoder(spec, blob.bytes())


def _leaf_layers(model, role: str = "decoder") -> list:
    """The layers in call order, nested models opened up; raises for graphs with branches."""
    ends = (getattr(model, "input", None), getattr(model, "output", None))
    if any(isinstance(end, (list, tuple)) for end in ends):
        raise WebExportError(f"the {role} {model.name!r} has several inputs or outputs; the live view runs one chain")
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers.extend(_leaf_layers(layer, role))
        elif type(layer).__name__ != "InputLayer":
            layers.append(layer)
    return layers


def _check_chain(decoder, chain, role: str = "decoder"):
    """Calling the layers one after another must give the model's output: that rules out skips and branches."""
    codes = np.random.default_rng(0).normal(size=(2,) + tuple(decoder.input_shape[1:])).astype("float32")
    expected = keras.ops.convert_to_numpy(decoder(codes, training=False))
    hidden = codes
    try:
        for layer in chain:
            hidden = layer(hidden, training=False) if _takes_training(layer) else layer(hidden)
        got = keras.ops.convert_to_numpy(hidden)
    except Exception as error:  # a layer that needs another input: the graph is not a chain
        raise WebExportError(f"the {role} {decoder.name!r} is not a plain chain of layers ({error})") from error
    if got.shape != expected.shape or not np.allclose(got, expected, atol=PARITY_TOLERANCE):
        raise WebExportError(f"the {role} {decoder.name!r} is not a plain chain of layers (it has branches or skips)")


def _takes_training(layer) -> bool:
    return type(layer).__name__ in IDENTITY_LAYERS + ("BatchNormalization", "LSTM", "TimeDistributed")


def _unsupported(layer, why: str = "") -> WebExportError:
    kind = type(layer).__name__
    detail = f" ({why})" if why else ""
    return WebExportError(f"layer {layer.name!r} is a {kind}{detail}, which the browser does not run; it "
                          f"runs {', '.join(SUPPORTED_LAYERS)}")


def _activation(layer, function) -> dict:
    name = getattr(function, "__name__", str(function))
    if name not in ACTIVATIONS:
        raise _unsupported(layer, f"activation {name!r}; supported: {', '.join(ACTIVATIONS)}")
    if name == "leaky_relu":
        return {"name": name, "alpha": 0.2}  # keras.activations.leaky_relu's default negative_slope
    if name == "elu":
        return {"name": name, "alpha": 1.0}
    return {"name": name}


def _channels_last(layer):
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise _unsupported(layer, "data_format channels_first")


def _pair(value) -> list[int]:
    return [int(value), int(value)] if np.isscalar(value) else [int(v) for v in value]


def _layer_spec(layer, blob: _Blob) -> list[dict]:
    kind = type(layer).__name__
    if kind in IDENTITY_LAYERS:
        return []
    if kind == "TimeDistributed":
        if type(layer.layer).__name__ != "Dense":
            raise _unsupported(layer, f"TimeDistributed({type(layer.layer).__name__})")
        return _layer_spec(layer.layer, blob)  # Dense acts on the last axis of any rank anyway
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise _unsupported(layer)
    return builder(layer, blob)


def _dense(layer, blob):
    kernel, bias = _kernel_and_bias(layer)
    return [{"type": "dense", "name": layer.name, "units": int(layer.units), "kernel": blob.add(kernel),  # (in, units)
             "bias": blob.add(bias), "activation": _activation(layer, layer.activation)}]


def _kernel_and_bias(layer, transpose=False):
    kernel = np.asarray(layer.kernel)
    if transpose:  # Conv2DTranspose keeps (kh, kw, out, in); the JS wants (kh, kw, in, out) like Conv2D
        kernel = kernel.transpose(0, 1, 3, 2)
    bias = np.asarray(layer.bias) if layer.use_bias else np.zeros(kernel.shape[-1], "float32")
    return kernel, bias


def _conv(layer, blob, transpose=False):
    _channels_last(layer)
    if _pair(layer.dilation_rate) != [1, 1] or getattr(layer, "groups", 1) != 1:
        raise _unsupported(layer, "dilation or groups")
    kernel, bias = _kernel_and_bias(layer, transpose)
    spec = {"type": "conv2d_transpose" if transpose else "conv2d", "name": layer.name, "filters": int(layer.filters),
            "kernel_size": _pair(layer.kernel_size), "strides": _pair(layer.strides), "padding": layer.padding,
            "kernel": blob.add(kernel), "bias": blob.add(bias), "activation": _activation(layer, layer.activation),
            "output_shape": [int(size) for size in layer.output.shape[1:]]}
    return [spec]


def _upsampling(layer, blob):
    _channels_last(layer)
    if layer.interpolation != "nearest":
        raise _unsupported(layer, f"interpolation {layer.interpolation!r}")
    return [{"type": "upsampling2d", "name": layer.name, "size": _pair(layer.size)}]


def _maxpool(layer, blob):
    _channels_last(layer)
    return [{"type": "maxpool2d", "name": layer.name, "pool_size": _pair(layer.pool_size),
             "strides": _pair(layer.strides or layer.pool_size), "padding": layer.padding,
             "output_shape": [int(size) for size in layer.output.shape[1:]]}]


def _cropping(layer, blob):
    _channels_last(layer)
    (top, bottom), (left, right) = layer.cropping
    return [{"type": "cropping2d", "name": layer.name, "cropping": [int(top), int(bottom), int(left), int(right)]}]


def _reshape(layer, blob):
    return [{"type": "reshape", "name": layer.name, "target_shape": [int(size) for size in layer.output.shape[1:]]}]


def _repeat(layer, blob):
    return [{"type": "repeat_vector", "name": layer.name, "n": int(layer.n)}]


def _lstm(layer, blob):
    if layer.go_backwards or getattr(layer, "stateful", False):
        raise _unsupported(layer, "go_backwards or stateful")
    cell = layer.cell
    bias = np.asarray(cell.bias) if cell.use_bias else np.zeros(4 * layer.units, "float32")
    return [{"type": "lstm", "name": layer.name, "units": int(layer.units),
             "return_sequences": bool(layer.return_sequences),
             "kernel": blob.add(cell.kernel), "recurrent_kernel": blob.add(cell.recurrent_kernel),  # gates i, f, c, o
             "bias": blob.add(bias), "activation": _activation(layer, cell.activation),
             "recurrent_activation": _activation(layer, cell.recurrent_activation)}]


def _batch_norm(layer, blob):
    axis = layer.axis if np.isscalar(layer.axis) else layer.axis[0]
    if axis not in (-1, len(layer.input.shape) - 1):
        raise _unsupported(layer, f"axis {axis}; only the last (channels) axis")
    variance = np.asarray(layer.moving_variance, "float64")
    gamma = np.asarray(layer.gamma, "float64") if layer.scale else np.ones_like(variance)
    beta = np.asarray(layer.beta, "float64") if layer.center else np.zeros_like(variance)
    scale = gamma / np.sqrt(variance + layer.epsilon)
    shift = beta - np.asarray(layer.moving_mean, "float64") * scale
    return [{"type": "scale_shift", "name": layer.name, "scale": scale, "shift": shift}]  # arrays: folded below


def _activation_layer(layer, blob):
    kind = type(layer).__name__
    if kind == "Activation":
        return [{"type": "activation", "name": layer.name, "activation": _activation(layer, layer.activation)}]
    if kind == "LeakyReLU":
        slope = float(layer.negative_slope)
        return [{"type": "activation", "name": layer.name, "activation": {"name": "leaky_relu", "alpha": slope}}]
    if kind == "ELU":
        return [{"type": "activation", "name": layer.name, "activation": {"name": "elu", "alpha": float(layer.alpha)}}]
    if layer.max_value is not None or float(layer.threshold) != 0.0:  # ReLU
        raise _unsupported(layer, "max_value or threshold")
    slope = float(layer.negative_slope)
    activation = {"name": "leaky_relu", "alpha": slope} if slope else {"name": "relu"}
    return [{"type": "activation", "name": layer.name, "activation": activation}]


_BUILDERS = {
    "Dense": _dense, "ContractiveDense": _dense,  # the contractive penalty is a training loss: a Dense at inference
    "Conv2D": _conv, "Conv2DTranspose": lambda layer, blob: _conv(layer, blob, transpose=True),
    "UpSampling2D": _upsampling, "MaxPooling2D": _maxpool, "Cropping2D": _cropping, "Reshape": _reshape,
    "Flatten": _reshape, "RepeatVector": _repeat, "LSTM": _lstm, "BatchNormalization": _batch_norm,
    **dict.fromkeys(("Activation", "ReLU", "LeakyReLU", "ELU"), _activation_layer),
}


def _fold_batch_norms(specs: list[dict], blob: _Blob) -> list[dict]:
    """A scale and shift after a layer with a linear activation goes into its kernel and bias, in float64;
    any other one stays a per-channel step."""
    folded = []
    for spec in specs:
        if spec["type"] != "scale_shift":
            folded.append(spec)
            continue
        before = folded[-1] if folded else None
        linear = before and before["type"] in ("dense", "conv2d", "conv2d_transpose") and before["activation"]["name"] == "linear"
        if linear:
            _fold_into(before, spec, blob)
        else:
            folded.append({**spec, "scale": blob.add(spec["scale"]), "shift": blob.add(spec["shift"])})
    return folded


def _fold_into(layer_spec: dict, norm: dict, blob: _Blob):
    """Rewrites the layer's kernel and bias in the blob: w' = w * scale (per output channel), b' = b * scale + shift."""
    kernel, bias = _read(blob, layer_spec["kernel"]), _read(blob, layer_spec["bias"])
    _write(blob, layer_spec["kernel"], kernel * norm["scale"])  # the output channel is the kernel's last axis
    _write(blob, layer_spec["bias"], bias * norm["scale"] + norm["shift"])


def _read(blob: _Blob, reference: dict) -> np.ndarray:
    flat = np.concatenate(blob.parts)
    size = int(np.prod(reference["shape"]))
    return flat[reference["offset"] : reference["offset"] + size].astype("float64").reshape(reference["shape"])


def _write(blob: _Blob, reference: dict, values: np.ndarray):
    start = 0
    for index, part in enumerate(blob.parts):  # find the part that holds this reference (added whole)
        if start == reference["offset"]:
            blob.parts[index] = np.asarray(values, "<f4").ravel()
            return
        start += part.size
    raise AssertionError(f"no array at offset {reference['offset']}")


def weights_from_bytes(weights: bytes, reference: dict) -> np.ndarray:
    """One named array back out of the blob (tests and the benchmark read it)."""
    flat = np.frombuffer(weights, dtype="<f4")
    size = int(np.prod(reference["shape"]))
    return flat[reference["offset"] : reference["offset"] + size].reshape(reference["shape"])
