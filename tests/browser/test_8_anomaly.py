"""The Anomalies page's threshold follows the mouse: precision, recall and the counts change while the button is
still down (no rerun), and they are the engine's numbers for the stop the slider shows."""


import pytest
from browser_waits import pick_model, wait_until

from aecore.analysis import anomaly
from aecore.training import trainer


@pytest.fixture(scope="module")
def detector(server, digits):
    """A dense model trained without the zeros, saved last so a new session opens on it."""
    from aecore.store.modelstore import ModelStore

    config = trainer.TrainConfig(epochs=15, batch_size=64, patience=0, exclude_class=0)
    model = trainer.train("dense", digits, 8, None, config)
    return ModelStore(server["store"]).save(model, "browser-no-zeros"), model


def shown(panel) -> dict:
    """The stop the slider is on and what each detector's column says."""
    return panel.evaluate("""root => ({stop: Number(root.dataset.stop), columns: [...root.querySelectorAll('.detector')].map(box => ({
        name: box.dataset.name, precision: box.querySelector('.precision').textContent,
        recall: box.querySelector('.recall').textContent, counts: box.querySelector('.counts').textContent,
        line: Number(box.querySelector('.threshold-line').getAttribute('x1'))}))})""")


def test_dragging_the_threshold_updates_both_detectors_before_the_release(server, page, detector, digits):
    from dashboard.components import threshold_slider

    entry, model = detector
    found = {"model": anomaly.detect(model, digits, 0), "PCA": anomaly.detect_with_pca(digits, 0, 8)}
    expected = threshold_slider.payload(found, {"model": entry.name, "PCA": "PCA"}, "0")

    page.goto(f"{server['url']}/anomaly")
    pick_model(page, entry.name)
    panel = page.locator(".threshold-panel")
    panel.wait_for(timeout=120_000)
    start = wait_until(lambda: (state := shown(panel))["columns"] and state, 30, 0.25, "the threshold's columns")
    assert start["stop"] == expected["start"]  # it opens on the tutorials' rule
    assert "tutorials' rule" in panel.locator(".rule").inner_text()

    slider = panel.locator("input.slider")
    slider.scroll_into_view_if_needed()  # the mouse only reaches what is on screen
    box = slider.bounding_box()
    middle = box["y"] + box["height"] / 2
    thumb = box["x"] + box["width"] * start["stop"] / (len(expected["panels"][0]["thresholds"]) - 1)
    page.mouse.move(thumb, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, middle, steps=10)
    during = wait_until(lambda: (state := shown(panel))["stop"] < start["stop"] - 10 and state, 10, 0.1,
                        "the numbers to follow the drag")  # the button is still down: nothing has rerun
    for column, panel_data in zip(during["columns"], expected["panels"]):
        true_positive, false_positive, false_negative, true_negative = panel_data["counts"][during["stop"]]
        assert column["counts"].startswith(f"{true_positive} 0 caught, {false_negative} missed; "
                                           f"{false_positive} normal flagged, {true_negative} passed")
        assert column["precision"] == f"{true_positive / max(1, true_positive + false_positive):.2f}"
        assert column["recall"] == f"{true_positive / max(1, true_positive + false_negative):.2f}"
    caught = lambda state: int(state["columns"][0]["counts"].split(" ")[0])  # noqa: E731
    assert caught(during) > caught(start)  # a lower threshold catches more of the never-seen zeros
    assert during["columns"][0]["line"] < start["columns"][0]["line"]  # the histogram's line moved left
    page.mouse.up()
    panel.locator("button.reset").click()
    wait_until(lambda: shown(panel)["stop"] == expected["start"], 10, 0.1, "the reset to the tutorials' rule")
