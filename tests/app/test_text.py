"""components/text.py: any text, put in Markdown, reads back as itself and as nothing else."""

from __future__ import annotations

import pytest

from components.text import md_code, md_text, plain
from tests.hostile_text import NODE_PAYLOAD, PAYLOAD
from tests.markdown_text import markup, shown, streamlit_syntax

TEXTS = [
    "plain_name:0",
    "a`b``c",
    "`starts and ends`",
    " spaced ",
    "   ",
    "x:material/home: and :material_home:",
    "# heading\n- item\n1. item\n> quote\n    indented\n\n===\n---",
    "www.example.com http://example.com/a mailto:a@b.com a@b.com",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "*em* _em_ **strong** ~~gone~~ | cell | <br> &amp; &#x41; [^1] [x]: http://y",
    ":red[r] :blue-background[b] :green-badge[g] :small[s] :streamlit: :smile: $x$ $$y$$",
]


@pytest.mark.parametrize("text", [*TEXTS, PAYLOAD, NODE_PAYLOAD])
def test_md_code_reads_back_literally(text: str) -> None:
    source = md_code(text)
    assert shown(source) == plain(text)
    assert markup(source) == set()
    assert streamlit_syntax(source) == []


@pytest.mark.parametrize("text", [*TEXTS, PAYLOAD, NODE_PAYLOAD])
def test_md_text_reads_back_literally(text: str) -> None:
    source = md_text(text)
    # Line breaks stay (hard breaks); spaces at a line's ends are Markdown's to drop.
    expected = [plain(line).strip(" ") for line in text.rstrip("\n").split("\n")]
    assert [line.strip(" ") for line in shown(source).split("\n")] == expected
    assert markup(source) == set()
    assert streamlit_syntax(source) == []


def test_names_without_markdown_are_left_as_they_are() -> None:
    assert md_text("classify_images") == "classify\\_images"  # escaped, reads the same
    assert md_code("classify_images") == "`classify_images`"
    assert plain("classify_images") == "classify_images"
    assert md_code("") == ""
