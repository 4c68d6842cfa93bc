"""Data is text, never markup (issue #34): `dashboard.text.md` escapes what a user or a file supplies, and the
pages pass class names through it, so a class folder named `**bold**` shows as typed.

`md` is checked against a CommonMark renderer (markdown-it, which Streamlit's own dependency rich brings): the
escaped name renders to exactly the name, HTML-escaped, in one paragraph, with no tag of its own.
"""

import html

import pytest
from markdown_it import MarkdownIt

from dashboard.text import md

HOSTILE = ["**bold**", "<b>b</b>", "[link](http://x)", "$x$", "_under_", "`code`", "# heading", "- item", "1. first",
           "2) second", "+ plus", "> quoted", "***", "~~struck~~", ":red[red]", "![img](x.png)", "&amp;", "back\\slash",
           "<img src=x onerror=alert(1)>", "http://example.com", "    indented code"]
GFM_ONLY = {"www.example.com": "www\\.example.com", "me@example.com": "me\\@example.com", "a | b": "a \\| b"}
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.mark.parametrize("name", HOSTILE)
def test_an_escaped_name_renders_as_typed(name):
    assert RENDERER.render(md(name)) == f"<p>{html.escape(name.strip(), quote=False)}</p>\n"


@pytest.mark.parametrize("name, escaped", GFM_ONLY.items())
def test_what_github_markdown_would_link_or_tabulate_is_escaped_too(name, escaped):
    """Streamlit's Markdown is GitHub's: a bare www. address or e-mail becomes a link, pipes a table."""
    assert md(name) == escaped and RENDERER.render(md(name)) == f"<p>{html.escape(name)}</p>\n"


@pytest.mark.parametrize("name", HOSTILE)
def test_unescaped_it_would_have_been_markup(name):
    """The other half: these names do mean something to Markdown (or Streamlit's $ and :colour[]), so the test
    above is not passing on harmless strings."""
    rendered = RENDERER.render(name)
    assert rendered != f"<p>{html.escape(name, quote=False)}</p>\n" or any(mark in name for mark in "$:\\")


def test_plain_words_and_numbers_keep_their_letters():
    for plain in ("T-shirt/top", "notes.png", "PSNR 19.5 dB"):
        assert md(plain) == plain
    assert md(3) == "3" and md("#12 Ankle boot") == "\\#12 Ankle boot"
    assert RENDERER.render(md("Ankle boot")) == "<p>Ankle boot</p>\n"


def test_a_line_break_never_starts_a_heading_or_a_list():
    assert RENDERER.render(md("cat\n# dog\n- fish")) == "<p>cat # dog - fish</p>\n"


# ---------------------------------------------------------------- the pages, on a dataset of Markdown class names

MARKDOWN_NAMES = ("**bold**", "<b>b", "[link](http:x)", "$x$")  # class folders: a folder name holds no "/"
PAGES_WITH_CLASS_NAMES = ("feature_maps", "anomaly", "train")


@pytest.fixture(scope="module")
def markdown_store(tmp_path_factory):
    """A store with the dataset `names` (photo crops in class folders named like Markdown) and a conv model trained
    on it without its first class, so pages show class names in captions, warnings and cards."""
    from owndata_sources import photo_crops, write_photo_zip

    from aecore.data import owndata
    from aecore.store.modelstore import ModelStore
    from aecore.training import trainer

    store = tmp_path_factory.mktemp("markdown-names")
    crops = photo_crops(12)
    archive = write_photo_zip(store.parent / "names.zip", dict(zip(MARKDOWN_NAMES, crops.values())))
    owndata.add("names", archive, owndata.ConversionOptions(size=28, colour=False), store=store)
    dataset = owndata.load("names", store=store)
    config = trainer.TrainConfig(epochs=2, batch_size=8, patience=0, exclude_class=0)
    ModelStore(store).save(trainer.train("conv", dataset, 8, None, config), name="names-conv")
    return store, dataset.class_names


def page_texts(app) -> list[str]:
    """Every Markdown source on the page: markdown, captions, messages, headers, and button labels."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "subheader", "header", "title")
    return [element.value for kind in kinds for element in app.get(kind) if isinstance(element.value, str)] + \
        [button.label for button in app.button]


@pytest.mark.parametrize("page", PAGES_WITH_CLASS_NAMES)
def test_class_names_reach_the_pages_escaped(markdown_store, open_page, page):
    store, class_names = markdown_store
    assert sorted(class_names) == sorted(MARKDOWN_NAMES)  # the folder names, as typed
    app = open_page(page, store, dataset="names", model="names-conv", timeout=180)
    texts = page_texts(app)
    shown = [name for name in MARKDOWN_NAMES if any(md(name) in text for text in texts)]
    assert shown, f"no class name on {page}: {texts}"
    for name in MARKDOWN_NAMES:
        assert not any(name in text for text in texts), f"{name!r} reaches {page} as Markdown"
