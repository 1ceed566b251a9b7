"""A stranger's text shown safely: every control or format character written as an escape."""

from __future__ import annotations

import sys
import unicodedata

from explorer.cli.terminal import terminal_text
from explorer.present.text import html_text, visible_controls

_SHOWN_ESCAPED = ("Cc", "Cf", "Zl", "Zp", "Cs")
# Format controls Unicode 15 added (Egyptian hieroglyphs): escaped before this Python's
# unicodedata (Unicode 14 in 3.11) knows them.
_NEWER_FORMAT = {f"U+{code:04X}" for code in range(0x13439, 0x13440)}


def test_every_control_and_format_character_is_escaped_and_nothing_else() -> None:
    missed, touched = [], []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        escaped = visible_controls(char) != char
        if unicodedata.category(char) in _SHOWN_ESCAPED:
            if not escaped:
                missed.append(f"U+{code:04X}")
        elif escaped:
            touched.append(f"U+{code:04X}")
    assert missed == []
    assert set(touched) <= _NEWER_FORMAT


def test_escapes_read_like_python() -> None:
    text = "a\x1b[2J\r\n\tb\x9b\u202ec\ud800\U000e0041"
    assert visible_controls(text) == "a\\x1b[2J\\r\\n\\tb\\x9b\\u202ec\\ud800\\U000e0041"
    assert visible_controls(text, keep="\n\t") == "a\\x1b[2J\\r\n\tb\\x9b\\u202ec\\ud800\\U000e0041"
    assert visible_controls("plain ünïcode · 名前") == "plain ünïcode · 名前"


def test_html_text_escapes_markup_and_keeps_lines() -> None:
    assert html_text('<img src="x">&\x1b\nline') == "&lt;img src=&quot;x&quot;&gt;&amp;\\x1b\nline"


def test_terminal_text_escapes_line_breaks_in_a_value_but_not_in_a_block() -> None:
    assert terminal_text("key\r\nfake line") == "key\\r\\nfake line"
    assert terminal_text("line 1\n\tline 2\x1b[0m\n", lines=True) == "line 1\n\tline 2\\x1b[0m\n"
