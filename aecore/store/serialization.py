"""Loading saved autoencoders, and the guarded import of `.keras` files that came from elsewhere.

`safe_mode` alone has been bypassed several times (CVE-2025-1550, CVE-2025-8747, CVE-2025-9906), so an
imported file is (1) checked by size and extension, (2) its config.json is read as data and every class it
names must be on an allow-list, (3) it is loaded in a separate process, and only then (4) loaded here.
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from aecore.base import children
from aecore.errors import ImportRefused, StoreError

MAX_IMPORT_BYTES = 200 * 1024 * 1024
INSPECT_TIMEOUT = 180  # seconds for the separate process (TensorFlow alone takes ~4 s to import)
MINIMUM_KERAS = (3, 12)
ALLOWED_MODULES = ("keras.layers", "keras.initializers", "keras.regularizers", "keras.constraints",
                   "keras.optimizers", "keras.losses", "keras.metrics", "keras.src.")
ALLOWED_TOP_LEVEL = {"Functional", "Sequential", "Model", "DTypePolicy", "FloatDTypePolicy"}
AECORE_CLASSES = {"aecore>ImageNoise", "aecore>KLSparsity", "aecore>ContractiveDense", "aecore>Sampling",
                  "aecore>VariationalAutoencoder"}
REFUSED_CLASSES = {"Lambda", "TFSMLayer", "function", "__lambda__"}
KERAS_DATA_NODES = {"__keras_tensor__", "__tuple__", "__numpy__", "__slice__"}  # plain data in a functional config
PLAIN_LAYER_CONFIG = {"name", "trainable", "dtype"}  # what every layer's get_config() holds
# The keras.io VAE's Sampling as the file names it: unregistered, or registered with
# @keras.saving.register_keras_serializable() and its default package ("Custom>Sampling").
SAMPLING_NAMES = ("Sampling", "Custom>Sampling")
HOW_TO_SAVE = ("to import it, save the encoder and the decoder as two .keras files built from Keras layers only "
               "(the sampling step of a VAE may stay: a layer named Sampling with no settings is recognised)")


def keras_version() -> tuple[int, ...]:
    import keras

    return tuple(int(part) for part in keras.__version__.split(".")[:2])


def load_autoencoder(path: Path, meta: dict):
    """Loads a model this package saved; every custom class is registered by importing aecore.models.layers."""
    import keras

    from aecore.models import layers  # noqa: F401  (registers the custom classes)
    from aecore.models.autoencoder import from_keras

    try:
        model = keras.saving.load_model(path, safe_mode=True)
        return from_keras(model, meta["family"], meta.get("options", {}), meta)
    except Exception as error:  # noqa: BLE001  Keras raises many types for a damaged file; the user needs one message
        reason = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        raise StoreError(f"{path.parent.name!r} cannot be loaded: {reason}") from None


def _walk_classes(node, found: list):
    if isinstance(node, dict):
        if "class_name" in node:
            found.append((node.get("module"), node.get("class_name"), node.get("registered_name"), node.get("config")))
        for value in node.values():
            _walk_classes(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_classes(value, found)


def _is_plain_sampling(class_name, registered, config) -> bool:
    """The keras.io VAE's `Sampling` layer: nothing in its config beyond what every layer has, so this
    package's own `aecore.models.layers.Sampling` (same maths) stands in for it and no code from the file runs.
    Keras looks `custom_objects` up by the registered name before it would import the class's module."""
    return class_name == "Sampling" and registered in SAMPLING_NAMES and isinstance(config, dict) \
        and set(config) <= PLAIN_LAYER_CONFIG


def check_config(config: dict) -> list[tuple]:
    """Refuses any class that is not a plain Keras building block, one of aecore's own, or `Sampling`."""
    found = []
    _walk_classes(config, found)
    for module, class_name, registered, settings in found:
        if class_name in REFUSED_CLASSES:
            raise ImportRefused(f"the model uses {class_name}, which can run arbitrary code; only plain layers are accepted")
        if registered in AECORE_CLASSES or (class_name in KERAS_DATA_NODES and module is None):
            continue
        if module == "keras" and class_name in ALLOWED_TOP_LEVEL or _is_plain_sampling(class_name, registered, settings):
            continue
        if not (isinstance(module, str) and module.startswith(ALLOWED_MODULES)):
            raise ImportRefused(f"the model uses the class {class_name!r} from {module!r}, which is not a Keras "
                                f"built-in or an aecore layer, so it is refused; {HOW_TO_SAVE}")
    return found


