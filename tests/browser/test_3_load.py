"""Eight browser sessions explore the same cached model at once while one of them trains (issue #6, load).

Session 0 starts a training on the Train page, then explores like the others while the model trains.

Each session picks its own test images on the Feature maps page and must see exactly those images: the
caption names the image and the BCE printed under the reconstruction matches the BCE computed here for
that image. The interaction times (new index typed -> its picture and score on screen) are written to
bench/out/load.json for bench/RESULTS.md.
"""

import asyncio
import json
import re
import statistics
import threading
import time

import numpy as np
import pytest

from aecore.analysis import metrics
from aecore.data import catalog
from aecore.store import modelstore
from aecore.training import trainer
from scripts import serve

SESSIONS = 8
PICKS = 3  # images each session looks at after its first page
MODEL = "shared-conv"


@pytest.fixture(scope="module")
def load_server(tmp_path_factory):
    """A server whose store already holds one conv model on digits, shared by every session."""
    folder = tmp_path_factory.mktemp("load-store")
    digits = catalog.load_dataset("digits")
    autoencoder = trainer.train("conv", digits, 8, config=trainer.TrainConfig(epochs=15, patience=0))
    modelstore.ModelStore(folder).save(autoencoder, MODEL)
    process, url = serve.start(folder, dataset="digits")
    bce = metrics.binary_cross_entropy(digits.x_test, autoencoder.reconstruct(digits.x_test))
    yield {"url": url, "store": folder, "bce": bce}
    serve.stop(process)


async def new_page(browser):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)  # 2 cores serve 9 tabs, a training and Chromium itself
    return context, await context.new_page()


async def explore(browser, url, session, expected_bce, timings, problems):
    context, page = await new_page(browser)
    try:
        if session == 0:  # this session starts a training first, then explores like the others
            await start_training(page, url, timings)
        started = time.perf_counter()
        await page.goto(f"{url}/feature_maps")
        await page.get_by_text("Feature maps of the conv layers").wait_for(timeout=180_000)
        timings["first page"].append(time.perf_counter() - started)
        # The sidebar preselects the newest model, which may already be the one training meanwhile.
        await page.locator("section[data-testid=stSidebar] [data-testid=stSelectbox]").nth(1).click()
        await page.get_by_role("option").filter(has_text=f"{MODEL} ·").first.click()
        await page.get_by_text("Feature maps of the conv layers").wait_for(timeout=120_000)
        field = page.get_by_label("Test image", exact=True)
        for pick in range(PICKS):
            index = 1 + session * PICKS + pick  # every session its own images
            started = time.perf_counter()
            await field.fill(str(index))
            await field.press("Enter")
            try:
                await page.get_by_text(f"original #{index} ").first.wait_for(timeout=120_000)
            except Exception:
                await page.screenshot(path=f"/tmp/load-fail-{session}.png", full_page=True)
                raise AssertionError(f"session {session}: image {index} never showed; the input holds {await field.input_value()!r}")
            shown = await shown_bce(page, expected_bce[index])
            timings["pick an image"].append(time.perf_counter() - started)
            if abs(shown - expected_bce[index]) > 0.0006:
                problems.append(f"session {session} image {index}: BCE {shown} shown, {expected_bce[index]:.4f} expected")
        if await page.locator("[data-testid=stException]").count():
            problems.append(f"session {session}: " + await page.locator("[data-testid=stException]").first.inner_text())
    finally:
        await context.close()


async def shown_bce(page, expected, timeout=60):
    """The BCE under the reconstruction once it is this image's (the caption renders just after the title)."""
    caption = page.locator("[data-testid=stCaptionContainer]").filter(has_text="BCE ").first
    deadline, shown = time.perf_counter() + timeout, None
    while time.perf_counter() < deadline:
        shown = float(re.search(r"BCE (\d\.\d+)", await caption.inner_text()).group(1))
        if abs(shown - expected) <= 0.0006:
            break
        await asyncio.sleep(0.1)
    return shown


async def start_training(page, url, timings):
    started = time.perf_counter()
    await page.goto(f"{url}/train")
    await page.get_by_text("Start training").wait_for(timeout=180_000)
    await page.get_by_label("Name (optional)").fill("trained-under-load")
    await page.get_by_text("Start training").click()
    await page.get_by_text("Training conv on digits").first.wait_for(timeout=120_000)
    timings["start a training"].append(time.perf_counter() - started)


async def run_sessions(launch_options, url, expected_bce):
    from playwright.async_api import async_playwright

    timings = {"first page": [], "pick an image": [], "start a training": []}
    problems: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options)
        await asyncio.gather(*(explore(browser, url, session, expected_bce, timings, problems)
                               for session in range(SESSIONS)))
        await browser.close()
    return timings, problems


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * len(ordered))) - 1)]


def test_eight_sessions_each_see_their_own_pictures_while_one_trains(load_server, launch_options):
    outcome = {}

    def drive():
        try:
            outcome["result"] = asyncio.run(run_sessions(launch_options, load_server["url"], load_server["bce"]))
        except Exception as error:  # reported below, in the test's own thread
            outcome["error"] = error

    # Playwright's sync API (the browser fixture) owns this thread's event loop, so the async run gets its own thread.
    worker = threading.Thread(target=drive)
    worker.start()
    worker.join(timeout=900)
    if "error" in outcome:
        raise outcome["error"]
    assert "result" in outcome, "the sessions did not finish within 15 minutes"
    timings, problems = outcome["result"]
    assert not problems, problems
    assert len(timings["pick an image"]) == SESSIONS * PICKS

    deadline = time.time() + 300
    while time.time() < deadline and not (load_server["store"] / "trained-under-load").is_dir():
        time.sleep(1)
    assert (load_server["store"] / "trained-under-load" / "model.keras").is_file(), "the training under load never finished"
    assert modelstore.ModelStore(load_server["store"]).load(MODEL).family == "conv"  # the shared model is untouched

    report = {name: {"n": len(values), "p50_s": round(statistics.median(values), 2),
                     "p95_s": round(percentile(values, 0.95), 2), "max_s": round(max(values), 2)}
              for name, values in timings.items()}
    (serve.ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (serve.ROOT / "bench" / "out" / "load.json").write_text(json.dumps({"sessions": SESSIONS, **report}, indent=1))
    print(json.dumps(report))
    assert np.isfinite([report[name]["p95_s"] for name in report]).all()
