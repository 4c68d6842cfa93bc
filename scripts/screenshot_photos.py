"""docs/photos.png: the Denoise page on a first visit (an empty store, so the shipped photo model), a held-out photo
(coffee) uploaded with σ 25 of noise added, and the classical denoisers at 1:1.

Usage: python scripts/screenshot_photos.py [OUT.png]
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

from aecore.data import photos
from scripts import serve


def main(out: str):
    tmp = tempfile.mkdtemp()
    coffee = next(p for p in photos.load_photos().test if p.name == "coffee").pixels
    Image.fromarray(np.round(coffee * 255).astype(np.uint8)).save(f"{tmp}/coffee.png")
    process, url = serve.start(tempfile.mkdtemp(), dataset="fashion_mnist", env={"AECORE_SHIPPED_MODELS": None})
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=serve.CHROMIUM, args=serve.FLAGS)
            page = b.new_page(viewport={"width": 1400, "height": 2300})
            page.goto(f"{url}/denoise")
            page.get_by_text("Your own photos").wait_for(timeout=120000)
            page.locator(".st-key-photo_upload [data-testid=stFileUploaderDropzoneInput]").set_input_files(f"{tmp}/coffee.png")
            page.locator(".frame[role=slider]").wait_for(timeout=120000)
            slider = page.get_by_role("slider", name="Add noise first (σ, of 255)")
            slider.focus()
            for _ in range(25):
                page.keyboard.press("ArrowRight")
            time.sleep(8)
            page.get_by_text("Compare with classical denoisers").click()
            page.get_by_text("non-local means ·").wait_for(timeout=120000)  # the classical row has landed
            time.sleep(2)
            page.get_by_text("Your own photos").scroll_into_view_if_needed()
            page.screenshot(path=out)
            b.close()
    finally:
        serve.stop(process)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/photos.png")
