"""Autoencoders written elsewhere, the way notebooks write them, turned into this package's `Autoencoder`.

A notebook saves one model (`Input -> ... -> narrowest layer -> ... -> output`, no sub-models named
encoder/decoder) or an encoder and a decoder as two files (the keras.io VAE saves `[z_mean, z_log_var, z]`).
Here the graph is replayed layer by layer (the same layer objects, so the same weights) behind a small
adapter, so every page sees what it sees for a model trained here:

    image (h, w, c) in [0, 1] -> rescale to the model's range -> reshape to its input (784,) ... -> code
    code -> ... -> reshape to (h, w, c) -> rescale back to [0, 1]

The encoder and decoder are flat functional models named "encoder" and "decoder" (their conv layers at
the top, for Feature maps), so a stored import loads like any other model (`autoencoder.from_keras`).
"""

import math
from dataclasses import dataclass

import keras
from keras import layers

from aecore.errors import ImportRefused
from aecore.models.autoencoder import Autoencoder

VALUE_RANGES = {"0-1": (0.0, 1.0), "0-255": (0.0, 255.0), "-1-1": (-1.0, 1.0)}  # pixel range -> (low, high)
ADAPTER_PREFIX = "aecore_"  # names of the layers added around the model


@dataclass
class ImportSettings:
    bottleneck: str | None = None  # layer whose output is the code; None = the narrowest (the earliest on a tie)
    image_shape: tuple | None = None  # (h, w, c) to show a flat model's vectors as; None = from the size
    value_range: str = "0-1"  # the pixel range the model was trained on: "0-1", "0-255" or "-1-1"


@dataclass
class Candidate:
    layer: str  # layer name
    shape: tuple  # its output shape without the batch axis
    size: int  # numbers in that output


def parse_image_shape(text: str | None) -> tuple | None:
    """'28,28,1' -> (28, 28, 1); '' or None -> None."""
    if not text or not str(text).strip():
        return None
    try:
        shape = tuple(int(part) for part in str(text).replace("x", ",").split(",") if part.strip())
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1 or shape[2] not in (1, 3):
        raise ImportRefused(f"image shape {text!r} is not H,W,C with C 1 or 3 (e.g. 28,28,1)")
    return shape


