"""Your picture inside the latent space (issue #36), in Chromium: a pen stroke on the pad moves its point on the whole-
dataset map before the mouse is released, with the code the page computes equal to Keras's; hovering an empty spot of
the map shows what the decoder draws there, a click pins it; and the Latent sampler starts from the drawing."""

import re

import numpy as np
import pytest
from browser_waits import drawn_pixels, wait_until
from playwright.sync_api import expect

from scripts import serve


@pytest.fixture(scope="module")
def pad_server(tmp_path_factory, digits):
    """A store with one small conv model on digits, served on its own port."""
    from aecore.store.modelstore import ModelStore
    from aecore.training import trainer

    store = tmp_path_factory.mktemp("pad-store")
    config = trainer.TrainConfig(epochs=10, batch_size=64, patience=0)
    ModelStore(store).save(trainer.train("conv", digits, 8, None, config), name="pad-conv")
    process, url = serve.start(store, dataset="digits")
    yield {"url": url, "store": store, "model": ModelStore(store).load("pad-conv")}
    serve.stop(process)


def stroke(page, surface, points, release=True):
    box = surface.bounding_box()
    at = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=3)
    if release:
        page.mouse.up()


def test_a_stroke_moves_its_point_on_the_map_before_release_and_the_code_matches_keras(pad_server, page):
    page.goto(f"{pad_server['url']}/latent_map")
    pad = page.locator(".pad")
    expect(pad).to_have_attribute("data-ready", "true", timeout=180_000)  # the PCA map job, then the pad's message
    expect(page.locator("[data-testid=stStatusWidget]")).to_be_hidden(timeout=120_000)  # the script has run
    bigmap = page.locator(".bigmap")
    expect(bigmap).to_have_attribute("data-count", "1797", timeout=60_000)
    surface = pad.locator("canvas.surface")
    surface.evaluate("element => element.scrollIntoView({block: 'center'})")
    stroke(page, surface, [(0.3, 0.2), (0.7, 0.2), (0.7, 0.5)], release=False)  # the top of a 7 so far
    first = wait_until(lambda: bigmap.get_attribute("data-probe"), 10, 0.1, "the star on the map while drawing")
    box = surface.bounding_box()
    page.mouse.move(box["x"] + 0.45 * box["width"], box["y"] + 0.85 * box["height"], steps=5)  # still held down
    wait_until(lambda: bigmap.get_attribute("data-probe") not in (None, "", first), 10, 0.1, "the star to move mid-stroke")
    page.mouse.up()
    assert int(pad.get_attribute("data-updates")) >= 2
    drawn_pixels(pad.locator("canvas.recon"), min_std=5)

    values, code = pad.evaluate("root => [Array.from(root.pad.values()), Array.from(root.pad.code)]")
    expected = pad_server["model"].encode(np.asarray(values, np.float32).reshape(1, 8, 8, 1)).reshape(-1)
    assert np.abs(np.asarray(code) - expected).max() < 1e-4
    # PCA placement: the page places a dataset code where the map draws that point (up to the int8 codes on the wire;
    # tests/test_pages_explore_b.py checks the placement itself to 1e-4 with the float codes)
    placed = pad.evaluate("root => { const pad = root.pad, [u, v] = pad.place(pad.codes.subarray(5 * pad.d, 6 * pad.d)); "
                          "return [u, v, pad.positions[10], pad.positions[11]]; }")
    assert abs(placed[0] - placed[2]) < 5e-3 and abs(placed[1] - placed[3]) < 5e-3
    assert len(pad.locator(".neighbours canvas").all()) == 8


def test_an_empty_spot_of_the_map_decodes_and_a_click_pins_it(pad_server, page):
    page.goto(f"{pad_server['url']}/latent_map")
    pad, bigmap = page.locator(".pad"), page.locator(".bigmap")
    expect(pad).to_have_attribute("data-ready", "true", timeout=180_000)
    overlay = bigmap.locator("canvas.overlay")
    overlay.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = overlay.bounding_box()
    corner = (box["x"] + 6, box["y"] + 6)  # outside the unit square's margin: no point is there
    page.mouse.move(*corner)
    tip = bigmap.locator(".tip")
    expect(tip).to_be_visible(timeout=10_000)
    expect(tip.locator("span")).to_have_text("decoded here (click to pin)")
    assert float(bigmap.get_attribute("data-spot-ms")) < 1000
    drawn_pixels(tip.locator("canvas"), min_std=2, timeout=10)
    page.mouse.click(*corner)
    expect(pad).to_have_attribute("data-pins", "1", timeout=10_000)
    expect(pad.locator("button.unpin")).to_be_enabled()


