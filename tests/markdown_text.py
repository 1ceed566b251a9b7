"""What a reader sees of a Markdown string, for AppTest assertions on Streamlit elements.

AppTest hands back an element's Markdown source; names from a model are in it escaped
(``components.text``: ``flowers\\_tf1``, ```x:0```). :func:`shown` renders the source as
CommonMark does (markdown-it-py) and returns its text; :func:`markup` lists the elements
the rendering holds, so a test can say no link, image or HTML came out of a model's text;
:func:`streamlit_syntax` finds what Streamlit adds to CommonMark, left unescaped.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

_WORD_JOINER = "\u2060"
_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def shown(source: str) -> str:
    """The text of ``source`` as rendered: escapes resolved, code spans as their text,
    soft line breaks as spaces, hard ones as line breaks, paragraphs one per line."""
    lines: list[str] = []
    for token in _PARSER.parse(source):
        if token.type == "inline":
            lines.append("".join(_text(child) for child in token.children or ()))
        elif token.type in ("code_block", "fence"):
            lines.append(token.content.rstrip("\n"))
    return "\n".join(lines).replace(_WORD_JOINER, "")


def markup(source: str) -> set[str]:
    """The kinds of element the rendering holds beyond text, emphasis and code spans:
    ``link``, ``image``, ``html_inline``, ``html_block``, ``heading``, ``list``, ..."""
    found: set[str] = set()
    for token in _PARSER.parse(source):
        for item in (token, *(token.children or ())):
            kind = item.type.removesuffix("_open").removesuffix("_close")
            if kind not in _PLAIN:
                found.add(kind.replace("bullet_list", "list").replace("ordered_list", "list"))
    return found


def streamlit_syntax(source: str) -> list[str]:
    """Streamlit's own Markdown syntax in ``source`` outside code spans and not escaped:
    ``:red[`` and the other directives, ``$`` (LaTeX), ``:shortcode:`` (emoji, icons)."""
    outside = _CODE_SPAN.sub(" ", source)
    return [m.group() for m in _STREAMLIT.finditer(outside)]


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_STREAMLIT = re.compile(r"(?<!\\)(:[a-z][\w-]*\[|\$|:[\w+-]+:)")
_PLAIN = {"paragraph", "inline", "text", "code_inline", "softbreak", "hardbreak", "strong", "em"}


def _text(token: Token) -> str:
    if token.type == "softbreak":
        return " "
    if token.type == "hardbreak":
        return "\n"
    return token.content if token.type in ("text", "code_inline", "html_inline") else ""
