"""Plotly figures for the pages. Helpers return figures; the page decides how to show them.

Images are embedded as PNG data URIs in `go.Image` traces: compact and crisp. (The Restore page's noise-level frames
moved to a component of their own, components/frame_slider, and its PSNR curves to vega_plots.)
Longer than 300 lines: the figure helpers every image page shares, in one bottom module (a time series' own figures
are in series_plots.py); the ones a pick redraws are built as plain dicts, without Plotly's validation (#37).
"""

import base64
import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aecore.data.images import to_png_bytes

PALETTE = ["#4f46e5", "#e11d48", "#059669", "#d97706", "#0891b2", "#7c3aed", "#65a30d", "#a16207", "#475569", "#ea580c"]


def plain(text) -> str:
    """Text for a figure: Plotly renders <b>, <i>, <br> and <a href> in titles, names and tick labels, so every string
    that may hold data (class, model and file names) goes in escaped, and shows as typed."""
    return html.escape(str(text), quote=False)


def data_uri(image: np.ndarray) -> str:
    """(h, w) or (h, w, c) float [0, 1] -> a PNG data URI."""
    return "data:image/png;base64," + base64.b64encode(to_png_bytes(np.asarray(image))).decode()


def _hidden_axis() -> dict:
    return dict(visible=False, showticklabels=False)


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, not validated property by property. Validation was most of what a Feature maps
    pick spent on its figures (7-8 ms of single_image's 9 with st.plotly_chart, 1 ms without; bench/class_load.py),
    and st.plotly_chart does not validate a Figure again. Used by the figures a pick redraws; a misspelt property
    here is dropped by the browser instead of raising, so their tests read the figures' JSON."""
    return go.Figure(dict(data=data, layout=layout), _validate=False)


def _clean_axes(figure):
    figure.update_xaxes(visible=False, showticklabels=False)
    figure.update_yaxes(visible=False, showticklabels=False)
    return figure


def mosaic(images: np.ndarray, columns: int) -> np.ndarray:
    """(n, h, w, c) -> one (rows*h, columns*w, c) picture with 1-px dark gaps."""
    count, height, width, channels = images.shape
    rows = int(np.ceil(count / columns))
    sheet = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1, channels), 0.15, dtype="float32")
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * (height + 1), column * (width + 1)
        sheet[top : top + height, left : left + width] = image
    return sheet


def single_image(image: np.ndarray, title: str = "", height: int = 260, title_size: int | None = None) -> go.Figure:
    title_layout = dict(text=plain(title), **({"font": dict(size=title_size)} if title_size else {}))
    return _figure([dict(type="image", source=data_uri(image), hoverinfo="skip")],
                   dict(title=title_layout, height=height, margin=dict(l=5, r=5, t=30 if title else 5, b=5),
                        xaxis=_hidden_axis(), yaxis=_hidden_axis()))


def loss_curves(history: dict[str, list[float]], title: str = "Loss per epoch") -> go.Figure:
    """Every loss term, training solid and validation dashed, on one chart."""
    figure = go.Figure()
    terms = sorted(key for key in history if not key.startswith("val_"))
    for index, term in enumerate(terms):
        colour = PALETTE[index % len(PALETTE)]
        epochs = list(range(1, len(history[term]) + 1))
        figure.add_trace(go.Scatter(x=epochs, y=history[term], name=term, line=dict(color=colour),
                                    mode="lines+markers"))
        if f"val_{term}" in history:
            figure.add_trace(go.Scatter(x=epochs, y=history[f"val_{term}"], name=f"val {term}",
                                        line=dict(color=colour, dash="dash"), mode="lines+markers"))
    figure.update_layout(title=title, xaxis_title="epoch", yaxis_title="loss", height=320,
                         margin=dict(l=40, r=10, t=40, b=40))
    return figure


def channel_tiles(activations: np.ndarray) -> np.ndarray:
    """(h, w, channels) activations -> (channels, h, w, 1) grey tiles, each channel scaled to its own range."""
    channels = np.moveaxis(activations, -1, 0)  # (channels, h, w)
    low = channels.min(axis=(1, 2), keepdims=True)
    span = np.maximum(channels.max(axis=(1, 2), keepdims=True) - low, 1e-6)
    return ((channels - low) / span)[..., None]


# ---------------------------------------------------------------- latent map, latent sampler (pages B)


