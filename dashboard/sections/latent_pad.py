"""The pad under the whole-dataset map (views/latent_map.py): draw or drop a picture and watch its code land on the map
while you draw; hover an empty spot of the map to see what the decoder draws there, click to pin it; a path from your
picture to a clicked image or a pin. Everything runs in the page (dashboard/components/latent_pad/); Python converts
an opened file as the Denoise page converts uploads, places a released picture on a UMAP or t-SNE map by the
reducer's own transform (aecore.analysis.placement), and hands a code to the Latent sampler. The pad is a fragment:
what it says reruns only itself, and its answers go on a small element of their own (components.pad_reply).
"""

import base64
import time

import numpy as np
import streamlit as st

from aecore.data import catalog
from aecore.data import images as image_files
from aecore.errors import AecoreError
from dashboard.components import big_map, latent_pad, pad_reply
from dashboard.state import caches, sidebar

REFINERS = {"umap": "umap-learn's transform", "tsne": "openTSNE's transform"}


def convert(opened: dict, context) -> dict:
    """A file opened on the pad -> what the pad draws: {id, pixels (base64 uint8, h*w*c), notes, error}."""
    invert = "auto" if context.dataset_name in catalog.DATASET_NAMES else "never"  # as the Denoise page does
    try:
        data = base64.b64decode(opened.get("data") or "", validate=True)
        converted = image_files.convert_for_model(data, context.model.input_shape, str(opened.get("name", "image")),
                                                  invert=invert)
    except (AecoreError, ValueError) as error:
        return {"id": opened.get("id"), "error": f"{opened.get('name', 'The file')}: {error}", "notes": ""}
    pixels = np.clip(np.rint(converted.array * 255), 0, 255).astype(np.uint8)
    return {"id": opened.get("id"), "pixels": base64.b64encode(pixels.tobytes()).decode(), "error": None,
            "notes": f"{opened.get('name')}: " + "; ".join(converted.notes)}


def refine(release: dict, context, method: str, points) -> dict:
    """A released picture's code -> its place by umap-learn's / openTSNE's transform against the map of `points`, in
    the unit square the map draws: {id, u, v, how, seconds}."""
    started = time.perf_counter()
    code = np.asarray(release["code"], np.float32).reshape(1, -1)
    placed = caches.placer(context.ref, method, points).place(code, refine=True)
    u, v = big_map.unit_square(points, placed)[0]
    return {"id": release.get("id"), "u": float(u), "v": float(v), "how": REFINERS[method],
            "seconds": round(time.perf_counter() - started, 3)}


def section(context, projection, method: str):
    st.subheader("Your picture on the map")
    st.caption("Draw with the mouse (pen, eraser, brush size, undo), or drop, paste or open an image: its code is "
               "computed here, in your browser, while you draw, and the **star** on the map moves to where it lands, "
               "with its reconstruction and the 8 nearest codes of the whole dataset. Hover an empty part of the map to "
               "see what the decoder draws there; click to pin it. *Path* decodes the straight line in code space "
               "from your picture to the clicked image or the last pin.")
    _pad(context, projection, method)


@st.fragment
def _pad(context, projection, method: str):
    ref, state = context.ref, st.session_state
    parts = caches.pad_parts(ref, method, projection.points)
    key = f"{ref.stamp}-{ref.dataset}-{method}"
    message = latent_pad.pack(key, big_map.base_key(ref.stamp, ref.dataset, method), map_method=method, **parts)
    component_key = f"pad-{key}"
    opened, release = latent_pad.latent_pad(message, key=component_key, on_sampler=lambda: sidebar.send_to_sampler(
        context, (state.get(component_key) or {}).get("sampler"), "your picture on the Latent map"))
    answer = state.setdefault(f"pad-answer-{key}", {"key": key})
    if opened and opened.get("id") != (answer.get("opened") or {}).get("id"):
        answer["opened"] = convert(opened, context)
    if release and method in REFINERS:
        answer["refined"] = refine(release, context, method, projection.points)
    pad_reply.pad_reply(answer, key=f"pad-reply-{key}")
    sidebar.follow_to_sampler()  # in the fragment: a press reruns only it
