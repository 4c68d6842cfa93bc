"""AppTests of the Restore page (views/denoise.py, at /denoise): each task on a real scikit-image photo with the models
shipped with aecore (the shown result is the engine's on the same input), the typed watermark, the errors a visitor
reads, the series denoiser on KDD-TSAD 135, and a first open that loads no photo model it does not show.
"""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from aecore.analysis import inspection
from aecore.photo import classical, restoring, tasks, watermark
from aecore.store import modelstore
from dashboard.text import md

pytestmark = pytest.mark.skipif(not (modelstore.SHIPPED_FOLDER / "photo-colourise" / "model.keras").exists(),
                                reason="this copy has no shipped restore models")


@pytest.fixture
def with_shipped(monkeypatch):
    monkeypatch.delenv("AECORE_SHIPPED_MODELS")


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    """A colour photo, 128x96, (h, w, 3) uint8: scikit-image's astronaut, every fourth pixel."""
    from skimage import data

    return data.astronaut()[::4, ::4][:96, :128]


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def as_photo(pixels: np.ndarray) -> np.ndarray:
    photo = pixels.astype(np.float32) / 255
    return photo[..., None] if photo.ndim == 2 else photo


def shipped(name: str):
    return modelstore.ModelStore(modelstore.SHIPPED_FOLDER).load(name)


def upload(app, task: str, name: str, data: bytes):
    app.file_uploader(key=f"{task}_upload").set_value((name, data, "image/png")).run()
    assert not app.exception, [item.value for item in app.exception]
    return app


def captions(app) -> list[str]:
    return [caption for image in app.get("image") for caption in image.captions]


