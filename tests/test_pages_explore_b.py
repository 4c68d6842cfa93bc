"""AppTests of the Latent map, Latent sampler and Denoise pages, on small models trained on real digits.

Each page opens through app.py as every page test opens one (tests/pages.py). Plotly and Vega-Lite charts are read
back from their JSON spec and the components (the pad, the sampler, Restore's frame slider) from the data they are
sent; images inside them are PNG data URIs, decoded with Pillow to check sizes.

Longer than 300 lines: the three pages share one module fixture (three models trained once, ~20 s) and the
figure helpers; split into files, each would train them again or import them across test modules.
"""

import base64
import io
import json
import os

import numpy as np
import pytest
from pages import open_app
from PIL import Image
from streamlit.testing.v1 import AppTest

from aecore.data.images import to_png_bytes
from aecore.store.modelstore import ModelStore
from aecore.training import trainer


@pytest.fixture(scope="module")
def models(tmp_path_factory, digits):
    """{family: store entry name} for a VAE (2-D code), a conv (8-D) and a denoising model with a spatial code."""
    root = tmp_path_factory.mktemp("explore-b") / "models"
    saved = {key: os.environ.get(key) for key in ("AECORE_STORE", "AECORE_OFFLINE")}
    os.environ.update(AECORE_STORE=str(root), AECORE_OFFLINE="1")
    store, names = ModelStore(root), {}
    for family, latent, options in [("vae", 2, None), ("conv", 8, None), ("denoising", 4, {"code": "spatial"})]:
        config = trainer.TrainConfig(epochs=5, batch_size=64, patience=0)
        names[family] = store.save(trainer.train(family, digits, latent, options, config), f"b-{family}").name
    yield names
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def run_page(page: str, model: str, **state) -> AppTest:
    """The page on digits with `model` picked (tests/pages.py's open_app; the store is this module's)."""
    return open_app(page, model=model, timeout=90, **state)


def figures(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def title(figure: dict) -> str:
    text = figure["layout"].get("title", {})
    return text.get("text", "") if isinstance(text, dict) else str(text)


def figure_titled(app: AppTest, start: str) -> dict:
    return next(figure for figure in figures(app) if title(figure).startswith(start))


def image_sources(figure: dict) -> list[str]:
    return [trace["source"] for trace in figure["data"] if trace["type"] == "image"]


def picture(source: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))


def png_bytes(digits) -> bytes:
    """A real photo-like upload: a test digit, enlarged, dark ink on a light background, as RGB."""
    image = (1.0 - digits.x_test[3, :, :, 0]).repeat(12, axis=0).repeat(12, axis=1)
    return to_png_bytes(np.stack([image] * 3, axis=-1))


# ---------------------------------------------------------------- latent map


def wait_for_map(store, model: str, method: str, timeout: float = 300) -> dict:
    import time

    from dashboard.state import map_jobs

    deadline = time.monotonic() + timeout
    while not (status := map_jobs.status(store, model, "digits", "all", method) or {}).get("done"):
        assert not status.get("error"), status
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    while map_jobs.busy():  # "done" is written just before the process ends; the next job waits for that
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return status


def pad_message(app: AppTest) -> dict:
    """The pad's binary message on the page, parsed as the page parses it: {"header": ..., "arrays": {...}}."""
    import struct

    from dashboard.components import latent_pad

    for element in app.get("bidi_component"):
        data = bytes(element.proto.bytes or b"")
        if data.startswith(latent_pad.MAGIC):
            length = struct.unpack("<I", data[8:12])[0]
            header = json.loads(data[12:12 + length])
            body = data[12 + length:]
            arrays = {name: np.frombuffer(body, spec["dtype"], int(np.prod(spec["shape"])), spec["offset"]).reshape(spec["shape"])
                      for name, spec in header["arrays"].items()}
            return {"header": header, "arrays": arrays}
    raise AssertionError("no pad on the page")


