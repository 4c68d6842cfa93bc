"""The Restore page's denoise part for a series model: one test window, noisy at every level of the slider and
denoised by the sidebar's model, as lines (dashboard.series_plots), the 21 levels switched in the browser.

The noise is aecore.data.noise's, as on images (one draw per time step; values clipped to [0, 1], the training
part's range), through the same cached sweep the image slider uses.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.analysis import metrics
from dashboard import series_plots
from dashboard.state import caches

START_LEVEL = 5  # the slider opens at level 0.25


def window_picker(context) -> int:
    """Which test window (the first by default)."""
    count = len(context.dataset.x_test)
    return int(st.number_input(f"Test window (0 to {count - 1})", 0, count - 1, 0, key="series_window",
                               help="The test part's windows in time order. A model trained on normal windows "
                                    "cleans a labelled anomaly less well: it has not learnt that shape."))


def section(context, kind: str, seed: int, levels: tuple):
    st.subheader("A noisy window and its denoised curve")
    index = window_picker(context)
    sweep = caches.denoise_sweep(context.ref, (index,), kind, levels, seed)
    start = int(context.dataset.test_starts[index])
    steps = np.arange(start, start + context.dataset.window)
    clean = context.dataset.x_test[index]
    figure = noise_frames(clean, sweep, levels, steps, list(context.dataset.columns or []))
    st.plotly_chart(figure, width="stretch", key="series_noise_frames")
    label = "anomalous" if context.dataset.y_test is not None and context.dataset.y_test[index] else "normal"
    st.caption(f"Window {index} of the test part (steps {start} to {start + len(steps) - 1}, labelled {label}). Drag "
               "the slider under the curves: all 21 noise levels are already in your browser. The title gives the "
               "PSNR of the noisy window → the denoised one against the clean window (higher is better). The noise "
               "is clipped to the training part's range, 0 to 1, as on images.")


def noise_frames(clean: np.ndarray, sweep, levels: tuple, steps: np.ndarray, channel_names: list) -> go.Figure:
    """The window, its noisy copy and the denoised curve at every level: one Plotly frame per level."""
    def curves_at(level: int) -> list:
        return [("window", clean), ("noisy input", sweep.noisy[level, 0]), ("denoised", sweep.denoised[level, 0])]

    figure = series_plots.window_lines(curves_at(START_LEVEL), channel_names, steps)
    titles = [f"noise level {level:.2f}   PSNR {decibels(psnr_in)} → {decibels(psnr_out)} dB"
              for level, psnr_in, psnr_out in zip(levels, sweep.psnr_noisy, sweep.psnr_denoised)]
    frames, slider_steps = [], []
    for number, level in enumerate(levels):
        name = f"{level:.2f}"
        data = [go.Scatter(y=series_plots.as_steps(values)[:, channel])
                for _, values in curves_at(number) for channel in range(series_plots.as_steps(clean).shape[1])]
        frames.append(go.Frame(name=name, data=data, traces=list(range(len(data))),
                               layout=dict(title_text=titles[number])))
        slider_steps.append(dict(method="animate", label=name, args=[[name], dict(
            mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))]))
    figure.frames = frames
    everything = np.concatenate([clean.ravel(), sweep.noisy[:, 0].ravel(), sweep.denoised[:, 0].ravel()])
    pad = 0.05 * (float(everything.max() - everything.min()) or 1.0)
    figure.update_yaxes(range=[float(everything.min()) - pad, float(everything.max()) + pad])  # no jumps between levels
    figure.update_layout(title=titles[START_LEVEL], margin=dict(t=60, b=40), height=max(figure.layout.height or 0, 360),
                         legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
                         sliders=[dict(active=START_LEVEL, steps=slider_steps, pad=dict(t=50),
                                       currentvalue=dict(prefix="noise level "))])
    return figure


def decibels(value: float) -> str:
    return "∞" if value >= metrics.PSNR_CAP_DB else f"{value:.1f}"


