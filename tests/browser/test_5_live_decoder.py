"""The live decoder in Chromium: the page's own JavaScript (dashboard/components/live_decoder/decoder_math.js + live_decoder.js) against Keras, and
the Latent sampler's three live views driven with a real mouse and keyboard.

Parity runs in a blank page (no server, no network): the module is imported from a Blob of the file
the component serves. The page tests run on the shared server after test_1_start_flows.py left models.
"""

import base64
import io
import re

import keras
import numpy as np
import pytest
from browser_waits import wait_until
from keras import layers
from PIL import Image
from playwright.sync_api import expect

from aecore.models import families, webexport
from aecore.training import trainer
from dashboard.components import live_decoder

CODE_FAMILIES = ["dense", "sparse", "deep", "conv", "denoising", "vae", "lstm", "linear", "contractive"]
TOLERANCE = 1e-4  # max abs difference between the browser's pixels and Keras's, per value
DECODE_IN_PAGE = """async ([packed, codes, size]) => {  // the weights as the page receives them, at an odd offset
  const raw = live.base64ToBytes(packed), shifted = new Uint8Array(raw.length + 1);
  shifted.set(raw, 1);
  const model = live.unpackWeights(shifted.subarray(1)), decoder = live.compileDecoder(model.spec, model.weights);
  const all = new Float32Array(live.base64ToBytes(codes).buffer);
  const out = [];
  for (let i = 0; i < all.length / size; i++) out.push(...decoder.run(all.subarray(i * size, (i + 1) * size)));
  const bytes = new Uint8Array(new Float32Array(out).buffer);
  let text = ""; for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}"""


@pytest.fixture(scope="module")
def blank(browser):
    """A page with nothing but the live decoder's module, imported as the component imports it."""
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.evaluate("async source => { window.live = await import(URL.createObjectURL(new Blob([source], "
                  "{type: 'text/javascript'}))); }", live_decoder.module_source())
    yield page
    page.close()


def js_decode(page, decoder, codes: np.ndarray) -> np.ndarray:
    return js_forward(page, webexport.export_decoder(decoder), codes)


