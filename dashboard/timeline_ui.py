"""Streamlit helpers for the Training timeline page (views/timeline.py): a model's snapshots as aligned maps, and
one animated Plotly figure (map, loss curve with a cursor, reconstructions) that plays in the browser."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from aecore.analysis import timeline
from aecore.store import atomic
from dashboard import plots, ui

FRAME_MS = 450  # how long each frame shows while playing


@st.cache_data(max_entries=8, show_spinner="Aligning one map per snapshot…")
def stored_frames(model_name: str, stamp: str) -> dict | None:
    found = ui.model_store().snapshots(model_name)
    return _with_maps(found)


@st.cache_data(max_entries=4, show_spinner=False)
def live_frames(path: str, modified: float) -> dict | None:
    """A running job's snapshots so far (`modified` keys the cache: the file is replaced as snapshots land)."""
    from pathlib import Path

    return _with_maps(atomic.read_arrays(Path(path)))


def _with_maps(found: dict | None) -> dict | None:
    if found is None or len(found["epochs"]) == 0:
        return None
    return {**found, "maps": timeline.aligned_maps(found["codes"].astype(np.float32))}


def frame_label(epoch: float) -> str:
    return f"{epoch:.2f}" if epoch < 1 else f"{epoch:.0f}"


def animated_figure(found: dict, class_names: list | None) -> go.Figure:
    """Map (one trace per class) and loss with a cursor on top, the reconstructions below; a play button and a
    slider step through the frames in the browser (Plotly frames: no script rerun per frame)."""
    maps, labels, epochs, losses = found["maps"], found["labels"], found["epochs"], found["losses"]
    classes = sorted(set(int(label) for label in labels))
    limit = float(np.quantile(np.abs(maps), 0.995)) * 1.05 or 1.0
    figure = make_subplots(rows=2, cols=2, column_widths=[0.6, 0.4], row_heights=[0.72, 0.28],
                           specs=[[{}, {}], [{"colspan": 2}, None]], vertical_spacing=0.08,
                           subplot_titles=("The codes, aligned from frame to frame", "Training loss", ""))

    def traces(index: int) -> list:
        found_traces = []
        for position, label in enumerate(classes):
            chosen = labels == label
            name = class_names[label] if class_names and label >= 0 else (str(label) if label >= 0 else "test images")
            found_traces.append(go.Scattergl(x=maps[index, chosen, 0], y=maps[index, chosen, 1], mode="markers", name=name,
                                             marker=dict(size=4, color=plots.PALETTE[position % len(plots.PALETTE)])))
        found_traces.append(go.Scatter(x=[epochs[index]] * 2, y=[float(np.nanmin(losses)), float(np.nanmax(losses))],
                                       mode="lines", line=dict(color="#111827", dash="dot"), showlegend=False))
        strip = np.concatenate([found["originals"], found["reconstructions"][index]], axis=1)  # originals over rebuilt
        found_traces.append(go.Image(source=plots.data_uri(plots.mosaic(strip.astype(np.float32) / 255, len(strip))),
                                     hoverinfo="skip"))
        return found_traces

    for trace in traces(0)[:-2]:
        figure.add_trace(trace, row=1, col=1)
    figure.add_trace(go.Scatter(x=epochs, y=losses, mode="lines+markers", line=dict(color="#64748b"), showlegend=False),
                     row=1, col=2)
    cursor, picture = traces(0)[-2:]
    figure.add_trace(cursor, row=1, col=2)
    figure.add_trace(picture, row=2, col=1)
    animated = [*range(len(classes)), len(classes) + 1, len(classes) + 2]  # every trace but the whole loss curve
    figure.frames = [go.Frame(data=traces(index), traces=animated,
                              name=frame_label(epoch)) for index, epoch in enumerate(epochs)]
    steps = [dict(method="animate", label=frame_label(epoch),
                  args=[[frame_label(epoch)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
             for epoch in epochs]
    figure.update_layout(
        height=720, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.02),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=1.2, xanchor="left", yanchor="bottom", showactive=False, buttons=[
            dict(label="▶ Play", method="animate",
                 args=[None, dict(frame=dict(duration=FRAME_MS, redraw=True), fromcurrent=True, transition=dict(duration=0))]),
            dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(active=0, steps=steps, x=0.2, len=0.8, y=1.14, yanchor="bottom",
                      currentvalue=dict(prefix="epoch ", visible=True))])
    figure.update_xaxes(range=[-limit, limit], showticklabels=False, row=1, col=1)
    figure.update_yaxes(range=[-limit, limit], showticklabels=False, scaleanchor="x", row=1, col=1)
    figure.update_xaxes(title="epoch", type="log" if epochs[0] < 1 else "linear", row=1, col=2)
    figure.update_xaxes(visible=False, row=2, col=1)
    figure.update_yaxes(visible=False, row=2, col=1)
    return figure
