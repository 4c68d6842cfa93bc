"""Data is text, never markup (issue #34): a dataset whose class folders are named like HTML, opened on every page.

A class folder named `<img src=x onerror=...>` used to run its script in every visitor's browser on the Latent map and
the Latent sampler, whose legends were built with innerHTML. Here a zip with such folders is added as a user's dataset,
two small models are trained on it, and every page is opened in Chromium: no script runs, no element is made from a
name, and the names show as typed.
"""


import numpy as np
import pytest
from owndata_sources import photo_crops, write_photo_zip
from playwright.sync_api import expect

from scripts import serve

# Each sets window.__pwned if it ever becomes markup; none may. The last is Markdown: bold, a link and LaTeX if it
# ever reached st.markdown or a caption unescaped (dashboard.text.md).
MARKDOWN = "**bold** [link](x) $x$"
HOSTILE = ('<img src=x onerror="window.__pwned=1">', "<svg onload=window.__pwned=2>",
           "<b onmouseover=window.__pwned=3>bold & co", MARKDOWN)  # a folder name holds no "/", so no closing tags
PAGES = ("", "train", "datasets", "reconstructions", "feature_maps", "latent_map", "timeline", "latent_sampler",
         "denoise", "anomaly")
SHOWN_ON = {"latent_map": HOSTILE, "latent_sampler": HOSTILE, "timeline": HOSTILE}  # legends of class names


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A store with the hostile dataset and a conv model and a 2-D VAE trained on it, served on its own port."""
    from aecore.data import owndata
    from aecore.data.ownconvert import ConversionOptions
    from aecore.store.modelstore import ModelStore
    from aecore.training import trainer

    store = tmp_path_factory.mktemp("hostile-store")
    crops = photo_crops(12)
    archive = write_photo_zip(store.parent / "hostile.zip", {name: crops[photo] for name, photo in
                                                             zip(HOSTILE, ("astronaut", "coffee", "camera", "chelsea"))})
    owndata.add("hostile", archive, ConversionOptions(size=28, colour=True), store=store)
    dataset = owndata.load("hostile", store=store)
    config = trainer.TrainConfig(epochs=3, batch_size=8, patience=0)
    for family, latent in (("conv", 8), ("vae", 2)):
        ModelStore(store).save(trainer.train(family, dataset, latent, None, config), name=f"hostile-{family}")
    process, url = serve.start(store, dataset="hostile")
    yield url, int(np.argmax(dataset.y_test == dataset.class_names.index(MARKDOWN)))  # its first test image
    serve.stop(process)


def test_names_like_html_show_as_text_on_every_page(hostile_server, page):
    hostile_server, _ = hostile_server
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for name in PAGES:
        page.goto(f"{hostile_server}/{name}")
        sidebar = page.locator("section[data-testid=stSidebar]")
        expect(sidebar.get_by_role("combobox", name="Dataset")).to_have_value("hostile", timeout=60_000)
        expect(page.locator("[data-testid=stStatusWidget]")).to_be_hidden(timeout=120_000)  # the script has run
        for shown in SHOWN_ON.get(name, ()):
            expect(page.get_by_text(shown, exact=True).first).to_be_visible(timeout=180_000)  # the map waits for its job
        assert page.evaluate("() => window.__pwned") is None, f"a class name ran as a script on /{name}"
        assert page.locator("img[src=x], svg[onload], b[onmouseover]").count() == 0, f"a name became markup on /{name}"
        assert dialogs == []


def test_a_markdown_name_shows_as_typed_in_the_feature_maps_caption(hostile_server, page):
    url, index = hostile_server
    page.goto(f"{url}/feature_maps")
    expect(page.locator("[data-testid=stStatusWidget]")).to_be_hidden(timeout=120_000)
    field = page.get_by_role("spinbutton", name="Test image")
    field.fill(str(index))
    field.press("Enter")
    caption = page.locator("[data-testid=stCaptionContainer]", has_text=f"Image #{index} ")
    expect(caption).to_contain_text(f"Image #{index} {MARKDOWN} · conv model", timeout=60_000)  # as typed
    assert caption.locator("strong, a, .katex").count() == 0  # no bold, no link, no maths made of it
