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

from aecore.errors import ImportRefused, StoreError

MAX_IMPORT_BYTES = 200 * 1024 * 1024
INSPECT_TIMEOUT = 180  # seconds for the separate process (TensorFlow alone takes ~4 s to import)
MINIMUM_KERAS = (3, 11)
ALLOWED_MODULES = ("keras.layers", "keras.initializers", "keras.regularizers", "keras.constraints",
                   "keras.optimizers", "keras.losses", "keras.metrics", "keras.src.")
ALLOWED_TOP_LEVEL = {"Functional", "Sequential", "Model", "DTypePolicy", "FloatDTypePolicy"}
AECORE_CLASSES = {"aecore>ImageNoise", "aecore>KLSparsity", "aecore>ContractiveDense", "aecore>Sampling",
                  "aecore>VariationalAutoencoder"}
REFUSED_CLASSES = {"Lambda", "TFSMLayer", "function", "__lambda__"}
KERAS_DATA_NODES = {"__keras_tensor__", "__tuple__", "__numpy__", "__slice__"}  # plain data in a functional config


def keras_version() -> tuple[int, ...]:
    import keras

    return tuple(int(part) for part in keras.__version__.split(".")[:2])


def load_autoencoder(path: Path, meta: dict):
    """Loads a model this package saved; every custom class is registered by importing aecore.layers."""
    import keras

    from aecore import layers  # noqa: F401  (registers the custom classes)
    from aecore.autoencoder import from_keras

    try:
        model = keras.saving.load_model(path, safe_mode=True)
        return from_keras(model, meta["family"], meta.get("options", {}), meta)
    except Exception as error:  # Keras raises many types for a damaged file; the user needs one message
        reason = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        raise StoreError(f"{path.parent.name!r} cannot be loaded: {reason}") from None


def _walk_classes(node, found: list):
    if isinstance(node, dict):
        if "class_name" in node:
            found.append((node.get("module"), node.get("class_name"), node.get("registered_name")))
        for value in node.values():
            _walk_classes(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_classes(value, found)


def check_config(config: dict) -> list[tuple]:
    """Refuses any class that is not a plain Keras building block or one of aecore's own."""
    found = []
    _walk_classes(config, found)
    for module, class_name, registered in found:
        if class_name in REFUSED_CLASSES:
            raise ImportRefused(f"the model uses {class_name}, which can run arbitrary code; only plain layers are accepted")
        if registered in AECORE_CLASSES or (class_name in KERAS_DATA_NODES and module is None):
            continue
        if module == "keras" and class_name in ALLOWED_TOP_LEVEL:
            continue
        if not (isinstance(module, str) and module.startswith(ALLOWED_MODULES)):
            raise ImportRefused(f"the model uses the class {class_name!r} from {module!r}, which is not a Keras "
                                "built-in or an aecore layer, so it is refused")
    return found


def inspect_file(path: Path) -> dict:
    """Static checks of a .keras archive, without loading any of it into this process."""
    if keras_version() < MINIMUM_KERAS:
        raise ImportRefused("importing needs Keras >= 3.11 (older versions have known safe_mode bypasses)")
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
    classes = check_config(config)
    return {"classes": sorted({name for _, name, _ in classes})}


def guess_family(class_names) -> str:
    names = set(class_names)
    for class_name, family in [("VariationalAutoencoder", "vae"), ("ImageNoise", "denoising"), ("LSTM", "lstm"),
                               ("ContractiveDense", "contractive"), ("Conv2D", "conv")]:
        if class_name in names:
            return family
    return "dense"


def inspect_in_subprocess(path: Path) -> dict:
    """Loads the file in a separate process: whatever it does on load cannot touch this one."""
    command = [sys.executable, "-m", "aecore.serialization", str(path)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=INSPECT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ImportRefused(f"{path.name} took longer than {INSPECT_TIMEOUT} s to load and was refused") from None
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"error": result.stderr[-300:]}
    if "error" in report:
        raise ImportRefused(f"{path.name} was refused: {report['error']}")
    return report


def _report(path: str) -> dict:
    """Run in the separate process: load with safe_mode and check it is an explorable autoencoder."""
    from aecore.autoencoder import from_keras

    try:
        model = load_autoencoder(Path(path), {"family": "dense"}).model
        autoencoder = from_keras(model, "dense", {}, {})
    except Exception as error:
        return {"error": str(error)}
    input_shape = list(autoencoder.input_shape)
    output_shape = [int(size) for size in model.output_shape[1:]]
    if output_shape != input_shape or len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        return {"error": f"it maps {input_shape} to {output_shape}; an autoencoder maps an image (h, w, 1 or 3) to itself"}
    return {"input_shape": input_shape, "code_shape": list(autoencoder.code_shape), "params": model.count_params()}


def import_model(path, store, name: str | None = None):
    """The guarded import: static checks, a separate-process load, then a normal save into the store."""
    path = Path(path)
    static = inspect_file(path)
    report = inspect_in_subprocess(path)
    family = guess_family(static["classes"])
    meta = {"family": family, "options": {}, "imported_from": path.name, "dataset": "imported",
            "input_shape": report["input_shape"], "latent_dim": int(__import__("math").prod(report["code_shape"])),
            "code_shape": report["code_shape"], "params": report["params"], "metrics": {}, "history": {}}
    autoencoder = load_autoencoder(path, meta)
    return store.save(autoencoder, name or path.stem)


if __name__ == "__main__":
    print(json.dumps(_report(sys.argv[1])))
