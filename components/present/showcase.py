"""The presentation view's two halves: what goes in, and what comes out.

Inputs are readable in full: an image input is a drop zone and the pictures the model
sees (a photo dropped runs the model at once), examples and small inputs are a table of
name → value that never clips, big tensors are a one-line summary. Outputs are ranked
bars with their labels (Classify, and Predict score outputs), big numbers (Regress and
one value per example), pictures for image outputs, else a table.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import keys
from components.run.form_state import in_rest_mode, kept_form, request_fingerprint
from components.run.output_views import DEFAULT_K, chosen_labels, score_bars_html
from components.run.predict_form import PredictForm, default_form
from components.run.result_panel import ENDED_TITLES, render_images
from components.run.tensor_editor import TensorValue, image_drop, image_value
from components.text import md_text
from explorer.constants import MethodKind
from explorer.errors import InputError
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.present import report
from explorer.present.readouts import Ranked, is_distribution, is_score_output, top_k
from explorer.present.text import html_text
from explorer.run.dispatch import CallRequest, RunOutcome
from explorer.run.templates import input_plans

_MAX_EXAMPLES = 10
_MAX_METRICS = 12
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM")
_MAX_ROWS = 40
_TABLE_CSS = """<style>
.showcase-table { border-collapse: collapse; font-size: 1.2rem; width: 100%; }
.showcase-table th { text-align: left; font-weight: 600; opacity: .6; padding: 6px 12px; }
.showcase-table td { padding: 8px 12px; border-top: 1px solid rgba(128,128,128,.25);
  overflow-wrap: anywhere; vertical-align: top; }
.showcase-table td:first-child { font-weight: 600; white-space: nowrap; }
</style>"""


def presentation_predict(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str
) -> tuple[CallRequest | None, dict[str, TensorValue], bool]:
    """A Predict request for the presentation view: the full view's form, with each image
    input's drop zone drawn here. Returns the request, what the image inputs hold, and
    whether a new photo was just dropped (the view then runs at once)."""
    plans = input_plans(meta_graph, signature)
    images = [p for p in plans if p.kind == "image"]
    form = kept_form(scope, MethodKind.PREDICT) or default_form(signature, plans, scope)
    values, tensors = dict(form.values), dict(form.tensors)
    dropped = []
    for plan in images:
        base = keys.run_key(scope, keys.RUN_INPUT, plan.key)
        files = image_drop(plan, base, label="Drop a photo here")
        dropped.append(tuple(name for name, _ in files))
        try:
            value = image_value(plan, base, files)
        except InputError as err:
            st.error(md_text(str(err)), icon=":material/block:")
            return None, tensors, False
        values[plan.key], tensors[plan.key] = value.value, value
    marker = keys.run_key(scope, "presentation_drops")
    new_drop = bool(images) and st.session_state.get(marker) != dropped and any(dropped)
    st.session_state[marker] = dropped
    shown = PredictForm(values, form.left_out, form.row_format, (), tensors)
    return shown.request(signature.key), tensors, new_drop


def presentation_request(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> bool:
    """Whether this view builds the request itself (a Predict form with image inputs)."""
    return (
        api is MethodKind.PREDICT
        and not in_rest_mode(scope, api)
        and any(p.kind == "image" for p in input_plans(meta_graph, signature))
    )


def render_presentation_inputs(
    method: MethodKind, request: CallRequest | None, tensors: dict[str, TensorValue]
) -> None:
    """The request's inputs: pictures for images, a table of name → value for the rest."""
    if request is None:
        st.caption("The request is not complete yet: switch presentation view off to edit it.")
        return
    for alias, value in tensors.items():
        titled = alias if len(tensors) > 1 else None
        if value.waiting:
            st.info("Drop a photo above: the model answers at once.", icon=":material/image:")
        elif value.pictures:
            _pictures(value.pictures, titled)
        elif isinstance(value.value, np.ndarray) and render_images(value.value, framed=True):
            if titled:
                st.caption(md_text(alias))
        elif value.summary is not None:
            summary = value.summary
            numbers = (
                f" from {summary.minimum:.4g} to {summary.maximum:.4g}"
                if summary.minimum is not None
                else ""
            )
            st.caption(f"{md_text(alias)}: {summary.size:,} values{numbers}")
    if request.body is None:
        return
    doc = request.body
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError:
            doc = None
    if not isinstance(doc, dict):
        st.caption("The request is not a JSON object yet: switch presentation view off to edit it.")
        return
    if method is not MethodKind.PREDICT or "examples" in doc:
        for feature, pixels in _example_pictures(doc).items():
            names = [f"Example {n}" for n in range(1, len(pixels) + 1)]
            if render_images(pixels, captions=names, framed=True):
                st.caption(
                    f"{md_text(feature)} drawn as {pixels.shape[1]}×{pixels.shape[2]} pixels"
                )
        _table(report.request_table(method.value, doc))
        return
    values = {k: v for k, v in _predict_values(doc).items() if k not in tensors}
    plain = {k: v for k, v in values.items() if not _show_picture(k, v, len(values) > 1)}
    if plain:
        _table(report.request_table("predict", {"inputs": plain}))


