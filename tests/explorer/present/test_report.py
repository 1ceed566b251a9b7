"""The HTML run report: self-contained, escaped, and holding inputs, outputs and timing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from explorer.present.report import (
    ReportTable,
    classify_chart_svg,
    render_report_html,
    report_file_name,
    request_table,
    response_table,
    timing_summary,
)
from explorer.run.result import CallTiming

REQUEST = (
    '{"signature_name": "classify_images", "examples": [{"image": [0.5, 0.25], '
    '"note": "<script>alert(1)</script>"}]}'
)
RESPONSE = '{"results": [[["daisy", 0.2], ["rose", 0.7], ["tulip & co", 0.1]]]}'
TIMING = CallTiming(conversion_ms=3.14, execution_ms=39.2)
CREATED = datetime(2025, 1, 2, 13, 4, 5, tzinfo=UTC)


def _report(**overrides: object) -> str:
    args: dict[str, object] = {
        "model_name": "flowers_tf1",
        "version": 3,
        "signature_key": "classify_images",
        "method": "classify",
        "request_json": REQUEST,
        "response_json": RESPONSE,
        "timing": TIMING,
        "created": CREATED,
        "chart_svg": classify_chart_svg(RESPONSE),
        "inputs_table": request_table("classify", REQUEST),
        "outputs_table": response_table("classify", RESPONSE),
        "url": "http://localhost:8501/v1/models/flowers_tf1/versions/3:classify",
        "tag_set": "serve",
    }
    args.update(overrides)
    return render_report_html(**args)  # type: ignore[arg-type]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_report_holds_model_inputs_outputs_timing_and_exchange() -> None:
    page = _report()
    text = " ".join(_parse(page).text)
    for expected in (
        "flowers_tf1",
        "classify_images",
        "serve",
        "HTTP 200 OK",
        "2025-01-02 13:04:05+00:00",
        "42 ms: 3.1 ms conversion + 39 ms model",  # the timing, split
        "Request conversion",
        "Model execution",
        "[0.5,0.25]",  # the input feature, in the inputs table
        "tulip & co",  # the outputs table
        '"signature_name": "classify_images"',  # the request JSON, as sent
        '"results": [[["daisy", 0.2]',  # the response JSON, as answered
        "POST http://localhost:8501/v1/models/flowers_tf1/versions/3:classify",
    ):
        assert expected in text, expected
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page  # the chart, inline
    assert "<rect" in page


def test_report_is_self_contained_and_escapes_everything() -> None:
    page = _report()
    tags = _parse(page).tags
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe", "object")]
    assert not [a for _, attrs in tags for a in ("src", "href") if a in attrs]
    assert not re.search(r"url\(|@import", page)  # CSS fetches nothing either
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "tulip &amp; co" in page


def test_report_of_a_rejected_request_shows_the_error_and_no_timing() -> None:
    error = '{\n    "error": "Expected one input Tensor."\n}'
    page = _report(
        response_json=error,
        timing=None,
        chart_svg=None,
        outputs_table=response_table("classify", error),
        status=400,
        version=None,
    )
    text = " ".join(_parse(page).text)
    assert "HTTP 400 (TF Serving's error answer)" in text
    assert "Expected one input Tensor." in text
    assert "(unversioned)" in text
    assert "The request did not reach the model." in text
    assert "<svg" not in page


def test_timing_summary_adds_the_first_load() -> None:
    assert timing_summary(TIMING) == "42 ms: 3.1 ms conversion + 39 ms model"
    with_load = CallTiming(conversion_ms=1.0, execution_ms=2.0, load_ms=1234.5)
    assert timing_summary(with_load) == (
        "1,238 ms: 1.0 ms conversion + 2.0 ms model + 1,234 ms model load (first call)"
    )


def test_tables_follow_the_rest_formats() -> None:
    assert request_table("predict", '{"instances": [{"a": 1, "b": "x"}, {"a": 2}]}') == (
        ReportTable(("instance", "a", "b"), (("1", "1", "x"), ("2", "2", "")))
    )
    assert request_table("predict", '{"inputs": {"x": [[1.0, 2.0]]}}').rows == (
        ("x", "[[1.0,2.0]]"),
    )
    assert request_table("predict", '{"instances": [{"b64": "AAAA"}]}').rows == (
        ("1", "(binary, 3 bytes as base64)"),
    )
    context = request_table("classify", '{"context": {"c": 1}, "examples": [{"e": 2}]}')
    assert context.columns == ("example", "c", "e")
    assert context.rows == (("context", "1", ""), ("1", "", "2"))
    assert response_table("regress", '{"results": [0.5, 1.5]}').rows == (
        ("1", "0.5"),
        ("2", "1.5"),
    )
    ranked = response_table("classify", RESPONSE)
    assert [row[1] for row in ranked.rows] == ["rose", "daisy", "tulip & co"]
    assert response_table("predict", '{"outputs": {"y": [[2.5]]}}').rows == (("y", "[[2.5]]"),)
    assert request_table("predict", "{broken").rows == (("(not JSON)",),)


def test_long_tables_say_how_much_is_shown() -> None:
    table = response_table("regress", {"results": list(range(120))})
    assert len(table.rows) == 50
    assert table.note == "The first 50 of 120 rows."


def test_chart_only_for_classify_results() -> None:
    assert classify_chart_svg('{"predictions": [1]}') is None
    assert classify_chart_svg("not json") is None
    svg = classify_chart_svg('{"results": [[["a", 2.0], ["b", -1.0]]]}')
    assert svg is not None  # raw scores are drawn against the top one
    assert 'width="300.0"' in svg  # the top score fills the bar


def test_report_file_name_is_safe() -> None:
    assert report_file_name("my model", "sig/../x", CREATED) == (
        "report-my_model-sig_.._x-20250102-130405.html"
    )
