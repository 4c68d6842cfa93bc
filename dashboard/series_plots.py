"""Figures of time series windows (Plotly), beside plots.py: a window and what a model makes of it as lines, per
channel; a grid of windows; the whole series with its parts and labelled events; and curves drawn into small
pictures for the map's thumbnail sheets. Helpers return figures (or arrays); the page decides how to show them.

A window is what aecore.data.series cuts: (window, channels, 1) (or (window, channels)) values scaled to [0, 1] by
the training part, so a test window may leave [0, 1]. Every name (channel, model, curve) goes through plots.plain.
"""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import plots

ORIGINAL_COLOUR = "#334155"  # the window itself; models take plots.PALETTE in order, as on the image pages
TRAIN_SHADE = "rgba(100, 116, 139, 0.10)"
EVENT_SHADE = "rgba(225, 29, 72, 0.18)"
MARK_SHADE = "rgba(79, 70, 229, 0.18)"


def as_steps(window) -> np.ndarray:
    """(window, channels, 1), (window, channels) or (window,) -> (window, channels) float."""
    values = np.asarray(window, dtype=np.float64)
    if values.ndim == 3:
        values = values[..., 0]
    return values[:, None] if values.ndim == 1 else values


def curve_colours(count: int, colours: list[str] | None = None) -> list[str]:
    """The window first in slate, then each model in plots.PALETTE's order (or the colours given)."""
    return list(colours) if colours else [ORIGINAL_COLOUR] + [plots.PALETTE[i % len(plots.PALETTE)] for i in range(count - 1)]


def channel_label(channel_names, channel: int) -> str:
    return plots.plain(channel_names[channel]) if channel_names and channel < len(channel_names) else f"channel {channel}"


def window_lines(curves: list[tuple[str, np.ndarray]], channel_names: list[str] | None = None, steps=None,
                 title: str = "", colours: list[str] | None = None, height: int | None = None) -> go.Figure:
    """One window and its reconstructions (or any curves of the same length) as lines: one row per channel, each
    curve (label, (window, channels[, 1])) a line in every row. `steps`: the x values (e.g. the window's time
    steps in the series; default 0 .. window-1). The first curve is drawn solid, the others dashed over it."""
    arrays = [as_steps(values) for _, values in curves]
    channels = arrays[0].shape[1]
    x = np.arange(len(arrays[0])) if steps is None else np.asarray(steps)
    figure = make_subplots(rows=channels, cols=1, shared_xaxes=True, vertical_spacing=0.04 if channels > 1 else 0,
                           subplot_titles=[channel_label(channel_names, c) for c in range(channels)] if channels > 1 else None)
    for index, ((label, _), values, colour) in enumerate(zip(curves, arrays, curve_colours(len(curves), colours))):
        for channel in range(channels):
            figure.add_trace(go.Scatter(x=x, y=values[:, channel], mode="lines", name=plots.plain(label),
                                        legendgroup=str(index), showlegend=channel == 0,
                                        line=dict(color=colour, width=2.5 if index == 0 else 2,
                                                  dash=None if index == 0 else "dash"),
                                        hovertemplate="step %{x}: %{y:.3f}<extra>" + plots.plain(label) + "</extra>"),
                             row=channel + 1, col=1)
    figure.update_layout(title=plots.plain(title), height=height or 140 + 130 * min(channels, 6),
                         margin=dict(l=40, r=10, t=40 if title else 20, b=30), legend=dict(orientation="h", y=-0.12))
    figure.update_xaxes(title_text="time step", row=channels, col=1)
    if channels == 1:
        figure.update_yaxes(title_text=channel_label(channel_names, 0))
    return figure