def js_forward(page, web: webexport.WebDecoder, codes: np.ndarray) -> np.ndarray:
    """The exported chain (a decoder's or an encoder's) run by the page's compileDecoder on each row of `codes`."""
    packed = live_decoder.packed_weights(live_decoder.LiveModel("parity", web.spec, web.weights, None))
    flat = codes.reshape(len(codes), -1).astype("<f4")
    def as_text(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    arguments = [as_text(packed), as_text(flat.tobytes()), flat.shape[1]]
    return np.frombuffer(base64.b64decode(page.evaluate(DECODE_IN_PAGE, arguments)), "<f4").reshape(len(codes), -1)


def assert_parity(page, decoder, count=100, seed=0):
    codes = np.random.default_rng(seed).normal(size=(count,) + tuple(decoder.input_shape[1:])).astype("float32")
    expected = keras.ops.convert_to_numpy(decoder(codes, training=False)).reshape(count, -1)
    got = js_decode(page, decoder, codes)
    assert np.abs(got - expected).max() <= TOLERANCE, f"{decoder.name}: max abs {np.abs(got - expected).max():.2e}"


@pytest.mark.parametrize("family", CODE_FAMILIES)
def test_browser_decoder_matches_keras_for_every_family(blank, family):
    assert_parity(blank, families.build(family, (28, 28, 1), families.FAMILIES[family].latent_dim).decoder)


@pytest.mark.parametrize("family, options", [("conv", {"sampling": "pooling"}), ("conv", {"code": "spatial"}),
                                             ("vae", {"variant": "conv"}), ("conv", {"filters": [8, 8, 8]})])
def test_browser_decoder_matches_keras_for_family_options(blank, family, options):
    assert_parity(blank, families.build(family, (28, 28, 1), 8, options).decoder)  # three stages crop 32 -> 28


def test_browser_decoder_matches_a_trained_model(blank, digits):
    trained = trainer.train("conv", digits, 8, None, trainer.TrainConfig(epochs=3, batch_size=64, patience=0))
    assert_parity(blank, trained.decoder)
    assert_encoder_parity(blank, trained, digits.x_test[:50])  # and its encoder, on real images


# Every fixed-size image family's encoder (a VAE's z_mean), with the options that change its layers.
ENCODER_CASES = [(family, {}) for family in CODE_FAMILIES + ["stacked"]] + [
    ("conv", {"sampling": "pooling"}), ("conv", {"code": "spatial"}), ("vae", {"variant": "conv"})]


def assert_encoder_parity(page, autoencoder, images):
    expected = autoencoder.encode(images).reshape(len(images), -1)
    got = js_forward(page, webexport.export_encoder(autoencoder), images)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= TOLERANCE, f"{autoencoder.family}: max abs {np.abs(got - expected).max():.2e}"


@pytest.mark.parametrize("family, options", ENCODER_CASES)
def test_browser_encoder_matches_keras_for_every_image_family(blank, family, options):
    autoencoder = families.build(family, (28, 28, 1), families.FAMILIES[family].latent_dim, options)
    images = np.random.default_rng(2).uniform(size=(20, 28, 28, 1)).astype("float32")
    assert_encoder_parity(blank, autoencoder, images)


def imported_style_decoders():
    """Plain Keras decoders of the kind notebooks build: every supported layer and activation at least once."""
    rng = np.random.default_rng(1)
    image = keras.Sequential([
        keras.Input((8,)), layers.Dense(96, activation="gelu"), layers.BatchNormalization(), layers.Reshape((4, 4, 6)),
        layers.Conv2DTranspose(5, 3, strides=2, padding="valid", output_padding=1, activation="elu"),  # (10, 10, 5)
        layers.BatchNormalization(), layers.Conv2D(4, 3, padding="same"), layers.BatchNormalization(),  # folded
        layers.LeakyReLU(0.1), layers.MaxPooling2D(2, padding="same"), layers.UpSampling2D(3),  # (15, 15, 4)
        layers.Conv2D(3, 4, strides=2, activation="selu"), layers.Dropout(0.3),  # (6, 6, 3)
        layers.Conv2DTranspose(2, 3, strides=2, padding="same", activation="softplus"),  # (12, 12, 2)
        layers.Cropping2D(((1, 1), (2, 0))), layers.Flatten(), layers.Dense(784, activation="tanh"),
        layers.Activation("leaky_relu"), layers.Dense(784, activation="sigmoid"), layers.Reshape((28, 28, 1)),
    ], name="imported_conv")
    sequence = keras.Sequential([
        keras.Input((6,)), layers.RepeatVector(28), layers.LSTM(16, return_sequences=True),
        layers.TimeDistributed(layers.Dense(12, activation="relu")),
        layers.LSTM(8, activation="relu", return_sequences=True),
        layers.TimeDistributed(layers.Dense(28, activation="silu")), layers.Reshape((28, 28, 1)),
    ], name="imported_lstm")
    for model in (image, sequence):
        for layer in model.layers:
            if isinstance(layer, layers.BatchNormalization):  # stats a trained model would have
                size = layer.moving_mean.shape[0]
                layer.moving_mean.assign(rng.normal(size=size).astype("float32"))
                layer.moving_variance.assign(rng.uniform(0.5, 2, size=size).astype("float32"))
                layer.gamma.assign(rng.uniform(0.5, 2, size=size).astype("float32"))
                layer.beta.assign(rng.normal(size=size).astype("float32"))
    return image, sequence


def test_browser_decoder_matches_keras_on_imported_style_layers(blank):
    for decoder in imported_style_decoders():
        assert_parity(blank, decoder)


# ---------------------------------------------------------------- the Latent sampler page


def canvas_png(canvas) -> str:
    return canvas.evaluate("c => c.toDataURL()")


def canvas_pixels(canvas) -> np.ndarray:
    data = canvas_png(canvas).split(",", 1)[1]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("L"), dtype=float)


def wait_for_change(page, canvas, before: str):
    page.wait_for_function("([c, before]) => c.toDataURL() !== before", arg=[canvas.element_handle(), before],
                           timeout=30_000)  # generous: 2 cores may also be serving a CI run's other work


@pytest.fixture(scope="module")
def sampler_model(server, digits):
    """A VAE on digits, saved last: a new session opens on the newest model's dataset (after test_4_import
    that was fashion_mnist, whose barely trained import decodes far codes to flat grey), and on digits the
    Latent sampler picks a VAE."""
    from aecore.store.modelstore import ModelStore

    config = trainer.TrainConfig(epochs=10, batch_size=64, patience=0)
    return ModelStore(server["store"]).save(trainer.train("vae", digits, 2, None, config), "live-vae").name


def open_sampler(server, page):
    page.goto(f"{server['url']}/latent_sampler")
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value("digits", timeout=120_000)
    expect(page.get_by_role("combobox", name="Model")).to_have_value(re.compile(r" · vae$"), timeout=60_000)
    canvas = page.locator('canvas[aria-label="decoded image (sliders)"]')
    canvas.wait_for(timeout=120_000)
    page.wait_for_function("c => Number(c.dataset.frames) > 0", arg=canvas.element_handle(), timeout=30_000)
    return canvas


