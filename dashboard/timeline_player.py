"""The Training timeline's player (Streamlit components v2; the script is timeline_player.js).

Play, pause and the epoch scrubber run in the browser: every frame's map arrives once, and the script moves
each point between two snapshots' positions at screen rate, with no rerun. Beside the map: the loss curve
with a cursor, the reconstructions at the nearest snapshot and, for a 2-D VAE, its decoded latent grid then.
A click on a point follows that image: its trail shows where it has been. Hovering shows the image itself,
from dashboard/sheets.py's thumbnail sheets (the sample's images, registered once per model).

The message: positions as base64 float32 (frames, n, 2) in the unit square (one scale for every frame, so the
map's spread shows too), labels, epochs, losses, and per frame a PNG data URI of the reconstructions (originals
above) and of the VAE grid. A running training's message grows as snapshots land; the script keeps its place,
its trails and, when it was on the last frame, follows the new last one.
"""

import base64
from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import plots, sheets

SCRIPT = Path(__file__).with_name("timeline_player.js")

HTML = """<div class="timeline-player">
<div class="controls">
  <button type="button" class="play" aria-label="play">▶ Play</button>
  <input class="scrub" type="range" min="0" step="0.001" value="0" aria-label="epoch">
  <span class="label"></span>
  <label>Speed <select class="speed"><option value="0.5">½×</option><option value="1" selected>1×</option>
    <option value="2">2×</option><option value="4">4×</option></select></label>
  <button type="button" class="clear">Clear trails</button>
</div>
<div class="body">
  <div class="stage"><canvas class="map" aria-label="the codes at this moment of training"></canvas>
    <div class="tip"><canvas width="84" height="84"></canvas><span></span></div></div>
  <div class="side">
    <div class="caption">Training loss</div><canvas class="loss" aria-label="training loss"></canvas>
    <div class="caption">Originals (top) and the model's reconstructions at this moment</div>
    <img class="strip" alt="reconstructions at this frame">
    <div class="grid-box"><div class="caption">The decoder's latent grid at this moment (z0 across, z1 up)</div>
      <img class="grid" alt="decoded latent grid at this frame"></div>
  </div>
</div>
<div class="legend"></div>
<div class="hint">Click a point to follow that image: its trail shows where it has been. Click it again to drop it.</div>
</div>"""

CSS = """
.timeline-player { font-size: 13px; }
.timeline-player .controls { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin-bottom: 8px; }
.timeline-player button { font-size: 13px; font-family: inherit; padding: 2px 12px; border-radius: 6px; cursor: pointer;
                          border: 1px solid #d1d5db; background: transparent; color: inherit; }
.timeline-player button.play { background: #2563eb; border-color: #2563eb; color: white; min-width: 84px; }
.timeline-player .scrub { flex: 1 1 260px; accent-color: #2563eb; }
.timeline-player .label { min-width: 190px; font-variant-numeric: tabular-nums; }
.timeline-player select { font-family: inherit; font-size: 13px; }
.timeline-player .body { display: grid; grid-template-columns: minmax(300px, 3fr) minmax(220px, 2fr); gap: 16px; }
.timeline-player .stage { position: relative; aspect-ratio: 1; border: 1px solid #e5e7eb; border-radius: 6px; }
.timeline-player canvas.map { position: absolute; inset: 0; width: 100%; height: 100%; cursor: crosshair; }
.timeline-player .tip { display: none; position: absolute; pointer-events: none; background: white; color: #111827;
                        padding: 4px; border: 1px solid #9ca3af; border-radius: 6px; box-shadow: 0 2px 8px rgba(0,0,0,.2); }
.timeline-player .tip canvas { display: block; image-rendering: pixelated; background: black; }
.timeline-player .side canvas.loss { width: 100%; height: 150px; display: block; }
.timeline-player .side img { width: 100%; image-rendering: pixelated; display: block; border-radius: 4px; }
.timeline-player .caption { color: #6b7280; margin: 8px 0 4px; }
.timeline-player .legend { display: flex; flex-wrap: wrap; gap: 4px 8px; margin-top: 6px; }
.timeline-player .chip { border: none; padding: 1px 6px; }
.timeline-player .chip.off { opacity: .35; text-decoration: line-through; }
.timeline-player .chip i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; }
.timeline-player .hint { color: #6b7280; margin-top: 4px; }
"""

_component = st.components.v2.component("aecore_timeline_player", html=HTML, css=CSS, js=SCRIPT.read_text())


def unit_positions(maps: np.ndarray) -> np.ndarray:
    """(frames, n, 2) -> float32 in the unit square, centred on 0, one scale for all frames: the widest frame's
    (a few far points beyond its 99.5th percentile sit at the edge)."""
    limit = max(float(np.quantile(np.abs(frame), 0.995)) for frame in maps) * 1.08 or 1.0
    return np.clip(0.5 + np.asarray(maps, np.float64) / (2 * limit), 0, 1).astype(np.float32)


def frame_label(epoch: float) -> str:
    return f"{epoch:.2f}" if epoch < 1 else f"{epoch:.0f}"


def payload(key: str, found: dict, class_names: list | None, images: np.ndarray | None, live: bool = False) -> dict:
    """The player's message for snapshots `found` with their aligned `maps` (see the module docstring). `images`:
    the sample's test images (n, h, w, c) in [0, 1] for the hover thumbnails, or None. `live`: a training in
    progress, which opens on its newest snapshot (a finished one opens on its first)."""
    maps, labels = found["maps"], np.asarray(found["labels"])
    strips = [plots.data_uri(plots.mosaic(np.concatenate([found["originals"], rebuilt]).astype(np.float32) / 255,
                                          len(found["originals"]))) for rebuilt in found["reconstructions"]]
    grids = [plots.data_uri(plots.mosaic(grid.reshape((-1,) + grid.shape[2:]).astype(np.float32) / 255, grid.shape[1]))
             for grid in found["grids"]] if "grids" in found else None  # (frames, rows, columns, h, w, c)
    sheet_url = None
    if images is not None:
        token = sheets.register(f"timeline/{key}", [images])
        sheet_url = f"{sheets.PATH}/{token}"
    classes = sorted(set(int(label) for label in labels))
    return {"key": key, "live": live, "count": int(len(maps)), "points": int(maps.shape[1]),
            "positions": base64.b64encode(unit_positions(maps).tobytes()).decode(),
            "labels": [int(label) for label in labels], "epochs": [float(epoch) for epoch in found["epochs"]],
            "losses": [None if np.isnan(loss) else float(loss) for loss in found["losses"]],
            "strips": strips, "grids": grids, "palette": plots.PALETTE,
            "classes": {str(label): (class_names[label] if class_names and 0 <= label < len(class_names)
                                     else ("test images" if label < 0 else str(label))) for label in classes},
            "sheet_url": sheet_url, "sheet_side": sheets.SHEET_SIDE,
            "side_h": None if images is None else int(images.shape[1]),
            "side_w": None if images is None else int(images.shape[2])}


def player(message: dict, key: str):
    """Draws the player for `message` (payload); the key keeps its place, trails and play state across reruns."""
    _component(data=message, key=key)
