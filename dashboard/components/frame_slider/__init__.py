"""Pictures of every step of a sweep, switched in the browser (Streamlit components v2; the script is frame_slider.js):
the Restore page's test images at each of its 21 noise levels, noisy, denoised and clean, side by side.

Each row's frames arrive once as one PNG sheet (the frames stacked top to bottom; a row of one frame, such as the
clean images, shows at every step), so the range input under them, dragged or moved with the arrow keys, redraws
every row at once with no rerun. Each step has a caption and each row a label above it, both set as text. The
pictures are drawn on canvases at their own pixels and scaled to the page's width with `image-rendering: pixelated`,
so they stay crisp. Why not Plotly's slider: a fresh tab compiles Plotly's 4.7 MB bundle when its first Plotly
chart arrives, and the page's pictures waited for it (bench/RESULTS.md, "Restore's first open, session 18").
"""

import numpy as np

from dashboard import components, plots

SCRIPTS = ("frame_slider.js",)  # this folder's, in order
SHARED_SCRIPTS = ()  # from components/shared/
_component = components.declare(__file__, SCRIPTS, SHARED_SCRIPTS)


def sheet(stack: np.ndarray) -> np.ndarray:
    """(frames, h, w, c) -> (frames * h, w, c): the frames top to bottom, as the script cuts them."""
    stack = np.asarray(stack)
    return stack.reshape((stack.shape[0] * stack.shape[1],) + stack.shape[2:])


def payload(steps: list[str], rows: list[tuple[str, np.ndarray]], captions: list[str], start: int = 0,
            step_name: str = "step") -> dict:
    """The slider's message. `steps`: each step's value as shown ("0.25"); `rows`: [(label, (frames, h, w, c) pictures
    in [0, 1])], each with one frame per step or a single frame shown at every step; `captions`: one per step;
    `start`: the step it opens on; `step_name`: what a step is, before its value under the slider ("noise level")."""
    if len(captions) != len(steps):
        raise ValueError(f"{len(captions)} captions for {len(steps)} steps: give one caption per step")
    if not 0 <= start < len(steps):
        raise ValueError(f"start step {start} is outside the {len(steps)} steps (0 to {len(steps) - 1})")
    shown = []
    for label, stack in rows:
        stack = np.asarray(stack)
        if stack.ndim != 4 or stack.shape[0] not in (1, len(steps)):
            raise ValueError(f"row {label!r} has pictures shaped {stack.shape}: expected (frames, h, w, c) with "
                             f"{len(steps)} frames, one per step, or 1 frame shown at every step")
        shown.append({"label": str(label), "sheet": plots.data_uri(sheet(stack)), "frames": int(stack.shape[0]),
                      "width": int(stack.shape[2]), "height": int(stack.shape[1])})
    return {"steps": [str(step) for step in steps], "captions": [str(caption) for caption in captions],
            "start": int(start), "step_name": str(step_name), "rows": shown}


def frame_slider(steps: list[str], rows: list[tuple[str, np.ndarray]], captions: list[str], start: int = 0,
                 step_name: str = "step", key: str = "frame_slider"):
    """Draws the slider (see payload). The key keeps the step the user left it at across reruns: new pictures with
    as many steps (another noise kind or seed) open at that step, so the two can be compared."""
    _component(data=payload(steps, rows, captions, start, step_name), key=key)
