"""Figure text is text (issue #34): Plotly renders <b>, <i>, <br> and <a href> in titles, trace names and tick labels,
so class, model and file names reach a figure escaped and show as typed."""

import json

import numpy as np

from dashboard import plots, vega_plots

NAME = '<b onmouseover="x">bold</b> & <a href="http://x">link</a>'
SHOWN = "&lt;b onmouseover=\"x\"&gt;bold&lt;/b&gt; &amp; &lt;a href=\"http://x\"&gt;link&lt;/a&gt;"


def texts(figure) -> str:
    return json.dumps(figure.to_plotly_json(), default=str)


def test_names_in_titles_tick_labels_legends_and_cell_titles_are_escaped():
    image = np.zeros((8, 8, 1), np.float32)
    figures = [plots.single_image(image, NAME), plots.image_strip(np.stack([image, image]), [NAME, "plain"]),
               plots.code_bars(np.ones(3), NAME)]
    for figure in figures:
        found = texts(figure)
        assert NAME not in found and "<a href" not in found, figure.layout.title.text
        assert json.dumps(SHOWN)[1:-1] in found or "&lt;b onmouseover" in found


def expressions(spec) -> list[str]:
    """Every Vega expression in a spec (what Vega would run as code)."""
    if isinstance(spec, dict):
        own = [spec["expr"]] if isinstance(spec.get("expr"), str) else []
        return own + [found for value in spec.values() for found in expressions(value)]
    return [found for value in spec for found in expressions(value)] if isinstance(spec, list) else []


def test_vega_figures_carry_names_as_data_never_in_expressions():
    """Vega draws a value as text (SVG text, not markup): names go in as typed, and never into an expression."""
    image = np.zeros((8, 8, 1), np.float32)
    specs = [vega_plots.image_rows([[image]], [NAME], [[NAME]]), vega_plots.code_bars(np.ones(3), NAME),
             vega_plots.code_heatmap(np.ones((4, 3)), [0, 0, 1, 1], [NAME, "b"], NAME),
             vega_plots.dimension_bars(np.ones(3), NAME, NAME), vega_plots.metric_by_model({NAME: 0.5}, NAME),
             vega_plots.probe_bars(
                 {NAME: {"knn_accuracy": 0.8, "linear_probe_accuracy": 0.7}}),
             vega_plots.psnr_curves([0.1, 0.2], {NAME: np.ones(2), "noisy input": np.ones(2)}, NAME, {NAME})]
    for spec in specs:
        found = json.dumps(spec)
        assert json.dumps(NAME)[1:-1] in found and "&lt;" not in found
        assert not any("onmouseover" in expression for expression in expressions(spec))


def test_plain_text_is_unchanged():
    assert plots.plain("T-shirt/top #3 (train)") == "T-shirt/top #3 (train)"
