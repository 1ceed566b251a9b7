"""The notebook widget's run form: what it offers for a signature, and the REST body its
fields make.

Classify and Regress get the tf.Example builder: one column per feature the model's
``ParseExample`` op reads (``expected_features``), one row per example, cells typed by the
feature (``explorer.codec.cells.parse_cell``: letters in an int64 cell are refused with a
message, nothing becomes 0). Predict gets one JSON field per input, prefilled with the
smallest value the model answers (``explorer.run.templates.input_plans``); an input the
graph parses as tf.Examples takes the examples as JSON and sends them serialized; a big
tensor or an image input takes a fill value for its shape. Any method can also be sent as
raw REST JSON, prefilled with ``explorer.run.templates.template``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.codec.cells import (
    FEATURE_TYPE_WORDS,
    feature_cell,
    feature_value,
    parse_cell,
)
from explorer.constants import MethodKind
from explorer.graph.example_features import ExampleFeature, example_template, expected_features
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run.templates import InputPlan, input_plans, ragged_nested, serialized_example
from explorer.run.templates import template as rest_template
from explorer.serving.rules import check_signature, preferred_method

_VOCABULARY_SHOWN = 200  # words offered as suggestions in a vocabulary cell


@dataclass(frozen=True, slots=True)
class FormBody:
    """The REST body the form's fields make, or every reason they cannot make one."""

    body: dict[str, Any] | None
    problems: tuple[str, ...] = ()


def form_spec(meta_graph: MetaGraphInfo, signature: SignatureInfo) -> dict[str, Any]:
    """What the widget's run form shows for ``signature`` (JSON for the browser)."""
    verdicts = {m: check_signature(signature, m) for m in MethodKind}
    features = expected_features(meta_graph, signature)
    start = example_template(features)
    return {
        "signature": signature.key,
        "methods": [
            {"value": m.value, "accepted": v.accepted, "reason": v.reason or ""}
            for m, v in verdicts.items()
        ],
        "method": preferred_method(signature, verdicts).value,
        "features": [_feature_spec(f) for f in features],
        "rows": [[_cell_text(start[f.name]) for f in features]],
        "inputs": [_input_spec(plan) for plan in input_plans(meta_graph, signature)],
        "templates": {
            m.value: json.dumps(rest_template(meta_graph, signature, m), indent=2)
            for m in MethodKind
        },
    }


def examples_body(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, rows: list[list[str]]
) -> FormBody:
    """``{"signature_name", "examples"}`` from the builder's rows of cell texts (an empty
    cell leaves the feature out of that example, so its default applies)."""
    features = expected_features(meta_graph, signature)
    examples, problems = _examples(features, rows, "Example")
    body = {"signature_name": signature.key, "examples": examples}
    return FormBody(None if problems else body, tuple(problems))


def predict_body(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, fields: dict[str, str]
) -> FormBody:
    """``{"signature_name", "inputs"}`` (TF Serving's columnar form) from one JSON text per
    input (a fill value for a big tensor or an image)."""
    inputs: dict[str, Any] = {}
    problems: list[str] = []
    for plan in input_plans(meta_graph, signature):
        text = fields.get(plan.key, "").strip()
        try:
            inputs[plan.key] = _input_value(plan, text)
        except ValueError as exc:
            problems.append(f"input {plan.key}: {exc}")
    body = {"signature_name": signature.key, "inputs": inputs}
    return FormBody(None if problems else body, tuple(problems))


def _input_value(plan: InputPlan, text: str) -> Any:
    if plan.kind in ("tensor", "image") and plan.start is None:
        fill = parse_cell(text or "0", plan.info.dtype)
        return np.full(plan.shape, fill).tolist()
    if not text:
        raise ValueError("empty: type its value as JSON")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at character {exc.pos})") from None
    if plan.kind == "examples":
        many = isinstance(value, list)
        rows = value if many else [value]
        if not all(isinstance(r, dict) for r in rows):
            raise ValueError('expected tf.Examples as JSON objects, e.g. [{"feature": 1.0}]')
        serialized = [serialized_example(_typed_example(plan.features, r)) for r in rows]
        return serialized if many else serialized[0]
    if plan.kind == "ragged" and isinstance(value, dict) and set(value) == {"values", "row_splits"}:
        return ragged_nested(list(value["values"]), [int(s) for s in value["row_splits"]])
    return value


def _typed_example(features: tuple[ExampleFeature, ...], example: dict[str, Any]) -> dict[str, Any]:
    # Numbers typed as 2 for a float feature are still sent as a float_list.
    typed: dict[str, Any] = {}
    for name, value in example.items():
        feature = next((f for f in features if f.name == name), None)
        if feature is None or feature.dtype == "DT_STRING":
            typed[name] = value
            continue
        values = value if isinstance(value, list) else [value]
        cells = [feature_value(feature, v) for v in values]
        typed[name] = cells if isinstance(value, list) else cells[0]
    return typed


def _examples(
    features: tuple[ExampleFeature, ...], rows: list[list[str]], what: str
) -> tuple[list[dict[str, Any]], list[str]]:
    examples: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, row in enumerate(rows):  # numbered as the answer's results are
        example: dict[str, Any] = {}
        for feature, cell in zip(features, row, strict=False):
            if not str(cell).strip():
                continue
            try:
                example[feature.name] = feature_cell(feature, str(cell))
            except ValueError as exc:
                problems.append(f"{what} {number} · {feature.name}: {exc}")
        examples.append(example)
    if not examples:
        problems.append("No examples: add a row.")
    return examples, problems


def _feature_spec(feature: ExampleFeature) -> dict[str, Any]:
    kind = FEATURE_TYPE_WORDS.get(feature.dtype, feature.dtype)
    if feature.kind != "dense":
        need = f"{feature.kind}, optional, any length"
    elif feature.required:
        need = "required"
    else:
        shown = ", ".join(_cell_text(v) for v in (feature.default or ())[:4])
        need = f"default {shown}{', …' if len(feature.default or ()) > 4 else ''}"
    scalar = feature.kind == "dense" and feature.shape in ((), (1,))
    shape = "" if scalar else (f" shape {list(feature.shape)}" if feature.shape else " list")
    vocabulary = feature.vocabulary
    return {
        "name": feature.name,
        "about": f"{kind}{shape} · {need}",
        "list": not scalar,
        "words": list(vocabulary.values[:_VOCABULARY_SHOWN]) if vocabulary is not None else [],
    }


def _input_spec(plan: InputPlan) -> dict[str, Any]:
    info = plan.info
    about = f"{info.dtype} {info.shape_text}"
    if plan.kind in ("tensor", "image") and plan.start is None:
        return {
            "key": plan.key,
            "about": f"{about} · {math.prod(plan.shape):,} values: one fill value for shape "
            f"{list(plan.shape)}",
            "fill": True,
            "text": "0",
        }
    start = plan.start
    if plan.kind == "examples":
        about += " · serialized tf.Examples, written here as JSON features"
        start = [start] if info.shape else start
    elif plan.kind == "sparse":
        about += " · sparse: indices, values, dense_shape"
    elif plan.kind == "ragged":
        about += " · ragged: values and row_splits"
    return {"key": plan.key, "about": about, "fill": False, "text": json.dumps(start)}


def _cell_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return json.dumps(value)
    return f"{value}"
