"""Latent map click, latent sampler slider, denoise drag and uploads, in a real Chromium.

Runs after test_1_start_flows.py (same server, files run in name order), which leaves trained models in the store.
"""

import io

import numpy as np
from browser_waits import changed_pixels, drawn_pixels, wait_until
from PIL import Image
from playwright.sync_api import expect

# Pixel position of the most isolated point of the map (so a click cannot hit a neighbour), and its image index;
# null until the scattergl plot has its points. The plot is scrolled into view first.
ISOLATED_POINT = """
() => {
  // _fullData holds decoded arrays: Plotly 7 ships NumPy arrays base64-encoded in .data.
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p._fullData && p._fullData.some(t => t.type === 'scattergl' && t.x && t.x.length));
  if (!plot || !plot._fullLayout || !plot._fullLayout.xaxis || !plot._fullLayout.xaxis.l2p) return null;
  plot.scrollIntoView({block: 'center'});
  const layout = plot._fullLayout, box = plot.getBoundingClientRect();
  const points = [];
  plot._fullData.forEach(trace => { if (trace.type !== 'scattergl') return;
    for (let i = 0; i < trace.x.length; i++) points.push({
      x: box.left + layout._size.l + layout.xaxis.l2p(trace.x[i]),
      y: box.top + layout._size.t + layout.yaxis.l2p(trace.y[i]), index: trace.customdata[i]}); });
  let best = null, bestGap = -1;
  for (const p of points.slice(0, 400)) {
    let gap = Infinity;
    for (const q of points) if (q !== p) gap = Math.min(gap, Math.hypot(p.x - q.x, p.y - q.y));
    if (gap > bestGap) { bestGap = gap; best = p; }
  }
  return best && {...best, x: Math.round(best.x), y: Math.round(best.y)};
}
"""


def chart(page, text):
    return page.locator("[data-testid=stPlotlyChart]").filter(has_text=text).first


def pixels(locator) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), dtype=float)


def settled_point(page):
    """The isolated point once two reads 0.5 s apart agree: the map no longer moves on the page."""
    previous = {}

    def same_twice():
        point = page.evaluate(ISOLATED_POINT)
        stable = point is not None and point == previous.get("point")
        previous["point"] = point
        return point if stable else None

    return wait_until(same_twice, 60, 0.5, "the Plotly latent map to settle")


def test_latent_map_hover_shows_a_thumbnail_and_click_shows_that_point(server, page):
    page.goto(f"{server['url']}/latent_map")
    page.get_by_text("Trustworthiness").wait_for(timeout=120_000)
    canvas = page.locator("canvas.map")
    drawn_pixels(canvas, min_std=1)  # the points are drawn
    canvas.scroll_into_view_if_needed()
    tip = page.locator("div.tip")

    def hover_somewhere():
        """Sweeps the mouse over a grid of spots; the first spot that shows a thumbnail, else None."""
        box = canvas.bounding_box()
        for fx in np.linspace(0.1, 0.9, 9):
            for fy in np.linspace(0.1, 0.9, 9):
                spot = (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                page.mouse.move(*spot)  # the handler runs synchronously on the dispatched event
                if tip.evaluate("element => getComputedStyle(element).display") == "block":
                    return spot
        return None

    spot = wait_until(hover_somewhere, 30, 0.5, "a hover thumbnail anywhere on the map")
    expect(tip).to_be_visible()
    index = tip.get_attribute("data-index")

    def thumbnail_drawn():  # the sprite sheet may still be loading at the first hover: hover again
        page.mouse.move(spot[0] + 1, spot[1])
        page.mouse.move(*spot)
        return pixels(tip.locator("canvas")).std() > 10 and tip.get_attribute("data-index") == index

    wait_until(thumbnail_drawn, 30, 0.5, "the hover thumbnail to show the image")
    page.mouse.click(*spot)
    page.get_by_text(f"original #{index} ").first.wait_for(timeout=30_000)


def test_latent_map_click_shows_that_exact_point(server, page):
    page.goto(f"{server['url']}/latent_map")
    page.get_by_text("Trustworthiness").wait_for(timeout=120_000)
    page.get_by_role("radio", name="Zoom and lasso").click()  # a segmented control
    point = settled_point(page)
    page.mouse.click(point["x"], point["y"])
    page.get_by_text(f"original #{point['index']} ").first.wait_for(timeout=30_000)
    expect(chart(page, "its code")).to_be_visible(timeout=30_000)
    drawn_pixels(chart(page, "reconstruction"))


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
