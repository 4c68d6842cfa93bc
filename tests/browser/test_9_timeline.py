"""The Training timeline plays in the page: scrubbing moves the map while the mouse is still down (no rerun), Play
runs to the last snapshot, a click leaves a trail; and a training in progress is followed as its snapshots land."""

import re

import pytest
from browser_waits import changed_pixels, drawn_pixels, pick_model, wait_until
from playwright.sync_api import expect

from aecore.training import trainer


@pytest.fixture(scope="module")
def watched(server, digits):
    from aecore.store.modelstore import ModelStore

    model = trainer.train("conv", digits, 8, None, trainer.TrainConfig(epochs=8, batch_size=32, patience=0))
    return ModelStore(server["store"]).save(model, "browser-timeline"), model.snapshots


def player_state(player) -> dict:
    return player.evaluate("""root => ({count: Number(root.dataset.count), time: Number(root.dataset.time),
        draws: Number(root.dataset.draws), trails: Number(root.dataset.trails), playing: root.dataset.playing,
        strip: root.querySelector('img.strip').src, label: root.querySelector('.label').textContent})""")


def test_scrubbing_and_playing_move_the_map_in_the_page(server, page, watched):
    entry, found = watched
    page.goto(f"{server['url']}/timeline")
    pick_model(page, entry.name)
    player = page.locator(".timeline-player")
    wait_until(lambda: player_state(player)["count"] == len(found["epochs"]), 120, 0.25, "every snapshot in the player")
    canvas = player.locator("canvas.map")
    canvas.scroll_into_view_if_needed()
    first = drawn_pixels(canvas, min_std=5)
    start = player_state(player)
    assert start["time"] == 0 and start["label"].startswith("epoch 0.0")

    scrub = player.locator("input.scrub")
    box = scrub.bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 4, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, middle, steps=12)
    during = wait_until(lambda: (state := player_state(player))["time"] > 2 and state, 10, 0.1, "the scrubber to move")
    changed_pixels(canvas, first, min_change=0.5, timeout=10)  # the mouse is still down: nothing has rerun
    assert during["strip"] != start["strip"]  # the reconstructions of a later snapshot
    page.mouse.up()

    player.locator("button.play").click()
    wait_until(lambda: player_state(player)["playing"] == "true", 10, 0.05, "Play to start")
    end = wait_until(lambda: (state := player_state(player))["playing"] == "false" and state, 60, 0.25, "the end of the replay")
    assert end["time"] == pytest.approx(len(found["epochs"]) - 1) and end["draws"] > during["draws"] + 10
    assert end["label"].startswith("epoch 8.0")

    where = canvas.evaluate("""canvas => { const player = canvas.closest('.timeline-player').player;
        const [x, y] = player.toScreen(player.at(0, player.time)); const box = canvas.getBoundingClientRect();
        return [box.left + x / player.ratio, box.top + y / player.ratio]; }""")
    page.mouse.click(*where)
    wait_until(lambda: player_state(player)["trails"] == 1, 10, 0.1, "a trail for the clicked image")
    page.mouse.move(*where)
    expect(player.locator(".tip")).to_be_visible(timeout=10_000)  # the image itself, under the mouse
    player.locator("button.clear").click()
    wait_until(lambda: player_state(player)["trails"] == 0, 10, 0.1, "the trails cleared")


def test_a_training_in_progress_is_followed_as_its_snapshots_land(server, page):
    page.goto(f"{server['url']}/train")
    page.get_by_text("Start training").wait_for(timeout=60_000)
    page.get_by_label("Name (optional)").fill("browser-live-timeline")
    page.get_by_label("Epochs (0 = the family's default)").fill("300")  # ~2 minutes: long enough to watch
    page.get_by_text("Start training").click()
    page.get_by_text(re.compile(r"Epoch \d+/\d+, batch")).first.wait_for(timeout=60_000)
    page.locator("section[data-testid=stSidebar] [data-testid=stSidebarNavLink]").filter(
        has_text="Training timeline").first.click()  # in-app: the same session
    watch = page.get_by_role("combobox", name="Watch")
    watch.wait_for(timeout=60_000)
    watch.click()
    page.get_by_role("option").filter(has_text="browser-live-timeline (training now)").first.click()
    player = page.locator(".timeline-player")
    seen = wait_until(lambda: (count := player_state(player)["count"]) >= 1 and count, 120, 0.25, "the first snapshots")
    later = wait_until(lambda: (count := player_state(player)["count"]) > seen and count, 120, 0.25,
                       "a newer snapshot without a reload")
    state = player_state(player)
    assert state["time"] == pytest.approx(later - 1, abs=1e-3)  # left on the newest, it follows the newest
    assert state["draws"] >= 1
    page.locator("section[data-testid=stSidebar] [data-testid=stSidebarNavLink]").filter(
        has_text="Train / load").first.click()  # in-app: the notice of a stop is for the session that started it
    page.get_by_role("button", name="Stop").click()  # the later tests get the machine back
    page.get_by_text("nothing was saved").first.wait_for(timeout=60_000)
