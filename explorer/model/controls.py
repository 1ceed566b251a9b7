"""Control and format characters in a stranger's text, made visible (``visible_controls``).

A SavedModel's signature keys, method names, tensor, op, function and asset names are
chosen by whoever wrote it, and so are a TF Serving reply's texts. Shown as they are, a
key holding ``ESC [2J`` clears the terminal that runs ``scan``, a right-to-left override
(U+202E) shows a name backwards, a NUL cuts a line short, and most C0 controls make an SVG
invalid XML. This is the common core every medium uses (``explorer.present.text`` for
HTML, ``explorer.cli.terminal``, the app's ``components/text.py``, the graph's drawing);
it lives with the model layer so the graph can use it too.
"""

from __future__ import annotations

import re

# Unicode's Cc (C0, DEL, C1), Cf (format: bidi overrides, zero-width marks, BOM, tags),
# Zl/Zp (line and paragraph separators) and Cs (lone surrogates, which no terminal can
# print) as of Unicode 15; a test checks it against the running Python's unicodedata.
_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible_controls(text: str, *, keep: str = "") -> str:
    """``text`` with every control or format character written as its escape.

    Args:
        text: any text.
        keep: characters to leave as they are (``"\\n\\t"`` for a block of lines).

    Returns:
        The text, unchanged when it holds none of them (the common case, checked first).
        ``\\n``, ``\\r`` and ``\\t`` are written so; others as ``\\xNN``, ``\\uNNNN`` or
        ``\\UNNNNNNNN``. Backslashes already in the text are left alone: this is for
        reading, not a reversible encoding.
    """
    if text.isprintable():
        return text
    return _CONTROLS.sub(lambda m: _escape(m.group(), keep), text)


def _escape(char: str, keep: str) -> str:
    if char in keep:
        return char
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