def test_dragging_a_slider_redraws_before_the_release(server, sampler_model, page):
    canvas = open_sampler(server, page)
    slider = page.locator("div.live input[role=slider][aria-label=z0]")
    start = canvas_png(canvas)
    slider.scroll_into_view_if_needed()  # below the plane: the mouse can only press what is on screen
    box = slider.bounding_box()
    middle_y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, middle_y)  # the thumb sits mid-track for a VAE's 0
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, middle_y, steps=8)
    wait_for_change(page, canvas, start)  # the mouse is still down: no rerun has happened
    during, value = canvas_png(canvas), slider.get_attribute("aria-valuenow")
    assert float(value) > float(slider.get_attribute("aria-valuemin")) + 0.5 * (
        float(slider.get_attribute("aria-valuemax")) - float(slider.get_attribute("aria-valuemin")))
    page.mouse.up()
    # After the release Python gets the code: the plane (it shows the sliders' code) is rebuilt there.
    expect(page.locator("div.readout").first).to_contain_text(f"z0 = {float(value):.2f}", timeout=30_000)
    assert canvas_png(canvas) == during  # the rerun kept the picture the drag left
    page.mouse.move(box["x"] + box["width"] * 0.9, middle_y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.1, middle_y, steps=8)
    wait_for_change(page, canvas, during)  # and it moves again on the next drag
    page.mouse.up()


def test_plane_decodes_under_the_mouse_and_a_click_pins_the_code(server, sampler_model, page):
    open_sampler(server, page)
    plane = page.locator("canvas.plane")
    picture = page.locator('canvas[aria-label="decoded image (plane)"]')
    plane.scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    wait_until(lambda: canvas_pixels(plane).std() > 5, 30, 0.25, "the plane's points and decoded grid")
    box = plane.bounding_box()  # read once the plane is drawn and in view: the layout no longer moves
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    before = canvas_png(picture)
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.7, steps=5)
    wait_for_change(page, picture, before)
    assert canvas_pixels(picture).std() > 5, "the decoded picture under the mouse is blank"
    assert canvas_pixels(plane).std() > 5, "the plane shows no points or decoded grid"
    readout = page.locator("div.readout").first.inner_text()  # "z1 = 1.80, z0 = -0.60": the plane's x dimension first
    across, value = readout.split(",")[0].split("=")  # the plane opens on the widest dimension, not always z0
    x = float(value)
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.7)
    # Python got the pinned code and handed it to the sliders.
    slider = page.locator(f"div.live input[role=slider][aria-label={across.strip()}]")
    page.wait_for_function("([s, x]) => Math.abs(Number(s.getAttribute('aria-valuenow')) - x) < 0.02",
                           arg=[slider.element_handle(), x], timeout=30_000)


def test_interpolation_slider_works_from_the_keyboard(server, sampler_model, page):
    open_sampler(server, page)
    picture = page.locator('canvas[aria-label="decoded image (interpolation)"]')
    page.wait_for_function("c => Number(c.dataset.frames) > 0", arg=picture.element_handle(), timeout=30_000)
    weight = page.locator("div.live input[role=slider][aria-label='weight of B']")
    before = canvas_png(picture)
    weight.focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    wait_for_change(page, picture, before)
    assert float(weight.get_attribute("aria-valuenow")) == pytest.approx(0.8, abs=1e-6)


def test_a_fresh_browser_is_told_the_sampler_s_element_code_in_its_html(server, sampler_model, browser):
    """server.py's preloader (dashboard/server/preload.py): a visit teaches it; a later fresh browser's HTML names
    the components-v2 host and the widgets' code, fetches each, and still draws its live frame with them.
    Up to four visits: on a slow machine one render's fetches can come further apart than the preloader's
    window, and the next visit then adds what was missed."""
    for _ in range(4):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            open_sampler(server, page)  # waits for the first live frame
            named = page.eval_on_selector_all("link[rel=modulepreload][data-aecore-preload]",
                                              "links => links.map(link => link.getAttribute('href'))")
            fetched = set(page.evaluate("() => performance.getEntriesByType('resource').map(entry => entry.name)"))
        finally:
            context.close()
        if any("/BidiComponent." in href for href in named):
            break
    assert any("/BidiComponent." in href for href in named), named
    assert any("/Selectbox." in href for href in named), named
    assert {f"{server['url']}/{href.removeprefix('./')}" for href in named} <= fetched  # fetched where they say
