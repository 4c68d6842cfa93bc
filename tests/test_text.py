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
           "~~struck~~", ":red[red]", "![img](x.png)", "&amp;", "back\\slash", "<img src=x onerror=alert(1)>"]
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.mark.parametrize("name", HOSTILE)
def test_an_escaped_name_renders_as_typed(name):
    assert RENDERER.render(md(name)) == f"<p>{html.escape(name, quote=False)}</p>\n"


@pytest.mark.parametrize("name", HOSTILE)
def test_unescaped_it_would_have_been_markup(name):
    """The other half: these names do mean something to Markdown (or Streamlit's $ and :colour[]), so the test
    above is not passing on harmless strings."""
    rendered = RENDERER.render(name)
    assert rendered != f"<p>{html.escape(name, quote=False)}</p>\n" or any(mark in name for mark in "$:\\")


def test_plain_words_and_numbers_keep_their_letters():
    assert md("T-shirt/top") == "T\\-shirt/top"
    assert md(3) == "3"
    assert RENDERER.render(md("Ankle boot")) == "<p>Ankle boot</p>\n"


def test_a_line_break_never_starts_a_heading_or_a_list():
    assert RENDERER.render(md("cat\n# dog\n- fish")) == "<p>cat # dog - fish</p>\n"
