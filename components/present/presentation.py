"""Presentation view: what goes in and what comes out, big and clean, for showing a model.

No tensor names, dtypes or JSON panes here: inputs as readable tables and images, Classify
as labels with score bars, Regress as big numbers, Predict outputs as images, bars or
values, and the timing in one line. The full view (the Run tab) keeps every detail; the
HTML report download serves both views.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import keys
from components.run.result_panel import ENDED_TITLES, render_images
from components.text import md_code, md_text
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.present import report
from explorer.present.text import html_text
from explorer.run.dispatch import RunOutcome

RUN_TAB = "Run"  # the app's tab with the Run panel
_MAX_EXAMPLES = 10
_MAX_BARS = 10
_MAX_METRICS = 12
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8")


def render_presentation_toggle() -> bool:
    """The sidebar switch between the full view and the presentation view."""
    return st.sidebar.toggle(
        "Presentation view",
        key=keys.PRESENTATION,
        on_change=_full_detail_of_the_run,
        help="Hide tensor names, dtypes and JSON: show what goes in and what comes out, "
        "big and clean, for a demo. Switch off for the full detail.",
    )


def render_presentation_header(model: ModelInfo, signature: SignatureInfo) -> None:
    """The model as a title, the signature (and version) under it."""
    version = f" · version {model.version}" if model.version is not None else ""
    # The model's names are shown as text (md_text), never read as Markdown.
    st.header(md_text(model.name), anchor=False)
    st.markdown(f"**{md_text(signature.key)}**{version}")


def render_presentation_inputs(method: MethodKind, request_text: str) -> None:
    """The request's inputs: examples as a table, image-like inputs as images."""
    st.subheader("What goes in", anchor=False)
    try:
        doc = json.loads(request_text)
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        st.caption("The request is not a JSON object yet: switch presentation view off to edit it.")
        return
    if method is not MethodKind.PREDICT or "examples" in doc:
        for feature, pixels in _example_pictures(doc).items():
            names = [f"Example {n}" for n in range(1, len(pixels) + 1)]
            if render_images(pixels, captions=names, framed=True):
                size = f"{pixels.shape[1]}x{pixels.shape[2]}"
                st.caption(f"Feature {md_code(feature)} drawn as {size} pixels")
        _table(report.request_table(method.value, doc))
        return
    values = _predict_values(doc)
    shown_as_table: dict[str, Any] = {}
    for alias, value in values.items():
        if _show_picture(alias, value, len(values) > 1):
            continue
        shown_as_table[alias] = value
    if shown_as_table:
        _table(report.request_table("predict", {"inputs": shown_as_table}))


def render_presentation_outcome(outcome: RunOutcome | None) -> None:
    """The answer: score bars, big numbers or images, with the timing in one line."""
    st.subheader("What comes out", anchor=False)
    if outcome is None:
        st.caption("Press Run to see the answer.")
        return
    if outcome.error is not None:
        where = (
            ENDED_TITLES[outcome.ended].rstrip(".")
            if outcome.ended is not None
            else "Not run"
            if outcome.status is None
            else f"TF Serving would answer HTTP {outcome.status}"
        )
        st.error(f"**{where}.** {md_text(outcome.error)}")
        return
    result = outcome.result
    if result is None:
        return
    st.caption(f"Answered in {report.timing_summary(result.timing)}")
    if result.method is MethodKind.CLASSIFY:
        results = result.response_json["results"]
        for number, classes in enumerate(results[:_MAX_EXAMPLES], start=1):
            pairs = [(str(label), float(score)) for label, score in classes]
            _score_bars(pairs, f"Example {number}" if len(results) > 1 else None)
        _more(len(results), _MAX_EXAMPLES, "examples")
    elif result.method is MethodKind.REGRESS:
        values = result.response_json["results"]
        _metrics([(f"Example {number}", v) for number, v in enumerate(values, 1)])
    else:
        _predict_outputs({k: np.asarray(v) for k, v in result.outputs.items()})


def render_report_download(
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    signature_key: str,
    outcome: RunOutcome,
    *,
    key: str,
) -> None:
    """A button that downloads the run as a self-contained HTML report (built on click)."""
    created = outcome.created or datetime.now().astimezone()
    st.download_button(
        "Download report (HTML)",
        lambda: report_html(model, meta_graph, signature_key, outcome),
        file_name=report.report_file_name(model.name, signature_key, created),
        mime="text/html",
        key=key + ".report",
        on_click="ignore",
        help="One HTML file with the model, inputs, outputs, chart, TF Serving request and "
        "response and the timing: it opens offline in any browser.",
    )


