"""Placing unseen images on a map (issue #36), measured by hand; results go in bench/RESULTS.md.

Usage (one training or map at a time on the machine):
    flock /tmp/aecore-train.lock nice -n 19 python bench/placement.py [--store DIR] [--dataset fashion_mnist] [--epochs 5]

A conv model (code 32, 5 epochs unless --epochs) is trained into the store once and reused. Then, for PCA, UMAP and t-SNE:
- the training split's map and the whole dataset's ("all": train then test, so each test image's true place is
  where it lands when mapped together with the training codes), both computed and cached as `project` does;
- the 10,000 test codes placed on the training map from their 10 nearest codes (what the browser does) and by
  umap-learn's / openTSNE's transform: the share that lands in the right cluster (the majority class of the 10
  nearest map points is theirs), the same share for the true places, and the median distance between placed and
  true place after a least-squares similarity (rotation, scale, shift) that carries the joint map's training
  points onto the training map, in per cent of the training map's diagonal;
- the inverse on the spots where 500 test images were placed: each spot's code decoded (mean squared error
  against the test image, beside the model's own reconstruction's) and its class (the majority class of the
  code's 10 nearest training codes), nearby codes against umap-learn's inverse_transform, and their time;
- `python -m aecore place` on 300 test images as PNG files, the map cached: the whole command's time, with the
  images taken as they are (--margin 0) and shrunk into MNIST's frame as the Denoise page does a drawing.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODEL = "placement-conv"
INVERSE_SPOTS = 500
CLI_IMAGES = 300


def trained_model(store_dir: Path, dataset: str, epochs: int = 5) -> str:
    from aecore.store import modelstore

    if MODEL not in modelstore.ModelStore(store_dir).names():
        command = [sys.executable, "-m", "aecore", "train", "--family", "conv", "--dataset", dataset, "--latent-dim",
                   "32", "--epochs", str(epochs), "--patience", "0", "--snapshots", "off", "--name", MODEL,
                   "--store", str(store_dir)]
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(json.dumps({"trained": MODEL, "seconds": round(time.perf_counter() - started, 1)}), flush=True)
    return MODEL


def similarity(source: np.ndarray, target: np.ndarray):
    """The rotation (or reflection), scale and shift that best carry source (n, 2) onto target (n, 2)."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    a, b = source - source_mean, target - target_mean
    u, singular, vt = np.linalg.svd(a.T @ b)
    rotation, scale = u @ vt, singular.sum() / (a**2).sum()
    return lambda points: (points - source_mean) @ rotation * scale + target_mean


def majority_class(points, map_points, map_labels, search=None) -> np.ndarray:
    """(m,): the majority class of each point's 10 nearest map points."""
    from aecore.analysis import placement

    indices, _ = (search or placement._ExactIndex(map_points)).query(points, 10)
    return np.array([np.bincount(map_labels[row], minlength=10).argmax() for row in indices])


def right_cluster(points, map_points, map_labels, labels, search=None) -> float:
    return float(np.mean(majority_class(points, map_points, map_labels, search) == labels))


def placement_bench(store, autoencoder, dataset, method: str, inverse: bool = True) -> dict:
    from aecore.analysis import placement
    from aecore.store import mapcache

    n_train = len(dataset.x_train)
    train_map = mapcache.project(store, MODEL, autoencoder, dataset, "train", method).points
    joint_map = mapcache.project(store, MODEL, autoencoder, dataset, "all", method).points
    codes = mapcache.codes(store, MODEL, autoencoder, dataset, "all")
    train_codes, test_codes = codes[:n_train], codes[n_train:]
    started = time.perf_counter()
    placer = placement.Placer(train_codes, train_map, method)
    result = {"method": method, "setup_seconds": round(time.perf_counter() - started, 2)}
    to_train_frame = similarity(joint_map[:n_train], train_map)
    true_places = to_train_frame(joint_map[n_train:])
    diagonal = float(np.linalg.norm(np.ptp(train_map, axis=0)))
    search = placement._ExactIndex(train_map)
    true_majority = majority_class(joint_map[n_train:], joint_map[:n_train], dataset.y_train)
    result["true_right_cluster"] = round(float(np.mean(true_majority == dataset.y_test)), 4)
    result["alignment_error_pct"] = round(100 * float(np.median(np.linalg.norm(
        to_train_frame(joint_map[:n_train]) - train_map, axis=1))) / diagonal, 2)  # how far the two maps differ
    for how, refine in (("exact", False),) if method == "pca" else (("nearby", False), ("transform", True)):
        started = time.perf_counter()
        placed = placer.place(test_codes, refine=refine)
        result[f"{how}_seconds"] = round(time.perf_counter() - started, 2)
        result[f"{how}_right_cluster"] = round(right_cluster(placed, train_map, dataset.y_train, dataset.y_test,
                                                             search), 4)
        placed_majority = majority_class(placed, train_map, dataset.y_train, search)  # the cluster it lands in
        result[f"{how}_same_cluster_as_true_place"] = round(float(np.mean(placed_majority == true_majority)), 4)
        distances = np.linalg.norm(placed - true_places, axis=1)
        result[f"{how}_median_distance_pct"] = round(100 * float(np.median(distances)) / diagonal, 2)
    one = placer.place(test_codes[:1])
    started = time.perf_counter()
    for _ in range(20):
        placer.place(test_codes[:1], refine=method != "pca")
    result["one_image_refined_ms"] = round((time.perf_counter() - started) / 20 * 1000, 1)
    assert np.isfinite(one).all()
    if method != "pca" and inverse:
        result.update(inverse_bench(placer, autoencoder, dataset, test_codes, method))
    return result