def inspect_file(path: Path) -> dict:
    """Static checks of a .keras archive, without loading any of it into this process."""
    if keras_version() < MINIMUM_KERAS:
        raise ImportRefused("importing needs Keras >= 3.12 (older versions have known safe_mode bypasses)")
    if path.suffix.lower() != ".keras":
        raise ImportRefused(f"{path.name}: only Keras 3 '.keras' files are accepted (HDF5 '.h5' files are refused)")
    if not path.is_file():
        raise ImportRefused(f"{path} does not exist")
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise ImportRefused(f"{path.name} is {size / 2**20:.0f} MiB; the limit is {MAX_IMPORT_BYTES / 2**20:.0f} MiB")
    if not zipfile.is_zipfile(path):
        raise ImportRefused(f"{path.name} is not a .keras archive (not a zip file: truncated, HDF5 or something else)")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
        raise ImportRefused(f"{path.name} has no readable config.json ({error})") from None
    try:
        classes = check_config(config)
    except ImportRefused as error:
        raise ImportRefused(f"{path.name}: {error}") from None
    return {"classes": sorted({found[1] for found in classes})}


def guess_family(class_names) -> str:
    names = set(class_names)
    for class_name, family in [("VariationalAutoencoder", "vae"), ("ImageNoise", "denoising"), ("LSTM", "lstm"),
                               ("ContractiveDense", "contractive"), ("Conv2D", "conv")]:
        if class_name in names:
            return family
    return "dense"


def load_foreign(path: Path):
    """Loads an imported file with safe_mode; the keras.io `Sampling` layer becomes aecore's own."""
    import keras

    from aecore.models import layers

    try:
        return keras.saving.load_model(path, safe_mode=True, custom_objects={name: layers.Sampling for name in SAMPLING_NAMES})
    except Exception as error:  # noqa: BLE001  Keras raises many types for a damaged file; the user needs one message
        reason = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        raise ImportRefused(f"{path.name} cannot be loaded: {reason}") from None


def _settings_dict(settings) -> dict:
    return {"bottleneck": settings.bottleneck, "value_range": settings.value_range,
            "image_shape": list(settings.image_shape) if settings.image_shape else None}


def _build(paths: list[Path], settings):
    from aecore.models import foreign

    models = [load_foreign(path) for path in paths]
    return foreign.build(models[0], models[1] if len(models) > 1 else None, settings)


def inspect_in_subprocess(paths: list[Path], settings) -> dict:
    """Loads the files in a separate process: whatever they do on load cannot touch this one."""
    request = json.dumps({"paths": [str(path) for path in paths], "settings": _settings_dict(settings)})
    command = children.command(request, module="aecore.store.serialization")
    names = " + ".join(path.name for path in paths)
    try:
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=INSPECT_TIMEOUT, env=children.environment())
    except subprocess.TimeoutExpired:
        raise ImportRefused(f"{names} took longer than {INSPECT_TIMEOUT} s to load and was refused") from None
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"error": result.stderr.strip()[-300:]}
    if "error" in report:
        raise ImportRefused(f"{names} was refused: {report['error']}")
    return report


def _report(request: dict) -> dict:
    """Run in the separate process: load, split into encoder and decoder, and describe the result."""
    from aecore.models import foreign

    shape = request["settings"]["image_shape"]
    settings = foreign.ImportSettings(**{**request["settings"], "image_shape": tuple(shape) if shape else None})
    try:
        autoencoder = _build([Path(path) for path in request["paths"]], settings)
    except Exception as error:  # noqa: BLE001  the parent turns any failure into one refusal line
        return {"error": str(error).strip().splitlines()[0][:400] if str(error).strip() else type(error).__name__}
    return {**autoencoder.meta["imported"], "family": autoencoder.family, "input_shape": list(autoencoder.input_shape),
            "code_shape": list(autoencoder.code_shape), "params": autoencoder.count_params()}


