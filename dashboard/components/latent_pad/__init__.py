"""The pad beside the whole-dataset map (components v2; latent_pad.js): draw or drop a picture and watch its code land.

One binary message (components.pack_message) carries what the page needs to encode, place and decode by itself:
the encoder's and the decoder's layer lists and float32 weights (aecore.models.webexport), the codes of every map
point as int8 (a quarter of float32: 70,000 codes of 32 are 2.2 MB), their places on the map (the unit square the
big map draws), the thumbnail sheets' order, and how to place a new code (PCA exactly, else its nearest codes).
Python hears of a file opened on the pad (`opened`: name and base64 bytes, converted on the server as the Denoise
page converts uploads), of a stroke's end on a UMAP or t-SNE map (`release`: {id, code}, placed again by the reducer's
transform) and of "Open in the Latent sampler" (`sampler`: the code). Its answers go on components.pad_reply's small
element, so this message never changes after the first and Streamlit sends it once.
"""

import numpy as np

from dashboard import components

MAGIC = b"AEPAD1\0\0"
MAX_BYTES = 20_000_000  # an opened file larger than this is refused in the page, before it is sent
NEIGHBOURS_K = 10  # codes averaged to place a new one on a UMAP or t-SNE map, and a spot's code
SEARCH_DIMS = 48  # longer codes are sent as their top principal components (70,000 x 128 int8 would be 9 MB)

SCRIPTS = ("pad_math.js", "pad_input.js", "latent_pad.js")  # this folder's, in order
SHARED_SCRIPTS = ("message.js", "sheets.js", "pixels.js", "../live_decoder/decoder_math.js")  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def quantised(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, d) float codes -> int8 codes, per-dimension low and step: code = low + (q + 127) * step."""
    codes = np.asarray(codes, np.float32)
    low, high = codes.min(axis=0), codes.max(axis=0)
    step = np.where(high > low, (high - low) / 254, 1.0).astype(np.float32)
    q = np.clip(np.rint((codes - low) / step) - 127, -127, 127).astype(np.int8)
    return q, low, step


def pack(key: str, map_key: str, encoder, decoder, codes, unit_points, placement: dict, image_shape, labels=None,
         class_names=None, rank=None, sheet: dict | None = None, dark_background: bool = True,
         note: str = "", search: dict | None = None, map_method: str = "pca") -> bytes:
    """The pad's message. `encoder`/`decoder`: webexport's (spec, weights) or None for the encoder (the page then
    says `note`); `placement`: {"kind": "pca", mean, components, centre, span} or {"kind": "neighbours", "k"};
    `sheet`: {sheet_url, sheet_side, side_w, side_h}; `search`: {mean, basis (k, d)} when `codes` are the codes' top
    k principal components; `map_method`: the map's projection (the page asks the server to refine UMAP and t-SNE)."""
    q, low, step = quantised(codes)
    count = len(q)
    arrays = {"decoder": np.frombuffer(decoder.weights, np.float32), "codes": q,
              "positions": np.asarray(unit_points, np.float32),
              "kinds": np.zeros(count, np.uint8) if labels is None else np.asarray(labels).astype(np.uint8)}
    if encoder is not None:
        arrays["encoder"] = np.frombuffer(encoder.weights, np.float32)
    if rank is not None:
        arrays["rank"] = np.asarray(rank, np.uint32)
    header = {"key": key, "map_key": map_key, "image_shape": [int(size) for size in image_shape],
              "encoder": None if encoder is None else encoder.spec, "decoder": decoder.spec,
              "code_size": int(q.shape[1]), "code_low": low.tolist(), "code_step": step.tolist(),
              "placement": placement, "classes": list(class_names or []), "dark_background": bool(dark_background),
              "max_bytes": MAX_BYTES, "note": note, "search": search, "map_method": map_method, **(sheet or {})}
    return components.pack_message(MAGIC, header, arrays)


def latent_pad(message: bytes, key: str, on_sampler=None):
    """Mounts the pad; returns what it said in this rerun: (the file opened on it, {name, data, id}, or None; the
    released picture to place again, {id, code}, or None). `on_sampler()` runs before the script when "Open in the
    Latent sampler" is pressed (the code is then `st.session_state[key]["sampler"]`)."""
    result = _component(data=message, key=key, on_opened_change=lambda: None, on_release_change=lambda: None,
                        on_sampler_change=on_sampler or (lambda: None))
    return getattr(result, "opened", None), getattr(result, "release", None)
