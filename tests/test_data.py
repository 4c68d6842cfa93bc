"""The dataset catalogue on real data: sklearn's digits, Debian's Fashion-MNIST, files made here.

No test touches the network: AECORE_OFFLINE=1 is set for every test, KERAS_HOME points into
tmp_path, and the one "download" test replaces keras.datasets.mnist with a stand-in.
"""

import gzip
import struct
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aecore import errors
from aecore.data import catalog, idx

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
needs_debian_fashion_mnist = pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.is_dir(),
    reason="Debian package dataset-fashion-mnist is not installed (no /usr/share/datasets/...)",
)


@pytest.fixture(autouse=True)
def offline_with_empty_keras_cache(monkeypatch, tmp_path):
    """No downloads, and the real ~/.keras cache cannot leak into a test."""
    monkeypatch.setenv("AECORE_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path / "keras_home" / "datasets"


@pytest.fixture
def no_system_fashion_mnist(monkeypatch):
    monkeypatch.setattr(catalog, "SYSTEM_FASHION_MNIST_DIRS", ())


def random_pixels(count, height=28, width=28, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(count, height, width), dtype=np.uint8)


def write_idx(path: Path, array: np.ndarray, compress: bool) -> Path:
    """The IDX layout by hand: magic 0x0000 08 <ndim>, big-endian uint32 dims, uint8 values."""
    payload = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload += array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path


def write_image(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


# ---------------------------------------------------------------- named datasets


def test_digits_are_8x8_unit_floats_with_stratified_seeded_split():
    dataset = catalog.load_dataset("digits")
    assert dataset.x_train.shape == (1497, 8, 8, 1) and dataset.x_test.shape == (300, 8, 8, 1)
    assert dataset.input_shape == (8, 8, 1)
    assert dataset.x_train.dtype == np.float32 and dataset.y_train.dtype == np.int64
    assert dataset.x_train.min() == 0.0 and dataset.x_train.max() == 1.0
    assert set(dataset.y_test) == set(range(10))
    assert np.bincount(dataset.y_test).min() >= 29  # stratified: ~30 of each digit
    assert dataset.class_names == [str(digit) for digit in range(10)]
    assert dataset.source == "scikit-learn bundled"

    again = catalog.load_dataset("digits", seed=0)
    other_seed = catalog.load_dataset("digits", seed=1)
    np.testing.assert_array_equal(again.x_test, dataset.x_test)
    assert not np.array_equal(other_seed.y_test, dataset.y_test)


@needs_debian_fashion_mnist
def test_fashion_mnist_loads_from_the_debian_folder():
    dataset = catalog.load_dataset("fashion_mnist")
    assert dataset.x_train.shape == (60000, 28, 28, 1)
    assert dataset.x_test.shape == (10000, 28, 28, 1)
    assert dataset.x_train.dtype == np.float32
    assert 0 <= dataset.x_test.min() < dataset.x_test.max() <= 1
    assert dataset.y_test.shape == (10000,) and set(dataset.y_test) == set(range(10))
    assert dataset.class_names[0] == "T-shirt/top" and dataset.class_names[9] == "Ankle boot"
    assert dataset.source == str(DEBIAN_FASHION_MNIST)
    assert catalog.default_dataset_name() == "fashion_mnist"


def test_fashion_mnist_in_the_keras_cache_comes_before_the_system_folder(
    offline_with_empty_keras_cache,
):
    cache = offline_with_empty_keras_cache / "fashion-mnist"
    cache.mkdir(parents=True)
    labels = np.arange(9) % 10
    write_idx(cache / "train-images-idx3-ubyte", random_pixels(6), compress=True)
    write_idx(cache / "train-labels-idx1-ubyte", labels[:6], compress=True)
    write_idx(cache / "t10k-images-idx3-ubyte", random_pixels(3), compress=True)
    write_idx(cache / "t10k-labels-idx1-ubyte", labels[6:], compress=True)
    dataset = catalog.load_dataset("Fashion-MNIST")  # spelling variants are accepted
    assert dataset.name == "fashion_mnist" and dataset.source == str(cache)
    assert len(dataset.x_train) == 6 and dataset.class_names[8] == "Bag"


def test_mnist_loads_from_the_keras_cache(offline_with_empty_keras_cache, no_system_fashion_mnist):
    cache = offline_with_empty_keras_cache
    cache.mkdir(parents=True)
    x_train, x_test = random_pixels(50), random_pixels(20, seed=1)
    labels = np.arange(70, dtype=np.uint8) % 10
    np.savez(
        cache / "mnist.npz", x_train=x_train, y_train=labels[:50], x_test=x_test, y_test=labels[50:]
    )

    dataset = catalog.load_dataset("mnist")
    assert dataset.x_train.shape == (50, 28, 28, 1) and dataset.x_test.shape == (20, 28, 28, 1)
    np.testing.assert_allclose(dataset.x_test[..., 0], x_test / 255, rtol=1e-6)
    np.testing.assert_array_equal(dataset.y_train, labels[:50])
    assert dataset.class_names == [str(digit) for digit in range(10)]
    assert catalog.default_dataset_name() == "mnist"
    assert {info.name: info.available for info in catalog.list_datasets()}["mnist"]


def test_mnist_offline_and_uncached_says_where_to_put_it(no_system_fashion_mnist):
    message = (
        r"MNIST is not cached and was not downloaded because AECORE_OFFLINE=1: "
        r"put mnist\.npz in .*keras_home/datasets/ or pick another dataset \(available: digits\)"
    )
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset("mnist")
    message = r"Fashion-MNIST is not cached.*train-images-idx3-ubyte\.gz.*dataset-fashion-mnist"
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset("fashion_mnist")


def test_a_failed_download_becomes_one_dataset_error(monkeypatch):
    def no_network():
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setenv("AECORE_OFFLINE", "0")
    fake_module = types.SimpleNamespace(load_data=no_network)
    monkeypatch.setitem(sys.modules, "keras.datasets.mnist", fake_module)
    message = r"MNIST is not cached and could not be downloaded \(no network\?\): put mnist\.npz in"
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset("mnist")


def test_a_successful_download_is_converted_like_everything_else(monkeypatch):
    labels = np.arange(12, dtype=np.uint8) % 10
    downloaded = ((random_pixels(8), labels[:8]), (random_pixels(4), labels[8:]))
    monkeypatch.setenv("AECORE_OFFLINE", "0")
    fake_module = types.SimpleNamespace(load_data=lambda: downloaded)
    monkeypatch.setitem(sys.modules, "keras.datasets.mnist", fake_module)
    dataset = catalog.load_dataset("mnist")
    assert dataset.x_test.shape == (4, 28, 28, 1)
    assert dataset.source.startswith("downloaded by Keras")


def test_default_falls_back_to_digits_and_catalogue_says_why(no_system_fashion_mnist):
    assert catalog.default_dataset_name() == "digits"
    infos = {info.name: info for info in catalog.list_datasets()}
    assert list(infos) == catalog.dataset_names() == ["digits", "fashion_mnist", "mnist"]
    assert infos["digits"].available and not infos["fashion_mnist"].available
    assert "downloads are off (AECORE_OFFLINE=1)" in infos["mnist"].source


def test_unknown_name_and_missing_path_say_what_works(tmp_path):
    message = (
        r"Unknown dataset 'cifar': known names are digits, fashion_mnist, mnist; "
        r"a path to an \.npz file, a folder of images or IDX files, or a \.zip of images also works"
    )
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset("cifar")
    with pytest.raises(errors.DatasetError, match=r"No such file or folder: .*missing\.npz"):
        catalog.load_dataset(str(tmp_path / "missing.npz"))


def test_subset_takes_the_first_images_of_each_split():
    dataset = catalog.load_dataset("digits")
    small = dataset.subset(train=100, test=10)
    assert small.x_train.shape == (100, 8, 8, 1) and small.y_test.shape == (10,)
    np.testing.assert_array_equal(small.x_train, dataset.x_train[:100])
    assert dataset.subset(test=5).x_train.shape[0] == 1497
    with pytest.raises(errors.DatasetError, match="at least 1 image"):
        dataset.subset(train=0)


def test_importing_the_module_loads_no_keras_or_tensorflow():
    code = "import sys, aecore.data.catalog; print('keras' in sys.modules or 'tensorflow' in sys.modules)"
    project_root = Path(__file__).parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=project_root
    )
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------- IDX folders


def test_idx_folder_with_gz_and_raw_files(tmp_path):
    x_train, x_test = random_pixels(30, 10, 12), random_pixels(6, 10, 12, seed=1)
    y_train, y_test = np.arange(30) % 3, np.arange(6) % 3
    write_idx(tmp_path / "train-images-idx3-ubyte", x_train, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", y_train, compress=True)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x_test, compress=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y_test, compress=False)

    dataset = catalog.load_dataset(str(tmp_path))
    assert dataset.x_train.shape == (30, 10, 12, 1) and dataset.x_test.shape == (6, 10, 12, 1)
    np.testing.assert_allclose(dataset.x_train[..., 0] * 255, x_train, atol=1e-4)
    np.testing.assert_array_equal(dataset.y_test, y_test)
    assert dataset.name == str(tmp_path) and dataset.class_names is None


def test_idx_folder_of_images_only_is_unlabelled_and_split_when_no_test(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", random_pixels(12, 8, 8), compress=False)
    dataset = catalog.load_dataset(str(tmp_path))
    assert dataset.y_train is None and dataset.y_test is None
    assert len(dataset.x_train) + len(dataset.x_test) == 12 and len(dataset.x_test) == 2


def test_idx_bad_magic_truncated_and_oversized_files(tmp_path):
    images = write_idx(tmp_path / "images", random_pixels(4, 5, 5), compress=False)
    good = images.read_bytes()
    images.write_bytes(b"\x00\x00\x07\x03" + good[4:])
    with pytest.raises(errors.DatasetError, match=r"images has a bad magic number 0x00000703"):
        idx.read_idx(images)
    images.write_bytes(good[:-10])
    message = r"is truncated: header dims \[4, 5, 5\] need 100 bytes of data, found 90"
    with pytest.raises(errors.DatasetError, match=message):
        idx.read_idx(images)
    # A header claiming 10^12 bytes is refused before anything is read.
    images.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 1_000_000, 1000, 1000))
    with pytest.raises(errors.DatasetError, match="byte limit"):
        idx.read_idx(images)
    broken_gzip = tmp_path / "broken.gz"
    broken_gzip.write_bytes(gzip.compress(good)[:-20])
    with pytest.raises(errors.DatasetError, match=r"broken\.gz cannot be read"):
        idx.read_idx(broken_gzip)


def test_idx_labels_must_match_the_images(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", random_pixels(10, 4, 4), compress=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(9), compress=False)
    message = r"have shape \(9,\) but .* holds 10 images: expected one label per image"
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset(str(tmp_path))


# ---------------------------------------------------------------- .npz files


def test_npz_in_keras_layout_and_as_a_single_array(tmp_path):
    keras_layout = tmp_path / "keras.npz"
    np.savez(keras_layout, x_train=random_pixels(10, 6, 6), y_train=np.arange(10) % 2,
             x_test=random_pixels(4, 6, 6), y_test=np.arange(4) % 2)
    dataset = catalog.load_dataset(str(keras_layout))
    assert dataset.x_train.shape == (10, 6, 6, 1) and list(dataset.y_test) == [0, 1, 0, 1]

    single = tmp_path / "single.npz"
    colour_floats = np.random.default_rng(0).random((60, 5, 7, 3), dtype=np.float32)
    np.savez(single, x=colour_floats, y=np.arange(60) % 4)
    first, same, other = (catalog.load_dataset(str(single), seed=seed) for seed in (3, 3, 4))
    assert first.x_train.shape == (50, 5, 7, 3) and first.x_test.shape == (10, 5, 7, 3)
    np.testing.assert_array_equal(first.x_test, same.x_test)
    assert not np.array_equal(first.x_test, other.x_test)
    assert sorted(np.bincount(first.y_test)) == [2, 2, 3, 3]  # 10 test images over 4 classes


def test_npz_without_labels_and_with_flat_or_wide_integer_pixels(tmp_path):
    unlabelled = tmp_path / "unlabelled.npz"
    np.savez(unlabelled, x=random_pixels(6, 4, 4).reshape(6, 16))  # (n, 16) -> (n, 4, 4, 1)
    dataset = catalog.load_dataset(str(unlabelled))
    assert dataset.y_train is None and dataset.input_shape == (4, 4, 1) and len(dataset.x_test) == 1

    scans = tmp_path / "scans.npz"
    np.savez(scans, x=np.array([[[1000, 3000]], [[2000, 5000]]], dtype=np.uint16))
    dataset = catalog.load_dataset(str(scans))
    pixels = np.concatenate([dataset.x_train, dataset.x_test]).ravel()
    assert pixels.min() == 0.0 and pixels.max() == 1.0  # min-max scaled over both splits


BAD_NPZ_CASES = [
    pytest.param(
        {"images": np.zeros((3, 4, 4)), "targets": np.zeros(3)},
        r"has keys \['images', 'targets'\]; expected x_train, x_test \(\+ optional y_train, y_test\)",
        id="wrong-keys",
    ),
    pytest.param(
        {"x": np.array([["a", "b"]] * 3)}, r"x in .* has dtype <U1; expected numbers", id="strings"
    ),
    pytest.param({"x": np.array([[[0.5, np.nan]]] * 3)}, r"contains NaN or infinite", id="nan"),
    pytest.param(
        {"x": np.full((3, 2, 2), 7.5)},
        r"float pixels range from 7\.5 to 7\.5; expected \[0, 1\]\. Divide by 255",
        id="float-range",
    ),
    pytest.param(
        {"x": random_pixels(5, 3, 3), "y": np.zeros(4)},
        r"y in .* has 4 labels .* for 5 images; give one label per image",
        id="label-count",
    ),
    pytest.param({"x": random_pixels(1, 3, 3)}, r"has 1 image; need at least 2", id="one-image"),
    pytest.param(
        {"x": random_pixels(3, 2, 2), "y": np.array([0, -1, 2])},
        r"has negative labels \(min -1\)",
        id="negative-labels",
    ),
    pytest.param(
        {"x": random_pixels(3, 2, 2), "y": np.array([0.0, 1.5, 2.0])},
        r"y in .* has dtype float64; expected whole-number class indices",
        id="fractional-labels",
    ),
    pytest.param(
        {"x_train": random_pixels(2), "x_test": np.zeros((0, 28, 28), np.uint8)},
        r"x_test in .* has no images",
        id="empty-test",
    ),
    pytest.param(
        {"x": np.zeros((4, 10))}, r"10 values per image is not a square number", id="not-square"
    ),
    pytest.param(
        {"x_train": random_pixels(2), "x_test": random_pixels(2), "y_train": np.zeros(2)},
        r"only one of y_train and y_test",
        id="half-labelled",
    ),
    pytest.param(
        {"x_train": random_pixels(2), "x_test": random_pixels(2, 14, 14)},
        r"train images are \(28, 28, 1\) but test images are \(14, 14, 1\)",
        id="shape-mismatch",
    ),
]


@pytest.mark.parametrize(("arrays", "message"), BAD_NPZ_CASES)
def test_bad_npz_files_are_refused_with_a_reason(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset(str(path))


def test_npz_with_python_objects_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, x=np.array([np.zeros(3), "text"], dtype=object))
    with pytest.raises(errors.DatasetError, match=r"objects\.npz holds arrays of Python objects"):
        catalog.load_dataset(str(path))


# ---------------------------------------------------------------- image folders and zips


def make_labelled_folder(root: Path) -> Path:
    """cat/: 3 grey PNGs 6x6; dog/: 2 grey JPEGs, one of another size (resized to 6x6)."""
    for index in range(3):
        write_image(root / "cat" / f"{index}.png", np.full((6, 6), 40 * index, dtype=np.uint8))
    write_image(root / "dog" / "a.jpg", np.full((6, 6), 200, dtype=np.uint8))
    write_image(root / "dog" / "b.jpeg", np.full((12, 9), 250, dtype=np.uint8))
    (root / "notes.txt").write_text("not an image")
    return root


def test_image_folder_labels_come_from_subfolders(tmp_path):
    dataset = catalog.load_dataset(str(make_labelled_folder(tmp_path / "pets")))
    assert dataset.class_names == ["cat", "dog"]
    assert dataset.input_shape == (6, 6, 1)  # all grey -> one channel
    assert len(dataset.x_train) == 4 and len(dataset.x_test) == 1
    labels = np.concatenate([dataset.y_train, dataset.y_test])
    assert sorted(labels) == [0, 0, 0, 1, 1]
    dog_pixels = np.concatenate([dataset.x_train, dataset.x_test])[labels == 1]
    assert dog_pixels.min() > 0.7  # the JPEGs are light grey, whatever their size


def test_colour_images_in_the_root_are_unlabelled_rgb(tmp_path):
    write_image(tmp_path / "red.png", np.tile(np.array([255, 0, 0], dtype=np.uint8), (5, 5, 1)))
    write_image(tmp_path / "grey.bmp", np.full((5, 5), 128, dtype=np.uint8))
    write_image(tmp_path / "big.webp", np.zeros((200, 100, 3), dtype=np.uint8))
    dataset = catalog.load_dataset(str(tmp_path))
    assert dataset.y_train is None and dataset.class_names is None
    # Sorted, big.webp (100 wide, 200 high) comes first and sets the size, shrunk to fit 64.
    assert dataset.input_shape == (64, 32, 3)  # the red image keeps its colour
    assert len(dataset.x_train) == 2 and len(dataset.x_test) == 1


def test_zip_of_images_is_read_in_memory(tmp_path):
    folder = make_labelled_folder(tmp_path / "pets")
    archive_path = tmp_path / "pets.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(tmp_path).as_posix())  # "pets/cat/0.png"
        archive.writestr("__MACOSX/pets/cat/._0.png", b"resource fork")
    dataset = catalog.load_dataset(str(archive_path))
    assert dataset.class_names == ["cat", "dog"] and dataset.input_shape == (6, 6, 1)
    assert sorted(np.concatenate([dataset.y_train, dataset.y_test])) == [0, 0, 0, 1, 1]
    assert not (tmp_path / "cat").exists()  # nothing extracted


def test_empty_folders_corrupt_images_and_bad_zips_are_named(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    message = r"empty holds no images \(\.png, .*one subfolder per label"
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset(str(tmp_path / "empty"))

    folder = make_labelled_folder(tmp_path / "pets")
    (folder / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    message = r"image dog/broken\.png in .*pets cannot be read or decoded"
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset(str(folder))

    (tmp_path / "bad.zip").write_bytes(b"PK this is not a zip")
    with pytest.raises(errors.DatasetError, match=r"bad\.zip is not a readable \.zip file"):
        catalog.load_dataset(str(tmp_path / "bad.zip"))
    with pytest.raises(errors.DatasetError, match=r"unsupported file type '\.csv'"):
        (tmp_path / "table.csv").write_text("1,2")
        catalog.load_dataset(str(tmp_path / "table.csv"))


def test_image_count_and_size_limits(tmp_path, monkeypatch):
    folder = make_labelled_folder(tmp_path / "pets")
    monkeypatch.setattr(catalog, "MAX_IMAGES", 4)
    with pytest.raises(errors.DatasetError, match=r"holds 5 images, over the 4 limit"):
        catalog.load_dataset(str(folder))
    monkeypatch.setattr(catalog, "MAX_IMAGES", 100)
    monkeypatch.setattr(catalog, "MAX_IMAGE_PIXELS", 100)  # the 6x6 images pass, the 9x12 one not
    message = r"dog/b\.jpeg in .* is 9x12 pixels, over the 100 pixel limit"
    with pytest.raises(errors.DatasetError, match=message):
        catalog.load_dataset(str(folder))
