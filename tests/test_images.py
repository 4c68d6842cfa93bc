"""aecore.data.images: real files made with Pillow in memory, good and bad."""

import io
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from aecore import errors
from aecore.data import images

MNIST_SHAPE = (28, 28, 1)


def _encode(image: Image.Image, file_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=file_format, **options)
    return buffer.getvalue()


def _digit(size=(60, 80), ink=20, paper=235, mode="L") -> Image.Image:
    """A thick "1"-like bar, a third of the width, of `ink` on `paper`; size is (width, height).

    With alpha the paper is see-through; in "P" mode the paper is cream, so the palette is not
    grey and the file keeps its palette.
    """
    image = Image.new("L", size, paper)
    width, height = size
    ImageDraw.Draw(image).rectangle((width // 3, height // 5, width * 2 // 3, height * 4 // 5), fill=ink)
    if mode in ("RGBA", "LA"):
        converted = image.convert(mode)
        converted.putalpha(image.point(lambda value: 255 if value == ink else 0))
        return converted
    if mode == "P":
        cream = Image.merge("RGB", (image, image, image.point(lambda value: value * 7 // 8)))
        return cream.convert("P", palette=Image.Palette.ADAPTIVE)
    return image.convert(mode)


def _noise_image(size=(64, 64), mode="RGB") -> Image.Image:
    """Incompressible pixels, so half of the file really is half of the pixel data."""
    pixels = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels).convert(mode)


def _png_header_only(width: int, height: int) -> bytes:
    """A 1-bit PNG that claims width x height; its pixel data is junk, so decoding would fail."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 8)) + chunk(b"IEND", b"")
    )


def _assert_model_input(converted: images.ConvertedImage, shape=MNIST_SHAPE) -> None:
    assert converted.array.shape == shape
    assert converted.array.dtype == np.float32
    assert 0.0 <= converted.array.min() and converted.array.max() <= 1.0


def _assert_bright_digit_on_black(array: np.ndarray) -> None:
    """The bar runs through the centre; the corners are background. array is (h, w)."""
    middle_row, middle_column = array.shape[0] // 2, array.shape[1] // 2
    assert array[middle_row - 2 : middle_row + 2, middle_column - 1 : middle_column + 1].min() > 0.8
    assert array[:3, :3].max() < 0.1 and array[-3:, -3:].max() < 0.1


# --- every format and mode converts -------------------------------------------------------


@pytest.mark.parametrize("file_format", ["PNG", "JPEG", "BMP", "GIF", "WEBP"])
def test_every_supported_format(file_format):
    data = _encode(_digit(mode="RGB"), file_format)
    converted = images.convert_for_model(data, MNIST_SHAPE)
    _assert_model_input(converted)
    _assert_bright_digit_on_black(converted.array[..., 0])
    assert images.read_image(data).format in (file_format, "MPO")


@pytest.mark.parametrize(
    ("mode", "file_format"),
    [("1", "PNG"), ("L", "PNG"), ("P", "PNG"), ("RGB", "PNG"), ("LA", "PNG"), ("RGBA", "PNG"),
     ("L", "JPEG"), ("CMYK", "JPEG"), ("P", "BMP"), ("1", "BMP"), ("P", "GIF"), ("RGB", "WEBP"), ("RGBA", "WEBP")],
)
def test_every_mode(mode, file_format):
    options = {"lossless": True} if file_format == "WEBP" else {}
    data = _encode(_digit(mode=mode, ink=0, paper=255), file_format, **options)
    assert images.read_image(data).mode == mode  # the file really holds this mode
    for shape in (MNIST_SHAPE, (32, 32, 3)):
        converted = images.convert_for_model(data, shape)
        _assert_model_input(converted, shape)
        assert converted.inverted
        _assert_bright_digit_on_black(converted.array.mean(axis=-1))


def test_sixteen_bit_png_is_scaled_not_clipped():
    # Pillow's own I;16 -> L conversion clips at 255, which would turn this all white.
    pixels = np.full((80, 60), 60_000, dtype=np.uint16)
    pixels[16:64, 24:36] = 1_000
    data = _encode(Image.fromarray(pixels), "PNG")
    assert images.read_image(data).mode == "I;16"
    converted = images.convert_for_model(data, MNIST_SHAPE)
    assert converted.inverted
    _assert_bright_digit_on_black(converted.array[..., 0])
    assert any("scaled to 8 bits" in note for note in converted.notes)


@pytest.mark.parametrize(
    ("pixels", "full_scale"), [(np.int32, 65535.0), (np.float32, 1.0)], ids=["I", "F"]
)
def test_wide_modes_given_directly(pixels, full_scale):
    values = np.zeros((80, 60), dtype=pixels)
    values[16:64, 24:36] = full_scale  # white bar on black: no inversion
    converted = images.convert_image(Image.fromarray(values), MNIST_SHAPE)
    assert not converted.inverted
    _assert_bright_digit_on_black(converted.array[..., 0])


def test_transparency_is_composited_onto_white():
    # Black ink on a fully transparent canvas, as drawing tools export it.
    image = Image.new("RGBA", (60, 80), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((24, 16, 36, 64), fill=(0, 0, 0, 255))
    converted = images.convert_for_model(_encode(image, "PNG"), MNIST_SHAPE)
    assert "transparent areas placed on white" in converted.notes
    assert converted.steps[0][1][0, 0].tolist() == [255, 255, 255]  # original step: white corner
    assert converted.inverted
    _assert_bright_digit_on_black(converted.array[..., 0])


def test_palette_with_a_transparent_index():
    image = _digit(ink=0, paper=255).convert("P")
    data = _encode(image, "PNG", transparency=255)  # the paper is transparent
    converted = images.convert_for_model(data, MNIST_SHAPE)
    assert converted.inverted
    _assert_bright_digit_on_black(converted.array[..., 0])


def test_animated_gif_uses_the_first_frame():
    first = _digit(ink=255, paper=0)  # white on black
    later = [Image.new("L", first.size, 255), Image.new("L", first.size, 128)]
    data = _encode(first, "GIF", save_all=True, append_images=later, duration=100)
    converted = images.convert_for_model(data, MNIST_SHAPE)
    assert "first frame of an animated image" in converted.notes
    assert not converted.inverted
    _assert_bright_digit_on_black(converted.array[..., 0])


def test_exif_rotated_jpeg_is_turned_upright():
    # Stored 60 wide x 30 tall with a black square at the top left; orientation 6 means
    # "rotate 90 degrees clockwise to view", so upright it is 30 wide x 60 tall, square top right.
    stored = Image.new("RGB", (60, 30), (255, 255, 255))
    ImageDraw.Draw(stored).rectangle((0, 0, 9, 9), fill=(0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encode(stored, "JPEG", exif=exif, quality=95)
    converted = images.convert_for_model(data, MNIST_SHAPE)
    name, original = converted.steps[0]
    assert name == "original" and original.shape == (60, 30, 3)
    assert original[:10, 20:].mean() < 40 and original[:10, :10].mean() > 215
    assert any("EXIF orientation" in note for note in converted.notes)
    assert images.read_image(data).size == (30, 60)


# --- geometry and inversion -----------------------------------------------------------------


def test_aspect_ratio_and_margin():
    # 200 wide x 100 tall, white inside a 1 px black frame: fits 20 x 10 inside 28 x 28.
    image = Image.new("L", (200, 100), 0)
    ImageDraw.Draw(image).rectangle((1, 1, 198, 98), fill=255)
    converted = images.convert_for_model(_encode(image, "PNG"), MNIST_SHAPE)
    array = converted.array[..., 0]
    assert not converted.inverted
    assert array[:9].max() == 0 and array[19:].max() == 0  # padding above and below
    assert array[:, :4].max() == 0 and array[:, 24:].max() == 0  # the 4/28 margin
    assert array[10:18, 6:22].min() > 0.8
    assert any("200x100 -> 20x10" in note for note in converted.notes)


def test_no_margin_fills_the_frame():
    image = Image.new("L", (56, 56), 200)
    converted = images.convert_for_model(_encode(image, "PNG"), MNIST_SHAPE, margin=0.0, invert="never")
    np.testing.assert_allclose(converted.array, 200 / 255, atol=1 / 255)


def test_steps_are_uint8_and_in_order():
    converted = images.convert_for_model(_encode(_digit(), "PNG"), MNIST_SHAPE)
    assert [name for name, _ in converted.steps] == ["original", "grayscale", "resized", "inverted"]
    assert all(step.dtype == np.uint8 for _, step in converted.steps)
    assert converted.steps[0][1].shape == (80, 60, 3)
    assert converted.steps[2][1].shape == (28, 28)


def test_huge_originals_are_shown_as_previews():
    converted = images.convert_for_model(_encode(_digit(size=(2000, 1000)), "PNG"), MNIST_SHAPE)
    assert converted.steps[0][1].shape == (256, 512, 3)
    _assert_model_input(converted)


def test_light_background_is_inverted_dark_one_is_not():
    light = images.convert_for_model(_encode(_digit(ink=20, paper=235), "PNG"), MNIST_SHAPE)
    dark = images.convert_for_model(_encode(_digit(ink=235, paper=20), "PNG"), MNIST_SHAPE)
    assert light.inverted and not dark.inverted
    assert light.array[0, 0, 0] == pytest.approx(20 / 255) == dark.array[0, 0, 0]
    assert light.array[14, 14, 0] == pytest.approx(235 / 255, abs=0.01)


def test_invert_always_and_never_override_auto():
    data = _encode(_digit(ink=235, paper=20), "PNG")
    assert images.convert_for_model(data, MNIST_SHAPE, invert="always").inverted
    assert not images.convert_for_model(_encode(_digit(), "PNG"), MNIST_SHAPE, invert="never").inverted


def test_colour_survives_for_rgb_models():
    image = Image.new("RGB", (40, 40), (0, 0, 0))
    ImageDraw.Draw(image).rectangle((10, 10, 30, 30), fill=(255, 0, 0))
    array = images.convert_for_model(_encode(image, "PNG"), (28, 28, 3)).array
    assert array[14, 14].tolist() == pytest.approx([1.0, 0.0, 0.0], abs=0.02)


def test_convert_image_leaves_the_callers_image_alone():
    image = _digit(size=(1000, 800))
    images.convert_image(image, MNIST_SHAPE)
    assert image.size == (1000, 800) and image.mode == "L"


# --- bad files give clear errors ------------------------------------------------------------


def test_empty_file():
    with pytest.raises(errors.ImageError, match="the file is empty"):
        images.convert_for_model(b"", MNIST_SHAPE)


def test_text_renamed_png():
    with pytest.raises(errors.ImageError, match="notes.png is not a PNG, JPEG, BMP, GIF or WebP image"):
        images.convert_for_model(b"shopping list: milk, eggs\n" * 20, MNIST_SHAPE, name="notes.png")


@pytest.mark.parametrize("file_format", ["PNG", "JPEG", "GIF", "WEBP", "BMP"])
def test_truncated_files(file_format):
    data = _encode(_noise_image(), file_format)
    with pytest.raises(errors.ImageError, match="truncated or corrupt"):
        images.convert_for_model(data[: len(data) // 2], MNIST_SHAPE)


@pytest.mark.parametrize("file_format", ["PNG", "JPEG"])
def test_files_cut_inside_the_header(file_format):
    data = _encode(_noise_image(), file_format)
    with pytest.raises(errors.ImageError, match=f"looks like a {file_format} image but is truncated"):
        images.convert_for_model(data[:12], MNIST_SHAPE)


@pytest.mark.parametrize(("file_format", "label"), [("TIFF", "TIFF"), ("PDF", "PDF")])
def test_unsupported_formats_say_what_is_allowed(file_format, label):
    data = _encode(_digit(mode="RGB"), file_format)
    with pytest.raises(errors.ImageError, match=f"scan is a {label} file, which is not a PNG, JPEG, BMP, GIF or WebP"):
        images.convert_for_model(data, MNIST_SHAPE, name="scan")


def test_over_the_byte_cap():
    data = b"\x89PNG\r\n\x1a\n" + bytes(images.MAX_UPLOAD_BYTES)
    with pytest.raises(errors.ImageError, match=r"10\.0 MB \(10,485,768 bytes\); the upload limit is 10 MB"):
        images.convert_for_model(data, MNIST_SHAPE)


@pytest.mark.parametrize(
    ("side", "message"),
    [(20_000, r"400,000,000 pixels; the limit is 40,000,000"),  # Pillow's DecompressionBombError
     (10_000, r"100,000,000 pixels \(10000x10000\)"),  # above Pillow's warning limit
     (7_000, r"49,000,000 pixels \(7000x7000\); the limit is 40,000,000")],  # only our limit
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_too_many_pixels_is_refused_from_the_header(side, message):
    data = _png_header_only(side, side)
    start = time.perf_counter()
    with pytest.raises(errors.ImageError, match=message):  # decoding would say "corrupt" instead
        images.convert_for_model(data, MNIST_SHAPE)
    assert time.perf_counter() - start < 0.5


def test_decompression_bomb_warning_as_error_is_still_an_image_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(errors.ImageError, match="100,000,000 pixels; the limit"):
            images.read_image(_png_header_only(10_000, 10_000))


def test_a_small_header_only_png_really_is_corrupt():
    # The control for the test above: the same file at a harmless size fails in decoding.
    with pytest.raises(errors.ImageError, match="truncated or corrupt"):
        images.read_image(_png_header_only(100, 100))


@pytest.mark.parametrize(
    ("options", "message"),
    [({"input_shape": (28, 28)}, r"input_shape \(28, 28\) is not usable"),
     ({"input_shape": (28, 28, 2)}, r"expected \(height, width, 1\)"),
     ({"input_shape": (0, 28, 1)}, "input_shape"),
     ({"input_shape": ("28", 28, 1)}, "input_shape"),
     ({"input_shape": MNIST_SHAPE, "invert": "sometimes"}, "invert='sometimes' is not an option; choose one of 'auto'"),
     ({"input_shape": MNIST_SHAPE, "margin": 0.5}, r"margin=0.5 must be a fraction in \[0, 0.5\)")],
)
def test_bad_options_are_model_errors(options, message):
    with pytest.raises(errors.ModelError, match=message):
        images.convert_for_model(_encode(_digit(), "PNG"), **options)


def test_numpy_integer_shapes_are_fine():
    converted = images.convert_for_model(_encode(_digit(), "PNG"), tuple(np.array([8, 8, 1])))
    _assert_model_input(converted, (8, 8, 1))


def test_load_image_file(tmp_path):
    path = tmp_path / "digit.png"
    path.write_bytes(_encode(_digit(), "PNG"))
    _assert_model_input(images.load_image_file(path, MNIST_SHAPE, invert="never"))
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:  # sparse: over the cap without writing 10 MB
        file.truncate(images.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(errors.ImageError, match="huge.png is 10.0 MB .* the upload limit is 10 MB"):
        images.load_image_file(huge, MNIST_SHAPE)
    with pytest.raises(errors.ImageError, match="Cannot read .*missing.png"):
        images.load_image_file(tmp_path / "missing.png", MNIST_SHAPE)


# --- PNG downloads ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 1), (5, 7, 3)])
def test_png_bytes_round_trip_floats(shape):
    array = np.random.default_rng(0).random(shape).astype(np.float32)
    decoded = np.asarray(Image.open(io.BytesIO(images.to_png_bytes(array))))
    np.testing.assert_array_equal(decoded, np.round(array * 255).astype(np.uint8).reshape(decoded.shape))


def test_png_bytes_keeps_uint8_exactly_and_refuses_odd_shapes():
    array = np.random.default_rng(0).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(images.to_png_bytes(array)))), array)
    with pytest.raises(errors.ImageError, match=r"shaped \(2, 4, 4, 1\)"):
        images.to_png_bytes(np.zeros((2, 4, 4, 1)))


# --- properties -----------------------------------------------------------------------------

_VALID_FILE_HEADS = [_encode(_noise_image((16, 16), mode), fmt) for mode, fmt in
                     [("RGB", "PNG"), ("RGB", "JPEG"), ("RGB", "BMP"), ("P", "GIF"), ("RGB", "WEBP")]]


@st.composite
def _damaged_files(draw) -> bytes:
    """A real file with bytes flipped or cut off: reaches deep into the decoders."""
    data = bytearray(draw(st.sampled_from(_VALID_FILE_HEADS)))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=512), _damaged_files()))
def test_random_bytes_only_ever_raise_image_error(data):
    try:
        converted = images.convert_for_model(data, MNIST_SHAPE)
    except errors.ImageError:
        return
    _assert_model_input(converted)


_MODES_BY_FORMAT = {
    "PNG": ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"],
    "JPEG": ["L", "RGB", "CMYK"],
    "BMP": ["1", "L", "P", "RGB"],
    "GIF": ["L", "P"],
    "WEBP": ["RGB", "RGBA"],
}
_MODE_AND_FORMAT = [(mode, fmt) for fmt, modes in _MODES_BY_FORMAT.items() for mode in modes]


@settings(max_examples=60, deadline=None)
@given(
    mode_and_format=st.sampled_from(_MODE_AND_FORMAT),
    width=st.integers(1, 300),
    height=st.integers(1, 300),
    seed=st.integers(0, 1000),
    input_shape=st.tuples(st.integers(1, 64), st.integers(1, 64), st.sampled_from([1, 3])),
    invert=st.sampled_from(images.INVERT_OPTIONS),
)
def test_any_valid_image_becomes_exactly_the_input_shape(mode_and_format, width, height, seed, input_shape, invert):
    mode, file_format = mode_and_format
    random = np.random.default_rng(seed)
    if mode == "I;16":
        image = Image.fromarray(random.integers(0, 65536, (height, width), dtype=np.uint16))
    else:
        image = Image.fromarray(random.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA").convert(mode)
    converted = images.convert_for_model(_encode(image, file_format), input_shape, invert=invert)
    _assert_model_input(converted, input_shape)
    assert np.isfinite(converted.array).all()