def test_latent_map_opens_on_pca_of_the_whole_dataset_with_a_pad_that_places_codes_exactly(models, digits):
    from aecore.store import mapcache

    app = run_page("latent_map", models["conv"])
    assert not app.exception
    store = ModelStore(os.environ["AECORE_STORE"])
    wait_for_map(store, models["conv"], "pca")
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    whole = len(digits.x_train) + len(digits.x_test)
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Images"] == f"{whole:,}" and metrics["Code size"] == "8"
    message = pad_message(app)
    header, arrays = message["header"], message["arrays"]
    assert header["placement"]["kind"] == "pca" and header["encoder"]["layers"] and header["decoder"]["layers"]
    assert arrays["codes"].shape == (whole, 8) and arrays["positions"].shape == (whole, 2)
    # The page's placement (mean, components, centre, span) puts every code where the map draws it.
    codes, _ = mapcache.codes_and_errors(store, models["conv"], ModelStore(os.environ["AECORE_STORE"]).load(models["conv"]),
                                         digits, "all")
    placement = header["placement"]
    xy = (codes - np.asarray(placement["mean"])) @ np.asarray(placement["components"]).T
    unit = (xy - np.asarray(placement["centre"])) / placement["span"] + 0.5
    assert np.abs(unit - arrays["positions"]).max() < 1e-4
    # int8 codes on the wire stay within half a step of the float ones
    step = np.asarray(header["code_step"])
    restored = np.asarray(header["code_low"]) + (arrays["codes"].astype(float) + 127) * step
    assert np.all(np.abs(restored - codes) <= step / 2 + 1e-6)


def test_a_file_opened_on_the_pad_is_converted_as_the_denoise_page_converts_uploads(models, digits):
    from types import SimpleNamespace

    from dashboard.sections import latent_pad

    context = SimpleNamespace(dataset_name="digits", model=ModelStore(os.environ["AECORE_STORE"]).load(models["conv"]))
    png = base64.b64encode(png_bytes(digits)).decode()
    converted = latent_pad.convert({"name": "three.png", "data": png, "id": 1}, context)
    pixels = np.frombuffer(base64.b64decode(converted["pixels"]), np.uint8)
    assert converted["error"] is None and pixels.size == 8 * 8 and "three.png" in converted["notes"]
    assert np.corrcoef(pixels / 255, digits.x_test[3].ravel())[0, 1] > 0.5  # the same digit (fitted into a margin)
    assert pixels.mean() < 100  # inverted back to white on black, as the Denoise page does on digits
    broken = latent_pad.convert({"name": "notes.png", "data": base64.b64encode(b"not an image").decode(), "id": 2}, context)
    assert broken["error"].startswith("notes.png: ") and "pixels" not in broken


def test_the_whole_dataset_map_is_computed_by_a_job_then_shows_every_image(models, digits):
    import time

    from dashboard.state import map_jobs

    whole = len(digits.x_train) + len(digits.x_test)
    app = run_page("latent_map", models["conv"], map_method="tsne")
    store = ModelStore(os.environ["AECORE_STORE"])
    status = map_jobs.status(store, models["conv"], "digits", "all", "tsne")
    assert status is not None, "the page did not start a map job"
    assert any(any(stage in bar.proto.text for stage in ("Starting", "Encoding", "t-SNE")) for bar in app.get("progress")) \
        or status.get("done")
    deadline = time.monotonic() + 300
    while not (status := map_jobs.status(store, models["conv"], "digits", "all", "tsne")).get("done"):
        assert not status.get("error"), status
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Images"] == f"{whole:,}" and metrics["Code size"] == "8"
    assert float(metrics["Trustworthiness"]) > 0.9
    assert "Map coordinates (CSV)" in [button.label for button in app.download_button]
    app.session_state["whole_selected-digits"] = list(range(len(digits.x_train) - 50, len(digits.x_train) + 50))  # a lasso's result
    app.run()
    assert any(caption.value.startswith("100 images selected") for caption in app.caption)
    assert "Selected indices (CSV)" in [button.label for button in app.download_button]
    decoded = figure_titled(app, "their mean code, decoded")
    assert picture(image_sources(decoded)[0]).size[0] >= 8
    app.session_state["whole_selected-digits"] = None
    app.session_state["whole_clicked-digits"] = len(digits.x_train) + 3  # the 4th test image
    app.run()
    label = digits.class_names[int(digits.y_test[3])] if digits.class_names else str(int(digits.y_test[3]))
    assert any(title(figure) == f"original #{len(digits.x_train) + 3} {label}, test" for figure in figures(app))


# ---------------------------------------------------------------- latent sampler


def live_views(app: AppTest) -> dict:
    """{view: data} of the live decoder views on the page (plane, sliders, interpolate)."""
    found = [json.loads(element.proto.json) for element in app.get("bidi_component") if element.proto.json]
    return {data["view"]: data for data in found}