def window_grid(curves: list[tuple[str, np.ndarray]], titles: list[str], channel: int = 0, columns: int = 4,
                colours: list[str] | None = None, cell_px: int = 150) -> go.Figure:
    """Many windows side by side, a title above each: cell i draws window i of every curve (label, (n, window,
    channels[, 1])), channel `channel` only, on one value range for all cells so sizes compare; a title's lines are
    split at newlines. The first curve (the windows) solid, the reconstructions dashed, one legend for all."""
    arrays = [np.asarray(values, dtype=np.float64).reshape(len(values), np.shape(values)[1], -1)[:, :, channel]
              for _, values in curves]  # each (n, window)
    count = len(arrays[0])
    rows = max(1, int(np.ceil(count / columns)))
    figure = make_subplots(rows=rows, cols=columns, horizontal_spacing=0.03, vertical_spacing=0.5 / max(rows * 2, 3),
                           subplot_titles=[_lines(title) for title in titles], shared_yaxes=True)
    low, high = min(float(a.min()) for a in arrays), max(float(a.max()) for a in arrays)
    pad = 0.05 * (high - low or 1.0)
    steps = np.arange(arrays[0].shape[1])
    for index, ((label, _), values, colour) in enumerate(zip(curves, arrays, curve_colours(len(curves), colours))):
        for cell in range(count):
            row, column = divmod(cell, columns)
            figure.add_trace(go.Scatter(x=steps, y=values[cell], mode="lines", name=plots.plain(label),
                                        legendgroup=str(index), showlegend=cell == 0,
                                        line=dict(color=colour, width=2 if index == 0 else 1.6,
                                                  dash=None if index == 0 else "dash"),
                                        hovertemplate="step %{x}: %{y:.3f}<extra>" + plots.plain(label) + "</extra>"),
                             row=row + 1, col=column + 1)
    figure.update_yaxes(range=[low - pad, high + pad])
    figure.update_xaxes(showticklabels=False)
    figure.update_annotations(font_size=12)
    figure.update_layout(height=rows * cell_px + 110, margin=dict(l=40, r=10, t=40, b=40),
                         legend=dict(orientation="h", y=-0.02, yanchor="top", x=0.5, xanchor="center"))
    return figure


def series_overview(values, train_steps: int, channel_names: list[str] | None = None, step_labels=None,
                    marks: list[tuple[int, int, str]] | None = None, height: int | None = None,
                    most_channels: int = 4) -> go.Figure:
    """The whole series (steps, channels), up to `most_channels` rows: the training part shaded grey, labelled
    events (runs of step_labels == 1) red, and `marks` [(first step, last step, text)] (e.g. the windows shown
    below) indigo."""
    values = as_steps(values)
    channels = min(values.shape[1], most_channels)
    figure = make_subplots(rows=channels, cols=1, shared_xaxes=True, vertical_spacing=0.03)
    steps = np.arange(len(values))
    for channel in range(channels):
        figure.add_trace(go.Scattergl(x=steps, y=values[:, channel], mode="lines", line=dict(color=ORIGINAL_COLOUR, width=1),
                                      name=channel_label(channel_names, channel), showlegend=False,
                                      hovertemplate="step %{x}: %{y:.3f}<extra>%{fullData.name}</extra>"),
                         row=channel + 1, col=1)
        figure.update_yaxes(title_text=channel_label(channel_names, channel), row=channel + 1, col=1)
    shapes = [_span(0, train_steps - 0.5, TRAIN_SHADE)]
    shapes += [_span(first - 0.5, last + 0.5, EVENT_SHADE) for first, last in _runs(step_labels)]
    shapes += [_span(first - 0.5, last + 0.5, MARK_SHADE) for first, last, _ in marks or []]
    annotations = [dict(x=(first + last) / 2, y=1.0, xref="x", yref="paper", text=plots.plain(text), showarrow=False,
                        yanchor="bottom", font=dict(size=10, color=plots.PALETTE[0])) for first, last, text in marks or []]
    annotations.append(dict(x=train_steps / 2, y=1.0, xref="x", yref="paper", text="training part", showarrow=False,
                            yanchor="bottom", font=dict(size=10, color="#64748b")))
    figure.update_layout(shapes=shapes, annotations=annotations, height=height or 90 + 110 * channels,
                         margin=dict(l=50, r=10, t=24, b=30))
    figure.update_xaxes(title_text="time step", row=channels, col=1)
    return figure


def _lines(title: str) -> str:
    """A title of several lines, each escaped: Plotly breaks lines at <br> only."""
    return "<br>".join(plots.plain(line) for line in str(title).split("\n"))


def _span(first: float, last: float, colour: str) -> dict:
    return dict(type="rect", xref="x", yref="paper", x0=first, x1=last, y0=0, y1=1, fillcolor=colour, line_width=0,
                layer="below")


