"""The Anomalies page on a series (#38), in Chromium: dragging the threshold (the slider, then the dashed line on the
score itself) changes event-level and point-wise precision and recall while the button is still down (no rerun),
the figures are the engine's for the stop shown, and the flagged steps move. On series_store's KDD-TSAD 135 and its
conv1d model."""

import re

import pytest
from browser_waits import pick_model
from playwright.sync_api import expect

from aecore.analysis import serieseval
from aecore.data import owndata
from aecore.store import modelstore
from scripts import serve


@pytest.fixture(scope="module")
def series_server(series_store):
    """The app on series_store, "kdd" its default dataset."""
    root, names = series_store
    process, url = serve.start(root, dataset="kdd")
    yield {"url": url, "root": root, "model": names["conv1d"]}
    serve.stop(process)


def state(panel) -> dict:
    """The stop shown, the numbers, the counts line and the flagged columns, as the page has them now."""
    return panel.evaluate("""root => ({stop: Number(root.dataset.stop), flagged: Number(root.dataset.flaggedColumns),
        first: root.dataset.firstFlagged, counts: root.querySelector('.counts').textContent,
        numbers: Object.fromEntries([...root.querySelectorAll('.numbers b')].map(b => [b.className, b.textContent])),
        marks: root.querySelectorAll('rect.flagged').length})""")


def wait_for_stop(panel, condition: str, value: int, timeout: float = 10_000):
    """Waits until the panel's stop satisfies `condition`, a JavaScript expression of `stop` and `value` (the panel
    lives in the component's shadow root, so the page's document cannot find it: its handle is passed in)."""
    panel.page.wait_for_function(f"([root, value]) => {{ const stop = Number(root.dataset.stop); return {condition}; }}",
                                 arg=[panel.element_handle(), value], timeout=timeout)


def test_dragging_the_threshold_on_a_series_moves_the_flags_and_the_figures(series_server, page):
    from dashboard.components import series_threshold

    data = owndata.load("kdd", series_server["root"])
    autoencoder = modelstore.ModelStore(series_server["root"]).load(series_server["model"])
    scores = serieseval.step_scores(autoencoder, data)
    expected = series_threshold.payload(scores, data, "reconstruction error")

    page.goto(f"{series_server['url']}/anomaly?dataset=kdd")
    pick_model(page, series_server["model"])
    panel = page.locator(".series-threshold")
    expect(panel.locator("svg path.score-line")).to_be_visible(timeout=120_000)
    expect(panel).to_have_attribute("data-stop", str(expected["start"]), timeout=30_000)  # it opens on the rule
    expect(panel.locator("rect.event")).to_have_count(1)  # KDD-TSAD 135's one labelled event, shaded
    expect(panel.locator(".rule")).to_contain_text("tutorials' rule")
    start = state(panel)

    slider = panel.locator("input.slider")
    slider.scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    box = slider.bounding_box()
    middle = box["y"] + box["height"] / 2
    last = len(expected["thresholds"]) - 1
    page.mouse.move(box["x"] + box["width"] * expected["start"] / last, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, middle, steps=12)
    wait_for_stop(panel, "stop < value - 20", expected["start"])  # the button is still down: nothing has rerun
    during = state(panel)
    stop = during["stop"]
    figures = {name: expected["figures"][name][stop] for name in expected["figures"]}
    engine = serieseval.evaluate(scores, data, expected["thresholds"][stop])
    assert figures["event_recall"] == engine["event_recall"] and figures["precision"] == pytest.approx(engine["precision"])
    assert during["numbers"] == {name: f"{figures[name]:.2f}" for name in
                                 ("event_recall", "event_precision", "recall", "precision")}
    assert during["counts"] == (f"{figures['events_found']} of 1 labelled events found; {figures['flagged_runs']} "
                                f"flagged runs, {expected['flagged_steps'][stop]:,} of 6,301 test steps flagged.")
    assert during["flagged"] > start["flagged"] and during["marks"] >= 1  # more steps flagged, drawn under the series
    assert int(during["first"]) < int(start["first"] or 7501)  # the first flag moved earlier
    assert during["numbers"]["event_recall"] == "1.00" and start["numbers"]["event_recall"] == "0.00"
    page.mouse.up()

    grip = panel.locator("rect.threshold-grip")  # the dashed line on the score, dragged up: fewer flags
    grip.scroll_into_view_if_needed()
    grip_box = grip.bounding_box()
    x, y = grip_box["x"] + grip_box["width"] / 2, grip_box["y"] + grip_box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 60, steps=8)
    wait_for_stop(panel, "stop > value", stop)
    raised = state(panel)
    page.mouse.up()
    assert raised["flagged"] < during["flagged"]
    assert raised["numbers"]["precision"] == f"{expected['figures']['precision'][raised['stop']]:.2f}"

    panel.locator("button.reset").click()
    expect(panel).to_have_attribute("data-stop", str(expected["start"]))
    expect(panel.locator(".value")).to_have_text(re.compile(re.escape(f"{expected['rule']:.4g}"[:5])))