def inverse_bench(placer, autoencoder, dataset, test_codes, method: str) -> dict:
    from aecore.analysis import metrics

    chosen = np.random.default_rng(0).choice(len(test_codes), min(INVERSE_SPOTS, len(test_codes)), replace=False)
    spots = placer.place(test_codes[chosen], refine=True)
    images, labels = dataset.x_test[chosen], dataset.y_test[chosen]
    own = metrics.mean_squared_error(images, autoencoder.decode(test_codes[chosen].reshape(-1, 32)))
    result = {"own_reconstruction_mse": round(float(np.median(own)), 5)}
    for how in ("nearby", "umap") if method == "umap" else ("nearby",):
        started = time.perf_counter()
        codes = placer.inverse(spots, how=how)
        result[f"inverse_{how}_seconds_{len(spots)}"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        placer.inverse(spots[:1], how=how)
        result[f"inverse_{how}_one_spot_ms"] = round((time.perf_counter() - started) * 1000, 1)
        decoded = autoencoder.decode(codes.reshape(-1, 32))
        result[f"inverse_{how}_mse"] = round(float(np.median(metrics.mean_squared_error(images, decoded))), 5)
        nearest, _ = placer.neighbours(codes)
        majority = np.array([np.bincount(dataset.y_train[row], minlength=10).argmax() for row in nearest])
        result[f"inverse_{how}_class"] = round(float(np.mean(majority == labels)), 4)
    return result


def cli_bench(store_dir: Path, dataset, method: str, margin: str) -> dict:
    from aecore.data import images

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index in range(CLI_IMAGES):
            paths.append(Path(folder) / f"test{index}.png")
            paths[-1].write_bytes(images.to_png_bytes(dataset.x_test[index]))
        command = [sys.executable, "-m", "aecore", "place", MODEL, *map(str, paths), "--dataset", dataset.name,
                   "--method", method, "--split", "train", "--store", str(store_dir), "--quiet", "--margin", margin]
        started = time.perf_counter()
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    majority = [np.bincount(line["neighbour_labels"], minlength=10).argmax() for line in lines]
    return {"cli_method": method, "margin": margin, "cli_images": len(lines), "cli_seconds": round(seconds, 1), "returncode": run.returncode,
            "cli_neighbour_class": round(float(np.mean(np.array(majority) == dataset.y_test[:len(lines)])), 4)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=Path.home() / ".cache" / "aecore" / "placement-bench")
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--methods", default="pca,umap,tsne")
    parser.add_argument("--no-inverse", action="store_true", help="skip the inverse (umap-learn's takes minutes)")
    parser.add_argument("--no-cli", action="store_true", help="skip timing `place`")
    parser.add_argument("--epochs", type=int, default=5, help="the model's training (a store keeps the first one)")
    arguments = parser.parse_args()
    from aecore.data import catalog
    from aecore.store import modelstore

    trained_model(arguments.store, arguments.dataset, arguments.epochs)
    store = modelstore.ModelStore(arguments.store)
    autoencoder, dataset = store.load(MODEL), catalog.load_dataset(arguments.dataset)
    for method in arguments.methods.split(","):
        print(json.dumps(placement_bench(store, autoencoder, dataset, method, not arguments.no_inverse)), flush=True)
    for method in [] if arguments.no_cli else arguments.methods.split(","):
        for margin in ("0", str(4 / 28)):  # the test images as they are; shrunk into MNIST's frame as a drawing is
            print(json.dumps(cli_bench(arguments.store, dataset, method, margin)), flush=True)


if __name__ == "__main__":
    main()
