"""The Latent map of a series' windows (#38) in Chromium: hovering a point shows that window's curve (drawn into the
server's thumbnail sheets a sheet at a time) with its steps in the caption, and colouring by time or by code distance
shows a colour bar that says what the colours mean. On series_store's KDD-TSAD 135 and its conv1d model."""

import numpy as np
import pytest
from browser_waits import pick_model, wait_until
from playwright.sync_api import expect

from aecore.data import owndata
from aecore.store import mapcache, modelstore
from dashboard import series_plots
from scripts import serve

THUMBNAIL = """c => { const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return {width: c.width, height: c.height, grey: Array.from({length: c.width * c.height}, (_, i) => data[4 * i])}; }"""


@pytest.fixture(scope="module")
def series_map(series_store):
    """The app on series_store ("kdd" its default dataset), the conv1d model's PCA map of every window cached."""
    root, names = series_store
    store, data = modelstore.ModelStore(root), owndata.load("kdd", root)
    mapcache.project(store, names["conv1d"], store.load(names["conv1d"]), data, "all", "pca")
    process, url = serve.start(root, dataset="kdd")
    yield {"url": url, "data": data, "model": names["conv1d"]}
    serve.stop(process)


def test_hover_shows_the_windows_curve_and_colours_explain_themselves(series_map, page):
    data = series_map["data"]
    page.goto(f"{series_map['url']}/latent_map?dataset=kdd")
    pick_model(page, series_map["model"])
    root = page.locator(".bigmap")
    root.wait_for(timeout=120_000)
    page.wait_for_function("r => Number(r.dataset.frames) > 0", arg=root.element_handle(), timeout=60_000)
    expect(page.locator("[data-testid=stStatusWidget]")).to_be_hidden(timeout=120_000)
    assert int(root.get_attribute("data-count")) == len(data.x_train) + len(data.x_test)
    overlay = root.locator("canvas.overlay")
    overlay.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = overlay.bounding_box()

    def hover_somewhere():
        for fraction_x in np.linspace(0.15, 0.85, 15):
            for fraction_y in np.linspace(0.3, 0.7, 9):
                page.mouse.move(box["x"] + box["width"] * fraction_x, box["y"] + box["height"] * fraction_y)
                hovered = root.get_attribute("data-hovered")  # set once the tip shows that point's picture
                if hovered and root.locator(".tip span").text_content().startswith(f"#{hovered} "):
                    return int(hovered)
        return None

    index = wait_until(hover_somewhere, 30, 0.5, "a window under the mouse with its curve")
    start = int(np.concatenate([data.train_starts, data.test_starts])[index])
    expect(root.locator(".tip span")).to_contain_text(f"#{index} steps {start}-{start + data.window - 1} ")
    picture = root.locator(".tip canvas").evaluate(THUMBNAIL)
    assert (picture["width"], picture["height"]) == (160, 100)  # the thumbnail's 64 x 40, its shape kept
    grey = np.array(picture["grey"], float).reshape(picture["height"], picture["width"])
    scale = picture["width"] / series_plots.THUMB_WIDTH  # drawn nearest-neighbour: sample each thumbnail pixel's centre
    rows = ((np.arange(series_plots.THUMB_HEIGHT) + 0.5) * scale).astype(int)
    columns = ((np.arange(series_plots.THUMB_WIDTH) + 0.5) * scale).astype(int)
    window = mapcache.images_at(data, "all", [index])
    expected = series_plots.curve_pictures(window)[0, :, :, 0] * 255
    assert np.abs(grey[rows][:, columns] - expected).max() <= 2, "the tip is not the hovered window's curve"

    select = root.locator("select.colour")
    select.select_option("extra:time")
    ramp = root.locator(".ramp")
    expect(ramp).to_be_visible()
    expect(ramp.locator(".low")).to_have_text("step 0")
    expect(ramp.locator(".high")).to_have_text(f"step {int(data.test_starts[-1]):,}")
    expect(ramp.locator(".title")).to_have_text("when the window starts")
    expect(root.locator(".legend")).to_be_hidden()
    select.select_option("extra:code_distance")
    expect(ramp.locator(".high")).to_contain_text("or more")
    expect(ramp.locator(".title")).to_contain_text("nearest normal training codes")
    select.select_option("class")
    expect(ramp).to_be_hidden()
    expect(root.locator(".legend")).to_be_visible()
