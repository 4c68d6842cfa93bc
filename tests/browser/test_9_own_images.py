"""Your own images, as a new user brings them (issue #27): a zip of photographs uploaded on the Datasets page, a model
trained on it from the Train page, and the Latent map and the Latent sampler explored on it, in colour."""

import io
import re
import zipfile

import numpy as np
from browser_waits import drawn_pixels, wait_until
from owndata_sources import photo_crops, write_photo_zip
from PIL import Image
from playwright.sync_api import expect


def colour_spread(locator) -> float:
    """How far the element's pixels are from grey: the mean spread between their red, green and blue."""
    rgb = np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=float)
    return float(np.mean(rgb.max(axis=2) - rgb.min(axis=2)))


def go_to(page, title: str):
    """In-app navigation (a sidebar link), which keeps the session."""
    page.locator("section[data-testid=stSidebar] [data-testid=stSidebarNavLink]").filter(has_text=title).first.click()


def test_a_zip_of_your_own_images_is_added_trained_on_and_explored(server, page, tmp_path):
    archive = write_photo_zip(tmp_path / "holiday.zip", photo_crops(10))  # 6 photographs, 10 crops each
    page.goto(f"{server['url']}/datasets")
    page.locator("input[type=file]").first.set_input_files(str(archive))
    page.get_by_text(re.compile(r"60 images, 6 classes")).first.wait_for(timeout=60_000)  # the preview's line
    page.get_by_role("button", name="Add holiday").click()
    page.get_by_text("Added holiday").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Explore holiday").click()
    sidebar = page.locator("section[data-testid=stSidebar]")
    expect(sidebar.get_by_role("combobox", name="Dataset")).to_have_value("holiday", timeout=60_000)

    go_to(page, "Train / load")
    page.get_by_text("Start training").wait_for(timeout=60_000)
    page.get_by_label("Name (optional)").fill("holiday-conv")
    page.get_by_label("Epochs (0 = the family's default)").fill("8")
    page.get_by_text("Start training").click()
    page.get_by_text(re.compile(r"Training conv on holiday")).first.wait_for(timeout=60_000)
    wait_until(lambda: (server["store"] / "holiday-conv" / "model.keras").is_file(), 240, 1, "the model in the store")
    expect(sidebar.get_by_role("combobox", name="Model")).to_have_value(re.compile(r"^holiday-conv "), timeout=60_000)
    with page.expect_download(timeout=60_000) as download:  # zipped when clicked, not on every run
        page.locator(".st-key-download-holiday-conv button").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "holiday-conv/model.keras" in archive.namelist()

    go_to(page, "Latent map")
    root = page.locator(".bigmap")
    root.wait_for(timeout=180_000)  # the map job encodes every image first
    page.wait_for_function("r => Number(r.dataset.frames) > 0", arg=root.element_handle(), timeout=60_000)
    overlay = root.locator("canvas.overlay")
    overlay.scroll_into_view_if_needed()
    tip = root.locator(".tip")

    spreads = []

    def colour_thumbnail():
        """Sweeps the mouse over the map until a point's thumbnail shows a photograph in colour."""
        box = overlay.bounding_box()
        for fraction_x in np.linspace(0.05, 0.95, 19):
            for fraction_y in np.linspace(0.05, 0.95, 19):
                page.mouse.move(box["x"] + box["width"] * fraction_x, box["y"] + box["height"] * fraction_y)
                if root.get_attribute("data-hovered") and tip.is_visible():
                    spreads.append(colour_spread(tip.locator("canvas")))
                    if spreads[-1] > 8:  # a photograph, not a grey image
                        return True
        return False

    wait_until(colour_thumbnail, 60, 0.5, "a colour thumbnail under the mouse")
    assert spreads[-1] > 8, spreads

    check_the_pad_in_colour(server, page, tmp_path)

    go_to(page, "Latent sampler")
    plane = page.locator("canvas.plane")
    drawn_pixels(plane, min_std=5, timeout=120)
    decoded = page.locator('canvas[aria-label="decoded image (sliders)"]')
    decoded.wait_for(timeout=60_000)
    wait_until(lambda: colour_spread(decoded) > 3, 30, 0.5, "the decoder painting colour in the page")


def check_the_pad_in_colour(server, page, tmp_path):
    """The Latent map's pad on a colour dataset (#36): a colour photo opened on it is converted on the server and drawn
    in colour, its code computed in the page equals Keras's, and a stroke in the picked colour moves the star."""
    from aecore.store.modelstore import ModelStore

    pad = page.locator(".pad")
    expect(pad).to_have_attribute("data-ready", "true", timeout=120_000)
    expect(pad.locator(".colour-pick")).to_be_visible()
    photo = tmp_path / "cat.png"
    Image.fromarray(photo_crops(1)["chelsea"][0]).save(photo)
    pad.locator(".open input[type=file]").set_input_files(str(photo))
    expect(pad.locator(".note")).to_contain_text("cat.png", timeout=60_000)
    expect(pad).to_have_attribute("data-place", re.compile(r"^[0-9.-]+,[0-9.-]+$"), timeout=30_000)
    wait_until(lambda: colour_spread(pad.locator("canvas.input")) > 8, 30, 0.5, "the opened photo drawn in colour")
    values, code = pad.evaluate("root => [Array.from(root.pad.values()), Array.from(root.pad.code)]")
    model = ModelStore(server["store"]).load("holiday-conv")
    expected = model.encode(np.asarray(values, np.float32).reshape(1, *model.input_shape)).reshape(-1)
    assert np.abs(np.asarray(code) - expected).max() < 1e-4
    before = pad.get_attribute("data-place")
    pad.locator("input.colour").evaluate("element => { element.value = '#ff0000'; }")
    surface = pad.locator("canvas.surface")
    surface.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = surface.bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.5 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.5 * box["height"], steps=6)
    page.mouse.up()
    wait_until(lambda: pad.get_attribute("data-place") != before, 10, 0.1, "the star to move after a red stroke")
    red = pad.evaluate("root => { const v = root.pad.values(), w = root.pad.shape[1], h = root.pad.shape[0], "
                       "p = Math.floor(h / 2) * w + Math.floor(w / 2); return [v[3 * p], v[3 * p + 1], v[3 * p + 2]]; }")
    assert red[0] > 0.6 and red[1] < 0.4 and red[2] < 0.4, red  # the stroke is in the picked colour
