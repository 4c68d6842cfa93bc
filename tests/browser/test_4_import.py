"""Bring your own model, in a real Chromium: a write-up-style conv autoencoder saved by a notebook is uploaded
on Train / load, inspected, imported, and its Latent map opens.

Runs after the other browser files on the same server; needs Fashion-MNIST (28x28) for the dataset.
"""

import re
from pathlib import Path

import pytest
from notebook_models import writeup_conv
from playwright.sync_api import expect

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def writeup_conv_file(folder: Path) -> Path:
    """The write-up's conv autoencoder, saved as a notebook would (untrained)."""
    path = folder / "writeup_conv.keras"
    writeup_conv().save(path)
    return path


def test_import_a_writeup_conv_model_and_open_its_latent_map(server, page, tmp_path):
    if not FASHION_DIR.is_dir():
        pytest.skip("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
    path = writeup_conv_file(tmp_path)
    page.goto(f"{server['url']}/train")
    page.get_by_text("Import a .keras file (bring your own model)").click()
    uploader = page.locator("[data-testid=stFileUploader]").filter(has_text="The autoencoder, or its encoder")
    uploader.locator("input[type=file]").set_input_files(str(path))
    expect(uploader.get_by_role("button", name="Remove writeup_conv.keras")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Inspect").click()
    found = page.locator("[data-testid=stAlert]").filter(has_text="from layer")
    expect(found).to_contain_text("code (4, 4, 8)", timeout=90_000)
    bottleneck = page.get_by_role("combobox", name="Bottleneck: the layer whose output is the code")
    bottleneck.click()
    page.get_by_role("option").filter(has_text="encoded").first.click()  # the write-up's own code layer
    expect(bottleneck).to_have_value(re.compile("^encoded"), timeout=30_000)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported as writeup_conv").first).to_be_visible(timeout=120_000)
    assert (server["store"] / "writeup_conv" / "model.keras").is_file()
    page.get_by_role("button").filter(has_text="Explore writeup_conv on fashion_mnist").click()
    sidebar = page.locator("section[data-testid=stSidebar]")
    expect(sidebar.get_by_role("combobox", name="Model")).to_have_value(re.compile("^writeup_conv "), timeout=60_000)
    sidebar.locator("[data-testid=stSidebarNavLink]").filter(has_text="Latent map").first.click()
    expect(page.get_by_role("heading", name="Latent map")).to_be_visible(timeout=60_000)
    dataset = sidebar.get_by_role("combobox", name="Dataset")
    dataset.click()  # the sidebar's dataset is kept per page today (the server starts on digits): pick it again
    page.get_by_role("option", name="fashion_mnist", exact=True).click()
    expect(dataset).to_have_value("fashion_mnist", timeout=30_000)
    expect(sidebar.get_by_role("combobox", name="Model")).to_have_value(re.compile("^writeup_conv "), timeout=60_000)
    root = page.locator(".bigmap")  # every image of the dataset: a map job encodes all 70,000 first
    root.wait_for(timeout=300_000)
    page.wait_for_function("r => Number(r.dataset.frames) > 0 && Number(r.dataset.count) === 70000",
                           arg=root.element_handle(), timeout=60_000)
    expect(page.locator("[data-testid=stMetric]").filter(has_text="Code size")).to_contain_text(
        "128", timeout=60_000)  # the code, 4x4x8, flattened
