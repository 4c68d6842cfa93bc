"""The whole-dataset map (components v2; bigmapmath.js and bigmap.js): tens of thousands of points by WebGL.

One binary message carries the map: MAGIC, the JSON header's length and the header, then float32 positions
(n, 2) scaled into the unit square, uint8 classes, uint8 train flags and float32 reconstruction errors,
each 4-byte aligned: 70,000 points are 1.1 MB, where the same as JSON rows was 4 MB. Thumbnails come from
dashboard/sheets.py when the mouse first reaches a sheet. Python hears only of a click (`clicked`, an index)
and of a lasso (`selected`, indices).
"""

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import streamlit as st

from dashboard import plots, sheets

MAGIC = b"AEMAP1\0\0"
SHEET_CELLS = 24  # the grid that orders thumbnails on sheets (see sheet_order)
SCRIPTS = [Path(__file__).with_name(name) for name in ("bigmapmath.js", "bigmap.js")]  # shaders and parser, then the map

HTML = """<div class="bigmap">
<div class="controls">
  <button type="button" class="mode on" data-mode="pan">Pan and zoom</button>
  <button type="button" class="mode" data-mode="lasso">Lasso</button>
  <button type="button" class="home">Reset view</button>
  <button type="button" class="clear">Clear selection</button>
  <label>Colour by <select class="colour"><option value="class">class</option>
    <option value="error">reconstruction error</option><option value="split">train / test</option></select></label>
  <label><input type="checkbox" class="density"> Density</label>
</div>
<div class="stage"><canvas class="points"></canvas><canvas class="overlay" aria-label="whole-dataset map"></canvas>
<div class="tip"><canvas width="112" height="112"></canvas><span></span></div></div>
<div class="legend"></div><div class="ramp" style="display:none"><span class="low"></span><i></i><span class="high"></span></div>
<div class="problem"></div></div>"""

CSS = """
.bigmap { font-size: 13px; }
.bigmap .controls { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin-bottom: 6px; }
.bigmap button { font-size: 13px; font-family: inherit; padding: 2px 10px; border-radius: 6px; cursor: pointer;
                 border: 1px solid #d1d5db; background: transparent; color: inherit; }
.bigmap button.on { background: #2563eb; border-color: #2563eb; color: white; }
.bigmap select { font-family: inherit; font-size: 13px; }
.bigmap .stage { position: relative; height: 600px; border: 1px solid #e5e7eb; border-radius: 6px; overflow: hidden; }
.bigmap canvas.points, .bigmap canvas.overlay { position: absolute; inset: 0; width: 100%; height: 100%; }
.bigmap canvas.overlay { cursor: grab; touch-action: none; }
.bigmap .tip { display: none; position: absolute; pointer-events: none; background: white; color: #111827; padding: 4px;
               border: 1px solid #9ca3af; border-radius: 6px; box-shadow: 0 2px 8px rgba(0,0,0,.2); max-width: 220px; }
.bigmap .tip canvas { display: block; image-rendering: pixelated; background: black; }
.bigmap .legend { display: flex; flex-wrap: wrap; gap: 4px 8px; margin-top: 6px; }
.bigmap .chip { border: none; padding: 1px 6px; }
.bigmap .chip.off { opacity: .35; text-decoration: line-through; }
.bigmap .chip i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; }
.bigmap .ramp { display: flex; align-items: center; gap: 8px; margin-top: 6px; color: #6b7280; }
.bigmap .ramp i { width: 160px; height: 10px; border-radius: 5px;
                  background: linear-gradient(90deg, rgb(48,54,148), rgb(33,168,143), rgb(252,191,46)); }
.bigmap .problem { color: #b91c1c; }
.bigmap .ramp[data-mode=error] .low::after { content: "low error"; }
.bigmap .ramp[data-mode=error] .high::after { content: "high error"; }
.bigmap .ramp[data-mode=agreement] .low::after { content: "no shared neighbours"; }
.bigmap .ramp[data-mode=agreement] .high::after { content: "all 10 shared"; }
"""

