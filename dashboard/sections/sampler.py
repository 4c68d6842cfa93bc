"""Streamlit helpers of the Latent sampler page: the one code its live views share, and their payloads.

The code the sliders show and the plane varies lives in session_state; a slider release or a click on
the plane replaces it (through the component's change callbacks, which run before the script does), so
every view of a rerun agrees on it.
"""

import numpy as np
import streamlit as st

from aecore.data import catalog
from aecore.data import images as image_files
from aecore.errors import AecoreError
from dashboard import plots, series_plots
from dashboard.components import big_map
from dashboard.state import sidebar

PLANE_POINTS = 1000  # test codes drawn on the plane
PLANE_GRID = 8  # decoded thumbnails per side behind the points


def code_key(stamp: str) -> str:
    return f"sampler_code-{stamp}"


def current_code(stamp: str, start: np.ndarray) -> np.ndarray:
    """(latent_dim,) float64: the last released or pinned code, else `start`."""
    return np.asarray(st.session_state.get(code_key(stamp), start), dtype="float64")


def start_from_picture(context, low: np.ndarray, high: np.ndarray) -> str | None:
    """Adopts a code another page left for this model (the Latent map's pad); returns where it came from, or None."""
    sent = sidebar.take_sampler_start(context.stamp)
    if not sent:
        return None
    st.session_state[code_key(context.stamp)] = np.clip(np.asarray(sent["code"], dtype="float64"), low, high).tolist()
    return f"Started from {sent.get('source', 'your picture')}: the sliders hold its code."


def adopt_picture(context, data: bytes, name: str, low: np.ndarray, high: np.ndarray) -> str:
    """An uploaded picture's code becomes the page's code; returns what happened, in words (an error says why)."""
    invert = "auto" if context.dataset_name in catalog.DATASET_NAMES else "never"  # as the Denoise page converts
    try:
        converted = image_files.convert_for_model(data, context.model.input_shape, name, invert=invert)
    except AecoreError as error:
        return f"{name}: {error}"
    code = context.model.encode(converted.array[None]).reshape(-1)
    st.session_state[code_key(context.stamp)] = np.clip(code.astype("float64"), low, high).tolist()
    return f"Started from {name} ({'; '.join(converted.notes)}): the sliders hold its code."


def adopter(stamp: str, component_key: str, low: np.ndarray, high: np.ndarray):
    """The callback for a live view's `code` / `pinned` change: that code becomes the page's code."""
    def adopt(name: str):
        value = (st.session_state.get(component_key) or {}).get(name)
        if value is not None and len(value) == len(low):
            st.session_state[code_key(stamp)] = np.clip(np.asarray(value, dtype="float64"), low, high).tolist()
    return adopt


def random_spread(autoencoder, test_codes: np.ndarray) -> tuple[list, list]:
    """Per-dimension mean and spread of the page's "Random code": N(0, I) for a VAE, else the test codes'."""
    if autoencoder.is_variational:
        size = autoencoder.latent_dim
        return [0.0] * size, [1.0] * size
    return test_codes.mean(axis=0).tolist(), test_codes.std(axis=0).tolist()


def plane_data(context: sidebar.Context, test_codes: np.ndarray, dims: tuple, low, high, code) -> dict:
    """The plane over dims (x, y): test codes as [x, y, class], its ranges, the legend, the other dims' values."""
    labels = context.dataset.y_test[: len(test_codes)] if context.dataset.y_test is not None else None
    shown = slice(0, PLANE_POINTS)
    classes = labels[shown] if labels is not None else np.zeros(len(test_codes[shown]), dtype=int)
    points = [[round(float(x), 4), round(float(y), 4), int(k)]
              for (x, y), k in zip(test_codes[shown][:, list(dims)], classes)]
    names = context.dataset.class_names or []
    return {"dims": [int(dim) for dim in dims], "points": points, "colors": plots.PALETTE,
            "ranges": [[float(low[dim]), float(high[dim])] for dim in dims], "code": [float(v) for v in code],
            "legend": [[name, plots.PALETTE[index % len(plots.PALETTE)]] for index, name in enumerate(names)],
            "grid": PLANE_GRID}


def minimap_data(context: sidebar.Context, test_codes: np.ndarray) -> dict | None:
    """The small map beside the sliders: the PCA map of the test codes (the Latent map's PCA, on test images) as
    [u, v, class] in the unit square, and the PCA itself (mean, components, the square's centre and span), so the
    page places the sliders' code on it while they move. None for a one-number code."""
    flat = np.asarray(test_codes, np.float64).reshape(len(test_codes), -1)
    if flat.shape[1] < 2 or len(flat) < 3:
        return None
    from sklearn.decomposition import PCA

    fitted = PCA(n_components=2, random_state=0).fit(flat)
    points = fitted.transform(flat[:PLANE_POINTS])
    low, high = points.min(axis=0), points.max(axis=0)
    labels = context.dataset.y_test[: len(points)] if context.dataset.y_test is not None else np.zeros(len(points), int)
    unit = big_map.unit_square(points)
    return {"points": [[round(float(u), 4), round(float(v), 4), int(k)] for (u, v), k in zip(unit, labels)],
            "mean": fitted.mean_.tolist(), "components": fitted.components_.tolist(),
            "centre": ((low + high) / 2).tolist(), "span": float(max(high - low)) or 1.0, "colors": plots.PALETTE}


def interpolation_data(context: sidebar.Context, autoencoder, first: int, second: int, t: float) -> dict:
    pair = context.dataset.x_test[[first, second]]
    codes = autoencoder.encode(pair).reshape(2, -1)
    pictures = series_plots.curve_pictures(pair, height=88, width=140) if context.is_series else pair
    return {"a": codes[0].tolist(), "b": codes[1].tolist(), "t": float(t),
            "images": [plots.data_uri(image) for image in pictures],
            "labels": [sidebar.label_of(context, first), sidebar.label_of(context, second)]}


def server_picture(autoencoder, code, title: str, series: bool = False):
    """What the page shows when the browser cannot decode: the server's picture of `code` (a window: its lines), on
    release."""
    image = autoencoder.decode(np.asarray(code)[None])[0]
    if series:
        st.plotly_chart(series_plots.window_lines([(title, image)], title=title, height=260), width="stretch")
    else:
        st.plotly_chart(plots.single_image(image, title, height=280), width="content")


def plane_defaults(test_codes: np.ndarray) -> tuple[tuple[int, int], dict[int, float]]:
    """The two dimensions whose test codes vary most (the plane opens on them, widest first), and the dead ones:
    {dimension: its one value} for dimensions that never change (a ReLU code's units that are always 0).

    The write-up's conv model opened on z0 and z1, and z0 was 0 for every test image: a flat picture."""
    spread = test_codes.std(axis=0, dtype=np.float64)  # (latent_dim,); float32 sums leave ~1e-6 on a constant
    order = np.argsort(-spread, kind="stable")
    dead = {int(dim): float(test_codes[0, dim]) for dim in np.flatnonzero(np.ptp(test_codes, axis=0) == 0)}
    return (int(order[0]), int(order[min(1, len(order) - 1)])), dead


def dimension_label(dim: int, dead: dict[int, float]) -> str:
    return f"z{dim} (dead: always {dead[dim]:.3g})" if dim in dead else f"z{dim}"


def size_text(size_bytes: int) -> str:
    """'0.4 MB', or '37 KB' below 0.1 MB (a small decoder said '0.0 MB')."""
    return f"{size_bytes / 1e3:.0f} KB" if size_bytes < 100_000 else f"{size_bytes / 1e6:.1f} MB"
