"""The frame slider (dashboard/components/frame_slider): what it sends the browser, on real digits.

Each row's frames travel as one PNG sheet, stacked top to bottom, which the script cuts by the row's width and height;
here the sheets are decoded with Pillow and cut the same way. Labels and captions go as typed: the script sets them
with textContent, so a name with markup in it shows as text (tests/browser/test_2_explore_flows.py drags it).
"""

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dashboard.components import frame_slider

HOSTILE = '<img src=x onerror="window.__pwned=1"> & <b>bold</b>'
SCRIPT = Path(frame_slider.__file__).with_name("frame_slider.js")


def decoded(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))), dtype=np.float32) / 255


@pytest.fixture(scope="module")
def sweep(digits):
    """Three digits at 5 levels of salt noise, and the clean three: (noisy (5, 3, 8, 8, 1), clean (1, 3, 8, 8, 1))."""
    clean = digits.x_test[:3]
    generator = np.random.default_rng(0)
    noisy = np.stack([np.where(generator.random(clean.shape) < level, 1.0, clean) for level in np.linspace(0, 1, 5)])
    return noisy.astype(np.float32), clean[None].astype(np.float32)


def test_each_row_sends_its_frames_once_as_one_sheet_cut_by_its_size(sweep):
    noisy, clean = sweep
    steps = [f"{level:.2f}" for level in np.linspace(0, 1, 5)]
    captions = [f"level {step}: {index} of 5" for index, step in enumerate(steps)]
    rows = [("noisy input", noisy[:, 1]), ("clean", clean[:, 1])]  # one digit a row: (frames, 8, 8, 1)
    data = frame_slider.payload(steps, rows, captions, start=2, step_name="noise level")
    assert data["steps"] == steps and data["captions"] == captions and data["start"] == 2
    assert data["step_name"] == "noise level" and [row["label"] for row in data["rows"]] == ["noisy input", "clean"]
    first, second = data["rows"]
    assert (first["frames"], first["width"], first["height"]) == (5, 8, 8) and second["frames"] == 1
    sheet = decoded(first["sheet"])
    assert sheet.shape == (5 * 8, 8)  # 8-bit grey PNG: the frames top to bottom
    for step in range(5):
        np.testing.assert_allclose(sheet[step * 8:(step + 1) * 8], noisy[step, 1, :, :, 0], atol=0.5 / 255 + 1e-6)
    np.testing.assert_allclose(decoded(second["sheet"]), clean[0, 1, :, :, 0], atol=0.5 / 255 + 1e-6)
    assert not np.allclose(sheet[:8], sheet[-8:])  # level 0 and level 1 differ: each step is its own frame


def test_labels_and_captions_with_markup_go_as_typed_and_the_script_sets_them_as_text(sweep):
    noisy, _ = sweep
    data = frame_slider.payload(["0", "1"], [(HOSTILE, noisy[:2, 0])], [HOSTILE, "plain"])
    assert data["rows"][0]["label"] == HOSTILE and data["captions"][0] == HOSTILE  # not escaped: shown as typed
    script = SCRIPT.read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert script.count(".textContent = ") >= 3  # the caption, the step's value, each row's label


def test_a_sheet_is_the_frames_top_to_bottom():
    stack = np.arange(2 * 3 * 4 * 1, dtype=np.float32).reshape(2, 3, 4, 1)
    np.testing.assert_array_equal(frame_slider.sheet(stack), np.concatenate([stack[0], stack[1]]))


def test_bad_rows_captions_and_start_say_what_to_give(sweep):
    noisy, clean = sweep
    steps = ["0", "0.25", "0.5", "0.75", "1"]
    with pytest.raises(ValueError, match=r"row 'noisy' has pictures shaped \(3, 8, 8, 1\): expected .* 5 frames"):
        frame_slider.payload(steps, [("noisy", noisy[:3, 0])], steps)  # 3 frames for 5 steps
    with pytest.raises(ValueError, match=r"row 'flat' has pictures shaped \(8, 8, 1\): expected \(frames, h, w, c\)"):
        frame_slider.payload(steps, [("flat", clean[0, 0])], steps)
    with pytest.raises(ValueError, match="4 captions for 5 steps: give one caption per step"):
        frame_slider.payload(steps, [("clean", clean[:, 0])], steps[:4])
    with pytest.raises(ValueError, match=r"start step 5 is outside the 5 steps \(0 to 4\)"):
        frame_slider.payload(steps, [("clean", clean[:, 0])], steps, start=5)
