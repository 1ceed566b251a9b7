"""The notebook views and the run report on a hostile model: its names are text, not markup."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.present import report
from explorer.present.html import meta_graph_html, model_html, signature_html
from tests.hostile_text import LITERALS, HostileTextModel, build_hostile_text_model, raw_controls


class _Page(HTMLParser):
    """The tags an HTML page holds and the text a reader sees."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[HostileTextModel, ModelInfo]:
    names = build_hostile_text_model(tmp_path_factory.mktemp("hostile_html"))
    return names, read_model(names.path)


def _assert_text_only(html: str) -> str:
    page = _Page(html)
    assert not [t for t, _ in page.tags if t in ("img", "a", "script", "iframe", "image")]
    fetched = ("src", "href", "xlink:href", "srcset", "style", "background")
    assert not [v for _, attrs in page.tags for k, v in attrs.items() if k in fetched and v]
    text = "".join(page.text)
    assert raw_controls(text) == []
    return text


def test_notebook_views_show_names_as_text(hostile: tuple[HostileTextModel, ModelInfo]) -> None:
    names, model = hostile
    meta_graph = model.meta_graphs[0]
    for html in (
        model_html(model),
        meta_graph_html(meta_graph),
        signature_html(meta_graph.signature(names.key)),
    ):
        text = _assert_text_only(html)
        for literal in LITERALS:
            assert literal in text
        assert "key\\x1b[2J\\x1b[31mRED" in text


def test_the_report_shows_names_and_answers_as_text(tmp_path: Path) -> None:
    hostile_label = "<img src=https://evil.example/r.png>\x1b[2J[x](https://evil.example/x)"
    response = {"results": [[[hostile_label, 0.9], ["b", 0.1]]]}
    page = report.render_report_html(
        "model" + hostile_label,
        1,
        "key" + hostile_label,
        "classify",
        {"examples": [{hostile_label: 1.0}]},
        response,
        None,
        datetime(2025, 1, 2, tzinfo=UTC),
        report.classify_chart_svg(response),
        report.request_table("classify", {"examples": [{hostile_label: 1.0}]}),
        report.response_table("classify", response),
        notes=(hostile_label,),
    )
    text = _assert_text_only(page)
    assert "<img src=https://evil.example/r.png>\\x1b[2J[x](https://evil.example/x)" in text
