"""The Denoise page's photo flow in a real Chromium: upload a photo, drag the before/after divider,
see the 1:1 zoom and the classical denoisers, download the full-size result.

A tiny photo model (trained here in a few seconds on the bundled photos) is saved into the shared server's store.
"""

import numpy as np
import pytest
from browser_waits import wait_until
from PIL import Image
from playwright.sync_api import expect

from aecore.data import photos
from aecore.store.modelstore import ModelStore
from aecore.training import trainer

# The divider's share and the "after" picture's clip, as the page shows them. The component lives in a shadow
# root, so this runs on the element a Playwright locator found (document.querySelector would not see it).
DIVIDER = """frame => ({share: Number(frame.dataset.share), clip: frame.querySelector('img.after').style.clipPath,
  loaded: [...frame.querySelectorAll('img')].every(img => img.complete && img.naturalWidth > 0)})"""


@pytest.fixture(scope="module")
def photo_model(server):
    pytest.importorskip("skimage")
    original = photos.STEPS_PER_EPOCH
    photos.STEPS_PER_EPOCH = 20
    try:
        config = trainer.TrainConfig(epochs=1, batch_size=8, learning_rate=3e-3)
        model = trainer.train("photo", photos.load_photos(), 8, {"widths": (8, 8), "blocks": 1}, config)
    finally:
        photos.STEPS_PER_EPOCH = original
    return ModelStore(server["store"]).save(model, "browser-photo").name


def test_a_photo_is_denoised_at_full_size_and_compared_by_dragging(server, page, photo_model, tmp_path):
    coffee = next(photo for photo in photos.load_photos().test if photo.name == "coffee").pixels[:240, :320]
    Image.fromarray(np.round(coffee * 255).astype(np.uint8)).save(tmp_path / "coffee.png")
    page.goto(f"{server['url']}/denoise")
    page.get_by_text("Your own photos").wait_for(timeout=120_000)
    expect(page.get_by_text(photo_model).first).to_be_visible(timeout=60_000)
    page.locator(".st-key-photo_upload [data-testid=stFileUploaderDropzoneInput]").set_input_files(str(tmp_path / "coffee.png"))
    expect(page.get_by_text("320×240 px, colour").first).to_be_visible(timeout=120_000)

    frame = page.locator(".frame[role=slider]")
    frame.wait_for(timeout=60_000)
    wait_until(lambda: (state := frame.evaluate(DIVIDER)) and state["loaded"] and state["share"] == 0.5, 30, 0.25,
               "the comparison to load with its divider in the middle")
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    assert box["height"] / box["width"] == pytest.approx(240 / 320, rel=0.05)  # the photo's shape, not a square
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    state = wait_until(lambda: (found := frame.evaluate(DIVIDER)) and found["share"] < 0.3 and found, 10, 0.1,
                       "the divider to follow the drag")
    assert state["share"] == pytest.approx(0.2, abs=0.03) and "80" in state["clip"]  # inset(0 80% 0 0)

    page.get_by_text("Compare with classical denoisers").click()
    for caption in ("non-local means ·", "wavelet ·", "total variation ·", "photo model ·"):
        expect(page.get_by_text(caption).first).to_be_visible(timeout=60_000)

    button = page.locator(".st-key-photo_download button")
    expect(button).to_contain_text("320×240", timeout=30_000)
    with page.expect_download(timeout=30_000) as download:
        button.click()
    with Image.open(download.value.path()) as picture:
        assert picture.size == (320, 240) and picture.mode == "RGB"
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_a_first_visit_denoises_a_photo_with_the_shipped_model(browser, tmp_path):
    """A fresh store and the model shipped with aecore (the default, unlike the other browser tests' servers)."""
    from aecore.store import modelstore
    from scripts import serve

    if not (modelstore.SHIPPED_FOLDER / "photo-shipped" / "model.keras").exists():
        pytest.skip("this copy has no shipped photo model")
    camera = next(photo for photo in photos.load_photos().test if photo.name == "camera").pixels[:200, :240, 0]
    Image.fromarray(np.round(camera * 255).astype(np.uint8)).save(tmp_path / "camera.png")
    process, url = serve.start(tmp_path / "empty-store", dataset="digits", env={"AECORE_SHIPPED_MODELS": None})
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/denoise")
        expect(page.get_by_text("photo-shipped").first).to_be_visible(timeout=120_000)
        expect(page.get_by_text("There is no photo model yet")).to_have_count(0)
        page.locator(".st-key-photo_upload [data-testid=stFileUploaderDropzoneInput]").set_input_files(str(tmp_path / "camera.png"))
        expect(page.get_by_text("240×200 px, grey").first).to_be_visible(timeout=120_000)
        expect(page.locator(".st-key-photo_download button")).to_contain_text("240×200", timeout=60_000)
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
        context.close()
    finally:
        serve.stop(process)
