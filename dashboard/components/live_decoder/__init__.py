"""The live decoder component (Streamlit components v2): the model's decoder runs in the page.

`aecore.models.webexport` turns the decoder into a JSON layer list plus float32 weights; this wrapper mounts one
of three views of dashboard/components/live_decoder/live_decoder.js (with the layer maths of dashboard/components/live_decoder/decoder_math.js) and, once per browser session, sends the weights as binary (a
quarter smaller than base64, and nothing to parse) in an element of their own right after the first view,
so every view's data stays small JSON that names the model. The JavaScript decodes on every input event
and tells Python only what was released or clicked, so dragging never reruns the script. A decoder the
browser cannot run gets `LiveModel.reason`, and the page decodes on the server instead.
"""

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aecore.models import webexport
from dashboard import components

SENT = "livedecoder_sent"  # session_state: model keys whose weights this browser session has received
MAGIC = b"AEW1"  # the binary weights message: MAGIC, the header's length (uint32 LE), the JSON header, the weights




SCRIPTS = ("decoder_math.js", "painters.js", "live_decoder.js")  # this folder's, in order
SHARED_SCRIPTS = ("legend.js", "pixels.js")  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def module_source() -> str:
    """The component's whole ES module (the browser tests load it into a bare page)."""
    return components.source(Path(__file__).parent, SCRIPTS, SHARED_SCRIPTS)


@dataclass(frozen=True)
class LiveModel:
    key: str  # names the decoder in the page's cache
    spec: dict | None  # aecore.models.webexport's layer list; None when the browser cannot run this decoder
    weights: bytes | None  # float32 weights, little-endian
    reason: str | None  # why the server decodes instead

    @property
    def live(self) -> bool:
        return self.spec is not None

    @property
    def download_bytes(self) -> int:
        """What a browser session receives for this model: the weights and the layer list."""
        return len(self.weights or b"") + len(json.dumps(self.spec or {}))


def model_key(stamp: str) -> str:
    """The name a model's decoder has in the page (`globalThis.__aecoreLive.decoders`)."""
    return hashlib.sha1(stamp.encode()).hexdigest()[:16]


def live_model(decoder, stamp: str) -> LiveModel:
    """The decoder as the page runs it, or why it cannot (the caller caches it: state.caches.live_decoder)."""
    key = model_key(stamp)
    try:
        web = webexport.export_decoder(decoder)
    except webexport.WebExportError as error:
        return LiveModel(key, None, None, str(error))
    return LiveModel(key, web.spec, web.weights, None)


def packed_weights(live: LiveModel) -> bytes:
    """The model as one binary message: MAGIC, the header's length, the JSON header {key, spec}, the weights."""
    header = json.dumps({"key": live.key, "spec": live.spec}).encode()
    return MAGIC + struct.pack("<I", len(header)) + header + live.weights


def _send_weights(live: LiveModel):
    """Once per browser session and model, after the view that first needs them."""
    sent = st.session_state.setdefault(SENT, set())
    if live.live and live.key not in sent:
        sent.add(live.key)
        _component(data=packed_weights(live), key=f"live-weights-{live.key}")


def _forget_sent():
    """The page asked for weights it does not have (reloaded, or a new tab): send them again."""
    st.session_state.pop(SENT, None)


def live_view(view: str, data: dict, live: LiveModel, output_shape, key: str, signature=None, on_release=None):
    """Mounts one view ("sliders", "plane" or "interpolate") and returns its result: `code` (the sliders'
    code, on release), `pinned` (the plane's clicked code) and `t` (the interpolation weight, on release).

    `signature` names what the view's layout depends on: while it stays the same, a rerun keeps the view
    (and a drag in progress). `on_release(name)` runs before the rerun when `code`, `pinned` or `t` changes.
    """
    payload = {"view": view, "model": {"key": live.key} if live.live else None,
               "output_shape": [int(size) for size in output_shape], "signature": signature, **data}
    callbacks = {f"on_{name}_change": (lambda name=name: on_release(name) if on_release else None)
                 for name in ("code", "pinned", "t")}
    with st.container(gap=None):  # no gap: the weights' element takes no room
        result = _component(data=payload, key=key, on_need_change=_forget_sent, **callbacks)
        _send_weights(live)
    return result
