"""The Latent sampler on a time series (#38): windows of KDD-TSAD 135 decoded as lines, in the browser where the
decoder runs there (the lstm_seq's LSTM does; the page says when the server decodes instead), the interpolation's ends
and the random samples drawn as curves, and no picture upload (a window comes from the series)."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

SAMPLER = "views/latent_sampler.py"


def live_views(app) -> dict:
    found = [json.loads(element.proto.json) for element in app.get("bidi_component") if element.proto.json]
    return {data["view"]: data for data in found}


@pytest.mark.parametrize("family", ["conv1d", "lstm_seq"])
def test_the_sampler_decodes_windows_of_a_series(series_store, open_page, family):
    from aecore.data import owndata
    from aecore.store.modelstore import ModelStore

    root, names = series_store
    app = open_page(SAMPLER, store=root, dataset="kdd", model=names[family])
    assert not app.exception, [exception.message for exception in app.exception]
    views = live_views(app)
    assert set(views) == {"plane", "sliders", "interpolate"}
    assert all(view["series"] is True for view in views.values())
    model = ModelStore(root).load(names[family])
    assert views["sliders"]["output_shape"] == list(model.input_shape)
    data = owndata.load("kdd", root)
    first, second = model.encode(data.x_test[:2]).reshape(2, -1)
    np.testing.assert_allclose(views["interpolate"]["a"], first, atol=1e-5)  # the ends' codes: test windows 0 and 1
    np.testing.assert_allclose(views["interpolate"]["b"], second, atol=1e-5)
    assert all(source.startswith("data:image/png;base64,") for source in views["interpolate"]["images"])
    assert not app.get("file_uploader")  # a window comes from the series, not from a picture
    captions = " ".join(caption.value for caption in app.caption)
    assert "test windows" in captions and "image" not in captions.replace("images", "")
    live = views["sliders"]["model"] is not None
    assert live == ("decoded windows, drawn as lines" in captions)
    if not live:  # the server draws the decoded window's lines on release
        assert app.get("plotly_chart"), "no server picture for a decoder the browser cannot run"


def test_random_samples_of_a_series_are_curves(series_store, open_page):
    root, names = series_store
    app = open_page(SAMPLER, store=root, dataset="kdd", model=names["conv1d"])
    app.button[0].click().run()  # the only button: "Random samples"
    assert not app.exception
    [figure] = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart") if "32 samples" in chart.proto.spec]
    source = figure["data"][0]["source"]
    assert source.startswith("data:image/png;base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
    assert picture.width > 2 * picture.height  # 8 curve pictures of 64 x 40 a row, 4 rows: wide, not 32-px strips