def test_the_sampler_starts_from_the_drawing(pad_server, page):
    page.goto(f"{pad_server['url']}/latent_map")
    pad = page.locator(".pad")
    expect(pad).to_have_attribute("data-ready", "true", timeout=180_000)
    surface = pad.locator("canvas.surface")
    surface.evaluate("element => element.scrollIntoView({block: 'center'})")
    stroke(page, surface, [(0.5, 0.15), (0.5, 0.85)])  # a 1
    expect(pad.locator("button.sampler")).to_be_enabled(timeout=10_000)
    pad.locator("button.sampler").click()
    expect(page.get_by_text("Started from your picture on the Latent map")).to_be_visible(timeout=60_000)
    mini = page.locator("canvas.mini")  # the small map beside the sliders: its ring follows a drag before release
    expect(mini).to_have_attribute("data-place", re.compile(r"^-?[0-9.]+,-?[0-9.]+$"), timeout=60_000)
    before = mini.get_attribute("data-place")
    moved = False
    for dim in range(8):  # a dimension the PCA map spreads moves the ring (a dead one would not)
        handle = page.get_by_role("slider", name=f"z{dim}", exact=True)
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
        page.mouse.down()
        for fraction in (0.7, 0.98, 0.02):
            page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2, steps=3)
        moved = mini.get_attribute("data-place") != before  # still held: the ring follows the drag itself
        page.mouse.up()
        if moved:
            break
    assert moved, "the small map's ring never moved while a slider was dragged"


def test_the_sampler_starts_from_a_dropped_image(pad_server, page, digits, tmp_path):
    """An image given to the sampler's uploader (a drop on it does the same): the sliders hold its code."""
    from aecore.data import images

    picture = tmp_path / "seven.png"
    picture.write_bytes(images.to_png_bytes(digits.x_test[7]))
    page.goto(f"{pad_server['url']}/latent_sampler")
    page.get_by_text("Start from a picture of your own").click()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(picture))
    expect(page.get_by_text("Started from seven.png")).to_be_visible(timeout=60_000)
    converted = images.convert_for_model(picture.read_bytes(), (8, 8, 1), "seven.png", invert="auto")
    code = pad_server["model"].encode(converted.array[None]).reshape(-1)
    for dim in range(8):
        handle = page.get_by_role("slider", name=f"z{dim}", exact=True)
        low, high = float(handle.get_attribute("aria-valuemin")), float(handle.get_attribute("aria-valuemax"))
        expected = min(high, max(low, float(code[dim])))
        expect(handle).to_have_attribute("aria-valuenow", f"{expected:.3f}", timeout=30_000)


def test_a_released_stroke_on_a_umap_map_is_placed_again_by_umap_learns_transform(pad_server, page, digits):
    """Last in this module: it adds a UMAP map to the store, and the Latent map opens on UMAP when one is ready."""
    from aecore.analysis.placement import Placer
    from aecore.store import mapcache
    from aecore.store.modelstore import ModelStore
    from dashboard.components import big_map

    store, model = ModelStore(pad_server["store"]), pad_server["model"]
    points = mapcache.project(store, "pad-conv", model, digits, "all", "umap").points
    codes = mapcache.codes(store, "pad-conv", model, digits, "all")
    page.goto(f"{pad_server['url']}/latent_map")
    pad = page.locator(".pad")
    expect(pad).to_have_attribute("data-ready", "true", timeout=180_000)
    expect(page.get_by_role("radio", name="UMAP (keeps neighbours and groups)")).to_be_checked()
    surface = pad.locator("canvas.surface")
    surface.evaluate("element => element.scrollIntoView({block: 'center'})")
    stroke(page, surface, [(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)])  # a 7, released
    expect(pad).to_have_attribute("data-refined", re.compile(r"^-?[0-9.]+,-?[0-9.]+$"), timeout=60_000)
    expect(pad.locator(".where")).to_contain_text("umap-learn's transform on release")
    code = np.asarray(pad.evaluate("root => Array.from(root.pad.code)"), np.float32)
    refined = [float(value) for value in pad.get_attribute("data-refined").split(",")]
    expected = big_map.unit_square(points, Placer(codes, points, "umap").place(code[None], refine=True))[0]
    assert np.abs(np.asarray(refined) - expected).max() < 1e-3, (refined, expected)
    assert pad.get_attribute("data-place") == pad.get_attribute("data-refined")  # the star took the refined place
    nearby = pad.evaluate("root => root.pad.place(root.pad.code).slice(0, 2)")
    assert np.abs(np.asarray(nearby) - expected).max() > 1e-4  # the transform moved it from the nearby guess
