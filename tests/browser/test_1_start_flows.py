"""The main flows in a real Chromium against `streamlit run`, asserting what a person sees.

Ordered: the first test starts from the empty store; later ones use the models it trains.
"""

import re
import time

from browser_waits import drawn_pixels, wait_until
from playwright.sync_api import expect


def wait_for_text(page, text, timeout=60):
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout * 1000)


def sidebar_text(page) -> str:
    return page.locator("section[data-testid=stSidebar]").inner_text()


def model_options(page) -> list[str]:
    """The sidebar's model choices: opens the select box, reads its options, closes it again."""
    page.locator("section[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1).click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=10_000)
    found = options.all_inner_texts()
    page.keyboard.press("Escape")
    return found


def test_empty_store_quick_start_fills_the_sidebar(server, page):
    page.goto(server["url"])
    wait_for_text(page, "No model for this dataset yet")
    wait_for_text(page, "Start the quick start")
    page.get_by_text("Start the quick start").click()
    page.locator("[data-testid=stProgress]").first.wait_for(timeout=30_000)
    seen, deadline = set(), time.time() + 300
    while time.time() < deadline and len(list(server["store"].glob("quick-*"))) < 4:
        seen.update(page.locator("[data-testid=stProgress]").all_inner_texts())  # never waits: bars come and go
        time.sleep(1)
    assert len(seen) >= 2, f"the progress bar never moved: {seen}"  # its text carries the percentage
    assert sorted(path.name for path in server["store"].glob("quick-*")) == [
        "quick-conv-32", "quick-denoising-32", "quick-dense-32", "quick-vae-2"]
    # No reload: the sidebar's store watcher (every 2 s) brings the models in as they land.
    page.get_by_text("Model", exact=True).first.wait_for(timeout=30_000)
    options = wait_until(lambda: (found := model_options(page)) and sum("quick-" in o for o in found) == 4 and found,
                         60, 1, "all four quick-start models in the sidebar")
    assert sum("quick-" in option for option in options) == 4, options
    # Home's progress stops polling once the jobs end: the page reruns once and says so, with where to go next.
    expect(page.get_by_text("Quick start done: all 4 models are saved")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("link", name="Reconstructions: what each model rebuilds")).to_be_visible()


def sidebar_shows(page, model: str, reason: str):
    sidebar = page.locator("section[data-testid=stSidebar]")
    expect(sidebar.get_by_role("combobox", name="Model")).to_have_value(re.compile(f"^{re.escape(model)} "), timeout=60_000)
    expect(sidebar).to_contain_text(reason, timeout=30_000)


def go_to(page, title: str):
    """In-app navigation (a sidebar link), which keeps the session; page.goto would start a new one."""
    page.locator("section[data-testid=stSidebar] [data-testid=stSidebarNavLink]").filter(has_text=title).first.click()


def test_each_page_opens_on_the_model_that_shows_it_best_until_one_is_picked(server, page):
    page.goto(server["url"])
    wait_for_text(page, "Explore")
    for title, model, reason in [("Feature maps", "quick-conv-32", "Picked for this page: a convolutional model"),
                                 ("Latent sampler", "quick-vae-2", "Picked for this page: the VAE"),
                                 ("Restore", "quick-denoising-32", "Picked for this page: the denoising model")]:
        go_to(page, title)
        sidebar_shows(page, model, reason)
    page.locator("section[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1).click()
    page.get_by_role("option").filter(has_text="quick-dense-32").first.click()
    sidebar_shows(page, "quick-dense-32", "Your pick: it stays on every page")
    for title in ("Latent sampler", "Reconstructions", "Feature maps"):
        go_to(page, title)
        sidebar_shows(page, "quick-dense-32", "Your pick: it stays on every page")
    expect(page.get_by_text("no convolutional layers").first).to_be_visible(timeout=60_000)  # dense, as picked


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
    # The job's own progress line (not the form's "Epochs" label): its Stop belongs to a finished page run; a
    # click during the submit's run can be dropped by Streamlit, and the job is a process that starts in seconds.
    page.get_by_text(re.compile(r"Epoch \d+/\d+, batch")).first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Stop").click()
    wait_for_text(page, "nothing was saved", timeout=60)
    time.sleep(2)
    assert not (server["store"] / "stopped").exists()
    assert not list(server["store"].glob(".incoming-*"))


def test_reconstructions_show_real_pixels(server, page):
    page.goto(f"{server['url']}/reconstructions")
    drawn_pixels(page.locator("[data-testid=stVegaLiteChart]").first, min_std=20)  # the grid (dashboard.vega_plots)


def test_feature_maps_show_real_pixels(server, page):
    page.goto(f"{server['url']}/feature_maps")
    page.get_by_text("encoder / ").first.wait_for()
    drawn_pixels(page.locator("[data-testid=stImage]").nth(2), min_std=20)  # the original, its reconstruction, a layer
