"""Latent map click, latent sampler slider, denoise drag and uploads, in a real Chromium.

Runs after test_1_start_flows.py (same server, files run in name order), which leaves trained models in the store.
"""

import io
import time

import numpy as np
from PIL import Image

# Pixel position of the most isolated point of the map (so a click cannot hit a neighbour), and its image index.
ISOLATED_POINT = """
() => {
  // _fullData holds decoded arrays: Plotly 7 ships NumPy arrays base64-encoded in .data.
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p._fullData && p._fullData.some(t => t.type === 'scattergl'));
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
  return best;
}
"""


def chart(page, text):
    return page.locator("[data-testid=stPlotlyChart]").filter(has_text=text).first


def pixels(locator) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), dtype=float)


def test_latent_map_hover_shows_a_thumbnail_and_click_shows_that_point(server, page):
    page.goto(f"{server['url']}/latent_map")
    page.get_by_text("Trustworthiness").wait_for(timeout=120_000)
    canvas = page.locator("canvas.map")
    canvas.wait_for(timeout=60_000)
    time.sleep(2)
    box, tip = canvas.bounding_box(), page.locator("div.tip")
    spot = None
    for fx in np.linspace(0.1, 0.9, 9):  # find a point under the mouse
        for fy in np.linspace(0.1, 0.9, 9):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            time.sleep(0.05)
            if tip.is_visible():
                spot = (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                break
        if spot:
            break
    assert spot, "no hover thumbnail appeared anywhere on the map"
    index = tip.get_attribute("data-index")
    assert pixels(tip.locator("canvas")).std() > 10, "the hover thumbnail is blank"
    page.mouse.click(*spot)
    page.get_by_text(f"original #{index} ").first.wait_for(timeout=30_000)


def test_latent_map_click_shows_that_exact_point(server, page):
    page.goto(f"{server['url']}/latent_map")
    page.get_by_text("Trustworthiness").wait_for(timeout=120_000)
    page.get_by_role("radio", name="Zoom and lasso").click()  # a segmented control
    page.locator(".js-plotly-plot .scatterlayer, .js-plotly-plot canvas").first.wait_for(timeout=60_000)
    time.sleep(2)
    point = page.evaluate(ISOLATED_POINT)
    page.mouse.click(point["x"], point["y"])
    page.get_by_text(f"original #{point['index']} ").first.wait_for(timeout=30_000)
    assert chart(page, "its code").is_visible()
    assert pixels(chart(page, "reconstruction")).std() > 10


def test_latent_sampler_slider_changes_the_image_and_grid_renders(server, page):
    page.goto(f"{server['url']}/latent_sampler")
    page.get_by_text("One slider per dimension").wait_for(timeout=120_000)
    time.sleep(2)
    grid = page.locator("[data-testid=stPlotlyChart]").first
    assert pixels(grid).std() > 20, "the latent grid is blank"
    decoded = chart(page, "decoded code")
    before = pixels(decoded)
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(15):
        page.keyboard.press("ArrowRight")
    time.sleep(3)  # the fragment reruns on release and redraws the decoded image
    after = pixels(chart(page, "decoded code"))
    assert before.shape == after.shape and np.abs(before - after).mean() > 1


def test_denoise_picture_changes_while_dragging(server, page):
    page.goto(f"{server['url']}/denoise")
    frames = page.locator(".st-key-noise_frames")
    frames.locator("rect.slider-grip-rect").wait_for(timeout=120_000)
    time.sleep(2)
    title_before = frames.locator(".gtitle").text_content()
    before = pixels(frames)
    grip = frames.locator("rect.slider-grip-rect").bounding_box()
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(grip["x"] + grip["width"] / 2 + 30 * step, grip["y"] + grip["height"] / 2)
        time.sleep(0.05)
    during = pixels(frames)  # the mouse is still down: no server round trip has happened
    title_during = frames.locator(".gtitle").text_content()
    page.mouse.up()
    assert title_during != title_before
    assert np.abs(during - before).mean() > 1


def test_denoise_uploads_a_real_png_and_explains_a_fake_one(server, page, tmp_path):
    digit = np.full((120, 90), 245, np.uint8)
    digit[20:100, 40:52] = 20  # a dark "1" on white paper, as a phone photo of a drawing would be
    Image.fromarray(digit).save(tmp_path / "one.png")
    (tmp_path / "notes.png").write_text("this is a text file, not a picture")
    page.goto(f"{server['url']}/denoise")
    page.get_by_text("Your own images").wait_for(timeout=120_000)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files([str(tmp_path / "one.png"), str(tmp_path / "notes.png")])
    page.get_by_text("inverted").first.wait_for(timeout=60_000)
    error = page.locator("[data-testid=stAlertContentError]").filter(has_text="notes.png").first
    error.wait_for(timeout=30_000)
    assert "not a PNG, JPEG, BMP, GIF or WebP image" in error.inner_text()
    assert page.get_by_role("button", name="Download").count() + page.get_by_text("Download").count() >= 1
    assert page.locator(".st-key-noise_frames").is_visible()  # the rest of the page still works
