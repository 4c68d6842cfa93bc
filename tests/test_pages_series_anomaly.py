"""AppTests of rare events on the pages (#38, #35): the Anomalies page on a series (series_store's KDD-TSAD 135 with
its conv1d and lstm_seq models; an unlabelled series made from the same values), every score side by side on images
(a VAE trained on real digits without the zeros) with the test set scored once, and a CSV series uploaded on the
Datasets page, its errors included."""

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st

from aecore.analysis import anomaly, serieseval
from aecore.data import owndata, series
from aecore.store import modelstore
from aecore.training import trainer

ROOT = Path(__file__).resolve().parents[1]


def payloads(app) -> list[dict]:
    return [json.loads(element.proto.json) for element in app.get("bidi_component") if element.proto.json]


def shown(elements) -> str:
    """The elements' text as the user reads it: the page escapes Markdown (dashboard.text.md), the reader sees none."""
    return " ".join(element.value.replace("\\", "") for element in elements)


def figures(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def engine_scores(store_root, model_name: str):
    data = owndata.load("kdd", store_root)
    autoencoder = modelstore.ModelStore(store_root).load(model_name)
    return data, autoencoder, serieseval.step_scores(autoencoder, data)


@pytest.mark.parametrize("family", ["conv1d", "lstm_seq"])
def test_the_series_page_draws_the_scores_and_events_with_the_engines_figures(series_store, open_page, family):
    root, names = series_store
    app = open_page("anomaly", root, dataset="kdd", model=names[family])
    data, _, scores = engine_scores(root, names[family])
    expected = serieseval.evaluate(scores, data)
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics == {"Point-wise ROC AUC": f"{expected['auc']:.3f}",
                       "Average precision": f"{expected['average_precision']:.3f}", "Labelled events": "1"}
    [drawn] = payloads(app)
    assert drawn["events"] == [[4187, 4198]] == [list(event) for event in series.step_events(data.step_labels)]
    assert drawn["steps"] == 7501 and drawn["train_steps"] == 1200 and drawn["labelled"]
    assert max(drawn["score"][1]) == pytest.approx(scores.max(), rel=1e-5)  # the whole series is drawn
    assert drawn["thresholds"][drawn["start"]] == pytest.approx(expected["threshold"])  # it opens on the rule
    for stop in (0, drawn["start"] // 2, drawn["start"], len(drawn["thresholds"]) - 1):
        at = serieseval.evaluate(scores, data, drawn["thresholds"][stop])
        for name in ("precision", "recall", "event_precision", "event_recall", "events_found", "flagged_runs"):
            assert drawn["figures"][name][stop] == pytest.approx(at[name]), (stop, name)
        assert drawn["flagged_steps"][stop] == int(np.sum(scores[1200:] > drawn["thresholds"][stop]))
    assert drawn["figures"]["event_recall"][0] == 1.0  # the lowest threshold flags every step, the event too
    assert [button.proto.label for button in app.get("download_button")] == ["Download the step scores (CSV)"]


def test_the_series_page_scores_by_code_distance_too(series_store, open_page):
    root, names = series_store
    app = open_page("anomaly", root, dataset="kdd", model=names["conv1d"])
    app.radio(key=f"series-score-{names['conv1d']}").set_value("code_distance").run()
    assert not app.exception, [item.value for item in app.exception]
    data, autoencoder, _ = engine_scores(root, names["conv1d"])
    code_scores = serieseval.code_step_scores(autoencoder, data)
    [drawn] = payloads(app)
    assert drawn["score_label"] == "code distance (kNN)"
    assert drawn["rule"] == pytest.approx(float(code_scores[:1200].max()))
    middle = len(drawn["thresholds"]) // 2
    at = serieseval.evaluate(code_scores, data, drawn["thresholds"][middle])
    assert drawn["figures"]["event_precision"][middle] == pytest.approx(at["event_precision"])
    assert {metric.label: metric.value for metric in app.metric}["Point-wise ROC AUC"] == \
        f"{serieseval.evaluate(code_scores, data)['auc']:.3f}"


def test_an_unlabelled_series_shows_its_scores_and_says_why_no_precision(tmp_path, open_page):
    """KDD-TSAD 135's values without its label column: scores and flags, no precision or recall."""
    path, _ = series.bundled_series()["kdd-tsad-135"]
    rows = Path(path).read_text().splitlines()
    (tmp_path / "plain.csv").write_text("\n".join(",".join(row.split(",")[:2]) for row in rows[:2001]) + "\n")
    owndata.add("plain", tmp_path / "plain.csv", series.SeriesOptions(window=32, stride=4, train_steps=1000), tmp_path)
    data = owndata.load("plain", tmp_path)
    model = trainer.train("conv1d", data, 4, None, trainer.TrainConfig(epochs=2, batch_size=64, patience=0))
    name = modelstore.ModelStore(tmp_path).save(model).name
    app = open_page("anomaly", tmp_path, dataset="plain", model=name)
    assert "has no labels" in app.info[0].value and not app.metric
    [drawn] = payloads(app)
    assert drawn["figures"] is None and drawn["events"] == [] and not drawn["labelled"]
    assert drawn["flagged_steps"][0] == 1000  # the lowest threshold flags every test step


# ---------------------------------------------------------------- images: every score side by side


@pytest.fixture(scope="module")
def vae_store(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("scores-store")
    config = trainer.TrainConfig(epochs=10, batch_size=64, patience=0, exclude_class=0)
    return root, modelstore.ModelStore(root).save(trainer.train("vae", digits, 2, None, config), "vae-no-zeros").name


def test_images_show_every_score_side_by_side_the_test_set_rebuilt_and_encoded_once(vae_store, digits, open_page,
                                                                                    monkeypatch):
    from aecore.models import autoencoder

    root, name = vae_store
    expected = anomaly.detect_all(modelstore.ModelStore(root).load(name), digits, 0)
    st.cache_data.clear()
    st.cache_resource.clear()
    calls = []
    for method in ("reconstruct", "encode"):
        original = getattr(autoencoder.Autoencoder, method)

        def counted(self, images, *args, _method=method, _original=original, **kwargs):
            calls.append((_method, len(images)))
            return _original(self, images, *args, **kwargs)
        monkeypatch.setattr(autoencoder.Autoencoder, method, counted)
    app = open_page("anomaly", root, model=name)
    test_set = len(digits.x_test)
    assert calls.count(("reconstruct", test_set)) == 1 and calls.count(("encode", test_set)) == 1, calls
    assert not app.get("progress"), "digits' scores land within the page's wait: no progress bar stays"
    assert list(expected) == ["reconstruction", "code_distance", "mahalanobis", "negative_elbo"]
    pca = anomaly.detect_with_pca(digits, 0, 2).summary()["auc"]
    aucs = {key: detection.summary()["auc"] for key, detection in expected.items()}
    roc = next(figure for figure in figures(app) if figure["layout"]["title"]["text"].startswith("ROC curve"))
    assert [trace["name"] for trace in roc["data"]] == [
        f"model (AUC {aucs['reconstruction']:.3f})", f"PCA (AUC {pca:.3f})",
        f"code distance (kNN) (AUC {aucs['code_distance']:.3f})", f"Mahalanobis (AUC {aucs['mahalanobis']:.3f})",
        f"negative ELBO (AUC {aucs['negative_elbo']:.3f})", "chance (AUC 0.5)"]
    bars = next(figure for figure in figures(app) if figure["layout"]["title"]["text"].startswith("ROC AUC of each"))
    assert bars["data"][0]["x"] == pytest.approx([aucs["reconstruction"], pca, aucs["code_distance"],
                                                  aucs["mahalanobis"], aucs["negative_elbo"]])
    [slider] = payloads(app)
    assert [panel["name"] for panel in slider["panels"]] == ["model", "PCA", "code_distance", "mahalanobis",
                                                             "negative_elbo"]
    assert slider["rule"] == pytest.approx(expected["reconstruction"].threshold)

    app.radio(key=f"primary-{name}-0").set_value("code_distance").run()
    assert not app.exception, [item.value for item in app.exception]
    [slider] = payloads(app)
    assert slider["panels"][0]["name"] == "code_distance"  # the threshold is on the chosen score now
    assert slider["rule"] == pytest.approx(expected["code_distance"].threshold)
    rule = expected["code_distance"].summary()
    assert slider["panels"][0]["counts"][slider["start"]] == [rule[count] for count in (
        "true_positive", "false_positive", "false_negative", "true_negative")]
    again = open_page("anomaly", root, model=name)  # another session: the server's caches, nothing scored again
    assert not again.exception
    assert calls.count(("reconstruct", test_set)) == 1 and calls.count(("encode", test_set)) == 1, calls


def test_slow_code_scores_leave_the_page_usable_and_say_how_far_they_are(vae_store, digits, open_page, monkeypatch):
    """While the code-space scores compute, reconstruction error and PCA are drawn with a progress line; once they
    land, the next run draws them all."""
    import threading

    from dashboard.sections import anomaly as section

    root, name = vae_store
    st.cache_resource.clear()
    for kept in Path(root).glob(f"{name}/cache/anomaly-*"):  # what an earlier open scored into the store
        kept.unlink()
    release = threading.Event()
    original = anomaly.fit_scorer
    monkeypatch.setattr(anomaly, "fit_scorer", lambda *args, **kwargs: (release.wait(60), original(*args, **kwargs))[1])
    monkeypatch.setattr(section, "JOIN_SECONDS", 0.1)
    app = open_page("anomaly", root, model=name)
    [waiting] = [bar for bar in app.get("progress") if "the code-space scores now" in bar.proto.text]
    assert "kept beside it" in waiting.proto.text  # this server scores them into the store, for every later open
    [slider] = payloads(app)
    assert [panel["name"] for panel in slider["panels"]] == ["model", "PCA"]
    release.set()
    for _ in range(240):  # the page's next run draws them (in the browser, its fragment reruns it)
        app.run()
        if len(payloads(app)[0]["panels"]) == 5:
            break
    assert not app.exception and not app.get("progress")
    assert [panel["name"] for panel in payloads(app)[0]["panels"]] == ["model", "PCA", "code_distance", "mahalanobis",
                                                                      "negative_elbo"]


# ---------------------------------------------------------------- a CSV series on the Datasets page


@pytest.fixture
def datasets_page(tmp_path, monkeypatch, open_page):
    monkeypatch.syspath_prepend(str(ROOT))
    return functools.partial(open_page, "datasets", tmp_path, dataset=None)


def upload(app, name: str, text: str):
    return app.file_uploader(key="dataset-upload").set_value((name, text.encode(), "text/csv")).run()


def test_a_csv_series_is_previewed_added_and_explored(tmp_path, datasets_page):
    path, _ = series.bundled_series()["kdd-tsad-135"]
    app = upload(datasets_page(), "bleeding.csv", Path(path).read_text())
    assert not app.exception and not app.error, [item.value for item in app.error]
    assert app.number_input(key="series-window-bleeding.csv").value == 64  # the CLI's defaults
    assert app.number_input(key="series-stride-bleeding.csv").value == 1
    assert app.number_input(key="series-train-bleeding.csv").value == 3750  # half
    assert app.multiselect(key="series-columns-bleeding.csv").value == ["value"]
    captions = shown(app.caption)
    assert "7,501 steps of 1 value column (value) in bleeding.csv" in captions
    assert "time column timestamp" in captions and "1 labelled event" in captions
    preview = next(figure for figure in figures(app) if figure["data"][0]["type"] == "scattergl")
    assert len(preview["data"][0]["y"]) == 7501 or "bdata" in str(preview["data"][0]["y"])
    shaded = [(shape["x0"], shape["x1"]) for shape in preview["layout"]["shapes"]]
    assert (4186.5, 4198.5) in shaded  # the labelled event
    app.number_input(key="series-window-bleeding.csv").set_value(32).run()
    app.number_input(key="series-train-bleeding.csv").set_value(1200).run()
    assert "1,169 training and 6,270 test windows of 32 steps" in shown(app.caption)
    app.button(key="dataset-add").click().run()
    assert not app.exception and not app.error, [item.value for item in app.exception + app.error]
    card = owndata.card("bleeding", tmp_path)
    assert (card["kind"], card["window"], card["stride"], card["train_steps"], card["events"]) == (
        "series", 32, 1, 1200, 1)
    assert card["source"] == "bleeding.csv"
    app = app.button(key="dataset-explore-new").click().run()
    assert [title.value for title in app.title] == ["Reconstructions"] and app.selectbox(key="dataset").value == "bleeding"
    listed = datasets_page()  # the stored series is drawn on the list, not cut into window pictures
    assert any(figure["data"][0]["type"] == "scattergl" for figure in figures(listed))


@pytest.mark.parametrize("text, message", [
    ("timestamp,is_anomaly\n" + "".join(f"{step},0\n" for step in range(300)), "has no value column"),
    ("timestamp,value\n" + "".join(f"{step},{step % 7}\n" for step in range(300)) + "300,n/a\n",
     "line 302, column 'value': 'n/a' is not a number"),
    ("value\n" + "".join(f"{step % 5}\n" for step in range(90)), "too few for windows of 64"),
    ("time,value,label\n" + "".join(f"{step},{step % 5},2\n" for step in range(300)), "'2' is not 0 or 1"),
])
def test_a_bad_csv_gets_the_clis_error_naming_the_users_file(datasets_page, text, message):
    app = upload(datasets_page(), "mine.csv", text)
    assert not app.exception, [item.value for item in app.exception]
    errors = shown(app.error)
    assert message in errors and "mine.csv" in errors and "aecore-upload" not in errors
    assert all(button.key != "dataset-add" for button in app.button)  # nothing to add


def test_a_csv_without_a_time_column_takes_the_rows_as_time(datasets_page):
    app = upload(datasets_page(), "rows.csv", "a,b\n" + "".join(f"{step % 9},{step % 4}\n" for step in range(400)))
    assert not app.error, [item.value for item in app.error]
    assert "no time column: the rows are the time axis" in shown(app.caption)
    assert "unlabelled" in shown(app.caption)
    assert app.multiselect(key="series-columns-rows.csv").value == ["a", "b"]
