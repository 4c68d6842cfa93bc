"""The whole-dataset map (components v2; map_math.js, map_input.js and big_map.js): tens of thousands of points by WebGL.

One binary message carries the map: MAGIC, the JSON header's length and the header, then float32 positions
(n, 2) scaled into the unit square, uint8 classes, uint8 train flags and float32 reconstruction errors,
each 4-byte aligned: 70,000 points are 1.1 MB, where the same as JSON rows was 4 MB. Extra colourings (`Colouring`:
a window's place in time, code-space anomaly scores) add a float32 array each, and a colour bar that says what the
colours mean; windows of a series add their first steps (uint32). Thumbnails come from dashboard/server/sheets.py
when the mouse first reaches a sheet. Python hears only of a click (`clicked`, an index) and of a lasso
(`selected`, indices).
"""

import hashlib
import json
import struct
from dataclasses import dataclass

import numpy as np

from dashboard import components, plots
from dashboard.server import sheets

MAGIC = b"AEMAP1\0\0"
SHEET_CELLS = 24  # the grid that orders thumbnails on sheets (see sheet_order)



SCRIPTS = ("map_math.js", "map_input.js", "big_map.js")  # this folder's, in order
SHARED_SCRIPTS = ("legend.js", "sheets.js")  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def unit_square(points: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """(n, 2) -> (n, 2) float32 in [0, 1], centred, both axes scaled alike (the map keeps its shape); with `others`
    (m, 2), those instead, in the frame of `points` (a new point placed on the map)."""
    points = np.asarray(points, np.float64)
    low, high = points.min(axis=0), points.max(axis=0)
    span = float(max(high - low)) or 1.0
    moved = points if others is None else np.asarray(others, np.float64).reshape(-1, 2)
    return ((moved - (low + high) / 2) / span + 0.5).astype(np.float32)


def sheet_order(points) -> np.ndarray:
    """The images' order on the thumbnail sheets: by cell of a SHEET_CELLS x SHEET_CELLS grid over the map, so the
    points under the mouse share a sheet (in the split's order, each hover wanted a sheet of its own: ~100 ms)."""
    cells = np.minimum((unit_square(points) * SHEET_CELLS).astype(int), SHEET_CELLS - 1)
    return np.argsort(cells[:, 1] * SHEET_CELLS + cells[:, 0], kind="stable")


@dataclass(frozen=True)
class Colouring:
    """A colouring the map offers besides class, error and split: a ramp from `low` to `high` (values beyond sit at
    the ends), the colour bar labelled `low_text` .. `high_text` and titled `title`; `label` names it in the box."""

    key: str  # a plain identifier: "time", "code_distance"
    label: str  # the option in "Colour by"
    title: str  # beside the colour bar: what the colour is
    values: np.ndarray  # (n,) one per point
    low: float
    high: float
    low_text: str
    high_text: str
    in_caption: bool = True  # the hovered point's value shows in its caption (time does not: its steps do)


def score_colouring(key: str, label: str, title: str, values) -> Colouring:
    """A score's colouring: the ramp spans its 1st to 99th percentile, so a few extreme points do not wash out the
    rest; the colour bar says so."""
    values = np.asarray(values, np.float32)
    low, high = (float(v) for v in np.quantile(values, [0.01, 0.99])) if len(values) else (0.0, 1.0)
    return Colouring(key, label, title, values, low, high, f"{low:.3g} or less", f"{high:.3g} or more")


def time_colouring(starts, timestamps) -> Colouring:
    """Windows coloured by their first step (starts (n,)), the colour bar from step 0 to the last start, each with
    its time from the series' time column (`timestamps`, by step) when that says more than the step."""
    def text(step: int) -> str:
        stamp = str(timestamps[step])
        return f"step {step:,}" + ("" if stamp in (str(step), f"{step}.0") else f" ({stamp})")
    last = int(np.max(starts))
    return Colouring("time", "time (window start)", "when the window starts", np.asarray(starts, np.float32), 0.0,
                     float(last), text(0), text(last), in_caption=False)


def base_key(stamp: str, dataset_name: str, method: str) -> str:
    """What names a model's map of a dataset in the page, so other components (the pad) can find it."""
    return f"{stamp}-{dataset_name}-{method}"


def pack(key: str, points, labels, is_train, errors, class_names, images_shape, sheet_url: str | None,
         highlight: int | None = None, chosen=None, agreement=None, order=None, base: str | None = None,
         colourings: tuple[Colouring, ...] = (), starts=None, window: int | None = None) -> bytes:
    """The map as one binary message (see the module docstring). `chosen`: indices selected elsewhere (the other
    map of a comparison), shown as a selection; `agreement`: (n,) in [0, 1], a colouring of its own; `base`: the
    map's `base_key`, when `key` names a comparison too; `images_shape`: (n, height, width, ...) of the thumbnails;
    `colourings`: more ways to colour; `starts`: (n,) each window's first step in its series of `window` steps."""
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
    if starts is not None:
        arrays.append(("starts", np.asarray(starts, np.uint32).tobytes()))
    for colouring in colourings:
        arrays.append((f"colour_{colouring.key}", np.asarray(colouring.values, np.float32).tobytes()))
    header = {"key": key, "base_key": base or key, "count": count, "classes": list(class_names or []), "palette": plots.PALETTE,
              "error_top": float(np.quantile(errors, 0.99)) if len(errors) else 1.0,
              "side_h": int(images_shape[1]), "side_w": int(images_shape[2]), "sheet_side": sheets.SHEET_SIDE,
              "sheet_url": sheet_url, "highlight": highlight, "offsets": {}, "window": window,
              "colourings": [{"key": each.key, "label": each.label, "title": each.title, "low": each.low,
                              "high": each.high, "low_text": each.low_text, "high_text": each.high_text,
                              "in_caption": each.in_caption}
                             for each in colourings],
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