def image_shape_for(input_shape: tuple, given: tuple | None) -> tuple:
    """The image a model input is shown as: (h, w, c) as is, (h, w) as (h, w, 1), (n,) as k x k x 1 or k x k x 3."""
    size = math.prod(input_shape)
    if given is not None:
        if math.prod(given) != size:
            raise ImportRefused(f"the image shape {tuple(given)} has {math.prod(given)} pixels; the model takes "
                                f"{input_shape} = {size} numbers")
        return tuple(given)
    if len(input_shape) == 3 and input_shape[-1] in (1, 3):
        return tuple(input_shape)
    if len(input_shape) == 2:
        return (*input_shape, 1)
    for channels in (1, 3):
        side = math.isqrt(size // channels)
        if len(input_shape) == 1 and side * side * channels == size:
            return (side, side, channels)
    raise ImportRefused(f"the model takes {input_shape}, which is not an image nor k*k or 3*k*k numbers; "
                        "give the image shape (--image-shape H,W,C)")


def _scale(tensor, value_range: str, inward: bool, name: str):
    if value_range not in VALUE_RANGES:
        raise ImportRefused(f"value range {value_range!r} is not one of {', '.join(VALUE_RANGES)}")
    low, high = VALUE_RANGES[value_range]
    if (low, high) == (0.0, 1.0):
        return tensor
    if inward:  # [0, 1] -> [low, high]
        return layers.Rescaling(high - low, offset=low, name=name)(tensor)
    return layers.Rescaling(1.0 / (high - low), offset=-low / (high - low), name=name)(tensor)


def _reshaped(tensor, shape: tuple, name: str):
    return tensor if tuple(tensor.shape[1:]) == tuple(shape) else layers.Reshape(shape, name=name)(tensor)


# ---------------------------------------------------------------- replaying a graph

def _call(operation, args, kwargs):
    """Calls one layer, or inlines a nested model so its layers appear in the new graph themselves."""
    if isinstance(operation, keras.Sequential):
        tensor = args[0]
        for layer in operation.layers:
            tensor = _call(layer, (tensor,), {})
        return tensor
    if isinstance(operation, keras.Model) and hasattr(operation, "_nodes_by_depth"):  # functional
        inputs = keras.tree.flatten(args)
        known = {id(reference): tensor for reference, tensor in zip(operation.inputs, inputs)}
        _walk(operation, known)
        outputs = [known[id(reference)] for reference in operation.outputs]
        return outputs if len(outputs) > 1 else outputs[0]
    if isinstance(operation, keras.Model):
        raise ImportRefused(f"the sub-model {operation.name!r} is a subclassed model ({type(operation).__name__}); "
                            "only functional and Sequential models can be replayed")
    return operation(*args, **kwargs)


def _walk(model, known: dict) -> dict:
    """Fills `known` (id of a tensor in `model` -> new tensor) through every node whose inputs are known.

    Keras orders nodes by depth (distance to the output): a node never feeds one of the same depth.
    The private `_nodes_by_depth` is what `Functional._run_through_graph` walks too.
    """
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.is_input or not node.operation or all(id(tensor) in known for tensor in node.outputs):
                continue
            if any(id(tensor) not in known for tensor in node.input_tensors):
                continue
            args, kwargs = node.arguments.fill_in(known)
            outputs = _call(node.operation, args, kwargs)
            for reference, tensor in zip(node.outputs, keras.tree.flatten(outputs)):
                known[id(reference)] = tensor
    return known


def _nodes_in_order(model) -> list:
    return [node for depth in sorted(model._nodes_by_depth, reverse=True) for node in model._nodes_by_depth[depth]
            if not node.is_input and node.operation is not None]


def _single_input_shape(model) -> tuple:
    if len(model.inputs) != 1:
        raise ImportRefused(f"{model.name!r} takes {len(model.inputs)} inputs; an autoencoder takes one image")
    return tuple(int(size) for size in model.inputs[0].shape[1:])


def _adapted_input(model, settings: ImportSettings):
    """(image input, the tensor to feed the model, image shape): rescale, then reshape to the model's input."""
    model_shape = _single_input_shape(model)
    image_shape = image_shape_for(model_shape, settings.image_shape)
    image = keras.Input(image_shape, name=f"{ADAPTER_PREFIX}image")
    scaled = _scale(image, settings.value_range, True, f"{ADAPTER_PREFIX}to_model_range")
    return image, _reshaped(scaled, model_shape, f"{ADAPTER_PREFIX}to_model_input"), image_shape


def _adapted_output(tensor, image_shape: tuple, settings: ImportSettings, what: str):
    shape = tuple(int(size) for size in tensor.shape[1:])
    if math.prod(shape) != math.prod(image_shape):
        raise ImportRefused(f"{what} maps {image_shape} images to {shape}; an autoencoder's output has its "
                            "input's shape (is it a classifier?)")
    images = _reshaped(tensor, image_shape, f"{ADAPTER_PREFIX}to_image")
    return _scale(images, settings.value_range, False, f"{ADAPTER_PREFIX}to_unit_range")


# ---------------------------------------------------------------- one model: find the bottleneck and split

def candidates(flat: keras.Model) -> list[tuple[Candidate, object]]:
    """Every layer output between the input and the output, input side first, with its tensor."""
    found = []
    final = {id(tensor) for tensor in flat.outputs}
    for node in _nodes_in_order(flat):
        name = node.operation.name
        if name.startswith(ADAPTER_PREFIX) or len(node.outputs) != 1 or id(node.outputs[0]) in final:
            continue
        shape = tuple(int(size) for size in node.outputs[0].shape[1:])
        found.append((Candidate(name, shape, math.prod(shape)), node.outputs[0]))
    return found


def choose_bottleneck(found: list, wanted: str | None):
    if not found:
        raise ImportRefused("the model has no layer between its input and its output to take as the code")
    if wanted is None:
        # On a tie the earliest: the write-up's conv model ends its encoder with `encoded` (MaxPooling2D, 4x4x8)
        # and starts its decoder with a Conv2D of the same size; the deepest would explore a decoder feature.
        narrowest = min(candidate.size for candidate, _ in found)
        return next(pair for pair in found if pair[0].size == narrowest)
    for pair in found:
        if pair[0].layer == wanted:
            return pair
    names = ", ".join(candidate.layer for candidate, _ in found)
    raise ImportRefused(f"there is no layer {wanted!r} to take as the bottleneck; the layers are: {names}")


def check_cut(flat: keras.Model, bottleneck, name: str):
    """Refuses a graph where a path from the input reaches the output around the bottleneck."""
    after = {id(bottleneck)}
    for node in _nodes_in_order(flat):
        inside = [id(tensor) in after for tensor in node.input_tensors]
        if any(inside) and not all(inside):
            skipped = next(tensor for tensor, ok in zip(node.input_tensors, inside) if not ok)
            source = skipped._keras_history.operation.name
            source = "the model's input" if source.startswith(ADAPTER_PREFIX) else repr(source)
            raise ImportRefused(f"layer {node.operation.name!r} also takes the output of {source}, which does not "
                                f"pass through the bottleneck {name!r} (a skip connection or U-Net); pick another "
                                "bottleneck layer, or save the encoder and decoder as two files")
        if any(inside):
            after.update(id(tensor) for tensor in node.outputs)
    if not all(id(tensor) in after for tensor in flat.outputs):
        raise ImportRefused(f"the model's output does not depend on the bottleneck {name!r}")


def split_single(model: keras.Model, settings: ImportSettings) -> tuple[keras.Model, keras.Model, dict]:
    """(encoder, decoder, facts) for one model: image -> bottleneck, and a new code input -> image."""
    image, fed, image_shape = _adapted_input(model, settings)
    output = _call(model, (fed,), {})
    if isinstance(output, (list, tuple)):
        raise ImportRefused(f"the model gives {len(output)} outputs; an autoencoder gives one image")
    decoded = _adapted_output(output, image_shape, settings, "the model")  # a classifier stops here
    flat = keras.Model(image, output)
    layer_outputs = candidates(flat)
    chosen, bottleneck = choose_bottleneck(layer_outputs, settings.bottleneck)
    check_cut(flat, bottleneck, chosen.layer)
    encoder = keras.Model(image, bottleneck, name="encoder")
    code = keras.Input(chosen.shape, name=f"{ADAPTER_PREFIX}code")
    known = _walk(keras.Model(image, decoded), {id(bottleneck): code})
    decoder = keras.Model(code, known[id(decoded)], name="decoder")
    facts = {"kind": "single", "bottleneck": chosen.layer, "image_shape": list(image_shape),
             "candidates": [[candidate.layer, list(candidate.shape)] for candidate, _ in layer_outputs]}
    return encoder, decoder, facts


# ---------------------------------------------------------------- two files: encoder and decoder

def split_pair(encoder_file: keras.Model, decoder_file: keras.Model, settings: ImportSettings):
    """(encoder, decoder, facts); an encoder giving [z_mean, z_log_var] or [z_mean, z_log_var, z] is a VAE."""
    image, fed, image_shape = _adapted_input(encoder_file, settings)
    outputs = _call(encoder_file, (fed,), {})
    variational = isinstance(outputs, (list, tuple))
    if variational:
        shapes = {tuple(tensor.shape[1:]) for tensor in outputs}
        if len(outputs) not in (2, 3) or len(shapes) != 1:
            raise ImportRefused(f"the encoder gives {len(outputs)} outputs of shapes {sorted(shapes)}; a VAE encoder "
                                "gives [z_mean, z_log_var] or [z_mean, z_log_var, z] of one shape")
        outputs = list(outputs[:2])  # z is a random draw; pictures use z_mean
    code_shape = tuple(int(size) for size in (outputs[0] if variational else outputs).shape[1:])
    decoder_shape = _single_input_shape(decoder_file)
    if decoder_shape != code_shape:
        raise ImportRefused(f"the encoder gives codes of shape {code_shape} but the decoder takes {decoder_shape}; "
                            "are these two halves of one model?")
    encoder = keras.Model(image, outputs, name="encoder")
    code = keras.Input(code_shape, name=f"{ADAPTER_PREFIX}code")
    decoded = _call(decoder_file, (code,), {})
    if isinstance(decoded, (list, tuple)):
        raise ImportRefused(f"the decoder gives {len(decoded)} outputs; it should give one image")
    decoder = keras.Model(code, _adapted_output(decoded, image_shape, settings, "encoder + decoder"), name="decoder")
    facts = {"kind": "vae" if variational else "pair", "bottleneck": encoder_file.name,
             "image_shape": list(image_shape), "candidates": []}
    return encoder, decoder, facts


def family_of(encoder: keras.Model, decoder: keras.Model, variational: bool) -> str:
    if variational:
        return "vae"
    convolutional = (layers.Conv2D, layers.Conv2DTranspose)
    return "conv" if any(isinstance(layer, convolutional) for layer in encoder.layers + decoder.layers) else "dense"


def build(model: keras.Model, decoder_file: keras.Model | None, settings: ImportSettings) -> Autoencoder:
    """The explorable autoencoder: `model` alone (split at its bottleneck) or `model` + `decoder_file`."""
    if decoder_file is None and isinstance(getattr(model, "encoder", None), keras.Model) \
            and isinstance(getattr(model, "decoder", None), keras.Model) and not hasattr(model, "_nodes_by_depth"):
        model, decoder_file = model.encoder, model.decoder  # a subclassed model (this package's VAE)
    if decoder_file is None:
        encoder, decoder, facts = split_single(model, settings)
    else:
        encoder, decoder, facts = split_pair(model, decoder_file, settings)
    image = keras.Input(encoder.inputs[0].shape[1:], name="image")
    codes = encoder(image)
    full = keras.Model(image, decoder(codes[0] if facts["kind"] == "vae" else codes), name="imported")
    family = family_of(encoder, decoder, facts["kind"] == "vae")
    facts = {**facts, "value_range": settings.value_range}
    return Autoencoder(family=family, model=full, encoder=encoder, decoder=decoder, options={}, meta={"imported": facts})
