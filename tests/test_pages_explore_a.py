"""AppTests of the Reconstructions and Feature maps pages, driven through app.py's navigation.

A module-scoped store holds three small models trained on real digits (conv, VAE, dense); each test
points AECORE_STORE at it, opens a page, moves its widgets and checks what is drawn.
"""

import base64
import functools
import json

import numpy as np
import pytest

RECONSTRUCTIONS, FEATURE_MAPS = "views/reconstructions.py", "views/feature_maps.py"


@pytest.fixture(scope="module")
def model_store(tmp_path_factory, digits):
    """{family: saved name} in a fresh store; a few epochs each (seconds on two cores)."""
    from aecore.store import modelstore
    from aecore.training import trainer

    root = tmp_path_factory.mktemp("explore-a-store")
    saved = modelstore.ModelStore(root)
    names = {}
    for family, latent_dim in [("conv", 8), ("vae", 2), ("dense", 16)]:
        config = trainer.TrainConfig(epochs=3, batch_size=64, patience=0)
        names[family] = saved.save(trainer.train(family, digits, latent_dim, None, config)).name
    return root, names


@pytest.fixture
def open_page(open_page, model_store):
    """conftest's open_page on this module's store (another with store=...)."""
    return functools.partial(open_page, store=model_store[0])


def figures(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def vega(app) -> list[dict]:
    """The page's Vega-Lite specs (dashboard.vega_plots), in the order drawn."""
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def grid_cells(app) -> list[dict]:
    """The Reconstructions grid's cells, row by row: {"column", "top", "url", "title"}."""
    return vega(app)[0]["layer"][0]["data"]["values"]


def grid_names(app) -> list[str]:
    return [label["name"] for label in vega(app)[0]["layer"][2]["data"]["values"]]


def vega_title(spec: dict) -> str:
    return spec.get("title", {}).get("text", "")


def picture_titles(app) -> list[str]:
    """The bold titles above Feature maps' pictures (st.image), in the order drawn."""
    return [block.value.strip("*") for block in app.main.markdown if block.value.startswith("**")]


def texts(figure: dict) -> list[str]:
    """Every visible string of a figure: its title, subplot titles and other annotations."""
    layout = figure["layout"]
    title = layout.get("title", {}).get("text", "")
    return [title] + [annotation.get("text", "") for annotation in layout.get("annotations", [])]


def array(value) -> np.ndarray:
    """A figure array as JSON holds it: a plain list, or Plotly's typed array {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(size) for size in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def no_exception(app):
    assert not app.exception, [exception.message for exception in app.exception]


def image_titles(app) -> list[str]:
    """Titles above the originals: '#index label', in the order shown."""
    return [cell["title"] for cell in grid_cells(app) if cell["title"].startswith("#")]


def test_empty_store_says_what_to_do(open_page, tmp_path):
    for page in (RECONSTRUCTIONS, FEATURE_MAPS):
        app = open_page(page, store=tmp_path / "empty")
        no_exception(app)
        assert any("needs a trained model" in info.value for info in app.main.info)
        links = [link.proto.label for link in app.get("page_link")]
        assert "Go to Train / load" in links
        assert not app.get("plotly_chart") and not vega(app)


def test_reconstructions_default_view(open_page, model_store):
    _, names = model_store
    app = open_page(RECONSTRUCTIONS, model=names["conv"])
    no_exception(app)
    assert len(grid_cells(app)) == 2 * 8 and all(cell["url"].startswith("data:image/png") for cell in grid_cells(app))
    assert grid_names(app) == ["original", names["conv"]]
    assert not figures(app)  # no Plotly on a first open: the browser loads no 4.7 MB bundle for it
    assert [metric.label for metric in app.metric] == ["BCE", "MSE", "PSNR (dB)", "SSIM"]
    seed_zero = image_titles(app)
    app.number_input[0].set_value(7).run()
    no_exception(app)
    assert image_titles(app) != seed_zero  # another seed, other images


def test_worst_mode_shows_the_worst_images_of_the_whole_test_set(open_page, model_store, digits):
    from aecore.analysis import inspection
    from aecore.store import modelstore

    root, names = model_store
    app = open_page(RECONSTRUCTIONS, model=names["conv"])
    app.slider[0].set_value(4)
    app.segmented_control[0].set_value("worst").run()
    no_exception(app)
    assert any("reconstructs worst" in caption.value for caption in app.caption)
    expected = inspection.worst_reconstructed(modelstore.ModelStore(root).load(names["conv"]), digits.x_test, 4)
    assert [title.split()[0] for title in image_titles(app)] == [f"#{index}" for index in expected]
    bce = [float(cell["title"].split()[1]) for cell in grid_cells(app) if cell["title"].startswith("BCE ")]
    assert bce == sorted(bce, reverse=True)  # worst first


def test_by_class_shows_only_that_class(open_page, model_store):
    _, names = model_store
    app = open_page(RECONSTRUCTIONS, model=names["conv"])
    app.segmented_control[0].set_value("by class").run()
    class_box = next(box for box in app.main.selectbox if box.label == "Class")
    class_box.set_value(7).run()
    no_exception(app)
    titles = image_titles(app)
    assert len(titles) == 8 and all(title.endswith(" 7") for title in titles)


def test_comparing_models_adds_rows_and_metric_charts(open_page, model_store):
    _, names = model_store
    app = open_page(RECONSTRUCTIONS, model=names["conv"])
    app.multiselect[0].set_value([names["conv"], names["vae"], names["dense"]]).run()
    no_exception(app)
    assert grid_names(app) == ["original", *names.values()] and len(grid_cells(app)) == 4 * 8
    bars = [spec for spec in vega(app) if vega_title(spec).endswith(("lower is better", "higher is better"))]
    assert not app.metric and len(bars) == 4 and not figures(app)  # one bar chart per dataset metric, not cards
    assert [bar["name"] for bar in bars[0]["layer"][0]["data"]["values"]] == list(names.values())
    probes = vega(app)[-1]["layer"][0]["data"]["values"]
    assert len({bar["name"] for bar in probes}) == 3 + 2 and len(probes) == 2 * (3 + 2)  # the models, pixels, PCA
    app.multiselect[0].set_value([]).run()
    no_exception(app)
    assert any("Pick at least one model" in info.value for info in app.main.info)


def test_feature_maps_of_a_conv_model(open_page, model_store):
    _, names = model_store
    app = open_page(FEATURE_MAPS, model=names["conv"])
    no_exception(app)
    layer_titles = [title for title in picture_titles(app) if title.startswith(("encoder /", "decoder /"))]
    assert len(layer_titles) == 4  # two stride-2 convs in the encoder, two transposed convs in the decoder
    assert layer_titles[0].startswith("encoder /") and layer_titles[-1].startswith("decoder /")
    active = next(metric for metric in app.metric if metric.label == "Active dimensions")
    assert active.value.endswith("of 8")
    first = [caption.value for caption in app.caption if caption.value.startswith("Image #")]
    app.number_input[0].set_value(5).run()
    no_exception(app)
    now = [caption.value for caption in app.caption if caption.value.startswith("Image #")]
    assert first != now and now[0].startswith("Image #5 ")


def test_feature_maps_without_conv_layers(open_page, model_store):
    _, names = model_store
    app = open_page(FEATURE_MAPS, model=names["dense"])
    no_exception(app)
    assert any("no convolutional layers" in info.value for info in app.main.info)
    titles = [vega_title(spec) for spec in vega(app)]
    assert "Codes of the first 100 test images" in titles and "Variance of each code dimension" in titles
    heat = next(spec for spec in vega(app) if vega_title(spec).startswith("Codes of"))
    cells = heat["layer"][0]["data"]["values"]
    assert len(cells) == 16 * 100 and {cell["dimension"] for cell in cells} == set(range(16))  # dims x images


def test_feature_maps_of_a_vae_show_kl_per_dimension(open_page, model_store):
    _, names = model_store
    app = open_page(FEATURE_MAPS, model=names["vae"])
    no_exception(app)
    kl = next(spec for spec in vega(app) if vega_title(spec).startswith("KL divergence"))
    values = np.array([bar["value"] for bar in kl["layer"][0]["data"]["values"]])
    assert values.shape == (2,) and values.min() >= 0
    assert any(metric.label == "Active dimensions" for metric in app.metric)


def heatmaps(app) -> dict[str, dict]:
    """The Feature maps page's channel strips on a series, by layer: {"encoder / conv_1": trace}."""
    return {texts(figure)[0].split(":")[0]: figure["data"][0] for figure in figures(app)
            if figure["data"] and figure["data"][0]["type"] == "heatmap" and " over " in texts(figure)[0]}


def test_feature_maps_of_a_conv1d_series_model(open_page, series_store):
    from aecore.data import owndata
    from aecore.store import modelstore

    root, names = series_store
    app = open_page(FEATURE_MAPS, store=root, dataset="kdd", model=names["conv1d"])
    no_exception(app)
    assert [subheader.value for subheader in app.subheader][0] == "Channels over time"
    strips = heatmaps(app)
    assert list(strips) == ["encoder / conv_1", "encoder / conv_2", "decoder / deconv_1", "decoder / deconv_2",
                            "decoder / decoder_values"]
    first = array(strips["encoder / conv_1"]["z"])
    assert first.dtype == np.uint8 and first.shape[1] == 16 and first.max() == 255  # (channels, 16 steps), own range
    current = owndata.load("kdd", root)
    start = int(current.test_starts[4])
    app.number_input[0].set_value(4).run()
    no_exception(app)
    assert any(caption.value.startswith(f"Window #4 steps {start:,}-") for caption in app.caption)
    centres = array(heatmaps(app)["encoder / conv_1"]["x"])  # each strided step over the two window steps it covers
    np.testing.assert_allclose(centres, start + 0.5 + 2 * np.arange(16), atol=0.01)
    lines = next(figure for figure in figures(app)
                 if any(trace.get("name") == "reconstruction" for trace in figure["data"]))
    model = modelstore.ModelStore(root).load(names["conv1d"])
    rebuilt = model.reconstruct(current.x_test[4:5])[0, :, 0, 0]
    np.testing.assert_allclose(array(lines["data"][1]["y"]), rebuilt, atol=1e-5)
    error = float(np.mean((current.x_test[4] - model.reconstruct(current.x_test[4:5])[0]) ** 2))
    assert any(caption.value.startswith(f"MSE {error:.4f} ") for caption in app.caption)


def test_feature_maps_of_an_lstm_series_model_end_at_its_code(open_page, series_store):
    from aecore.data import owndata
    from aecore.store import modelstore

    root, names = series_store
    app = open_page(FEATURE_MAPS, store=root, dataset="kdd", model=names["lstm_seq"])
    no_exception(app)
    strips = heatmaps(app)
    assert list(strips) == ["encoder / encoder_lstm", "encoder / code", "decoder / decoder_lstm_1",
                            "decoder / decoder_lstm_2"]
    states = array(strips["encoder / code"]["customdata"])  # (hidden units, 32 steps): the raw states in the tip
    code = modelstore.ModelStore(root).load(names["lstm_seq"]).encode(owndata.load("kdd", root).x_test[:1])[0]
    assert states.shape == (8, 32)
    np.testing.assert_allclose(states[:, -1], code, atol=1e-4)  # the last step's hidden state is the code
    titles = [vega_title(spec) for spec in vega(app)]
    assert "Codes of the first 100 test windows" in titles