_component = st.components.v2.component("aecore_big_map", html=HTML, css=CSS, js="\n".join(script.read_text() for script in SCRIPTS))


def unit_square(points: np.ndarray) -> np.ndarray:
    """(n, 2) -> (n, 2) float32 in [0, 1], centred, both axes scaled alike (the map keeps its shape)."""
    points = np.asarray(points, np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    span = float(max(high - low)) or 1.0
    return ((points - (low + high) / 2) / span + 0.5).astype(np.float32)


def sheet_order(points) -> np.ndarray:
    """The images' order on the thumbnail sheets: by cell of a SHEET_CELLS x SHEET_CELLS grid over the map, so the
    points under the mouse share a sheet (in the split's order, each hover wanted a sheet of its own: ~100 ms)."""
    cells = np.minimum((unit_square(points) * SHEET_CELLS).astype(int), SHEET_CELLS - 1)
    return np.argsort(cells[:, 1] * SHEET_CELLS + cells[:, 0], kind="stable")


def pack(key: str, points, labels, is_train, errors, class_names, images_shape, sheet_url: str | None,
         highlight: int | None = None, chosen=None, agreement=None, order=None) -> bytes:
    """The map as one binary message (see the module docstring). `chosen`: indices selected elsewhere (the other
    map of a comparison), shown as a selection; `agreement`: (n,) in [0, 1], a colouring of its own."""
    count = len(points)
    arrays = [("positions", unit_square(points).tobytes()),
              ("kinds", (np.zeros(count, np.uint8) if labels is None else np.asarray(labels).astype(np.uint8)).tobytes()),
              ("train", np.asarray(is_train, np.uint8).tobytes()),
              ("errors", np.asarray(errors, np.float32).tobytes())]
    mask = np.zeros(count, np.uint8)
    if chosen is not None:
        mask[np.asarray(chosen, dtype=int)] = 1
        arrays.append(("chosen", mask.tobytes()))
    if agreement is not None:
        arrays.append(("agreement", np.asarray(agreement, np.float32).tobytes()))
    if order is not None:  # each image's place on the sheets
        rank = np.empty(count, np.uint32)
        rank[np.asarray(order)] = np.arange(count, dtype=np.uint32)
        arrays.append(("rank", rank.tobytes()))
    header = {"key": key, "count": count, "classes": list(class_names or []), "palette": plots.PALETTE,
              "error_top": float(np.quantile(errors, 0.99)) if len(errors) else 1.0,
              "side_h": int(images_shape[1]), "side_w": int(images_shape[2]), "sheet_side": sheets.SHEET_SIDE,
              "sheet_url": sheet_url, "highlight": highlight, "offsets": {},
              "chosen_version": None if chosen is None else int(hashlib.sha1(mask.tobytes()).hexdigest()[:8], 16)}
    # Offsets depend on the header's length, which holds them: reserve room, then fill in.
    body, offset = [], 0
    for _, blob in arrays:
        body.append(blob + b"\0" * (-len(blob) % 4))
    provisional = json.dumps(header).encode()
    start = len(MAGIC) + 4 + len(provisional) + 200
    start += -start % 4
    for (name, blob), padded in zip(arrays, body):
        header["offsets"][name] = start + offset
        offset += len(padded)
    encoded = json.dumps(header).encode()
    encoded += b" " * (start - len(MAGIC) - 4 - len(encoded))  # JSON ignores trailing spaces
    return MAGIC + struct.pack("<I", len(encoded)) + encoded + b"".join(body)


def big_map(message: bytes, key: str):
    """Draws the map; returns (clicked index or None, selected indices or None) of this rerun."""
    result = _component(data=message, key=key, on_clicked_change=lambda: None, on_selected_change=lambda: None)
    return getattr(result, "clicked", None), getattr(result, "selected", None)
