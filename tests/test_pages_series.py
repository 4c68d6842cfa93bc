"""AppTests of the explore pages engineer B owns on a series (#38): the sidebar and Train form, Reconstructions, the
Latent map of windows and the Training timeline, on conftest's `series_store` (KDD-TSAD 135 from aeon's wheel, windows
of 32 every 4, a conv1d and an lstm_seq model). What a page draws is read back from its Plotly JSON or the map's
binary message and checked against the engine: a drawn reconstruction is `model.reconstruct` of that window, a
colouring by code distance is aecore.analysis.codespace's on the same codes.
"""

import base64
import json
import struct

import numpy as np
import pytest

from aecore.analysis import codespace, probes
from aecore.data import owndata
from aecore.models import families
from aecore.store import mapcache, modelstore


@pytest.fixture(scope="module")
def kdd(series_store):
    return owndata.load("kdd", series_store[0])


def figures(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def values(field) -> np.ndarray:
    """A trace's x or y as Plotly's JSON holds it: a list, or a typed array {"dtype", "bdata" (base64)}."""
    if isinstance(field, dict):
        return np.frombuffer(base64.b64decode(field["bdata"]), np.dtype(field["dtype"]))
    return np.asarray(field)


def traces_named(app, name: str) -> list[dict]:
    return [trace for figure in figures(app) for trace in figure["data"] if trace.get("name") == name]


def map_message(app) -> dict:
    """The Latent map's binary message, parsed as big_map.js parses it: {"header", "errors", "colour_<key>", ...}."""
    from dashboard.components import big_map

    for element in app.get("bidi_component"):
        data = bytes(element.proto.bytes or b"")
        if data.startswith(big_map.MAGIC):
            header = json.loads(data[12:12 + struct.unpack("<I", data[8:12])[0]])
            count, offsets = header["count"], header["offsets"]
            found = {name: np.frombuffer(data, np.float32, count, offset) for name, offset in offsets.items()
                     if name == "errors" or name.startswith("colour_")}
            if "starts" in offsets:
                found["starts"] = np.frombuffer(data, np.uint32, count, offsets["starts"])
            return {"header": header, **found}
    raise AssertionError("no map on the page")


def test_a_model_fits_a_dataset_of_its_own_kind_only(digits, kdd):
    """An 8x8 image model would take windows of 8 steps of 8 channels by shape alone: the sidebar asks the kind too."""
    from dashboard.state import sidebar

    assert sidebar.fits({"family": "conv", "input_shape": [8, 8, 1]}, digits)
    assert not sidebar.fits({"family": "lstm_seq", "input_shape": [8, 8, 1]}, digits)
    assert sidebar.fits({"family": "conv1d", "input_shape": [32, 1, 1]}, kdd)
    assert not sidebar.fits({"family": "dense", "input_shape": [32, 1, 1]}, kdd)
    assert not sidebar.fits({"family": "conv1d", "input_shape": [64, 1, 1]}, kdd)


def test_sidebar_and_train_form_on_a_series(open_page, series_store):
    root, names = series_store
    app = open_page("train", store=root, dataset="kdd", model=names["conv1d"])
    model_box = next(box for box in app.sidebar.selectbox if box.label == "Model")
    assert sorted(model_box.options) == sorted(f"{name} · {family}" for family, name in names.items())
    family_box = next(box for box in app.selectbox if box.label == "Family")
    assert [option.split(":")[0] for option in family_box.options] == families.series_families()
    assert family_box.value == families.SERIES_FAMILY
    assert any(box.label == "Train on the first N windows (0 = all)" for box in app.number_input)
    assert not [warning for warning in app.warning if "training images" in warning.value]  # 293 windows: no warning
    images = open_page("train", store=root, dataset="digits")
    image_families = next(box for box in images.selectbox if box.label == "Family").options
    assert not {option.split(":")[0] for option in image_families} & set(families.series_families())


@pytest.mark.parametrize("family", ["conv1d", "lstm_seq"])
def test_reconstructions_draw_each_window_and_its_reconstruction(open_page, series_store, kdd, family):
    from dashboard.sections import images

    root, names = series_store
    app = open_page("reconstructions", store=root, dataset="kdd", model=names[family])
    indices = list(images.sample_indices(kdd, 8, 0))  # the page's random mode, seed 0
    windows = traces_named(app, "window")
    rebuilt = traces_named(app, names[family])
    assert len(windows) == len(rebuilt) == 8
    expected = modelstore.ModelStore(root).load(names[family]).reconstruct(kdd.x_test[indices])
    for cell, index in enumerate(indices):
        np.testing.assert_allclose(values(windows[cell]["y"]), kdd.x_test[index, :, 0, 0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(values(rebuilt[cell]["y"]), expected[cell, :, 0, 0], rtol=1e-4, atol=1e-5)
    mse = np.mean((expected - kdd.x_test[indices]) ** 2, axis=(1, 2, 3))
    titles = [annotation["text"] for figure in figures(app) for annotation in figure["layout"].get("annotations", [])]
    start = int(kdd.test_starts[indices[0]])
    assert f"#{indices[0]} steps {start:,}-{start + 31:,}<br>MSE {mse[0]:.4f}" in titles
    overview = next(figure for figure in figures(app) if len(figure["layout"].get("shapes", [])) > 8)
    marked = sorted(shape["x0"] + 0.5 for shape in overview["layout"]["shapes"][-8:])
    assert marked == sorted(float(kdd.test_starts[index]) for index in indices)
    assert "These windows and their reconstructions (CSV)" in [button.label for button in app.download_button]


def test_reconstructions_worst_mode_shows_the_worst_window_first(open_page, series_store, kdd):
    root, names = series_store
    app = open_page("reconstructions", store=root, dataset="kdd", model=names["conv1d"])
    app.segmented_control[0].set_value("worst").run()
    assert not app.exception
    rebuilt = modelstore.ModelStore(root).load(names["conv1d"]).reconstruct(kdd.x_test)
    worst = int(np.argmax(np.mean((rebuilt - kdd.x_test) ** 2, axis=(1, 2, 3))))
    np.testing.assert_allclose(values(traces_named(app, "window")[0]["y"]), kdd.x_test[worst, :, 0, 0], rtol=1e-5)


def test_windows_csv_holds_every_step_of_the_shown_windows(kdd):
    from dashboard.sections import images

    rebuilt = kdd.x_test[[3, 9]] * 0.5
    rows = images.windows_csv(kdd, (3, 9), {"<m>": rebuilt}).splitlines()
    assert rows[0] == "window,start,step,timestamp,channel,value,<m>"
    assert len(rows) == 1 + 2 * kdd.window
    window, start, step, _, _, value, model = rows[1 + kdd.window].split(",")
    assert (int(window), int(start), int(step)) == (9, kdd.test_starts[9], kdd.test_starts[9])
    assert float(value) == pytest.approx(kdd.x_test[9, 0, 0, 0], rel=1e-5)
    assert float(model) == pytest.approx(rebuilt[1, 0, 0, 0], rel=1e-5)


def test_latent_map_of_windows_colours_by_time_and_by_code_distance(open_page, series_store, kdd):
    root, names = series_store
    store, name = modelstore.ModelStore(root), names["conv1d"]
    model = store.load(name)
    mapcache.project(store, name, model, kdd, "all", "pca")  # in-process: no map job to wait for
    app = open_page("latent_map", store=root, dataset="kdd", model=name, map_method="pca")
    message = map_message(app)
    header, whole = message["header"], len(kdd.x_train) + len(kdd.x_test)
    assert header["count"] == whole and header["window"] == kdd.window
    assert {colouring["key"] for colouring in header["colourings"]} == {"time", "code_distance", "mahalanobis"}
    np.testing.assert_array_equal(message["starts"], np.concatenate([kdd.train_starts, kdd.test_starts]))
    np.testing.assert_array_equal(message["colour_time"], message["starts"].astype(np.float32))
    # the code distance drawn is codespace's: the k nearest normal training codes, a training code leaving itself out
    codes = model.encode(np.concatenate([kdd.x_train, kdd.x_test]))
    normal = np.flatnonzero(kdd.y_train != 1)
    fitted = normal[probes.sample(len(normal), 10_000, 0)]
    space = codespace.fit(codes[fitted])
    test_part = slice(len(kdd.x_train), whole)
    np.testing.assert_allclose(message["colour_code_distance"][test_part], codespace.knn_distance(space, codes[test_part]),
                               rtol=1e-3, atol=1e-5)
    own = codespace.knn_distance(space, codes[fitted[:5]], skip_self=True)
    np.testing.assert_allclose(message["colour_code_distance"][fitted[:5]], own, rtol=1e-3, atol=1e-5)
    bar = next(colouring for colouring in header["colourings"] if colouring["key"] == "code_distance")
    assert bar["low"] < bar["high"] and bar["high_text"].endswith("or more")
    assert (header["side_h"], header["side_w"]) == (40, 64)  # thumbnails are the windows' curves
    assert [metric.label for metric in app.metric][0] == "Windows"
    assert not app.get("bidi_component")[1:], "a series has no pad under its map"


def test_latent_map_click_on_a_window_draws_it_and_its_reconstruction(open_page, series_store, kdd):
    root, names = series_store
    store, name = modelstore.ModelStore(root), names["conv1d"]
    mapcache.project(store, name, store.load(name), kdd, "all", "pca")
    index = len(kdd.x_train) + 5
    app = open_page("latent_map", store=root, dataset="kdd", model=name, map_method="pca",
                    **{"whole_clicked-kdd": index})
    rebuilt = store.load(name).reconstruct(kdd.x_test[5:6])[0]
    np.testing.assert_allclose(values(traces_named(app, "reconstruction")[0]["y"]), rebuilt[:, 0, 0], rtol=1e-4, atol=1e-5)
    start = int(kdd.test_starts[5])
    assert values(traces_named(app, "window")[0]["x"]).tolist() == list(range(start, start + kdd.window))


def test_image_maps_colour_by_code_space_scores_too(open_page, tmp_path, digits):
    from aecore.training import trainer

    store = modelstore.ModelStore(tmp_path)
    config = trainer.TrainConfig(epochs=2, batch_size=64, patience=0)
    name = store.save(trainer.train("conv", digits, 4, None, config)).name
    mapcache.project(store, name, store.load(name), digits, "all", "pca")
    app = open_page("latent_map", store=tmp_path, dataset="digits", model=name, map_method="pca")
    message = map_message(app)
    assert {colouring["key"] for colouring in message["header"]["colourings"]} == {"code_distance", "mahalanobis"}
    codes = store.load(name).encode(np.concatenate([digits.x_train, digits.x_test]))
    space = codespace.fit(codes[: len(digits.x_train)])
    test_part = slice(len(digits.x_train), None)
    np.testing.assert_allclose(message["colour_mahalanobis"][test_part], codespace.mahalanobis(space, codes[test_part]),
                               rtol=1e-3, atol=1e-4)
    assert "starts" not in message


def test_a_vae_map_also_colours_by_its_negative_elbo(open_page, tmp_path, digits):
    from aecore.training import trainer

    store = modelstore.ModelStore(tmp_path)
    name = store.save(trainer.train("vae", digits, 2, None, trainer.TrainConfig(epochs=2, batch_size=64, patience=0))).name
    mapcache.project(store, name, store.load(name), digits, "all", "pca")
    app = open_page("latent_map", store=tmp_path, dataset="digits", model=name, map_method="pca")
    message = map_message(app)
    assert {colouring["key"] for colouring in message["header"]["colourings"]} == {"code_distance", "mahalanobis",
                                                                                     "negative_elbo"}
    expected = codespace.negative_elbo(store.load(name), digits.x_test)
    np.testing.assert_allclose(message["colour_negative_elbo"][len(digits.x_train):], expected, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("family", ["conv1d", "lstm_seq"])
def test_timeline_of_a_series_model_draws_windows_as_curves(open_page, series_store, family):
    root, names = series_store
    app = open_page("timeline", store=root, dataset="kdd", model=names[family])
    player = next(element for element in app.get("bidi_component") if "strips" in (element.proto.json or ""))
    message = json.loads(player.proto.json)
    assert message["count"] >= 2 and (message["side_h"], message["side_w"]) == (40, 64)
    assert message["strips"][0].startswith("data:image/png;base64,")
    assert message["noun"] == "window", "the hint says 'follow that window', not 'image'"
    assert any("test windows" in caption.value for caption in app.caption)


def test_latent_map_lasso_on_windows_decodes_their_mean_code_as_a_line(open_page, series_store, kdd):
    root, names = series_store
    store, name = modelstore.ModelStore(root), names["lstm_seq"]
    model = store.load(name)
    mapcache.project(store, name, model, kdd, "all", "pca")
    chosen = list(range(len(kdd.x_train) - 10, len(kdd.x_train) + 30))  # the training part's end, the test part's start
    app = open_page("latent_map", store=root, dataset="kdd", model=name, map_method="pca",
                    **{"whole_selected-kdd": chosen})
    assert any(caption.value.startswith("40 windows selected") for caption in app.caption)
    codes = model.encode(np.concatenate([kdd.x_train, kdd.x_test]))
    decoded = model.decode(codes[chosen].mean(axis=0)[None])[0]
    np.testing.assert_allclose(values(traces_named(app, "decoded")[0]["y"]), decoded[:, 0, 0], rtol=1e-3, atol=1e-4)
    assert len(traces_named(app, "window")) == 16  # the first 16 of them as panels
    assert "Selected indices (CSV)" in [button.label for button in app.download_button]
