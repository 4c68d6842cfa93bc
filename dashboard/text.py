"""Data as text in Streamlit's Markdown: `md(value)` for every string a user or a file supplies.

st.markdown, st.caption, st.info and the other messages, and widget labels, read their text as Markdown: a
class folder named `**bold**`, `[link](http://x)`, `<b>b</b>` or `$x$` would be drawn as bold text, a link,
or LaTeX. `md` backslash-escapes every character Markdown (and Streamlit's `$` maths and `:colour[...]`
directives) gives a meaning, so the name shows as typed. Plain Python, no Streamlit: unit-tested directly.
"""

import re

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that start or end a construct
# (emphasis, code, links, images, HTML, headings, lists, tables, strikethrough) or Streamlit's maths ($) and
# directives (:red[...], :material/icon:).
SPECIALS = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:&])")


def md(value) -> str:
    """`value` as text that Markdown shows as typed: its specials backslash-escaped, line breaks as spaces (a
    name never opens a new paragraph, heading or list)."""
    text = str(value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return SPECIALS.sub(r"\\\1", text)