def report_html(
    model: ModelInfo, meta_graph: MetaGraphInfo, signature_key: str, outcome: RunOutcome
) -> str:
    """The HTML report of one run (see ``explorer.present.report.render_report_html``)."""
    method = outcome.method.value
    created = outcome.created or datetime.now().astimezone()
    response = outcome.response_text
    return report.render_report_html(
        model.name,
        model.version,
        signature_key,
        method,
        outcome.request_text,
        response,
        outcome.result.timing if outcome.result is not None else None,
        created,
        report.classify_chart_svg(response) if outcome.method is MethodKind.CLASSIFY else None,
        report.request_table(method, outcome.request_text),
        report.response_table(method, response),
        status=outcome.status,
        url=outcome.url,
        tag_set=meta_graph.tag_set,
        notes=outcome.notes,
    )


def score_bars_html(pairs: list[tuple[str, float]], title: str | None = None) -> str:
    """Labels with horizontal score bars, highest first; probabilities shown as percent."""
    named = [(label or f"class {i}", score) for i, (label, score) in enumerate(pairs)]
    ranked = sorted(named, key=lambda p: -p[1])[:_MAX_BARS]
    scores = [s for _, s in ranked]
    unit = bool(scores) and all(0.0 <= s <= 1.0 for s in scores)
    top = max((abs(s) for s in scores), default=1.0) or 1.0
    rows = []
    for position, (label, score) in enumerate(ranked):
        first = position == 0
        width = max(0.0, min(1.0, score if unit else score / top)) * 100
        shown = f"{score * 100:.1f}%" if unit else f"{score:.4g}"
        rows.append(
            f'<div style="display:flex;align-items:center;gap:14px;margin:7px 0;'
            f'font-size:{"1.5rem" if first else "1.1rem"}">'
            f'<div style="flex:0 0 32%;text-align:right;font-weight:{700 if first else 400};'
            f'overflow:hidden;text-overflow:ellipsis;white-space:nowrap">'
            f"{html_text(label)}</div>"
            f'<div style="flex:1;height:{26 if first else 16}px;border-radius:8px;'
            f'background:rgba(128,128,128,.18)"><div style="width:{width:.1f}%;height:100%;'
            f'border-radius:8px;background:{"#2f6fdb" if first else "#8fb3e8"}"></div></div>'
            f'<div style="flex:0 0 96px;font-variant-numeric:tabular-nums">{shown}</div></div>'
        )
    heading = (
        f'<div style="font-weight:600;opacity:.7;margin-top:10px">{html_text(title)}</div>'
        if title
        else ""
    )
    return f'<div class="score-bars">{heading}{"".join(rows)}</div>'


def _full_detail_of_the_run() -> None:
    # Back from the presentation view, the full detail of what was shown is the Run tab.
    if not st.session_state.get(keys.PRESENTATION):
        st.session_state[keys.MAIN_TAB] = RUN_TAB


def _score_bars(pairs: list[tuple[str, float]], title: str | None) -> None:
    st.html(score_bars_html(pairs, title))


def _metrics(values: list[tuple[str, Any]]) -> None:
    shown = values[:_MAX_METRICS]
    for start in range(0, len(shown), 4):
        for column, (label, value) in zip(st.columns(4), shown[start : start + 4], strict=False):
            column.metric(md_text(label), _number(value))  # labels are output aliases
    _more(len(values), _MAX_METRICS, "values")


