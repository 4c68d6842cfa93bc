"""The main flows in a real Chromium against `streamlit run`, asserting what a person sees.

Ordered: the first test starts from the empty store; later ones use the models it trains.
"""

import io
import time

import numpy as np
from PIL import Image


def wait_for_text(page, text, timeout=60):
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout * 1000)


def sidebar_text(page) -> str:
    return page.locator("section[data-testid=stSidebar]").inner_text()


def test_empty_store_quick_start_fills_the_sidebar(server, page):
    page.goto(server["url"])
    wait_for_text(page, "No model for this dataset yet")
    wait_for_text(page, "Start the quick start")
    page.get_by_text("Start the quick start").click()
    page.locator("[data-testid=stProgress]").first.wait_for(timeout=30_000)
    seen, deadline = set(), time.time() + 300
    while time.time() < deadline and len(list(server["store"].glob("quick-*"))) < 4:
        bars = page.locator("[data-testid=stProgress]")
        if bars.count():
            seen.add(bars.first.inner_text())
        time.sleep(1)
    assert len(seen) >= 2, f"the progress bar never moved: {seen}"  # its text carries the percentage
    assert sorted(path.name for path in server["store"].glob("quick-*")) == [
        "quick-conv-16", "quick-denoising-16", "quick-dense-32", "quick-vae-2"]
    # No reload: the sidebar's store watcher brings the models in as they land.
    page.get_by_text("Model", exact=True).first.wait_for(timeout=30_000)
    time.sleep(3)
    page.locator("section[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1).click()
    options = page.locator("[role=option]").all_inner_texts()
    assert sum("quick-" in option for option in options) == 4, options


def test_training_survives_clicks_elsewhere_and_stop_leaves_nothing(server, page):
    page.goto(f"{server['url']}/train")
    wait_for_text(page, "Start training")
    page.get_by_label("Name (optional)").fill("survivor")
    page.get_by_text("Start training").click()
    wait_for_text(page, "Training conv on digits", timeout=60)
    for path in ("/reconstructions", "/", "/train"):  # a user wanders around while it trains
        page.goto(f"{server['url']}{path}")
        time.sleep(1.5)
    deadline = time.time() + 240
    while time.time() < deadline and not (server["store"] / "survivor").is_dir():
        time.sleep(1)
    assert (server["store"] / "survivor" / "model.keras").is_file()

    page.goto(f"{server['url']}/train")
    wait_for_text(page, "Start training")
    page.get_by_label("Name (optional)").fill("stopped")
    page.get_by_text("Start training").click()
    wait_for_text(page, "Epoch", timeout=60)
    page.get_by_role("button", name="Stop").click()
    wait_for_text(page, "nothing was saved", timeout=60)
    time.sleep(2)
    assert not (server["store"] / "stopped").exists()
    assert not list(server["store"].glob(".incoming-*"))


def test_reconstructions_show_real_pixels(server, page):
    page.goto(f"{server['url']}/reconstructions")
    chart = page.locator("[data-testid=stPlotlyChart]").first
    chart.wait_for(timeout=60_000)
    time.sleep(2)
    picture = np.asarray(Image.open(io.BytesIO(chart.screenshot())).convert("L"), dtype=float)
    assert picture.std() > 20, "the image grid is blank"


def test_feature_maps_show_real_pixels(server, page):
    page.goto(f"{server['url']}/feature_maps")
    chart = page.locator("[data-testid=stPlotlyChart]").filter(has_text="encoder").first
    chart.wait_for(timeout=60_000)
    time.sleep(2)
    picture = np.asarray(Image.open(io.BytesIO(chart.screenshot())).convert("L"), dtype=float)
    assert picture.std() > 20, "the channel grid is blank"
