"""User text shown as typed, never as markup.

Class names come from a student's zip folders, CSV cells or a loaded model file; file names and
grid cells are typed by the student. Streamlit's Markdown turns such text into emphasis, links,
images (`![](http://...)` loads a remote picture), LaTeX (`$...$`), colours (`:red[...]`) and bare
URLs into links; Plotly's text turns `<a href=...>`, `<b>` and `<br>` into HTML.

`markdown_text` backslash-escapes every ASCII punctuation character (CommonMark allows exactly
that, and the escaped text shows unchanged) and turns line breaks into spaces, so no block syntax
can start. `plotly_text` escapes `&`, `<` and `>`, which Plotly shows as the characters again.
"""
from __future__ import annotations

import html
import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c]+")


def markdown_text(text: object) -> str:
    """`text` for st.markdown/caption/error/success: shows exactly as typed, on one line."""
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))


def markdown_list(texts) -> list[str]:
    """markdown_text of each item."""
    return [markdown_text(text) for text in texts]


def plotly_text(text: object) -> str:
    """`text` for Plotly titles, tick labels and annotations: no HTML tag survives."""
    return html.escape(str(text), quote=False)


def plotly_list(texts) -> list[str]:
    """plotly_text of each item."""
    return [plotly_text(text) for text in texts]