def _predict_outputs(outputs: dict[str, np.ndarray]) -> None:
    classes, scores = outputs.get("classes"), outputs.get("scores")
    if (
        classes is not None
        and scores is not None
        and classes.shape == scores.shape
        and classes.ndim == 2
        and scores.dtype.kind == "f"
    ):
        for number in range(min(len(scores), _MAX_EXAMPLES)):
            row = zip(classes[number], scores[number], strict=True)
            pairs = [(_text(label), float(score)) for label, score in row]
            _score_bars(pairs, f"Example {number + 1}" if len(scores) > 1 else None)
        outputs = {k: v for k, v in outputs.items() if k not in ("classes", "scores")}
    for alias, array in outputs.items():
        array = np.atleast_1d(array)
        numeric = array.dtype.kind in "fiu" and array.dtype != np.bool_
        if numeric and array.size == len(array) <= _MAX_METRICS:  # one number per example
            names = [alias] if len(array) == 1 else [f"{alias}, example {i}" for i in range(1, 13)]
            _metrics(list(zip(names, array.reshape(-1).tolist(), strict=False)))
            continue
        st.markdown(f"**{md_text(alias)}**")
        if render_images(array, framed=True):
            continue
        if numeric and array.ndim == 2 and len(array) <= 5 and _distribution(array):
            for number, row in enumerate(array, start=1):
                pairs = [(f"class {i}", float(v)) for i, v in enumerate(row)]
                _score_bars(pairs, f"Example {number}" if len(array) > 1 else None)
            continue
        values = array
        if array.dtype.kind in "OS" and array.size:
            values = np.vectorize(_text, otypes=[object])(array)
        st.dataframe(pd.DataFrame(values.reshape(len(values), -1)), hide_index=True)


def _distribution(array: np.ndarray) -> bool:
    # Rows of a few probabilities summing to 1 (a softmax): worth score bars.
    if not 1 < array.shape[1] <= _MAX_BARS or not np.isfinite(array).all():
        return False
    return bool((array >= 0).all() and np.allclose(array.sum(axis=1), 1.0, atol=1e-3))


def _predict_values(doc: dict[str, Any]) -> dict[str, Any]:
    # Input alias → the batch of values, whichever REST form the body uses.
    if "instances" in doc:
        rows = doc["instances"] if isinstance(doc["instances"], list) else []
        if rows and all(isinstance(r, dict) and "b64" not in r for r in rows):
            return {k: [r.get(k) for r in rows] for k in rows[0]}
        return {"instances": rows}
    inputs = doc.get("inputs")
    if isinstance(inputs, dict) and "b64" not in inputs:
        return dict(inputs)
    return {"inputs": inputs}


def _show_picture(alias: str, value: Any, titled: bool) -> bool:
    # Encoded images ({"b64": JPEG/PNG bytes}) and pixel arrays are shown as pictures.
    encoded = _encoded_images(value)
    if encoded:
        if titled:
            st.markdown(f"**{md_text(alias)}**")
        st.image(encoded[:8], width=min(256, 1024 // len(encoded[:8])))
        return True
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    names = [f"Example {n}" for n in range(1, len(array) + 1)] if array.ndim == 4 else None
    shown = render_images(array, captions=names, framed=True)
    if shown and titled:
        st.caption(md_text(alias))
    return shown


def _example_pictures(doc: dict[str, Any]) -> dict[str, np.ndarray]:
    # A float feature of k*k values (k >= 4) in every example is likely a small image.
    examples = doc.get("examples")
    if not isinstance(examples, list) or not examples:
        return {}
    found = {}
    for feature, first in examples[0].items() if isinstance(examples[0], dict) else ():
        side = int(len(first) ** 0.5) if isinstance(first, list) else 0
        if side < 4 or side * side != len(first):
            continue
        try:
            rows = [np.asarray(e[feature], dtype=np.float64) for e in examples[:8]]
        except (KeyError, TypeError, ValueError):
            continue
        if all(r.shape == (side * side,) for r in rows):
            found[feature] = np.stack(rows).reshape(len(rows), side, side, 1)
    return found


def _encoded_images(value: Any) -> list[bytes]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, list) and len(item) == 1:
            item = item[0]
        if not (isinstance(item, dict) and set(item) == {"b64"}):
            return []
        try:
            data = base64.b64decode(str(item["b64"]), validate=False)
        except ValueError:
            return []
        if not data.startswith(_IMAGE_MAGIC):
            return []
        found.append(data)
    return found


def _table(table: report.ReportTable) -> None:
    frame = pd.DataFrame(list(table.rows), columns=list(table.columns))
    st.dataframe(frame, hide_index=True, width="stretch" if len(frame.columns) > 3 else "content")
    if table.note:
        st.caption(table.note)


def _more(total: int, shown: int, what: str) -> None:
    if total > shown:
        st.caption(f"{total - shown} more {what} in the full view.")


def _number(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
