"""Waiting helpers for the browser tests: every check waits for what it asserts, with a deadline.

A fixed sleep before a read made the suite fail about one run in four (issue #10): a chart's caption had
arrived, the chart not yet. These poll until the condition holds and fail with what was last seen.
"""

import io
import time

import numpy as np
from PIL import Image


def pixels(locator) -> np.ndarray:
    """The element's screenshot as grey values (h, w), 0..255."""
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), dtype=float)


def wait_until(check, timeout: float = 30, interval: float = 0.25, what: str = "the condition"):
    """Calls `check()` until it returns a truthy value (returned); fails after `timeout` seconds."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        try:
            last = check()
        except Exception as error:  # noqa: BLE001  an element mid-rerender; try again until the deadline
            last = error
        if isinstance(last, np.ndarray) or (last and not isinstance(last, Exception)):  # an array is a result
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; last seen: {last!r}")
        time.sleep(interval)


def drawn_pixels(locator, min_std: float = 10, timeout: float = 60) -> np.ndarray:
    """The element's pixels once it shows a picture (grey-level spread above `min_std`), not a blank box."""
    locator.wait_for(timeout=timeout * 1000)

    def picture():
        found = pixels(locator)
        return found if found.std() > min_std else None

    return wait_until(picture, timeout, 0.5, f"a picture (pixel std > {min_std}) in {locator}")


def changed_pixels(locator, before: np.ndarray, min_change: float = 1, timeout: float = 30) -> np.ndarray:
    """The element's pixels once they differ from `before` by more than `min_change` on average."""

    def changed():
        found = pixels(locator)
        return found if found.shape == before.shape and np.abs(found - before).mean() > min_change else None

    return wait_until(changed, timeout, 0.25, f"{locator} to change")


def pick_model(page, name: str, timeout: float = 120):
    """Picks model `name` in the sidebar (a page otherwise opens on the model it shows best, which depends on what
    earlier tests stored) and waits until the sidebar shows it."""
    import re

    from playwright.sync_api import expect

    box = page.get_by_role("combobox", name="Model", exact=True)
    box.wait_for(timeout=timeout * 1000)
    box.click()
    page.get_by_role("option").filter(has_text=f"{name} ·").first.click()
    expect(box).to_have_value(re.compile(rf"^{re.escape(name)} · "), timeout=timeout * 1000)
