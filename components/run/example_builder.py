"""The Classify/Regress example builder: a table of tf.Example features read from the model."""

from __future__ import annotations

import json
import math
import numbers
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import keys
from components.run.run_state import kept_table, reset_table
from components.text import md_code, md_text
from explorer.graph.example_features import ExampleFeature, example_template, expected_features
from explorer.model.info import MetaGraphInfo, SignatureInfo

_TYPE_WORDS = {"DT_FLOAT": "float", "DT_INT64": "int64", "DT_STRING": "bytes"}


@dataclass(frozen=True, slots=True)
class ExampleForm:
    """The builder's request body, or why it cannot be built."""

    body: dict[str, Any] | None
    problems: tuple[str, ...] = ()
    # False when the graph shows no ParseExample op (nothing to build a table from).
    has_features: bool = True


def signature_features(
    meta_graph: MetaGraphInfo, signature: SignatureInfo
) -> tuple[ExampleFeature, ...]:
    """The features the signature's ParseExample op reads (empty when there is none)."""
    return expected_features(meta_graph, signature)


def render_example_builder(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str
) -> ExampleForm:
    """Features line, examples table (rows = examples) and optional context table."""
    features = signature_features(meta_graph, signature)
    if not features:
        st.info(
            "No ParseExample op reads this signature's input, so the features it expects are "
            "unknown. Write the examples in REST JSON mode."
        )
        return ExampleForm(None, has_features=False)
    st.markdown("This model expects features: " + " · ".join(_describe(f) for f in features))
    names = [f.name for f in features]
    in_context = st.multiselect(
        "Context features (one value shared by every example)",
        names,
        key=keys.run_key(scope, keys.RUN_CONTEXT_FEATURES),
        persist_state="page",
        help='Sent as "context": TF Serving prepends it to every serialized example; a '
        "feature also set in an example takes the example's value.",
    )
    template = example_template(features)
    per_example = [f for f in features if f.name not in in_context]
    shared = [f for f in features if f.name in in_context]
    problems: list[str] = []
    # A new column set starts a new table: keep edits per choice of context features.
    layout = f"{zlib.crc32('|'.join(in_context).encode()):08x}"
    st.caption(
        "Rows = examples; add or delete rows at the table's edge. An empty cell leaves the "
        "feature out of that example (a feature with a default then uses it). List-valued "
        "features take JSON lists."
    )
    examples = _table(
        per_example, template, keys.run_key(scope, keys.RUN_EXAMPLES, layout), dynamic=True
    )
    body: dict[str, Any] = {"signature_name": signature.key}
    if shared:
        st.markdown("**Context**")
        context_rows = _table(
            shared, template, keys.run_key(scope, keys.RUN_CONTEXT, layout), dynamic=False
        )
        context = _rows_to_examples(context_rows, shared, "Context", problems)
        body["context"] = context[0] if context else {}
    body["examples"] = _rows_to_examples(examples, per_example, "Example", problems)
    for problem in problems:
        st.error(md_text(problem))  # quotes feature names and typed values
    return ExampleForm(None if problems else body, tuple(problems))


def _describe(feature: ExampleFeature) -> str:
    kind = _TYPE_WORDS.get(feature.dtype, feature.dtype)
    if feature.kind != "dense":
        return f"**{md_code(feature.name)}** {kind} {feature.kind} (optional, any length)"
    shape = "scalar" if feature.shape in ((), (1,)) else f"shape {feature.shape}"
    if feature.required:
        need = "required"
    else:
        shown = [_cell_text(v) for v in (feature.default or ())[:4]]
        more = ", …" if len(feature.default or ()) > 4 else ""
        need = f"default {md_text(', '.join(shown))}{more}"
    # Feature names and defaults are the model's: Markdown-safe (this is also a tooltip).
    return f"**{md_code(feature.name)}** {kind} {shape} ({need})"


def _cell_text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else f"{value}"


def _is_scalar(feature: ExampleFeature) -> bool:
    return feature.kind == "dense" and feature.shape in ((), (1,))


def _table(
    features: list[ExampleFeature], template: dict[str, Any], key: str, *, dynamic: bool
) -> pd.DataFrame:
    def initial() -> pd.DataFrame:
        row = {
            f.name: template[f.name] if _is_scalar(f) else json.dumps(template[f.name])
            for f in features
        }
        frame = pd.DataFrame([row], columns=[f.name for f in features])
        for f in features:  # int64 columns that may hold empty cells
            if _is_scalar(f) and f.dtype == "DT_INT64":
                frame[f.name] = frame[f.name].astype("Int64")
        return frame

    config = {f.name: _column(f) for f in features}
    frame = kept_table(
        key,
        initial,
        num_rows="dynamic" if dynamic else "fixed",
        column_config=config,
        hide_index=False,
        width="stretch",
    )
    st.button(
        "Reset table",
        key=key + ".reset",
        on_click=reset_table,
        args=(key,),
        type="tertiary",
        icon=":material/restart_alt:",
    )
    return frame


def _column(feature: ExampleFeature) -> Any:
    words = _describe(feature).replace("**", "")
    if _is_scalar(feature) and feature.dtype == "DT_FLOAT":
        return st.column_config.NumberColumn(feature.name, help=words, format="%g")
    if _is_scalar(feature) and feature.dtype == "DT_INT64":
        return st.column_config.NumberColumn(feature.name, help=words, step=1, format="%d")
    return st.column_config.TextColumn(feature.name, help=words)


def _rows_to_examples(
    frame: pd.DataFrame, features: list[ExampleFeature], what: str, problems: list[str]
) -> list[dict[str, Any]]:
    examples = []
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        example: dict[str, Any] = {}
        for feature in features:
            cell = row.get(feature.name)
            if _empty(cell):
                continue
            try:
                example[feature.name] = _feature_value(feature, cell)
            except ValueError as exc:
                problems.append(f'{what} {number}, feature "{feature.name}": {exc}')
        examples.append(example)
    return examples


def _empty(cell: Any) -> bool:
    if cell is None or cell is pd.NA:
        return True
    return isinstance(cell, float) and math.isnan(cell)


def _feature_value(feature: ExampleFeature, cell: Any) -> Any:
    # The table is typed by the model: values become the JSON kind the feature needs, so
    # a whole number typed into a float feature is still sent as 2.0 (a float_list).
    if _is_scalar(feature):
        return _coerce(feature, cell)
    text = str(cell).strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        if feature.dtype != "DT_STRING":
            raise ValueError(
                f"expected a JSON list of {_TYPE_WORDS.get(feature.dtype)} values such as "
                f"[1.0, 2.0], got {text[:40]!r}"
            ) from None
        value = text
    values = value if isinstance(value, list) else [value]
    return [_coerce(feature, v) for v in values]


def _coerce(feature: ExampleFeature, value: Any) -> Any:
    number = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if feature.dtype == "DT_FLOAT":
        if not number:
            raise ValueError(f"expected a number, got {value!r}")
        return float(value)
    if feature.dtype == "DT_INT64":
        if not number:
            raise ValueError(f"expected a whole number, got {value!r}")
        if not float(value).is_integer():
            raise ValueError(f"expected a whole number (int64), got {value}")
        return int(value)
    if isinstance(value, dict) and set(value) == {"b64"}:
        return value
    return value if isinstance(value, str) else json.dumps(value)
