"""Model text in Streamlit's Markdown: shown literally, never read as Markdown or HTML.

Most of Streamlit's text elements read Markdown — ``st.markdown``, ``st.caption``, the
alerts (``st.info`` … ``st.error``), ``st.table``'s cells, and every widget's label, tab
and expander label, radio option and ``help`` tooltip — and Streamlit adds its own syntax
on top of GitHub's: ``:red[…]`` colours, ``$…$`` LaTeX, ``:smile:`` emoji,
``:material/…:`` icons, ``:streamlit:``, and ``->`` / ``<=`` arrows; GitHub's Markdown
turns a bare ``www.`` or ``https://`` text into a link. A key written as
``[x](https://…) ![](https://…)`` would otherwise become a link and an image the viewer's
browser fetches. Two helpers, one per use:

- :func:`md_code` — a name (signature key, method name, tensor, op, function or asset
  name): an inline code span, in which Markdown reads nothing at all (measured in
  chromium: links, images, emoji, colours, LaTeX, arrows and autolinks stay text).
- :func:`md_text` — model text inside a sentence (an error message quoting names): the
  punctuation Markdown reads, backslash-escaped (CommonMark's rule: an escaped
  punctuation character is a literal), plus an invisible word joiner (U+2060) inside the
  few patterns Streamlit rewrites after escapes are read (``://``, ``www.``, ``@`` of an
  e-mail address, ``:streamlit:``, ``:material…``, the arrows).

Elements that never read Markdown (``st.text``, ``st.code``, ``st.json``,
``st.dataframe`` cells and headers, ``st.selectbox``/``st.multiselect`` options) need
neither; :func:`plain` only writes their control characters as escapes, so a
right-to-left override cannot show a name backwards there. All three write control
characters as escapes (``\\x1b``), as everywhere the explorer shows a stranger's text
(``explorer.present.text``).
"""

from __future__ import annotations

import re

from explorer.present.text import visible_controls

# CommonMark: "Any ASCII punctuation character may be backslash-escaped" (and is then a
# literal). Escaped everywhere: what opens or closes inline syntax (code, emphasis,
# strikethrough, links and images, HTML, entities, LaTeX, Streamlit's :directives[] and
# :shortcodes:, table cells); at a line's start also what opens a block (lists,
# headings, setext underlines, ordered lists' "1." or "1)").
_INLINE = re.compile(r"([\\`*_~\[\]<>&$:|])")
_LINE_START = re.compile(r"^([ \t]*)(?:([-+#=])|(\d+)([.)]))", re.MULTILINE)
_WORD_JOINER = "\u2060"
# Patterns Streamlit's Markdown rewrites in text *after* escapes are resolved (GitHub's
# autolink literals, its :streamlit: logo and :material_…: icons, its typographic
# arrows), matched on the text before escaping; a word joiner inside breaks each one.
_REWRITTEN = re.compile(
    r"(?<=:)(?=//|streamlit:|material)|(?<=www)(?=\.)|(?<=@)(?=[-\w])"
    r"|(?<=<)(?=->?)|(?<=-)(?=[->])|(?<=[<>~])(?==)",
    re.IGNORECASE,
)
_BACKTICKS = re.compile(r"`+")


def md_code(text: str) -> str:
    """``text`` as an inline code span: shown literally, in the code font.

    Line breaks and other control characters are written as escapes (a blank line
    would end the span's paragraph). The fence is one backtick longer than the longest
    run inside, and padded with a space where CommonMark strips one. Streamlit rewrites
    ``:material/`` before reading Markdown, even in code: that one is split out of the
    span, as an escaped slash.
    """
    pieces = visible_controls(text).split(":material/")
    # Each span but the last ends with ":material"; the "/" after it is escaped text.
    spans = [_span(piece + ":material" * (n < len(pieces) - 1)) for n, piece in enumerate(pieces)]
    return "\\/".join(spans)


def md_text(text: str) -> str:
    """``text`` for a Markdown sentence: every character shown as it is, nothing read as
    Markdown. Line breaks stay line breaks (CommonMark's backslash hard break, so the text
    stays one paragraph: no blank line can start a code block); other control characters
    are written as escapes."""
    shown = visible_controls(text.rstrip("\n"), keep="\n")
    joined = _REWRITTEN.sub(_WORD_JOINER, shown)
    escaped = _LINE_START.sub(_escape_block_start, _INLINE.sub(r"\\\1", joined))
    return escaped.replace("\n", "\\\n")


def _escape_block_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{delimiter}"


def plain(text: str) -> str:
    """``text`` for an element that shows text as it is (a table cell, a picker's option):
    control and format characters written as escapes, nothing else changed."""
    return visible_controls(text)


def _span(text: str) -> str:
    if not text:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end when both ends have one: pad so the
    # text's own spaces (and a backtick at an end) survive.
    pad = " " if text[0] == "`" or text[-1] == "`" or (text[0] == text[-1] == " ") else ""
    if not text.strip(" "):
        pad = ""  # all spaces: CommonMark keeps them as they are
    return f"{fence}{pad}{text}{pad}{fence}"
