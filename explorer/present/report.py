"""A run as one self-contained HTML page: model, inputs, outputs, chart, REST exchange, timing.

The page is meant to be attached to an email or a ticket and opened offline years later,
so it holds everything inline: CSS in a ``<style>`` element, the classify chart as an
inline SVG drawn here, no script, no font, image or stylesheet fetched from anywhere.
Every text that came from a model or a user goes through ``explorer.present.text.html_text``:
HTML-escaped, its control characters written as escapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from explorer.present.text import html_text

if TYPE_CHECKING:
    from explorer.run.result import CallTiming

_MAX_ROWS = 50
_MAX_CELL = 80
# A report of a big image batch would otherwise be megabytes: the JSON is cut beyond this.
_MAX_JSON_CHARS = 200_000
_CHART_EXAMPLES = 5
_CHART_CLASSES = 10
_CONVERSION = "JSON parsing, conversion to tensors or tf.Examples, writing the response"

# Print-friendly, readable without any web font; dark text on white, tables that wrap.
REPORT_CSS = """
body{margin:0;background:#f6f7f9;color:#1d2330;font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:960px;margin:24px auto;background:#fff;padding:28px 36px;border-radius:10px;
box-shadow:0 1px 4px rgba(0,0,0,.08)}
header h1{margin:0 0 12px;font-size:26px;word-break:break-word}
.kicker{margin:0;color:#5b6475;font-size:13px;text-transform:uppercase;letter-spacing:.06em}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0 0 8px}
.facts dt{color:#5b6475}.facts dd{margin:0;word-break:break-all}
h2{font-size:18px;margin:26px 0 10px;border-bottom:1px solid #e3e6eb;padding-bottom:4px}
.big{font-size:20px;font-weight:600;margin:4px 0 10px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid #e3e6eb;padding:5px 8px;text-align:left;vertical-align:top;
word-break:break-word}
th{background:#f0f2f5}td.num{text-align:right;white-space:nowrap}
pre{background:#f6f8fa;border:1px solid #e3e6eb;border-radius:6px;padding:10px 12px;
white-space:pre-wrap;word-break:break-all;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace}
.note{color:#5b6475;font-size:13px}figure{margin:0 0 12px}
.chart text{font:13px system-ui,sans-serif;fill:#1d2330}.chart .ex{font-weight:600}
.chart .bar{fill:#8fb3e8}.chart .bar.top{fill:#2f6fdb}.chart .val{fill:#5b6475}
footer{margin-top:28px;color:#5b6475;font-size:12px}
@media print{body{background:#fff}main{box-shadow:none;margin:0;max-width:none}}
"""


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A small table of text cells for the report (inputs or outputs)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # Said under the table, e.g. that only the first rows are shown.
    note: str = ""


def timing_summary(timing: CallTiming) -> str:
    """``"42 ms: 3.1 ms conversion + 39 ms model"`` (plus the model load on a first call)."""
    parts = [
        f"{_ms(timing.conversion_ms)} conversion",
        f"{_ms(timing.execution_ms)} model",
    ]
    if timing.load_ms:
        parts.append(f"{_ms(timing.load_ms)} model load (first call)")
    total = timing.conversion_ms + timing.execution_ms + timing.load_ms
    return f"{_ms(total)}: " + " + ".join(parts)


def request_table(method: str, request: str | Mapping[str, Any]) -> ReportTable:
    """The inputs of a REST request body as a table: one row per example, instance or input.

    Args:
        method: classify, regress or predict.
        request: the body as sent (text or parsed).

    Returns:
        The table; a one-cell table saying so when the body is not a JSON object.

    Raises:
        Nothing: a malformed body is described, not rejected (a report of a failed run).
    """
    doc = _parse(request)
    if not isinstance(doc, dict):
        return _single("request", doc)
    if str(method) in ("classify", "regress") or "examples" in doc:
        context = doc.get("context")
        rows = [{"example": "context", **context}] if isinstance(context, dict) else []
        return _records_table(rows + _numbered("example", doc.get("examples")), "example")
    if "instances" in doc:
        return _records_table(_numbered("instance", doc["instances"]), "instance")
    return _records_table(_named("input", doc.get("inputs")), "input")


def response_table(method: str, response: str | Mapping[str, Any]) -> ReportTable:
    """The outputs of a REST response body: classes by score, values, or predictions.

    Args:
        method: classify, regress or predict.
        response: TF Serving's response body (text or parsed), or ``{"error": ...}``.

    Returns:
        The table.

    Raises:
        Nothing.
    """
    doc = _parse(response)
    if not isinstance(doc, dict):
        return _single("response", doc)
    if "error" in doc:
        return ReportTable(("error",), ((str(doc["error"]),),))
    if str(method) == "classify" and isinstance(doc.get("results"), list):
        rows = [
            {"example": str(number), "label": label, "score": score}
            for number, classes in enumerate(doc["results"], 1)
            for label, score in _ranked(classes)
        ]
        return _records_table(rows, "example")
    if "results" in doc:
        return _records_table(_numbered("example", doc["results"]), "example")
    if "predictions" in doc:
        return _records_table(_numbered("instance", doc["predictions"]), "instance")
    return _records_table(_named("output", doc.get("outputs", doc)), "output")


def classify_chart_svg(response: str | Mapping[str, Any]) -> str | None:
    """Horizontal score bars per example of a Classify response, as inline SVG markup.

    Args:
        response: TF Serving's Classify response body (text or parsed).

    Returns:
        ``<svg>...</svg>`` (labels escaped), or None when there are no results to chart.

    Raises:
        Nothing.
    """
    doc = _parse(response)
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, list) or not results:
        return None
    groups = [_ranked(classes)[:_CHART_CLASSES] for classes in results[:_CHART_EXAMPLES]]
    scores = [s for group in groups for _, s in group]
    if not scores:
        return None
    # Probabilities are drawn against 1 (0.5 is half a bar); other scores against the top one.
    scale = 1.0 if all(0.0 <= s <= 1.0 for s in scores) else max(abs(s) for s in scores) or 1.0
    label_w, bar_w, row_h, width = 170, 300, 24, 560
    parts, y = [], 4
    for number, group in enumerate(groups, 1):
        if len(groups) > 1:
            parts.append(f'<text x="0" y="{y + 14}" class="ex">Example {number}</text>')
            y += row_h
        for position, (label, score) in enumerate(group):
            length = max(0.0, min(1.0, score / scale)) * bar_w
            top = " top" if position == 0 else ""
            parts.append(
                f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="lbl">'
                f"{_esc(_clip(label or f'class {position}', 24))}</text>"
                f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 8}" '
                f'rx="3" class="bar{top}"/>'
                f'<text x="{label_w + length + 6:.1f}" y="{y + 16}" class="val">'
                f"{_esc(_number(score))}</text>"
            )
            y += row_h
        y += 6
    return (
        f'<svg class="chart" width="{width}" height="{y}" viewBox="0 0 {width} {y}" '
        f'role="img" aria-label="Classification scores">{"".join(parts)}</svg>'
    )


def render_report_html(
    model_name: str,
    version: int | None,
    signature_key: str,
    method: str,
    request_json: str | Mapping[str, Any],
    response_json: str | Mapping[str, Any],
    timing: CallTiming | None,
    created: datetime,
    chart_svg: str | None,
    inputs_table: ReportTable,
    outputs_table: ReportTable,
    *,
    status: int | None = 200,
    url: str | None = None,
    tag_set: str | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The report page.

    Args:
        model_name: TF Serving's model name (the model folder's name).
        version: the version folder, or None for an unversioned model.
        signature_key: the signature called.
        method: classify, regress or predict.
        request_json: the request body as sent (text kept as is; a mapping is indented).
        response_json: TF Serving's response body, or its ``{"error": ...}``.
        timing: the call's timing; None when it did not run.
        created: when the run happened (shown with its UTC offset when it has one).
        chart_svg: trusted SVG markup from :func:`classify_chart_svg`, or None.
        inputs_table: from :func:`request_table`.
        outputs_table: from :func:`response_table`.
        status: the HTTP status TF Serving answers with; None when the explorer refused
            to run (unsafe model, unreadable request before any call).
        url: the REST endpoint (``http://localhost:8501/v1/models/...:classify``), as text.
        tag_set: the MetaGraph's tag-set.
        notes: sentences on where this run differs from TF Serving over REST.

    Returns:
        A complete HTML document.

    Raises:
        Nothing.
    """
    method = str(method)
    title = f"{model_name} · {signature_key} · {method}"
    facts = [
        ("Model", model_name),
        ("Version", "(unversioned)" if version is None else str(version)),
        ("Tag-set", tag_set or ""),
        ("Signature", signature_key),
        ("API", f"{method.capitalize()} (POST {url})" if url else method.capitalize()),
        ("Status", _status(status)),
        ("Date", created.isoformat(sep=" ", timespec="seconds")),
    ]
    body = [
        f"<header><p class=kicker>Signature Explorer run report</p><h1>{_esc(title)}</h1></header>",
        "<dl class=facts>"
        + "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in facts if v)
        + "</dl>",
    ]
    body.append(_timing_section(timing))
    body.append("<section><h2>Inputs</h2>" + _table_html(inputs_table) + "</section>")
    chart = f"<figure>{chart_svg}</figure>" if chart_svg else ""
    body.append("<section><h2>Outputs</h2>" + chart + _table_html(outputs_table) + "</section>")
    if notes:
        body.append(
            "<section><h2>Notes</h2><ul>"
            + "".join(f"<li>{_esc(n)}</li>" for n in notes)
            + "</ul></section>"
        )
    body.append(_json_section("TF Serving request", request_json))
    body.append(_json_section("TF Serving response", response_json))
    body.append(
        "<footer>Made by Signature Explorer, which runs SavedModel signatures in process with "
        "TF Serving's semantics. This page is self-contained: it loads nothing from the "
        "network.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{REPORT_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


def report_file_name(model_name: str, signature_key: str, created: datetime) -> str:
    """A safe download name: ``report-flowers_tf1-classify_images-20250102-1304.html``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{model_name}-{signature_key}").strip("._")
    return f"report-{stem or 'run'}-{created:%Y%m%d-%H%M%S}.html"


def _timing_section(timing: CallTiming | None) -> str:
    if timing is None:
        return "<section><h2>Timing</h2><p>The request did not reach the model.</p></section>"
    rows = [
        ("Request conversion", timing.conversion_ms, _CONVERSION),
        ("Model execution", timing.execution_ms, "the TensorFlow Session run"),
    ]
    if timing.load_ms:
        rows.append(("Model load", timing.load_ms, "first call only"))
    cells = "".join(
        f"<tr><td>{_esc(name)}</td><td class=num>{_esc(_ms(ms))}</td><td>{_esc(what)}</td></tr>"
        for name, ms, what in rows
    )
    return (
        f"<section><h2>Timing</h2><p class=big>{_esc(timing_summary(timing))}</p>"
        f"<table><thead><tr><th>step</th><th>time</th><th>what</th></tr></thead>"
        f"<tbody>{cells}</tbody></table></section>"
    )


def _table_html(table: ReportTable) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_esc(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    note = f"<p class=note>{_esc(table.note)}</p>" if table.note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"


def _json_section(title: str, value: str | Mapping[str, Any]) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    note = ""
    if len(text) > _MAX_JSON_CHARS:
        note = (
            f"<p class=note>{len(text):,} characters: the first {_MAX_JSON_CHARS:,} are shown.</p>"
        )
        text = text[:_MAX_JSON_CHARS] + "\n..."
    return f"<section><h2>{_esc(title)}</h2>{note}<pre>{_esc(text)}</pre></section>"


def _numbered(first: str, values: Any) -> list[dict[str, Any]]:
    # Rows of named values ({"x": 1, "y": 2} per instance) spread into columns.
    values = values if isinstance(values, list) else [values]
    records = all(isinstance(v, dict) and "b64" not in v for v in values)
    return [{first: str(n), **(v if records else {"value": v})} for n, v in enumerate(values, 1)]


def _named(first: str, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict) and "b64" not in value:
        return [{first: str(k), "value": v} for k, v in value.items()]
    return [{first: "inputs" if first == "input" else "outputs", "value": value}]


def _single(title: str, doc: Any) -> ReportTable:
    return ReportTable((title,), ((_cell(doc) if doc is not None else "(not JSON)",),))


def _records_table(records: list[dict[str, Any]], first: str) -> ReportTable:
    columns = [first]
    for record in records:
        columns += [str(k) for k in record if str(k) not in columns]
    shown = records[:_MAX_ROWS]
    rows = tuple(
        tuple("" if c not in r else (r[c] if c == first else _cell(r[c])) for c in columns)
        for r in ({str(k): v for k, v in record.items()} for record in shown)
    )
    note = f"The first {_MAX_ROWS} of {len(records)} rows." if len(records) > _MAX_ROWS else ""
    return ReportTable(tuple(columns), rows, note)


def _ranked(classes: Any) -> list[tuple[str, float]]:
    pairs = []
    for position, pair in enumerate(classes if isinstance(classes, list) else []):
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], (int, float)):
            pairs.append((str(pair[0]) or f"class {position}", float(pair[1])))
    return sorted(pairs, key=lambda p: -p[1])


def _parse(value: str | Mapping[str, Any]) -> Any:
    if not isinstance(value, str):
        return dict(value)
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):
        return _clip(value, _MAX_CELL)
    if isinstance(value, dict) and set(value) == {"b64"}:
        return f"(binary, {len(str(value['b64'])) * 3 // 4:,} bytes as base64)"
    if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], (list, dict)):
        return _cell(value[0])
    return _clip(json.dumps(value, ensure_ascii=False, separators=(",", ":")), _MAX_CELL)


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _ms(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:,.0f} ms"


def _status(status: int | None) -> str:
    if status is None:
        return "not run by Signature Explorer"
    return "HTTP 200 OK" if status == 200 else f"HTTP {status} (TF Serving's error answer)"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _esc(text: str) -> str:
    return html_text(text)
