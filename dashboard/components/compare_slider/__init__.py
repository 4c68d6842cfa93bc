"""A before/after slider for one photo (Streamlit components v2; the script is compare_slider.js).

The user drags a divider across the picture: left of it the "after" image, right of it the "before".
Both pictures are sent once as JPEG data URIs, shrunk to at most DISPLAY_SIDE pixels (the page offers
the full-resolution download and a 1:1 zoom separately).
"""

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from dashboard import components

DISPLAY_SIDE = 1600  # longest side sent to the browser



SCRIPTS = ("compare_slider.js",)  # this folder's, in order
SHARED_SCRIPTS = ()  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def _jpeg_uri(pixels: np.ndarray) -> str:
    """(h, w, 1 or 3) float [0, 1] -> a JPEG data URI at most DISPLAY_SIDE px a side."""
    eight_bit = np.clip(np.round(np.asarray(pixels, np.float32) * 255), 0, 255).astype(np.uint8)
    picture = Image.fromarray(eight_bit[..., 0] if eight_bit.shape[-1] == 1 else eight_bit)
    picture.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=92)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


@st.cache_data(max_entries=4, show_spinner=False)
def _payload(identity: str, _before: np.ndarray, _after: np.ndarray, before_label: str, after_label: str) -> dict:
    """Cached by `identity` (what the pictures come from): encoding a 12-MP photo twice takes a second."""
    height, width = _before.shape[:2]
    return {"before": _jpeg_uri(_before), "after": _jpeg_uri(_after), "width": width, "height": height,
            "before_label": before_label, "after_label": after_label}


def compare_slider(before: np.ndarray, after: np.ndarray, identity: str, before_label: str = "before",
                   after_label: str = "after"):
    """Draws the slider; `identity` names what the two pictures come from (it is the key and the cache key)."""
    _component(data=_payload(identity, before, after, before_label, after_label), key=f"compare-{identity}")
