"""The Training timeline's player (Streamlit components v2; the script is timeline_player.js).

Play, pause and the epoch scrubber run in the browser: every frame's map arrives once, and the script moves
each point between two snapshots' positions at screen rate, with no rerun. Beside the map: the loss curve
with a cursor, the reconstructions at the nearest snapshot and, for a 2-D VAE, its decoded latent grid then.
A click on a point follows that image: its trail shows where it has been. Hovering shows the image itself,
from dashboard/server/sheets.py's thumbnail sheets (the sample's images, registered once per model).

The message: positions as base64 float32 (frames, n, 2) in the unit square (one scale for every frame, so the
map's spread shows too), labels, epochs, losses, and per frame a PNG data URI of the reconstructions (originals
above) and of the VAE grid. A running training's message grows as snapshots land; the script keeps its place,
its trails and, when it was on the last frame, follows the new last one.
"""

import base64

import numpy as np

from dashboard import components, plots
from dashboard.server import sheets

SCRIPTS = ("timeline_player.js",)  # this folder's, in order
SHARED_SCRIPTS = ("legend.js", "sheets.js")  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def unit_positions(maps: np.ndarray) -> np.ndarray:
    """(frames, n, 2) -> float32 in the unit square, centred on 0, one scale for all frames: the widest frame's
    (a few far points beyond its 99.5th percentile sit at the edge)."""
    limit = max(float(np.quantile(np.abs(frame), 0.995)) for frame in maps) * 1.08 or 1.0
    return np.clip(0.5 + np.asarray(maps, np.float64) / (2 * limit), 0, 1).astype(np.float32)


def frame_label(epoch: float) -> str:
    return f"{epoch:.2f}" if epoch < 1 else f"{epoch:.0f}"


def payload(key: str, found: dict, class_names: list | None, images: np.ndarray | None, live: bool = False,
            noun: str = "image") -> dict:
    """The player's message for snapshots `found` with their aligned `maps` (see the module docstring). `images`:
    the sample's test images (n, h, w, c) in [0, 1] for the hover thumbnails, or None. `live`: a training in
    progress, which opens on its newest snapshot (a finished one opens on its first). `noun`: what a point is, for
    the hint ("image", "window")."""
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
    return {"key": key, "live": live, "noun": noun, "count": int(len(maps)), "points": int(maps.shape[1]),
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