def live_weights(app: AppTest) -> list:
    """The binary weights messages on the page, unpacked: (position among the live elements, header, weights)."""
    found = []
    for position, element in enumerate(app.get("bidi_component")):
        if element.proto.bytes:
            data = element.proto.bytes
            assert data[:4] == b"AEW1"
            length = int.from_bytes(data[4:8], "little")
            found.append((position, json.loads(data[8:8 + length]), np.frombuffer(data[8 + length:], "<f4")))
    return found


def test_latent_sampler_sends_the_decoder_once_to_three_live_views(models):
    from dashboard.components import live_decoder

    app = run_page("latent_sampler", models["vae"])
    views = live_views(app)
    assert list(views) == ["plane", "sliders", "interpolate"]
    key = views["plane"]["model"]["key"]
    assert views["plane"]["model"] == views["sliders"]["model"] == views["interpolate"]["model"] == {"key": key}
    [(position, header, weights)] = live_weights(app)  # once, binary, right after the first view
    assert position == 1 and header["key"] == key and header["spec"]["output_shape"] == [8, 8, 1]
    model = ModelStore(os.environ["AECORE_STORE"]).load(models["vae"])
    assert weights.size == sum(array.size for array in model.decoder.get_weights())
    assert views["plane"]["ranges"] == [[-3.0, 3.0], [-3.0, 3.0]] and len(views["plane"]["points"]) == 300
    assert views["sliders"]["low"] == [-3.0, -3.0] and views["sliders"]["code"] == [0.0, 0.0]  # the prior mean
    app.run()
    assert live_views(app)["plane"]["model"] == {"key": key} and live_weights(app) == []  # not sent again
    app.session_state[live_decoder.SENT] = set()  # what the page's "need" does: it lost them (a new tab)
    app.run()
    assert [header["key"] for _, header, _ in live_weights(app)] == [key]  # sent again
    assert any(caption.value.startswith("The decoder runs in your browser") for caption in app.caption)


def test_latent_sampler_random_samples_and_interpolation_codes(models, digits):
    app = run_page("latent_sampler", models["conv"])
    sliders = live_views(app)["sliders"]
    assert len(sliders["code"]) == 8 and all(low <= value <= high for low, value, high in
                                             zip(sliders["low"], sliders["code"], sliders["high"]))  # median code
    next(button for button in app.button if button.label == "Random samples").click().run()
    assert not app.exception
    samples = picture(image_sources(figure_titled(app, "32 samples, seed 0"))[0])
    assert samples.size == (16 * 9 - 1, 2 * 9 - 1)
    app.number_input(key="sampler_to").set_value(7).run()
    line = live_views(app)["interpolate"]
    model = ModelStore(os.environ["AECORE_STORE"]).load(models["conv"])
    np.testing.assert_allclose(line["b"], model.encode(digits.x_test[7:8])[0], atol=1e-5)
    assert line["labels"][1].startswith("#7 ")


def test_the_sampler_starts_from_a_picture_sent_by_the_pad_or_uploaded(models, digits):
    from types import SimpleNamespace
    from unittest import mock

    from dashboard.sections import sampler
    from dashboard.state import caches, sidebar

    model = ModelStore(os.environ["AECORE_STORE"]).load(models["conv"])
    code = model.encode(digits.x_test[5:6]).reshape(-1)
    stamp = caches.stamp_of(ModelStore(os.environ["AECORE_STORE"]).meta(models["conv"]))
    sent = {"stamp": stamp, "code": code.tolist(), "source": "your picture on the Latent map"}
    app = run_page("latent_sampler", models["conv"], **{sidebar.SAMPLER_START: sent})
    assert not app.exception
    np.testing.assert_allclose(live_views(app)["sliders"]["code"], np.clip(code, *slider_limits(app)), atol=1e-6)
    assert any("Started from your picture on the Latent map" in caption.value for caption in app.caption)
    assert sidebar.SAMPLER_START not in app.session_state  # once
    other = run_page("latent_sampler", models["conv"], **{sidebar.SAMPLER_START: {**sent, "stamp": "another@model"}})
    assert not np.allclose(live_views(other)["sliders"]["code"], np.clip(code, *slider_limits(other)))  # not its code

    low, high, state = np.full(8, -1e9), np.full(8, 1e9), {}
    with mock.patch("streamlit.session_state", state):  # the helper outside a page run: a dict stands in
        context = SimpleNamespace(dataset_name="digits", model=model, stamp=stamp)
        said = sampler.adopt_picture(context, png_bytes(digits), "three.png", low, high)
        assert said.startswith("Started from three.png") and len(state[sampler.code_key(stamp)]) == 8
        assert sampler.adopt_picture(context, b"not an image", "notes.png", low, high).startswith("notes.png: ")


