"""Data as text in Streamlit's Markdown: `md(value)` for every string a user or a file supplies.

st.markdown, st.caption, st.info and the other messages, image captions and widget labels read their text as
Markdown: a class folder named `**bold**`, `[link](http://x)`, `<b>b</b>` or `$x$` would be drawn as bold text,
a link, or LaTeX. `md` backslash-escapes what gives a character a meaning, so the name shows as typed, and leaves
the rest alone (`T-shirt/top`, `notes.png` and `19.5` read the same in the page's source as on the page).
Plain Python, no Streamlit: unit-tested directly against a CommonMark renderer.
"""

import re

# Anywhere in a line: emphasis, code, links and images, HTML and autolinks, tables, strikethrough, entities,
# e-mail autolinks, Streamlit's maths ($) and its :material/icon: and :colour[...] directives.
ANYWHERE = re.compile(r"([\\`*_\[\]<>|~&@$:])")
# Only at the start of a line (where a value may land): headings, block quotes, lists, thematic breaks,
# setext underlines; and an ordered list's "1." or "1)".
LINE_START = re.compile(r"^([#>+=-])")
ORDERED = re.compile(r"^(\d{1,9})([.)])")
WWW = re.compile(r"(?i)\b(www)\.")  # GFM links a bare www.example.com


def md(value) -> str:
    """`value` as text that Markdown shows as typed: its specials backslash-escaped, line breaks as spaces and no
    leading or trailing blanks (a name never opens a paragraph, a heading, a list or a code block)."""
    text = " ".join(str(value).splitlines()).strip()
    text = ANYWHERE.sub(r"\\\1", text)
    text = ORDERED.sub(r"\1\\\2", LINE_START.sub(r"\\\1", text))
    return WWW.sub(r"\1\\.", text)
