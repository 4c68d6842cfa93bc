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


def step_of(slider) -> int:
    return int(slider.get_attribute("data-step"))


def test_denoise_frames_switch_in_the_browser_while_dragging_and_with_the_arrow_keys(server, page):
    """dashboard/components/frame_slider: every level's pictures are in the page, so a drag, still held, switches the
    pictures and the caption with no server round trip; the arrow keys step one level, on the slider or the pictures."""
    page.goto(f"{server['url']}/denoise")
    slider = page.locator(".st-key-noise_frames .frame-slider")
    slider.wait_for(timeout=120_000)
    page.wait_for_function("root => root.dataset.drawn === 'true'", arg=slider.element_handle(), timeout=60_000)
    caption, noisy = slider.locator(".caption"), slider.locator("canvas").first
    expect(caption).to_contain_text("level 0.25   PSNR", timeout=30_000)  # opens where Plotly's slider opened
    expect(slider.locator("figcaption")).to_have_text(["noisy input", "denoised", "clean"])
    slider.scroll_into_view_if_needed()
    before, caption_before = drawn_pixels(noisy), caption.text_content()
    track = slider.locator("input.step").bounding_box()
    middle = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + 8 + (track["width"] - 16) * 0.25, middle)  # the thumb at step 5 of 20
    page.mouse.down()
    for share in (0.4, 0.55, 0.7, 0.85):
        page.mouse.move(track["x"] + track["width"] * share, middle, steps=3)
    # The mouse is still down, so no server round trip has happened: the browser alone switched frames.
    expect(caption).not_to_have_text(caption_before, timeout=10_000)
    changed_pixels(noisy, before, timeout=10)
    dragged = step_of(slider)
    assert dragged >= 14 and caption.text_content().startswith(f"level {dragged / 20:.2f}   PSNR")
    page.mouse.up()
    slider.locator("input.step").focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(caption).to_contain_text(f"level {(dragged - 2) / 20:.2f}   PSNR", timeout=10_000)
    slider.locator(".rows").focus()
    page.keyboard.press("ArrowRight")
    expect(caption).to_contain_text(f"level {(dragged - 1) / 20:.2f}   PSNR", timeout=10_000)
    assert slider.locator("output").text_content() == f"noise level {(dragged - 1) / 20:.2f}"


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