def image_strip(images, titles: list[str], cell_px: int = 84) -> go.Figure:
    """One row of images with a title above each: the Latent map's neighbours."""
    images = list(images)
    figure = make_subplots(rows=1, cols=len(images), horizontal_spacing=0.01,
                           subplot_titles=[plain(title) for title in titles])
    for column, image in enumerate(images, start=1):
        figure.add_trace(go.Image(source=data_uri(image), hoverinfo="skip"), row=1, col=column)
    figure.update_annotations(font_size=11)
    figure.update_layout(height=cell_px + 54, margin=dict(l=10, r=10, t=30, b=10), showlegend=False)
    return _clean_axes(figure)


def latent_grid_figure(images: np.ndarray, row_values, column_values, dims, title: str = "") -> go.Figure:
    """(n, n, h, w, c) decoded grid as one mosaic, its axes labelled with the code values swept."""
    steps, _, height, width, _ = images.shape
    figure = single_image(mosaic(images.reshape((steps * steps,) + images.shape[2:]), steps), title, height=620)
    centres = lambda size: [index * (size + 1) + size / 2 for index in range(steps)]  # noqa: E731
    figure.update_xaxes(visible=True, tickvals=centres(width), ticktext=[f"{value:.2f}" for value in column_values],
                        title_text=f"z{dims[0]}", showgrid=False, zeroline=False, showticklabels=True)
    figure.update_yaxes(visible=True, tickvals=centres(height), ticktext=[f"{value:.2f}" for value in row_values],
                        title_text=f"z{dims[1]}", showgrid=False, zeroline=False, showticklabels=True)
    figure.update_layout(margin=dict(l=60, r=10, t=40, b=50))
    return figure


# ---------------------------------------------------------------- reconstructions, feature maps (pages A)


def code_bars(code: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """A flat code, one bar per dimension: positive indigo, negative rose."""
    values = np.asarray(code).reshape(-1)
    colours = [PALETTE[0] if value >= 0 else PALETTE[1] for value in values]
    return _per_dimension(values, colours, title, "value", ".3f", height)


def _per_dimension(values, colours, title: str, y_title: str, value_format: str, height: int) -> go.Figure:
    bars = dict(type="bar", x=list(range(len(values))), y=[float(value) for value in values],
                marker=dict(color=colours), hovertemplate=f"dimension %{{x}}: %{{y:{value_format}}}<extra></extra>")
    return _figure([bars], dict(title=dict(text=plain(title)), height=height, margin=dict(l=40, r=10, t=40, b=40),
                                xaxis=dict(title=dict(text="code dimension"), **_whole_number_axis(len(values))),
                                yaxis=dict(title=dict(text=y_title))))


def time_strips(activations: np.ndarray, title: str, steps, height: int | None = None) -> go.Figure:
    """(time, channels) activations of a series layer as one heat strip per channel (a filter, or an LSTM's hidden
    unit) over the window's steps, each channel scaled to its own range as the image tiles are: bright is a strong
    response. A strided layer's fewer steps are centred on the window steps they cover (`steps`: the window's x
    values, e.g. its steps in the series), so every layer lines up with the window above it."""
    length, channels = activations.shape
    low = activations.min(axis=0)
    span = np.maximum(activations.max(axis=0) - low, 1e-6)
    shade = np.round(255 * (activations - low) / span).astype(np.uint8).T  # (channels, time): uint8 on the wire
    steps = np.asarray(steps, dtype=np.float64)
    stride = (steps[-1] - steps[0] + 1) / length if len(steps) > 1 else 1.0
    centres = steps[0] - 0.5 + stride * (np.arange(length) + 0.5)  # (time,) where each layer step sits in the window
    heat = dict(type="heatmap", z=shade, x=np.round(centres, 2), y=np.arange(channels), colorscale="Viridis",
                showscale=False, customdata=np.round(activations.T, 4).astype(np.float32),
                hovertemplate="channel %{y}, step %{x}: %{customdata}<extra></extra>")
    axis_y = dict(title=dict(text="channel"), autorange="reversed", tickmode="linear", tick0=0,
                  dtick=max(1, int(np.ceil(channels / 8))))  # at most ~8 whole-number ticks
    return _figure([heat], dict(title=dict(text=plain(title), font=dict(size=14)), margin=dict(l=50, r=10, t=36, b=40),
                                height=height or int(np.clip(76 + 10 * channels, 200, 420)), yaxis=axis_y,
                                xaxis=dict(title=dict(text="time step"), range=[steps[0] - 0.5, steps[-1] + 0.5])))


def _whole_number_axis(count: int) -> dict:
    """Dimension axes tick at whole numbers only (Plotly would put a tick at 0.5 for two bars)."""
    return dict(tickmode="linear", tick0=0, dtick=1 if count <= 16 else 2) if count <= 32 else {}