def render_presentation_outcome(
    outcome: RunOutcome | None, meta_graph: MetaGraphInfo, scope: str
) -> None:
    """The answer: ranked bars with labels, big numbers or pictures; the timing in a line."""
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
    st.caption(
        _answered_in(
            result.timing.conversion_ms + result.timing.execution_ms, result.timing.load_ms
        )
    )
    if result.method is MethodKind.CLASSIFY:
        results = result.response_json["results"]
        for number, classes in enumerate(results[:_MAX_EXAMPLES], start=1):
            ranked = _ranked([(str(label), float(score)) for label, score in classes])
            _bars(ranked, f"Example {number}" if len(results) > 1 else None, True)
        _more(len(results), _MAX_EXAMPLES, "examples")
    elif result.method is MethodKind.REGRESS:
        values = result.response_json["results"]
        _metrics([(f"Example {number}", v) for number, v in enumerate(values, 1)])
    else:
        outputs = {k: np.asarray(v) for k, v in result.outputs.items()}
        _predict_outputs(outputs, meta_graph, scope)


def ran_request(scope: str, api: MethodKind, request: CallRequest) -> bool:
    """Whether the answer on screen is the answer to ``request``."""
    outcome_key = keys.run_key(scope, keys.RUN_OUTCOME, api.value)
    ran = st.session_state.get(f"{outcome_key}.{keys.RUN_FINGERPRINT}")
    return ran == request_fingerprint(request)


def _predict_outputs(outputs: dict[str, np.ndarray], meta_graph: MetaGraphInfo, scope: str) -> None:
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
            ranked = _ranked([(_text(label), float(score)) for label, score in row])
            _bars(ranked, f"Example {number + 1}" if len(scores) > 1 else None, True)
        outputs = {k: v for k, v in outputs.items() if k not in ("classes", "scores")}
    k = int(st.session_state.get(keys.run_key(scope, keys.RUN_TOP_K), DEFAULT_K))
    for alias, array in outputs.items():
        array = np.atleast_1d(array)
        numeric = array.dtype.kind in "fiu" and array.dtype != np.bool_
        if numeric and array.size == len(array) <= _MAX_METRICS:  # one number per example
            names = [alias] if len(array) == 1 else [f"{alias}, example {i}" for i in range(1, 13)]
            _metrics(list(zip(names, array.reshape(-1).tolist(), strict=False)))
            continue
        if len(outputs) > 1:
            st.markdown(f"**{md_text(alias)}**")
        if render_images(array, framed=True):
            continue
        if is_score_output(array):
            labels = chosen_labels(scope, alias, meta_graph, int(array.shape[1]))
            for number in range(min(len(array), 4)):
                title = f"Example {number + 1}" if len(array) > 1 else None
                _bars(top_k(array[number], k, labels), title, is_distribution(array[number]))
            continue
        values = array
        if array.dtype.kind in "OS" and array.size:
            values = np.vectorize(_text, otypes=[object])(array)
        st.dataframe(pd.DataFrame(values.reshape(len(values), -1)[:_MAX_ROWS]), hide_index=True)


def _answered_in(answer_ms: float, load_ms: float) -> str:
    # For an audience: how long the answer took; a first call's model load said apart.
    line = f"Answered in {_duration(answer_ms)}"
    return line + (f" · loading the model first took {_duration(load_ms)}" if load_ms else "")


def _duration(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms < 1000 else f"{ms / 1000:,.1f} s"


def _ranked(pairs: list[tuple[str, float]]) -> tuple[Ranked, ...]:
    named = [(label or f"class {i}", score, i) for i, (label, score) in enumerate(pairs)]
    ordered = sorted(named, key=lambda p: -p[1])[:_MAX_METRICS]
    return tuple(Ranked(i, label, score) for label, score, i in ordered)


def _bars(ranked: tuple[Ranked, ...], title: str | None, percent: bool) -> None:
    st.html(score_bars_html(ranked, title, percent=percent, large=True))


def _metrics(values: list[tuple[str, Any]]) -> None:
    shown = values[:_MAX_METRICS]
    for start in range(0, len(shown), 4):
        for column, (label, value) in zip(st.columns(4), shown[start : start + 4], strict=False):
            column.metric(md_text(label), _number(value))  # labels are output aliases
    _more(len(values), _MAX_METRICS, "values")


def _pictures(pictures: list[Any], title: str | None) -> None:
    if title:
        st.markdown(f"**{md_text(title)}**")
    width = 360 if len(pictures) == 1 else 180
    st.image(pictures[:8], width=width)


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
        _pictures(encoded, alias if titled else None)
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
    # Large type, wrapped cells (nothing clips): an HTML table, every cell escaped. One row
    # (a single example or instance) reads down, name → value.
    if len(table.rows) == 1 and len(table.columns) > 2:
        header: tuple[str, ...] = ("input", "value")
        rows = [(name, value) for name, value in zip(table.columns, table.rows[0], strict=True)]
        rows = rows[1:]
    else:
        header, rows = table.columns, [tuple(r) for r in table.rows[:_MAX_ROWS]]
    head = "".join(f"<th>{html_text(str(c))}</th>" for c in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html_text(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    st.html(f'<table class="showcase-table"><tr>{head}</tr>{body}</table>{_TABLE_CSS}')
    if table.note:
        st.caption(md_text(table.note))


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
