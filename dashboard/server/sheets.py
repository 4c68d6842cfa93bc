"""Thumbnails of a whole split over HTTP, a sheet of SHEET_SIDE² images at a time, for the whole-dataset map.

Sending 70,000 thumbnails with the page would be ~30 MB before the first draw. Instead the page registers the
split's images here (`register` -> a token) and the map's JavaScript fetches `/api/sheets/<token>/<n>.png`,
sheet n holding images n·SHEET² ... (n+1)·SHEET² - 1 in rows, when the mouse first hovers one of them; the
browser caches each sheet. server.py mounts `route`. Only registered splits are served (an unknown token is
a 404), and the registry holds references to arrays the dashboard's dataset cache already keeps.
"""

import hashlib
import io
import threading
from collections.abc import Callable

import numpy as np
from PIL import Image
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aecore.store import mapcache

SHEET_SIDE = 16  # images per sheet row and column: 256 per sheet; the first hover on a sheet waits ~40 ms (1,024: ~155)
PATH = "/api/sheets"
Draw = Callable[[np.ndarray], np.ndarray]  # items (k, ...) -> pictures (k, h, w, c) in [0, 1]
_registry: dict[str, tuple[tuple[np.ndarray, ...], np.ndarray | None, Draw | None]] = {}
_lock = threading.Lock()


def register(identity: str, parts: list[np.ndarray], order: np.ndarray | None = None, draw: Draw | None = None) -> str:
    """The token under which the images of `parts` (arrays (n, h, w, c) in [0, 1], one after the other, as
    aecore.store.mapcache.parts gives a split) are served; `identity` names them (dataset, split, map).
    `order`: the images' order across the sheets (big_map.sheet_order puts neighbours on the map together, so
    hovering around one place needs one sheet, not one per point); None keeps the split's order. `draw`: makes
    pictures of what `parts` hold, a sheet at a time when it is asked for (the windows of a series drawn as
    curves: dashboard.series_plots.curve_pictures), so no picture of the whole split is kept."""
    token = hashlib.sha256(identity.encode()).hexdigest()[:20]
    with _lock:
        _registry[token] = (tuple(parts), None if order is None else np.asarray(order), draw)
    return token


def sheet_png(parts: tuple[np.ndarray, ...], number: int, order: np.ndarray | None = None,
              draw: Draw | None = None) -> bytes | None:
    """Sheet `number` as PNG bytes, or None past the end."""
    count, total = SHEET_SIDE * SHEET_SIDE, sum(len(part) for part in parts)
    if number < 0 or number * count >= total:
        return None
    wanted = np.arange(number * count, min(total, (number + 1) * count))
    chosen = mapcache.gather(parts, wanted if order is None else order[wanted])
    if draw is not None:
        chosen = draw(chosen)
    height, width, channels = chosen.shape[1:]
    tiles = np.zeros((count, height, width, channels), np.uint8)  # row-major: image k at row k // SHEET_SIDE
    tiles[: len(chosen)] = np.clip(np.round(chosen * 255), 0, 255)
    sheet = tiles.reshape(SHEET_SIDE, SHEET_SIDE, height, width, channels).transpose(0, 2, 1, 3, 4).reshape(
        SHEET_SIDE * height, SHEET_SIDE * width, channels)
    buffer = io.BytesIO()  # zlib level 1: 27 ms against 65 at the default, 8% more bytes (the first hover waits on it)
    Image.fromarray(sheet[..., 0] if channels == 1 else sheet).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


async def _serve(request: Request) -> Response:
    found = _registry.get(request.path_params["token"])
    try:
        number = int(request.path_params["number"])
    except ValueError:
        number = -1
    # Drawing a sheet takes ~70 ms: in a thread, so the event loop keeps serving every session meanwhile.
    body = await run_in_threadpool(sheet_png, found[0], number, found[1], found[2]) if found is not None else None
    if body is None:
        return Response("no such sheet", status_code=404, media_type="text/plain")
    return Response(body, media_type="image/png", headers={"Cache-Control": "private, max-age=86400, immutable"})


route = Route(PATH + "/{token}/{number}.png", _serve)
