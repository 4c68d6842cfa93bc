"""The hover map's payload: points scaled to the canvas, one sprite holding every thumbnail, labels."""

import base64
import io

import numpy as np
from PIL import Image


def test_payload_scales_points_and_packs_every_thumbnail(digits):
    from dashboard.components import hover_map

    points = np.random.default_rng(0).normal(size=(50, 2)) * 7 + 3
    data = hover_map._payload.__wrapped__("test", points, digits.x_test[:50], digits.y_test[:50], tuple(digits.class_names), 400)
    xy = np.array([row[:2] for row in data["points"]])
    assert xy.min() == 0 and xy.max() == 1
    assert [row[3] for row in data["points"]] == list(range(50))
    assert data["points"][5][4] == f"#5 {digits.class_names[digits.y_test[5]]}"
    sprite = Image.open(io.BytesIO(base64.b64decode(data["sprite"].split(",", 1)[1])))
    assert sprite.size == (data["columns"] * 8, data["columns"] * 8) and data["columns"] == 8  # ceil(sqrt(50))
    row, column = divmod(13, data["columns"])  # the JS cuts image 13 from here
    tile = np.asarray(sprite)[row * 8 : row * 8 + 8, column * 8 : column * 8 + 8] / 255
    np.testing.assert_allclose(tile, digits.x_test[13, ..., 0], atol=1 / 255 + 1e-6)
    assert [name for name, _ in data["legend"]] == digits.class_names