def test_the_small_map_beside_the_sliders_places_a_code_where_the_pca_map_draws_it(models, digits):
    """The sliders' small map (#36): the page's own PCA formula puts each test code on its dot."""
    app = run_page("latent_sampler", models["conv"])
    mini = live_views(app)["sliders"]["minimap"]
    model = ModelStore(os.environ["AECORE_STORE"]).load(models["conv"])
    codes = model.encode(digits.x_test[: len(mini["points"])]).reshape(len(mini["points"]), -1)
    xy = (codes - np.asarray(mini["mean"])) @ np.asarray(mini["components"]).T  # live_decoder/painters.js's miniMap.show
    placed = (xy - np.asarray(mini["centre"])) / mini["span"] + 0.5
    np.testing.assert_allclose(placed, np.asarray(mini["points"])[:, :2], atol=2e-3)
    assert [point[2] for point in mini["points"]] == digits.y_test[: len(mini["points"])].tolist()
    assert any("red ring is the sliders' code" in caption.value for caption in app.caption)


def slider_limits(app: AppTest) -> tuple:
    sliders = live_views(app)["sliders"]
    return np.asarray(sliders["low"]), np.asarray(sliders["high"])


def test_spatial_codes_are_flattened_and_sliders_come_in_windows(models):
    app = run_page("latent_sampler", models["denoising"])  # code (2, 2, 4): 16 dimensions
    sliders = live_views(app)["sliders"]
    assert len(sliders["code"]) == 16 and sliders["window"] == 8  # the page shows 8 at a time, in the browser
    widest = app.selectbox(key="sampler_x").value  # the plane opens on the most varied dimensions (test_sampler_defaults)
    other = 15 if widest != 15 else 14
    app.selectbox(key="sampler_y").set_value(other).run()
    assert not app.exception and live_views(app)["plane"]["dims"] == [widest, other]


def test_a_decoder_the_browser_cannot_run_is_decoded_on_the_server(models, monkeypatch):
    from aecore.models import webexport
    from dashboard.state import caches

    def refuse(decoder):
        raise webexport.WebExportError("layer 'x' is a LayerNormalization, which the in-browser decoder does not run")
    monkeypatch.setattr(webexport, "export_decoder", refuse)
    caches.live_decoder_of.clear()
    try:
        app = run_page("latent_sampler", models["vae"])
    finally:
        caches.live_decoder_of.clear()
    assert any("decoded on the server when you release a control: layer 'x' is a LayerNormalization" in caption.value
               for caption in app.caption)
    assert all(data["model"] is None for data in live_views(app).values()) and live_weights(app) == []
    titles = [title(figure) for figure in figures(app)]
    assert {"the pinned code", "decoded code", "weight 0.50"} <= set(titles)


# ---------------------------------------------------------------- denoise


def frame_slider_data(app: AppTest) -> dict:
    """The noise-level frame slider's message (dashboard/components/frame_slider): steps, captions, rows' sheets."""
    return next(data for data in (json.loads(element.proto.json) for element in app.get("bidi_component")
                                  if element.proto.json) if "captions" in data)


def sheet_frame(row: dict, step: int) -> np.ndarray:
    """Step `step`'s picture cut from a row's sheet, as the script cuts it."""
    sheet = np.asarray(picture(row["sheet"]))
    return sheet[step * row["height"]:(step + 1) * row["height"]]


