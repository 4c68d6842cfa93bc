"""dashboard/series_plots.py on KDD-TSAD 135's real windows: the lines drawn are the values given, names are text,
and a window drawn as a thumbnail lights the pixels its curve passes through."""

import numpy as np
import pytest

from dashboard import series_plots


@pytest.fixture(scope="module")
def kdd_windows(series_store):
    from aecore.data import owndata

    return owndata.load("kdd", series_store[0])


def test_window_lines_draw_each_curve_per_channel(kdd_windows):
    window = kdd_windows.x_test[3]  # (32, 1, 1)
    rebuilt = window * 0.5
    steps = kdd_windows.test_starts[3] + np.arange(kdd_windows.window)
    figure = series_plots.window_lines([("window", window), ("<b>model</b>", rebuilt)], ["value"], steps)
    assert [trace.name for trace in figure.data] == ["window", "&lt;b&gt;model&lt;/b&gt;"]
    np.testing.assert_allclose(figure.data[0].y, window[:, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(figure.data[1].y, rebuilt[:, 0, 0], rtol=1e-6)
    assert list(figure.data[0].x) == steps.tolist()


def test_window_grid_puts_window_i_in_cell_i_on_one_range(kdd_windows):
    windows = kdd_windows.x_test[:6]
    figure = series_plots.window_grid([("window", windows), ("model", windows + 0.2)], [f"#{i}" for i in range(6)],
                                      columns=3)
    assert len(figure.data) == 12
    np.testing.assert_allclose(figure.data[4].y, windows[4, :, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(figure.data[6 + 4].y, windows[4, :, 0, 0] + 0.2, rtol=1e-6)
    low, high = figure.layout.yaxis.range
    assert low < windows.min() and high > windows.max() + 0.2


def test_series_overview_shades_training_and_labelled_events(kdd_windows):
    figure = series_plots.series_overview(kdd_windows.values, kdd_windows.train_steps, ["<i>v</i>"],
                                          kdd_windows.step_labels, marks=[(100, 131, "#1")])
    spans = [(shape.x0, shape.x1) for shape in figure.layout.shapes]
    first, last = np.flatnonzero(kdd_windows.step_labels)[[0, -1]]
    assert spans == [(0, kdd_windows.train_steps - 0.5), (first - 0.5, last + 0.5), (99.5, 131.5)]
    assert figure.layout.yaxis.title.text == "&lt;i&gt;v&lt;/i&gt;"


def test_curve_pictures_light_the_curve_and_nothing_far_from_it():
    ramp = np.linspace(0.0, 1.0, 32)[None, :, None, None]  # rises from the bottom left to the top right
    picture = series_plots.curve_pictures(ramp, low=0.0, high=1.0)[0, ..., 0]  # (40, 64)
    assert picture.shape == (series_plots.THUMB_HEIGHT, series_plots.THUMB_WIDTH)
    assert picture[-1, 0] == 1 and picture[0, -1] == 1 and picture[0, 0] == 0 and picture[-1, -1] == 0
    assert (picture.sum(axis=0) >= 1).all()  # no gap in any column



def test_several_channels_are_drawn_each_in_a_band_and_a_colour_of_its_own(kdd_windows):
    windows = np.repeat(kdd_windows.x_test[:2], 9, axis=2)  # (2, 32, 9, 1): nine channels, as Daphnet's
    pictures = series_plots.curve_pictures(windows)
    height = series_plots.thumb_height(9)
    assert pictures.shape == (2, height, series_plots.THUMB_WIDTH, 3) and height >= 9 * 10
    bands = np.linspace(0, height, 10).astype(int)
    for channel in (0, 4, 8):
        band = pictures[0, bands[channel]:bands[channel + 1]].reshape(-1, 3)
        lit = band[band.sum(axis=1) > 0]
        assert len(lit) >= series_plots.THUMB_WIDTH  # a curve crosses every column of its band
        np.testing.assert_allclose(lit, np.broadcast_to(series_plots.CHANNEL_RGB[channel], lit.shape), rtol=1e-6)
