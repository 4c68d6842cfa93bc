"""The whole-dataset map in a real Chromium: the page starts a map job, draws every digit (train and test) by
WebGL, shows the image under the mouse (from the server's thumbnail sheets), and a lasso selects what it
encloses, minus any class hidden from the legend."""

import re

import numpy as np
import pytest
from browser_waits import pick_model, wait_until
from playwright.sync_api import expect

from aecore.store import mapcache
from aecore.training import trainer

THUMBNAIL = """c => { const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return {width: c.width, grey: Array.from({length: c.width * c.height}, (_, i) => data[4 * i])}; }"""


@pytest.fixture(scope="module")
def map_model(server, digits):
    from aecore.store.modelstore import ModelStore

    config = trainer.TrainConfig(epochs=5, batch_size=64, patience=0)
    return ModelStore(server["store"]).save(trainer.train("conv", digits, 8, None, config), "browser-map").name


def lasso(page, overlay, right: float):
    """Drags a rectangle from the overlay's left edge to `right` (a share of its width), top to bottom."""
    overlay.evaluate("element => element.scrollIntoView({block: 'center'})")  # all of it: a drag outside is lost
    box = overlay.bounding_box()
    corners = [(0.01, 0.01), (right, 0.01), (right, 0.99), (0.01, 0.99)]
    page.mouse.move(box["x"] + box["width"] * corners[0][0], box["y"] + box["height"] * corners[0][1])
    page.mouse.down()
    for x, y in corners[1:] + corners[:1]:
        page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=4)
    page.mouse.up()


def open_whole_map(server, page, name):
    page.goto(f"{server['url']}/latent_map")
    pick_model(page, name)
    page.get_by_text("PCA (at once, linear)").click()  # the map opens on every image of the dataset
    root = page.locator(".bigmap")
    root.wait_for(timeout=180_000)  # the job: a process of its own encodes all 1,797 digits, then projects them
    page.wait_for_function("r => Number(r.dataset.frames) > 0 && Number(r.dataset.count) > 0", arg=root.element_handle(),
                           timeout=60_000)
    expect(page.locator("[data-testid=stStatusWidget]")).to_be_hidden(timeout=120_000)  # no rerun redraws it mid-hover
    expect(page.locator(".pad")).to_have_attribute("data-ready", "true", timeout=120_000)  # nor the pad beside it
    return root


def test_hover_shows_the_digit_under_the_mouse_and_a_lasso_selects_all_shown(server, page, map_model, digits):
    root = open_whole_map(server, page, map_model)
    whole = len(digits.x_train) + len(digits.x_test)
    assert int(root.get_attribute("data-count")) == whole
    overlay = page.locator(".bigmap canvas.overlay")
    overlay.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = overlay.bounding_box()

    def hover_somewhere():
        for fraction_x in np.linspace(0.2, 0.8, 13):
            for fraction_y in (0.4, 0.5, 0.6):
                page.mouse.move(box["x"] + box["width"] * fraction_x, box["y"] + box["height"] * fraction_y)
                tip = page.locator(".bigmap .tip")
                if tip.is_visible() and root.get_attribute("data-hovered"):
                    return int(root.get_attribute("data-hovered"))
        return None

    index = wait_until(hover_somewhere, 30, 0.5, "a point under the mouse with its thumbnail")
    expect(page.locator(".bigmap .tip span")).to_contain_text(f"#{index} ")
    picture = page.locator(".bigmap .tip canvas").evaluate(THUMBNAIL)
    side = picture["width"]
    grey = np.array(picture["grey"], float).reshape(side, side)
    cell = side / 8  # an 8x8 digit drawn at 112 px, nearest-neighbour
    centres = grey[(np.arange(8) * cell + cell / 2).astype(int)][:, (np.arange(8) * cell + cell / 2).astype(int)]
    expected = mapcache.images_at(digits, "all", [index])[0, :, :, 0] * 255
    assert np.abs(centres - expected).max() <= 2, "the thumbnail is not the hovered digit"

    page.get_by_role("button", name="Lasso").click()
    page.locator(".bigmap .chip[data-kind='0']").click()  # hide the zeros (below the map: the page may scroll)
    overlay.evaluate("element => element.scrollIntoView({block: 'center'})")
    lasso(page, overlay, right=0.99)
    labels = np.concatenate([digits.y_train, digits.y_test])
    shown = int(np.sum(labels != 0))
    wait_until(lambda: root.get_attribute("data-selected") == str(shown) or root.get_attribute("data-selected"), 10, 0.2,
               "a lasso selection")
    assert root.get_attribute("data-selected") == str(shown)
    expect(page.get_by_text(f"{shown:,} images selected").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("their mean code, decoded")).to_be_visible()


@pytest.fixture(scope="module")
def second_model(server, digits, map_model):
    """A dense model on digits, to compare with `map_model` (saved before it, so `map_model` stays the newest)."""
    from aecore.store.modelstore import ModelStore

    config = trainer.TrainConfig(epochs=5, batch_size=64, patience=0)
    return ModelStore(server["store"]).save(trainer.train("dense", digits, 8, None, config), "browser-map-dense").name


def test_a_lasso_on_one_of_two_maps_shows_on_the_other(server, page, map_model, second_model, digits):
    from aecore.analysis import projections

    open_whole_map(server, page, map_model)
    page.get_by_role("combobox", name="Compare with another model").click()
    page.get_by_role("option", name=second_model).click()
    maps = page.locator(".bigmap")
    expect(maps).to_have_count(2, timeout=180_000)  # the dense model's map job runs first
    expect(page.get_by_text(re.compile(r"Agreement: \d+%"))).to_be_visible(timeout=60_000)
    shown = page.get_by_text(re.compile(r"Agreement: \d+%")).inner_text()
    from aecore.store.modelstore import ModelStore

    store = ModelStore(server["store"])
    cached = [mapcache.codes(store, name, None, digits, "all") for name in (map_model, second_model)]  # the jobs' codes
    expected = projections.neighbour_agreement(*cached).mean()
    assert f"Agreement: {expected:.0%}" in shown
    expect(page.locator("[data-testid=stStatusWidget]")).to_be_hidden(timeout=120_000)  # no rerun remounts a map
    expect(maps.nth(1)).to_have_attribute("data-count", re.compile(r"[1-9]"), timeout=60_000)  # mid-lasso

    first = maps.nth(0)
    first.evaluate("element => element.scrollIntoView({block: 'center'})")
    first.get_by_role("button", name="Lasso").click()
    overlay = first.locator("canvas.overlay")
    lasso(page, overlay, right=0.6)
    count = wait_until(lambda: first.get_attribute("data-selected"), 10, 0.2, "a lasso selection on the first map")
    assert int(count) > 0
    second = maps.nth(1)
    wait_until(lambda: second.get_attribute("data-shown-selection") == count, 60, 0.25,
               f"the second map to show the same {count} images selected")
    expect(page.get_by_text(f"{int(count):,} images selected").first).to_be_visible(timeout=60_000)