def vega_specs(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def test_denoise_slider_frames_and_noise_kind(models, digits):
    app = run_page("denoise", models["denoising"])
    assert not app.get("plotly_chart"), "an image dataset's Restore page loads no Plotly"
    data = frame_slider_data(app)
    assert len(data["steps"]) == 21 and data["steps"][5] == "0.25" and data["start"] == 5
    assert all(caption.startswith(f"level {step}") and "PSNR" in caption and "SSIM" in caption
               for step, caption in zip(data["steps"], data["captions"]))
    assert data["captions"][0].startswith("level 0.00   PSNR ∞ → ")  # the clean input itself
    noisy, denoised, clean = data["rows"]
    assert [noisy["label"], denoised["label"], clean["label"]] == ["noisy input", "denoised", "clean"]
    assert (noisy["frames"], denoised["frames"], clean["frames"]) == (21, 21, 1)  # the clean images once
    assert (noisy["width"], noisy["height"]) == (3 * 9 - 1, 2 * 9 - 1)  # six 8x8 digits, 3 a row, 1-px gaps
    assert not np.array_equal(sheet_frame(noisy, 0), sheet_frame(noisy, 20))  # noisier at the top
    np.testing.assert_array_equal(sheet_frame(noisy, 0), sheet_frame(clean, 0))  # level 0 adds no noise
    app.radio(key="noise_kind").set_value("masking").run()
    assert not app.exception
    masked = frame_slider_data(app)
    assert not np.array_equal(sheet_frame(masked["rows"][0], 10), sheet_frame(noisy, 10))
    assert masked["captions"][10] != data["captions"][10]


def psnr_lines(app: AppTest) -> dict:
    """{name: (line width, PSNR per level)} of the PSNR chart (dashboard.vega_plots.psnr_curves), in drawn order."""
    spec = next(spec for spec in vega_specs(app) if spec["title"]["text"].startswith("Mean PSNR of 100 test images"))
    lines = {}
    for layer in spec["layer"]:
        for row in layer["data"]["values"]:
            lines.setdefault(row["name"], (row["width"], []))[1].append(row["psnr"])
    assert list(lines) == spec["layer"][0]["encoding"]["color"]["scale"]["domain"]  # the colours' order is the lines'
    return lines


def test_psnr_chart_compares_every_model_with_the_noisy_input(models):
    app = run_page("denoise", models["conv"])  # the page opens on the selected model alone (#35), then adds the others
    alone = psnr_lines(app)
    assert list(alone) == [f"{models['conv']} (conv)", "noisy input"]
    assert alone["noisy input"][1][0] is None and None not in alone["noisy input"][1][1:]  # level 0 is a gap
    assert all(value is not None for value in alone[f"{models['conv']} (conv)"][1])
    app.toggle(key="compare_models").set_value(True).run()
    lines = psnr_lines(app)
    names = list(lines)
    assert names[-1] == "noisy input" and len(names) == 4
    assert lines[f"{models['denoising']} (denoising)"][0] > lines[f"{models['conv']} (conv)"][0]  # drawn thick


def upload_steps(app: AppTest) -> list[str]:
    """The captions of the last upload's step pictures (st.image in columns)."""
    return [image.caption for element in app.get("image") for image in element.proto.imgs]


def test_uploads_show_their_steps_and_bad_files_do_not_stop_the_page(models, digits):
    data = png_bytes(digits)
    app = run_page("denoise", models["denoising"])
    app.file_uploader(key="denoise_uploads").set_value([
        ("digit.png", data, "image/png"),
        ("notes.png", b"shopping list: eggs, milk\n", "image/png"),
        ("cut.png", data[: len(data) // 2], "image/png"),
    ]).run()
    assert not app.exception
    errors = [error.value for error in app.error]
    assert len(errors) == 2 and "notes.png" in errors[0] and "truncated or corrupt" in errors[1]
    assert upload_steps(app) == ["original", "grayscale", "resized", "inverted", "denoised"]
    assert [button.label for button in app.download_button] == ["Denoised PNG"]
    app.slider(key="upload_level").set_value(0.5).run()
    assert not app.exception
    assert upload_steps(app) == ["original", "grayscale", "resized", "inverted", "noisy", "denoised"]


def test_process_upload_gives_a_result_or_a_message(models, digits):
    from dashboard.sections import latent

    model = ModelStore().load(models["denoising"])
    data = png_bytes(digits)
    result = latent.process_upload(data, "digit.png", model)
    assert result.error is None and result.converted.inverted
    assert result.denoised.shape == model.input_shape
    assert Image.open(io.BytesIO(result.png)).size == (8, 8)
    assert not latent.process_upload(data, "digit.png", model, invert="never").converted.inverted
    assert "not a PNG, JPEG" in latent.process_upload(b"just some text\n", "notes.png", model).error
    assert "truncated or corrupt" in latent.process_upload(data[: len(data) // 2], "cut.png", model).error