def inspect_import(path, decoder=None, settings=None) -> dict:
    """Every check short of storing: static checks of each file, then the separate-process load and split.

    Returns the split's facts: kind, family, bottleneck, candidates, image_shape, code_shape, params."""
    from aecore.models import foreign

    paths = [Path(path)] + ([Path(decoder)] if decoder else [])
    classes = [name for each in paths for name in inspect_file(each)["classes"]]
    report = inspect_in_subprocess(paths, settings or foreign.ImportSettings())
    special = guess_family(classes)  # this package's own denoising, LSTM or contractive models keep their family
    return {**report, "family": special if special in ("denoising", "lstm", "contractive") else report["family"]}


def measuring_dataset(name: str, image_shape: tuple, filename: str, fitting: list[str], store_root=None):
    """The dataset an import is measured on; refused when its images are not the model's size."""
    from aecore.store import importdata

    images = importdata.load(name, store_root)
    if images.input_shape != tuple(image_shape):
        raise ImportRefused(f"{name} has {images.input_shape} images; {filename} takes {tuple(image_shape)}. "
                            f"Datasets of that size: {', '.join(fitting) or 'none here'}")
    return images


def import_model(path, store, name: str | None = None, decoder=None, settings=None, dataset=None):
    """The guarded import: static checks, a separate-process load, then a split, test metrics (and, on labelled
    data, probe accuracies) on `dataset` and a normal save into the store.

    `dataset`: a dataset's name (used as it is); a data file (.npz, .zip, a folder of images), which becomes one of
    the user's datasets at the model's image size, named after the file, or the one made from the same file before;
    an `importdata.ImportData` (the same, with a name for the file's dataset, what its card says it came from, a
    progress callback); None: the first available dataset of the model's size. The card names the dataset
    (aecore.training.cards.own_dataset) and, for a data file, `dataset_added` says whether it was reused."""
    from aecore.analysis import metrics, probes
    from aecore.data import catalog
    from aecore.models import foreign
    from aecore.store import importdata

    settings, choice = settings or foreign.ImportSettings(), importdata.as_import_data(dataset)
    paths = [Path(path)] + ([Path(decoder)] if decoder else [])
    importdata.is_data_file(choice, store.root)  # a name that cannot be used is refused before the files load
    report = inspect_import(path, decoder, settings)
    autoencoder = _build(paths, settings)
    chosen = importdata.resolve(choice, report["image_shape"], store.root)
    autoencoder.family = report["family"]
    meta = {"family": autoencoder.family, "options": {}, "imported_from": " + ".join(each.name for each in paths),
            "imported": autoencoder.meta["imported"], "dataset": chosen["dataset"] or "imported",
            "input_shape": list(autoencoder.input_shape), "latent_dim": autoencoder.latent_dim,
            "code_shape": list(autoencoder.code_shape), "params": autoencoder.count_params(), "metrics": {}, "history": {}}
    if chosen["dataset"]:
        fitting = catalog.fitting_datasets(report["image_shape"])
        images = measuring_dataset(chosen["dataset"], autoencoder.input_shape, paths[0].name, fitting, store.root)
        summary = metrics.summarize(images.x_test, autoencoder.reconstruct(images.x_test))
        found = probes.code_probes(autoencoder, images) or {}  # about a second; the pages read it off the card
        meta.update(dataset=images.name, dataset_source=images.source, class_names=images.class_names,
                    metrics={**{f"test_{key}": value for key, value in summary.items()},
                             **{key: value for key, value in found.items() if key.endswith("accuracy")}},
                    dataset_added=chosen["added"])
    autoencoder.meta = meta
    return store.save(autoencoder, name or paths[0].stem)


if __name__ == "__main__":
    print(json.dumps(_report(json.loads(sys.argv[1]))))