def array(value) -> np.ndarray:
    """A figure array as JSON holds it: a plain list, or Plotly's typed array {"dtype", "bdata"} (as test_pages_explore_a)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def kept(app, task: str):
    return app.session_state[f"restore_result_{task}"][1]


def test_the_first_open_loads_no_photo_model_and_a_task_loads_only_its_own(with_shipped, open_page, monkeypatch,
                                                                          tmp_path, astronaut):
    from dashboard.state import caches

    caches.model.clear()  # the server-wide cache: what an earlier test loaded would not be loaded again
    loaded = []
    original_load = modelstore.ModelStore.load
    monkeypatch.setattr(modelstore.ModelStore, "load", lambda self, name, *args, **kwargs: (
        loaded.append(name), original_load(self, name, *args, **kwargs))[1])
    app = open_page("denoise", store=tmp_path / "models")
    assert app.title[0].value == "Restore" and app.get("button_group")[0].value == "denoise"
    assert "Your own photos" in [header.value for header in app.subheader]
    app.get("button_group")[0].set_value("colourise").run()
    assert [header.value for header in app.subheader][:1] == ["Colourise a photo"]
    assert not [name for name in loaded if name.startswith("photo-")]  # nothing until a photo is given
    upload(app, "colourise", "astronaut.png", png(astronaut))
    assert [name for name in loaded if name.startswith("photo-")] == ["photo-colourise"]


def test_colourise_shows_the_engine_s_result_with_the_grey_input_and_the_mean_colour(with_shipped, open_page, tmp_path,
                                                                                   astronaut):
    app = open_page("denoise", store=tmp_path / "models", restore_task="colourise")
    upload(app, "colourise", "astronaut.png", png(astronaut))
    assert "128×96 px, colour, made grey first" in app.caption[1].value
    photo = as_photo(astronaut)
    engine = restoring.restore_pixels(shipped("photo-colourise"), photo, "colourise")
    shown = kept(app, "colourise")
    np.testing.assert_allclose(shown.at(1.0), engine.restored, atol=1e-5)
    np.testing.assert_array_equal(shown.original, engine.original)
    grey, mean = tasks.grey_input(photo), classical.mean_colour(photo)
    assert captions(app) == [f"grey input · {restoring.psnr(photo, grey):.2f} dB",
                             f"mean colour · {restoring.psnr(photo, mean):.2f} dB",
                             f"ours × 1.00 · {restoring.psnr(photo, engine.restored):.2f} dB", "original"]
    np.testing.assert_allclose(shown.at(1.5), restoring.colourise(shipped("photo-colourise"), grey, 1.5), atol=1e-5)
    assert [button.label for button in app.get("download_button")] == ["Coloured photo, full size (128×96 PNG)"]


def test_a_grey_photo_is_coloured_with_nothing_to_score_against(with_shipped, open_page, tmp_path):
    from skimage import data

    camera = data.camera()[::4, ::4]  # (128, 128) grey
    app = open_page("denoise", store=tmp_path / "models", restore_task="colourise")
    upload(app, "colourise", "camera.png", png(camera))
    assert "128×128 px, grey" in app.caption[1].value
    assert captions(app) == ["grey input", "mean colour", "ours × 1.00"]
    coloured = kept(app, "colourise").at(1.0)
    assert coloured.shape == (128, 128, 3) and tasks.chroma(coloured).std() > 0.01  # colour where there was none
    np.testing.assert_allclose(coloured, restoring.colourise(shipped("photo-colourise"), as_photo(camera)), atol=1e-5)
    kept_brightness = np.abs(tasks.luma(coloured) - as_photo(camera)) < 1 / 255  # all but where a colour clips
    assert kept_brightness.mean() > 0.99


def test_the_typed_watermark_is_added_and_removed_as_the_engine_does(with_shipped, open_page, tmp_path, astronaut):
    app = open_page("denoise", store=tmp_path / "models", restore_task="unwatermark")
    assert app.text_input(key="watermark_text").value == "© Heritage"
    card = modelstore.ModelStore(modelstore.SHIPPED_FOLDER).meta("photo-unwatermark")["metrics"]
    said = [note.value for note in [*app.warning, *app.caption] if "photo-unwatermark" in note.value]
    assert f"scores {card['test_psnr']:.2f} dB against the watermarked photo's {card['test_psnr_damaged']:.2f}" in said[0]
    assert ("is not there yet" in said[0]) == (card["test_psnr"] < card["test_psnr_damaged"] + 5)  # says it plainly
    upload(app, "unwatermark", "astronaut.png", png(astronaut))
    photo = as_photo(astronaut)
    model = shipped("photo-unwatermark")

    def check(text: str, size_px: int, opacity: float):
        mark = watermark.text_watermark(96, 128, text, size_px, opacity)
        result = kept(app, "unwatermark")
        np.testing.assert_allclose(result.damaged, mark.apply(photo), atol=1e-6)  # the typed watermark, as typed
        np.testing.assert_array_equal(result.mask, mark.mask())
        np.testing.assert_allclose(result.restored, restoring.unwatermark(model, result.damaged), atol=1e-5)
        oracle, _ = classical.oracle_inpaint(result.damaged, result.mask)
        assert captions(app)[0] == f"watermarked · {restoring.psnr(photo, result.damaged):.2f} dB"
        assert captions(app)[1] == f"ours · {restoring.psnr(photo, result.restored):.2f} dB"
        assert captions(app)[2].endswith(f" · {restoring.psnr(photo, oracle):.2f} dB")
        return result.damaged

    first = check("© Heritage", 8, 0.5)  # 8% of the shorter side, 96 px
    assert np.abs(first - photo).max() > 0.2  # a visible mark
    app.text_input(key="watermark_text").set_value("Nordlicht").run()
    app.slider(key="watermark_opacity").set_value(0.8).run()
    assert not np.allclose(check("Nordlicht", 8, 0.8), first)
    assert [button.label for button in app.get("download_button")] == ["Our result, full size (128×96 PNG)"]

    app.radio(key="watermark_source").set_value("own").run()  # a photo that is watermarked already: taken as it is
    result = kept(app, "unwatermark")
    np.testing.assert_allclose(result.damaged, photo)
    assert result.mask is None and captions(app) == ["watermarked", "ours"]
    assert any("Inpainting needs to be told where" in caption.value for caption in app.caption)


def test_bad_uploads_and_an_empty_watermark_say_what_to_do(with_shipped, open_page, tmp_path, astronaut):
    app = open_page("denoise", store=tmp_path / "models", restore_task="unwatermark")
    upload(app, "unwatermark", "notes.png", b"hello, not an image at all")
    assert [error.value for error in app.error] == [  # as typed: md() escapes only what Markdown would change
        md("notes.png is not a PNG, JPEG, BMP, GIF or WebP image. Save it as PNG and try again.")]
    upload(app, "unwatermark", "astronaut.png", png(astronaut))
    app.text_input(key="watermark_text").set_value("   ").run()
    assert [error.value for error in app.error] == ["the watermark text is empty; type a few letters"]
    assert not app.get("download_button")
    app = open_page("denoise", store=tmp_path / "models", restore_task="colourise")
    upload(app, "colourise", "empty.png", b"")
    assert [error.value for error in app.error] == [md("empty.png: the file is empty. Choose an image file and try again.")]


def test_without_a_restore_model_the_section_says_how_to_train_one(open_page, tmp_path):
    app = open_page("denoise", store=tmp_path / "models", restore_task="unwatermark")  # conftest hides the shipped ones
    assert any("python -m aecore train --dataset photos --task unwatermark" in info.value for info in app.info)
    assert not app.get("file_uploader")


def test_a_series_model_denoises_a_window_at_every_noise_level(open_page, series_store):
    import json

    root, names = series_store
    app = open_page("denoise", store=root, dataset="kdd", model=names["conv1d"])
    headers = [header.value for header in app.subheader]
    assert "A noisy window and its denoised curve" in headers and "Your own images" not in headers
    figure = next(json.loads(chart.proto.spec) for chart in app.get("plotly_chart")
                  if json.loads(chart.proto.spec).get("frames"))
    assert len(figure["frames"]) == 21 and figure["layout"]["sliders"][0]["active"] == 5
    from aecore.data import owndata

    dataset = owndata.load("kdd", root)
    model = modelstore.ModelStore(root).load(names["conv1d"])
    sweep = inspection.denoise_sweep(model, dataset.x_test[:1], "gaussian", np.linspace(0, 1, 21), 0)
    level = figure["frames"][10]  # level 0.50: the window, the noisy input, the denoised curve
    assert level["name"] == "0.50" and "PSNR" in level["layout"]["title"]["text"]
    np.testing.assert_allclose(array(level["data"][0]["y"]), dataset.x_test[0, :, 0, 0], atol=1e-6)
    np.testing.assert_allclose(array(level["data"][1]["y"]), sweep.noisy[10, 0, :, 0, 0], atol=1e-6)
    np.testing.assert_allclose(array(level["data"][2]["y"]), sweep.denoised[10, 0, :, 0, 0], atol=1e-5)
    assert array(figure["data"][0]["x"])[0] == int(dataset.test_starts[0])  # the window's own time steps