def _runs(step_labels) -> list[tuple[int, int]]:
    """[(first, last)] of each run of labelled steps."""
    if step_labels is None:
        return []
    edges = np.diff(np.concatenate([[0], (np.asarray(step_labels) > 0).astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


# ---------------------------------------------------------------- curves as pictures (the map's thumbnails)

THUMB_HEIGHT, THUMB_WIDTH = 40, 64  # pixels of one window's picture on the thumbnail sheets
CHANNEL_RGB = np.array([[1.0, 1.0, 1.0], [0.98, 0.45, 0.52], [0.40, 0.85, 0.65], [0.99, 0.75, 0.30],
                        [0.35, 0.80, 0.95], [0.75, 0.60, 1.0], [0.70, 0.90, 0.30], [0.95, 0.60, 0.90], [0.8, 0.8, 0.8]])


def thumb_height(channels: int) -> int:
    """The thumbnails' height for windows of `channels` channels: one band of at least 10 pixels per channel."""
    return int(min(120, max(THUMB_HEIGHT, 10 * channels))) if channels > 1 else THUMB_HEIGHT


def thumb_shape(count: int, channels: int) -> tuple[int, int, int]:
    """(count, height, width) of `count` windows' thumbnails, as curve_pictures draws them."""
    return count, thumb_height(channels), THUMB_WIDTH


def curve_pictures(windows, low: float = -0.1, high: float = 1.1, height: int | None = None,
                   width: int = THUMB_WIDTH) -> np.ndarray:
    """Windows (n, window, channels[, 1]) drawn as light lines on black, every window on one value range [low, high]
    (values beyond it sit on the edge), so curves compare across thumbnails; the map's hover shows them as it shows
    images. One channel: (n, height, width, 1), height THUMB_HEIGHT. Several: (n, height, width, 3), each channel in a
    band of its own, top to bottom, in a colour of its own (height: thumb_height(channels))."""
    windows = np.asarray(windows, dtype=np.float64)
    windows = windows.reshape(windows.shape[0], windows.shape[1], -1)  # (n, window, channels)
    channels = windows.shape[2]
    height = height or thumb_height(channels)
    if channels == 1:
        return _lit(windows, low, high, height, width)[:, 0, :, :, None].astype(np.float32)
    bands = np.linspace(0, height, channels + 1).astype(int)
    pictures = np.zeros((len(windows), height, width, 3), np.float32)
    for channel in range(channels):
        top, bottom = bands[channel], bands[channel + 1]
        lit = _lit(windows[:, :, channel:channel + 1], low, high, bottom - top, width)[:, 0]  # (n, band, width)
        pictures[:, top:bottom][lit] = CHANNEL_RGB[channel % len(CHANNEL_RGB)]
    return pictures


def overlay_pictures(windows, reconstructions, low: float = -0.1, high: float = 1.1, height: int | None = None,
                     width: int = THUMB_WIDTH) -> np.ndarray:
    """(n, height, width, 3): each window in grey with its reconstruction in amber over it, each channel in a band of
    its own as in curve_pictures."""
    windows = np.asarray(windows, dtype=np.float64)
    windows = windows.reshape(windows.shape[0], windows.shape[1], -1)  # (n, window, channels)
    rebuilt = np.asarray(reconstructions, dtype=np.float64).reshape(windows.shape)
    channels = windows.shape[2]
    height = height or thumb_height(channels)
    bands = np.linspace(0, height, channels + 1).astype(int)
    pictures = np.zeros((len(windows), height, width, 3), np.float32)
    for channel in range(channels):
        band = pictures[:, bands[channel]:bands[channel + 1]]  # a view: drawing into it draws into pictures
        for values, colour in ((windows, (0.55, 0.58, 0.62)), (rebuilt, (0.98, 0.70, 0.15))):
            band[_lit(values[:, :, channel:channel + 1], low, high, band.shape[1], width)[:, 0]] = colour
    return pictures


def _lit(windows, low: float, high: float, height: int, width: int) -> np.ndarray:
    """(n, channels, height, width) bool: the pixels each channel's curve passes through."""
    windows = np.asarray(windows, dtype=np.float64)
    windows = windows.reshape(windows.shape[0], windows.shape[1], -1)  # (n, window, channels)
    count, length, channels = windows.shape
    x = np.linspace(0, length - 1, width)
    rows = np.empty((count, channels, width))  # the curve's row (0 = top) at each pixel column
    for channel in range(channels):
        for index in range(count):
            rows[index, channel] = np.interp(x, np.arange(length), windows[index, :, channel])
    rows = (1 - (np.clip(rows, low, high) - low) / (high - low or 1.0)) * (height - 1)
    # a pixel is lit where the curve passes between this column's row and the next one's (no gaps on steep parts)
    ahead = np.concatenate([rows[..., 1:], rows[..., -1:]], axis=-1)
    top, bottom = np.minimum(rows, ahead) - 0.5, np.maximum(rows, ahead) + 0.5
    grid = np.arange(height)[None, None, :, None]  # (1, 1, height, 1)
    return (grid >= np.floor(top)[:, :, None, :]) & (grid <= np.ceil(bottom)[:, :, None, :])
