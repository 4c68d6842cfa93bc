"""A latent map with image thumbnails on hover: a small custom component (Streamlit components v2).

Plotly's hover labels cannot show images, so this draws the map on a <canvas> and, under the mouse,
the nearest point's image cut from one sprite sheet (all thumbnails in one PNG). It needs no library
and no network. A click sends the image's index back to Python as a one-rerun trigger.
"""

import numpy as np
import streamlit as st

from dashboard import components, plots

SCRIPTS = ("hover_map.js",)  # this folder's, in order
SHARED_SCRIPTS = ("legend.js",)  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


@st.cache_data(max_entries=8, show_spinner=False)
def _payload(identity: str, _points: np.ndarray, _images: np.ndarray, _labels, names: tuple, height: int) -> dict:
    """Points scaled to [0, 1] plus one sprite sheet of every thumbnail (a data URI).

    Cached by `identity` alone: hashing the 5,000 images (15 MB) on every rerun cost more than the rest.
    """
    points, images, labels = _points, _images, _labels
    from aecore.analysis.projections import sprite

    low, span = points.min(axis=0), np.maximum(np.ptp(points, axis=0), 1e-9)
    scaled = (points - low) / span
    classes = labels if labels is not None else np.zeros(len(points), dtype=int)
    rows = [[round(float(x), 4), round(float(y), 4), int(c), index, f"#{index} {names[int(c)] if names else ''}".strip()]
            for index, ((x, y), c) in enumerate(zip(scaled, classes))]
    columns = int(np.ceil(np.sqrt(len(images))))
    legend = [[name, plots.PALETTE[index % len(plots.PALETTE)]] for index, name in enumerate(names)]
    return {"points": rows, "colors": plots.PALETTE, "sprite": plots.data_uri(sprite(images)), "legend": legend,
            "side": int(images.shape[1]), "columns": columns, "height": height}


def hover_map(points, images, labels, class_names, key: str, height: int = 560) -> int | None:
    """Draws the map; returns the image index the user clicked in this rerun, else None.

    `key` must name everything the points and images come from (model, dataset, method, count): it is
    both the widget key and the cache key of the payload.
    """
    names = tuple(class_names) if class_names else ()
    data = _payload(key, np.asarray(points), np.asarray(images), labels, names, height)
    result = _component(data=data, key=key, on_clicked_change=lambda: None)
    return getattr(result, "clicked", None)
