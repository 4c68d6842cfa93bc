"""AppTests of the Anomalies page and of the probes under Reconstructions, on small models trained on real digits:
a detector trained without the zeros, and a dense model trained on every class."""

import json
import time

import numpy as np
import pytest

from aecore.analysis import anomaly, probes
from aecore.store import modelstore
from aecore.training import trainer
from dashboard.sections import images


@pytest.fixture(scope="module")
def store(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("anomaly-store")
    saved = modelstore.ModelStore(root)
    everything = trainer.train("dense", digits, 8, None, trainer.TrainConfig(epochs=15, batch_size=64, patience=0))
    detector = trainer.train("dense", digits, 8, None,
                             trainer.TrainConfig(epochs=15, batch_size=64, patience=0, exclude_class=0))
    return root, saved.save(everything, "all-digits").name, saved.save(detector, "no-zeros").name


def metrics_of(app) -> list[tuple[str, str]]:
    return [(metric.label, metric.value) for metric in app.metric]


def test_the_page_opens_on_the_detector_and_its_numbers_are_the_engines(store, digits, open_page):
    app = open_page("views/anomaly.py", store[0])
    assert any("a model trained without one class" in caption.value for caption in app.caption)
    detector = modelstore.ModelStore(store[0]).load("no-zeros")
    expected = anomaly.detect(detector, digits, 0).summary()
    pca = anomaly.detect_with_pca(digits, 0, 8).summary()
    assert metrics_of(app) == [("ROC AUC", f"{expected['auc']:.3f}"),
                               ("Average precision", f"{expected['average_precision']:.3f}"),
                               ("ROC AUC", f"{pca['auc']:.3f}"),
                               ("Average precision", f"{pca['average_precision']:.3f}")]
    assert not app.warning  # it was trained without the rare class
    figures = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    roc = next(figure for figure in figures if figure["layout"]["title"]["text"].startswith("ROC curve"))
    assert [trace["name"] for trace in roc["data"]][:2] == [f"model (AUC {expected['auc']:.3f})",
                                                            f"PCA (AUC {pca['auc']:.3f})"]


def test_every_threshold_stop_holds_the_engines_counts_and_pca_flags_the_same_share(store, digits):
    from dashboard.components import threshold_slider

    detector = modelstore.ModelStore(store[0]).load("no-zeros")
    found = {"model": anomaly.detect(detector, digits, 0), "PCA": anomaly.detect_with_pca(digits, 0, 8)}
    data = threshold_slider.payload(found, {"model": "no-zeros", "PCA": "PCA"}, "0")
    model, pca = data["panels"]
    assert np.all(np.diff(model["thresholds"]) > 0) and model["thresholds"][data["start"]] == data["rule"]
    assert data["rule"] == pytest.approx(found["model"].threshold)
    rule = found["model"].summary()
    assert model["counts"][data["start"]] == [rule[name] for name in threshold_slider.COUNT_NAMES]
    for stop in (0, len(model["thresholds"]) // 2, len(model["thresholds"]) - 1):
        at = found["model"].at(model["thresholds"][stop])
        assert model["counts"][stop] == [at[name] for name in threshold_slider.COUNT_NAMES]
        flagged_by_model = sum(model["counts"][stop][:2])  # true and false positives
        flagged_by_pca = int(np.sum(found["PCA"].scores > pca["thresholds"][stop]))
        assert abs(flagged_by_pca - flagged_by_model) <= 2  # the same share, up to ties at the quantile
    expected = [threshold_slider.matched(found["PCA"], found["model"], value) for value in model["thresholds"]]
    np.testing.assert_allclose(pca["thresholds"], expected, rtol=0, atol=1e-12)  # every stop at once, as one by one
    caught = [counts[0] for counts in model["counts"]]
    assert caught[0] >= caught[len(caught) // 2] >= caught[-1]  # a lower threshold catches more
    zeros = sum(model["counts"][0][:1] + model["counts"][0][2:3])
    assert caught[len(caught) // 2] / zeros > 0.5  # the median catches most zeros
    for panel in data["panels"]:
        histogram = panel["histogram"]
        assert len(histogram["normal"]) == threshold_slider.BINS
        assert sum(histogram["rare"]) == pytest.approx(1, abs=1e-3)


def test_a_model_trained_on_every_class_says_how_to_make_a_detector(store, open_page):
    app = open_page("views/anomaly.py", store[0], model="all-digits")
    assert "Leave out a class" in app.warning[0].value
    next(select for select in app.selectbox if select.label.startswith("The rare class")).set_value(3).run()
    button = next(button for button in app.button if button.label.startswith("Train a detector"))
    assert button.label == "Train a detector of 3"
    app = button.click().run()
    assert not app.exception, [item.value for item in app.exception]
    assert any(title.value == "Train / load" for title in app.title)  # it opened Train, its class chosen
    assert next(select for select in app.selectbox if select.label.startswith("Leave out a class")).value == 3


def test_a_detector_carries_its_class_in_its_name_and_card(store, open_page):
    from aecore.training import cards

    meta = modelstore.ModelStore(store[0]).meta("no-zeros")
    assert cards.detector_name(meta) == "dense-digits-8-without-0"
    assert cards.detector_name({**meta, "excluded_class": 9, "excluded_class_name": "Ankle boot",
                                "dataset": "fashion_mnist"}) == "dense-fashion_mnist-8-without-ankle-boot"
    assert cards.detector_name(modelstore.ModelStore(store[0]).meta("all-digits")) is None
    app = open_page("views/train.py", store[0], model="all-digits")
    assert any("Trained without class 0 (0): a detector of 0" in caption.value for caption in app.caption)
    app = next(button for button in app.button if button.label == "Anomalies: how well it flags 0").click().run()
    assert any(title.value == "Anomalies" for title in app.title)
    assert next(select for select in app.sidebar.selectbox if select.label == "Model").value == "no-zeros"


def test_reconstructions_show_the_probes_beside_pixels_and_pca(store, digits, open_page):
    app = open_page("views/reconstructions.py", store[0], model="no-zeros")
    assert any("Computing the raw-pixel and PCA baselines" in bar.proto.text for bar in app.get("progress"))
    for _ in range(120):  # computed once, in the background, while the page stays usable
        if images.stored_baselines("digits", 8):
            break
        time.sleep(0.5)
    app.run()
    assert not app.get("progress")
    probe_chart = next(json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")
                       if "xOffset" in json.loads(chart.proto.spec)["layer"][0]["encoding"])  # dashboard.vega_plots
    knn = {bar["name"]: bar["accuracy"] for bar in probe_chart["layer"][0]["data"]["values"]
           if bar["probe"] == "k-NN (k = 5, cosine)"}
    assert set(knn) == {"no-zeros", "raw pixels", "PCA, 8 dims"}
    meta = modelstore.ModelStore(store[0]).meta("no-zeros")
    assert knn["no-zeros"] == pytest.approx(meta["metrics"]["knn_accuracy"])
    assert knn["raw pixels"] == pytest.approx(probes.baseline_probes(digits, 8)["pixels"]["knn_accuracy"])
    assert np.all(np.array(list(knn.values())) > 0.5)
