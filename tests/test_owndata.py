"""The user's own datasets (aecore.data.owndata) on data as users have it: zips of photographs with broken files
in them, a flat folder, an .npz in Keras layout, Fashion-MNIST written out as PNGs (the CLI: test_owndata_cli.py).

Longer than 300 lines: each test builds the source it needs from one module fixture of photograph crops, and the
guards (per member, per source) read best beside the conversions they guard."""

import dataclasses
import io
import json
import os
import time
import zipfile

import numpy as np
import pytest
import skimage.data
from owndata_sources import COLOUR_PHOTOS, GREY_PHOTOS, jpeg, photo_crops, write_photo_zip
from PIL import Image
from skimage.transform import resize

from aecore import errors
from aecore.data import catalog, ownconvert, owndata, ownimages

TEST_LIMITS = ownimages.Limits(max_images=1000, max_file_bytes=2_000_000, max_pixels=1_000_000)


def encoded(image: Image.Image, file_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, file_format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def crops():
    return photo_crops()


@pytest.fixture
def root(tmp_path):
    return tmp_path / "store"


def all_images(dataset) -> np.ndarray:
    """Train then test, as uint8 (n, h, w, c)."""
    return np.round(np.concatenate([dataset.x_train, dataset.x_test]) * 255).astype(np.uint8)


def test_a_zip_of_class_folders_with_broken_members_skips_and_counts_them(tmp_path, root, crops):
    good = crops["astronaut"][0]
    noise = np.random.default_rng(1).integers(0, 256, (900, 1000, 3), dtype=np.uint8)  # 2.7 MB as PNG
    broken = {
        "holiday/coffee/truncated.jpg": jpeg(good)[:3000],
        "holiday/coffee/notes.png": b"shopping list: eggs, milk\n",
        "holiday/camera/empty.jpg": b"",
        "holiday/coins/huge.png": encoded(Image.fromarray(noise), "PNG"),  # over max_file_bytes
        "holiday/coins/bomb.png": encoded(Image.new("L", (1200, 1000)), "PNG"),  # over max_pixels, 1 KB
        "holiday/rocket/flat.bmp": encoded(Image.new("RGB", (700, 700), (9, 9, 9)), "BMP"),  # 1.5 MB at ~1000:1
        "__MACOSX/holiday/rocket/._0.jpg": b"resource fork",  # ignored, not counted
        "holiday/.DS_Store": b"\0\0\0\1Bud1",
        "holiday/readme.txt": b"not an image name: ignored",
    }
    write_photo_zip(tmp_path / "holiday.zip", crops, broken)
    calls = []
    card = owndata.add("holiday", tmp_path / "holiday.zip", owndata.ConversionOptions(64, True, "crop"),
                       store=root, progress=lambda done, total: calls.append((done, total)), limits=TEST_LIMITS)

    good_count = sum(len(pictures) for pictures in crops.values())
    assert card["counts"]["skipped"] == 6
    assert card["counts"]["train"] + card["counts"]["test"] == good_count
    assert card["counts"]["test"] == round(good_count / 6)
    assert card["class_names"] == sorted(COLOUR_PHOTOS + GREY_PHOTOS) and card["classes"] == 6
    assert card["split"] == "1/6 held out at random, stratified, seed 0"
    reasons = " | ".join(card["skip_reasons"])
    assert len(card["skip_reasons"]) == 5  # the first few only
    assert "camera/empty.jpg: empty file" in reasons and "coffee/notes.png: not an image" in reasons
    assert "coffee/truncated.jpg: truncated or corrupt JPEG" in reasons
    assert "coins/bomb.png: 1200x1000 pixels, over the 1,000,000 pixel limit" in reasons
    assert "coins/huge.png: 2,7" in reasons and "over the 2,000,000 byte limit" in reasons
    assert calls[-1] == (good_count + 6, good_count + 6)

    dataset = owndata.load("holiday", store=root)
    assert dataset.x_train.shape[1:] == (64, 64, 3) and dataset.x_train.dtype == np.float32
    assert dataset.source == str(tmp_path / "holiday.zip") and dataset.class_names == card["class_names"]
    assert sorted(np.bincount(np.concatenate([dataset.y_train, dataset.y_test]))) == [4] * 6
    assert set(dataset.y_test) <= set(range(6)) and len(set(dataset.y_test)) == len(dataset.y_test)  # stratified
    stored = json.loads((owndata.folder(root) / "holiday" / "card.json").read_text())
    assert stored == card and sorted(os.listdir(owndata.folder(root) / "holiday")) == ["card.json", "images.npz"]


def test_the_ratio_guard_skips_a_zip_bomb_member(tmp_path, root, crops):
    write_photo_zip(tmp_path / "set.zip", {"rocket": crops["rocket"]},
                    {"holiday/rocket/flat.bmp": encoded(Image.new("RGB", (700, 700), (9, 9, 9)), "BMP")})
    card = owndata.add("set", tmp_path / "set.zip", owndata.ConversionOptions(32), store=root)
    assert card["counts"]["skipped"] == 1
    assert card["skip_reasons"][0].startswith("rocket/flat.bmp: compressed") and "over the 200:1 limit" in \
        card["skip_reasons"][0]


def test_colour_at_64_keeps_each_photo_s_colours_and_odd_modes_are_converted(tmp_path, root, crops):
    rgba = Image.new("RGBA", (80, 80), (200, 0, 0, 0))  # fully transparent: white, not red
    rgba.paste((0, 0, 200, 255), (20, 20, 60, 60))  # an opaque blue square in the middle
    frames = [Image.new("P", (50, 50), 3), Image.new("P", (50, 50), 7)]
    cmyk = Image.fromarray(crops["coffee"][0]).convert("CMYK")
    deep = Image.fromarray(crops["camera"][0].astype(np.uint16) * 257)  # 16-bit grey, mode I;16
    members = {
        "odd/a_rgba.png": encoded(rgba, "PNG"),
        "odd/b_animated.gif": encoded(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "odd/c_cmyk.jpg": encoded(cmyk, "JPEG", quality=95),
        "odd/d_16bit.png": encoded(deep, "PNG"),
    }
    with zipfile.ZipFile(tmp_path / "odd.zip", "w") as archive:
        for member, payload in members.items():
            archive.writestr(member, payload)
    options = owndata.ConversionOptions(64, True, "crop")
    shown = owndata.preview(tmp_path / "odd.zip", options, count=6)
    assert shown.names == ["a_rgba.png", "b_animated.gif", "c_cmyk.jpg", "d_16bit.png"] and shown.skipped == []
    assert shown.converted.shape == (4, 64, 64, 3) and shown.class_names is None and shown.image_count == 4
    assert tuple(shown.converted[0, 2, 2]) == (255, 255, 255) and tuple(shown.converted[0, 32, 32]) == (0, 0, 200)
    palette = np.asarray(frames[0].convert("RGB"))[0, 0]  # the first frame's colour, not the second's
    assert (shown.converted[1] == palette).all()
    coffee_mean = crops["coffee"][0].reshape(-1, 3).mean(axis=0)
    assert np.abs(shown.converted[2].reshape(-1, 3).mean(axis=0) - coffee_mean).max() < 6  # CMYK round trip
    assert abs(shown.converted[3].mean() - crops["camera"][0].mean()) < 2  # 16 bits scaled to 8
    assert shown.originals[0].shape == (80, 80, 3) and shown.originals[3].ndim == 2  # grey stays grey

    write_photo_zip(tmp_path / "photos.zip", crops)
    owndata.add("photos-64", tmp_path / "photos.zip", options, store=root)
    pixels = all_images(owndata.load("photos-64", store=root))
    assert pixels.shape == (24, 64, 64, 3)
    # Every converted photo has the mean colour of one source crop (square crops: nothing is cut off).
    sources = np.array([np.broadcast_to(crop[..., None] if crop.ndim == 2 else crop, (*crop.shape[:2], 3))
                        .reshape(-1, 3).mean(axis=0) for pictures in crops.values() for crop in pictures])
    converted = pixels.reshape(len(pixels), -1, 3).mean(axis=1)  # (24, 3)
    distance = np.abs(converted[:, None, :] - sources[None, :, :]).max(axis=2)  # (24, 24) in grey levels
    assert distance.min(axis=1).max() < 2.5
    assert (np.abs(pixels[..., 0].astype(int) - pixels[..., 1]) > 20).mean() > 0.1  # really colour


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_without_losing_quality(tmp_path, root):
    photo = resize(skimage.data.astronaut(), (1600, 1600), order=1, preserve_range=True).astype(np.uint8)
    data = jpeg(photo, quality=95)
    full = Image.open(io.BytesIO(data)).convert("RGB").resize((64, 64), Image.Resampling.LANCZOS)
    drafted = ownimages.decode(data, dataclasses.replace(TEST_LIMITS, max_pixels=4_000_000), ("RGB", 64))
    assert drafted.size == (200, 200)  # 1/8 scale, still at least 64 px a side
    ours = ownimages.square(drafted, 64, True, "crop").astype(int)
    assert np.abs(ours - np.asarray(full, dtype=int)).mean() < 3


def test_a_flat_folder_is_unlabelled_and_split_one_sixth(tmp_path, root, crops):
    folder = tmp_path / "flat"
    folder.mkdir()
    pictures = [crop for pictures in crops.values() for crop in pictures]
    for index, pixels in enumerate(pictures):
        Image.fromarray(pixels).save(folder / f"{index:02d}.png")
    card = owndata.add("flat", folder, owndata.ConversionOptions(28, False, "pad"), store=root)
    assert card["class_names"] is None and card["classes"] is None and card["channels"] == 1
    assert card["split"] == "1/6 held out at random, seed 0"
    assert card["counts"] == {"train": 20, "test": 4, "skipped": 0}
    dataset = owndata.load("flat", store=root)
    assert dataset.y_train is None and dataset.y_test is None and dataset.input_shape == (28, 28, 1)
    with np.load(owndata.folder(root) / "flat" / "images.npz") as archive:
        assert sorted(archive.files) == ["x_test", "x_train"] and archive["x_train"].dtype == np.uint8


def test_an_npz_in_keras_layout_keeps_its_split_and_labels(tmp_path, root, digits):
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=digits.x_train[..., 0].astype(np.float64), y_train=digits.y_train,
             x_test=digits.x_test[..., 0].astype(np.float64), y_test=digits.y_test)
    card = owndata.add("my-digits", path, owndata.ConversionOptions(28, False, "crop"), store=root)
    assert card["split"] == "from the file" and card["classes"] == 10
    assert card["counts"] == {"train": len(digits.x_train), "test": len(digits.x_test), "skipped": 0}
    mine = owndata.load("my-digits", store=root)
    np.testing.assert_array_equal(mine.y_train, digits.y_train)  # the file's order and labels, untouched
    np.testing.assert_array_equal(mine.y_test, digits.y_test)
    assert mine.input_shape == (28, 28, 1)
    reference = np.stack([resize(digit, (28, 28), order=3, mode="edge") for digit in digits.x_test[..., 0]])
    assert np.abs(mine.x_test[..., 0] - reference).mean(axis=(1, 2)).max() < 0.02  # bicubic, not Lanczos: 1-2%

    flat = tmp_path / "flat.npz"
    np.savez(flat, x=np.round(digits.x_train * 255).astype(np.uint8).reshape(len(digits.x_train), 64),
             y=digits.y_train)
    card = owndata.add("flat-digits", flat, owndata.ConversionOptions(32, True, "pad"), store=root)
    assert card["split"] == "1/6 held out at random, stratified, seed 0" and card["channels"] == 3
    assert card["counts"]["test"] == round(len(digits.x_train) / 6)


def test_fashion_mnist_as_png_class_folders_matches_a_resize_done_another_way(tmp_path, root, fashion_small):
    originals = np.round(fashion_small.x_train[:300, ..., 0] * 255).astype(np.uint8)  # (300, 28, 28)
    labels = fashion_small.y_train[:300]
    folders = [f"{index}-{name.replace('/', '-')}" for index, name in enumerate(catalog.FASHION_MNIST_CLASS_NAMES)]
    for index, (pixels, label) in enumerate(zip(originals, labels)):
        (tmp_path / "fashion" / folders[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(tmp_path / "fashion" / folders[label] / f"{index:03d}.png")
    card = owndata.add("fashion-png", tmp_path / "fashion", owndata.ConversionOptions(32, False), store=root)
    assert card["class_names"] == sorted(folders) and card["counts"]["skipped"] == 0

    dataset = owndata.load("fashion-png", store=root)
    converted = np.concatenate([dataset.x_train, dataset.x_test])[..., 0]  # (300, 32, 32)
    converted_labels = np.concatenate([dataset.y_train, dataset.y_test])
    reference = np.stack([resize(pixels / 255, (32, 32), order=3, mode="edge", anti_aliasing=False)
                          for pixels in originals])  # scikit-image's bicubic, not Pillow's Lanczos
    distance = np.abs(converted[:, None] - reference[None]).mean(axis=(2, 3))  # (300, 300)
    nearest = distance.argmin(axis=1)
    assert len(set(nearest)) == 300 and distance.min(axis=1).max() < 0.01  # each is one original, within 1%
    names = [dataset.class_names[label] for label in converted_labels]
    assert names == [folders[label] for label in labels[nearest]]  # and carries its label


def test_pad_keeps_a_wide_image_whole_and_crop_takes_its_centre(tmp_path):
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, :100, 0] = wide[:, 100:200, 1] = wide[:, 200:, 2] = 255  # red | green | blue
    Image.fromarray(wide).save(tmp_path / "wide.png")
    (tmp_path / "also").mkdir()
    Image.fromarray(wide).save(tmp_path / "also" / "wide.png")
    crop = owndata.preview(tmp_path / "also", owndata.ConversionOptions(32, True, "crop")).converted[0].astype(int)
    pad = owndata.preview(tmp_path / "also", owndata.ConversionOptions(32, True, "pad")).converted[0].astype(int)
    assert np.abs(crop[2:-2, 2:-2] - (0, 255, 0)).max() <= 3  # the centre square is all green
    # The whole picture, 32x11 px, on rows 10-20; around it the mean of its outermost pixels: 300 red, 200 green
    # and 300 blue of 800.
    assert (pad[:10] == (96, 64, 96)).all() and (pad[21:] == (96, 64, 96)).all()
    assert np.abs(pad[15, 2:8] - (255, 0, 0)).max() <= 3 and np.abs(pad[15, 13:19] - (0, 255, 0)).max() <= 3
    assert np.abs(pad[15, 24:30] - (0, 0, 255)).max() <= 3


@pytest.mark.parametrize("name, message", [
    ("my cats", r"'my cats' is not a usable dataset name: .* e\.g\. 'my-cats'"),
    ("../evil", r"'\.\./evil' is not a usable dataset name"),
    (".hidden", r"'\.hidden' is not a usable dataset name.*not starting with '\.'"),
    ("", r"'' is not a usable dataset name"),
    ("MNIST", r"'MNIST' is a built-in dataset's name \(digits, fashion_mnist, mnist, photos\): pick another"),
    ("fashion-mnist", r"'fashion-mnist' is a built-in dataset's name"),
    ("photos", r"'photos' is a built-in dataset's name"),
])
def test_bad_names_are_refused_before_any_work(tmp_path, root, name, message):
    with pytest.raises(errors.DatasetError, match=message):
        owndata.add(name, tmp_path / "never-read.zip", store=root)
    assert not owndata.folder(root).exists()


def test_a_taken_name_and_bad_options_are_refused(tmp_path, root, crops):
    write_photo_zip(tmp_path / "set.zip", {"coins": crops["coins"]})
    owndata.add("coins", tmp_path / "set.zip", owndata.ConversionOptions(28, False), store=root)
    with pytest.raises(errors.DatasetError, match=r"a dataset named 'coins' exists already in .*datasets remove coins"):
        owndata.add("coins", tmp_path / "set.zip", store=root)
    with pytest.raises(errors.DatasetError, match=r"size 50 is not offered: choose one of 28, 32, 64, 96"):
        owndata.ConversionOptions(size=50)
    with pytest.raises(errors.DatasetError, match=r"fit 'stretch' is not an option: choose crop .* or pad"):
        owndata.ConversionOptions(fit="stretch")
    with pytest.raises(errors.DatasetError, match=r"colour 'yes' must be True \(colour\) or False \(grey\)"):
        owndata.ConversionOptions(colour="yes")
    with pytest.raises(errors.DatasetError, match=r"no dataset named 'nothing' in .* \(yours: coins\)"):
        owndata.load("nothing", store=root)


@pytest.mark.parametrize("make, message", [
    (lambda path: path.write_bytes(b"PK\x03\x04 not really"), r"is not a readable \.zip file"),
    (lambda path: write_photo_zip(path, {}, {"notes/readme.txt": b"hi"}), r"holds no images"),
    (lambda path: write_photo_zip(path, {"bad": [np.zeros((4, 4, 3), np.uint8)]},
                                  {"holiday/bad/x.png": b"text", "holiday/bad/y.png": b""}),
     r"only 1 of its 3 images could be used"),
    (lambda path: write_photo_zip(path, {}, {"a/x.png": b"text", "a/y.png": b""}),
     r"none of its 2 images could be used \(x\.png: not an image .*; y\.png: empty file"),
])
def test_sources_that_cannot_be_used_are_refused_whole(tmp_path, root, make, message):
    make(tmp_path / "source.zip")
    with pytest.raises(errors.DatasetError, match=message):
        owndata.add("refused", tmp_path / "source.zip", store=root)
    assert owndata.names(root) == [] and os.listdir(owndata.folder(root)) == []


def test_limits_on_the_whole_source_refuse_it(tmp_path, root, crops):
    write_photo_zip(tmp_path / "set.zip", crops)
    with pytest.raises(errors.DatasetError, match=r"holds 24 images, over the 10 limit: use fewer"):
        owndata.add("many", tmp_path / "set.zip", store=root, limits=ownimages.Limits(10, 2_000_000, 1_000_000))
    with pytest.raises(errors.DatasetError, match=r"unpacks to [\d,]+ bytes of images, over the 1,000 byte limit"):
        owndata.add("big", tmp_path / "set.zip", store=root, limits=ownimages.Limits(100, 2_000_000, 1_000_000, 1000))
    with pytest.raises(errors.DatasetError, match=r"float pixels range from 0 to 255; expected \[0, 1\]"):
        np.savez(tmp_path / "floats.npz", x=np.linspace(0, 255, 10 * 64).reshape(10, 8, 8))
        owndata.add("floats", tmp_path / "floats.npz", store=root)
    with pytest.raises(errors.DatasetError, match=r"has keys \['images'\]; expected x_train, x_test"):
        np.savez(tmp_path / "keys.npz", images=np.zeros((3, 8, 8)))
        owndata.add("keys", tmp_path / "keys.npz", store=root)


def test_an_interrupted_conversion_leaves_nothing_behind(tmp_path, root, crops, monkeypatch):
    write_photo_zip(tmp_path / "set.zip", crops)

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        owndata.add("stopped", tmp_path / "set.zip", store=root, progress=interrupt)
    assert owndata.names(root) == [] and os.listdir(owndata.folder(root)) == []

    def disk_full(*arguments):
        raise OSError("No space left on device")

    monkeypatch.setattr(ownconvert, "write_npz", disk_full)
    with pytest.raises(OSError, match="No space left"):
        owndata.add("full", tmp_path / "set.zip", store=root)
    assert owndata.names(root) == [] and os.listdir(owndata.folder(root)) == []


def test_leftovers_of_a_crash_are_not_listed_and_old_ones_are_removed(root):
    folder = owndata.folder(root)
    for name in (".incoming-old", ".incoming-new", ".trash-old"):
        (folder / name).mkdir(parents=True)
        (folder / name / "card.json").write_text("{}")
        (folder / name / "images.npz").write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    for name in (".incoming-old", ".trash-old"):
        os.utime(folder / name, (two_hours_ago, two_hours_ago))
    assert owndata.names(root) == []
    assert sorted(os.listdir(folder)) == [".incoming-new"]  # a conversion that may still be running stays


def test_remove_and_the_catalogue(tmp_path, root, crops, monkeypatch):
    monkeypatch.setenv("AECORE_STORE", str(root))
    write_photo_zip(tmp_path / "set.zip", {"coins": crops["coins"], "rocket": crops["rocket"]})
    owndata.add("two", tmp_path / "set.zip", owndata.ConversionOptions(28, False), store=root)
    infos = catalog.list_datasets()
    assert [info.name for info in infos] == ["digits", "fashion_mnist", "mnist", "two"]
    assert infos[-1].available and infos[-1].source == str(owndata.folder(root) / "two")
    assert infos[-1].description == f"8 images, 28x28 grayscale, 2 classes — yours, from {tmp_path / 'set.zip'}"
    loaded = catalog.load_dataset("two")
    assert loaded.name == "two" and loaded.input_shape == (28, 28, 1) and loaded.class_names == ["coins", "rocket"]
    assert "two" in [info.name for info in catalog.list_datasets() if info.available]
    assert "two" in catalog.fitting_datasets((28, 28, 1)) and "fashion_mnist" in catalog.fitting_datasets((28, 28, 1))
    assert "two" not in catalog.fitting_datasets((28, 28, 3)) and catalog.fitting_datasets((8, 8, 1)) == ["digits"]

    owndata.remove("two", store=root)
    assert owndata.names(root) == [] and os.listdir(owndata.folder(root)) == []
    assert [info.name for info in catalog.list_datasets()] == ["digits", "fashion_mnist", "mnist"]
    with pytest.raises(errors.DatasetError, match=r"Unknown dataset 'two': .*none of your own yet"):
        catalog.load_dataset("two")
    with pytest.raises(errors.DatasetError, match=r"no dataset named 'two'"):
        owndata.remove("two", store=root)


def test_the_model_store_ignores_the_datasets_folder(tmp_path, store, crops):
    write_photo_zip(tmp_path / "set.zip", {"coins": crops["coins"]})
    owndata.add("coins", tmp_path / "set.zip", owndata.ConversionOptions(28, False), store=store.root)
    assert (store.root / "datasets" / "coins" / "card.json").is_file()
    assert store.scan() == ([], [])  # not listed, and not reported as a broken model


def test_the_preview_shows_each_class_first(tmp_path, crops):
    """A zip lists one class's members first: a preview of its first six would show one photograph six times."""
    found = owndata.preview(write_photo_zip(tmp_path / "set.zip", crops), owndata.ConversionOptions(32), count=6)
    assert [name.split("/")[0] for name in found.names] == sorted(crops)  # one of each, in class order
    assert found.converted.shape == (6, 32, 32, 3) and found.image_count == sum(len(each) for each in crops.values())
