"""Latent sampler slider, denoise drag and uploads, in a real Chromium (the Latent map's are test_9_whole_map.py and
test_9_latent_pad.py).

Runs after test_1_start_flows.py (same server, files run in name order), which leaves trained models in the store.
"""


import numpy as np
from browser_waits import changed_pixels, drawn_pixels
from PIL import Image
from playwright.sync_api import expect


def test_latent_sampler_slider_changes_the_image_and_grid_renders(server, page):
    """The sampler decodes in the page (tests/browser/test_5_live_decoder.py drags it with the mouse)."""
    page.goto(f"{server['url']}/latent_sampler")
    decoded = page.locator('canvas[aria-label="decoded image (sliders)"]')
    decoded.wait_for(timeout=120_000)
    page.wait_for_function("c => Number(c.dataset.frames) > 0", arg=decoded.element_handle(), timeout=30_000)
    drawn_pixels(page.locator("canvas.plane"), min_std=20, timeout=30)  # points over a decoded grid, not blank
    before = decoded.evaluate("c => c.toDataURL()")
    slider = page.locator("div.live input[role=slider]").first
    slider.focus()
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("([c, before]) => c.toDataURL() !== before", arg=[decoded.element_handle(), before],
                           timeout=30_000)
    assert float(slider.get_attribute("aria-valuenow")) > float(slider.get_attribute("aria-valuemin"))


def test_denoise_picture_changes_while_dragging(server, page):
    page.goto(f"{server['url']}/denoise")
    frames = page.locator(".st-key-noise_frames")
    title = frames.locator(".gtitle")
    frames.locator("rect.slider-grip-rect").wait_for(timeout=120_000)
    expect(title).not_to_have_text("", timeout=30_000)
    frames.scroll_into_view_if_needed()
    before, title_before = drawn_pixels(frames), title.text_content()
    grip = frames.locator("rect.slider-grip-rect").bounding_box()
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(grip["x"] + grip["width"] / 2 + 30 * step, grip["y"] + grip["height"] / 2, steps=2)
    # The mouse is still down, so no server round trip has happened: the browser alone switched frames.
    expect(title).not_to_have_text(title_before, timeout=30_000)
    changed_pixels(frames, before, timeout=30)
    page.mouse.up()


def test_denoise_uploads_a_real_png_and_explains_a_fake_one(server, page, tmp_path):
    digit = np.full((120, 90), 245, np.uint8)
    digit[20:100, 40:52] = 20  # a dark "1" on white paper, as a phone photo of a drawing would be
    Image.fromarray(digit).save(tmp_path / "one.png")
    (tmp_path / "notes.png").write_text("this is a text file, not a picture")
    page.goto(f"{server['url']}/denoise")
    page.get_by_text("Your own images").wait_for(timeout=120_000)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").first.set_input_files(
        [str(tmp_path / "one.png"), str(tmp_path / "notes.png")])
    page.get_by_text("inverted").first.wait_for(timeout=60_000)
    error = page.locator("[data-testid=stAlertContentError]").filter(has_text="notes.png").first
    expect(error).to_contain_text("not a PNG, JPEG, BMP, GIF or WebP image", timeout=30_000)
    expect(page.get_by_text("Download").first).to_be_visible(timeout=30_000)
    expect(page.locator(".st-key-noise_frames")).to_be_visible()  # the rest of the page still works
