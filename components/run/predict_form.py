"""The Predict form: one editor per signature input, chosen by ``explorer.run.templates``'
plan for it (scalar box, table, JSON, image files, a compact editor for big tensors, a
tf.Example table, sparse or ragged parts), each starting from a prefill that runs.

Small inputs are JSON values and the request is a REST body; once an input holds an
array (an image, a fill, a file) the request carries the arrays, as gRPC would, and its
REST JSON is written only on demand (a download), never into the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from components import keys
from components.run.example_builder import serialized_rows
from components.run.image_editor import image_value
from components.run.tensor_editor import tensor_editor
from components.run.tensor_value import TensorValue
from components.run.value_editors import (
    json_editor,
    ragged_editor,
    scalar_editor,
    sparse_editor,
    table_editor,
)
from components.text import md_code, md_text
from explorer.codec.arrays import RAGGED_SPEC, tf_dtype
from explorer.codec.fills import numpy_dtype
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run.dispatch import CallRequest
from explorer.run.templates import (
    InputPlan,
    input_plans,
    ragged_nested,
    row_format_possible,
    serialized_example,
)

_WIDE = {"json", "tensor", "image", "examples", "sparse", "ragged"}
_CHANNEL_WORDS = {1: "grey", 3: "RGB", 4: "RGBA"}


@dataclass(frozen=True, slots=True)
class PredictForm:
    """What the form holds: one value per input sent (batch dimension included): JSON for
    small inputs, numpy arrays for images and big tensors."""

    values: dict[str, Any]
    # Inputs with a SignatureDef default that the user left out.
    left_out: tuple[str, ...]
    row_format: bool
    # Why no request can be built yet (unreadable JSON in an editor, a cell, ...).
    problems: tuple[str, ...] = ()
    # Inputs edited by a compact editor: what they hold, for summaries and pictures.
    tensors: dict[str, TensorValue] = field(default_factory=dict)

    @property
    def has_arrays(self) -> bool:
        """Whether an input holds an array (then the request carries arrays, not text)."""
        return any(isinstance(v, np.ndarray) for v in self.values.values())

    def body(self, signature_key: str) -> dict[str, Any] | None:
        """The TF Serving REST body, row (``instances``) or columnar (``inputs``)."""
        if self.problems or self.has_arrays:
            return None
        body: dict[str, Any] = {"signature_name": signature_key}
        if not self.row_format or not self.values:
            single = len(self.values) == 1 and not self.left_out
            body["inputs"] = next(iter(self.values.values())) if single else dict(self.values)
            return body
        rows = self.values
        if len(rows) == 1 and not self.left_out:
            body["instances"] = next(iter(rows.values()))
        else:
            count = len(next(iter(rows.values())))
            body["instances"] = [{k: v[i] for k, v in rows.items()} for i in range(count)]
        return body

    def request(self, signature_key: str) -> CallRequest | None:
        """The call: a REST body, or the values fed as arrays (images, big tensors, inputs
        left out to their defaults)."""
        if self.problems:
            return None
        if not self.has_arrays and not self.left_out:
            return CallRequest(MethodKind.PREDICT, body=self.body(signature_key))
        return CallRequest(
            MethodKind.PREDICT,
            body=self.body(signature_key),
            arrays=self.values,
            signature=signature_key,
            row_format=self.row_format,
            left_out=self.left_out,
        )


def render_predict_form(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str
) -> PredictForm:
    """Editors for every input and the body format."""
    plans = input_plans(meta_graph, signature)
    # Defaulted inputs start left out, so they do not decide the starting format.
    sent = [t for t in signature.inputs if t.key not in signature.defaults]
    row_possible = bool(sent) and row_format_possible(
        SignatureInfo(signature.key, signature.method_name, tuple(sent), ())
    )
    body_format = st.radio(
        "Request body",
        [keys.FORMAT_ROW, keys.FORMAT_COLUMNAR],
        index=0 if row_possible else 1,
        horizontal=True,
        key=keys.run_key(scope, keys.RUN_BODY_FORMAT),
        persist_state="session",
        help='Row format lists batch items (answered with "predictions"); columnar format '
        'gives each input whole (answered with "outputs"). Both are TF Serving REST formats.',
    )
    values: dict[str, Any] = {}
    tensors: dict[str, TensorValue] = {}
    left_out: list[str] = []
    problems: list[str] = []
    # Small inputs side by side; a lone input, or a wide editor, gets the whole width.
    wide = [p for p in plans if p.kind in _WIDE]
    narrow = [p for p in plans if p not in wide]
    columns = st.columns(min(3, len(narrow))) if len(narrow) > 1 else [st.container()]
    placed = [(columns[i % len(columns)], p) for i, p in enumerate(narrow)]
    placed += [(st.container(), p) for p in wide]
    for place, plan in placed:
        with place, st.container(border=True):
            st.markdown(_heading(plan))
            if plan.key in signature.defaults and not st.checkbox(
                f"Send {md_code(plan.key)}",
                value=False,
                key=keys.run_key(scope, keys.RUN_INPUT, plan.key, "send"),
                persist_state="session",
                help="Unticked, the input is left out and TensorFlow uses the SignatureDef's "
                "default (gRPC Predict allows this; TF Serving's REST API needs every input).",
            ):
                left_out.append(plan.key)
                st.caption("Left out: the signature's default value is used.")
                continue
            try:
                value = _render_input(plan, scope)
            except ValueError as exc:
                problems.append(f"{plan.key}: {exc}")
                st.error(f"**{md_code(plan.key)}**: {md_text(str(exc))}", icon=":material/block:")
                continue
            if isinstance(value, TensorValue):
                tensors[plan.key] = value
                _show_tensor(value)
                value = value.value
            values[plan.key] = value
    # Keep the signature's order (the body lists inputs as the SignatureDef does).
    values = {t.key: values[t.key] for t in signature.inputs if t.key in values}
    left_out = [t.key for t in signature.inputs if t.key in left_out]
    row_format = body_format == keys.FORMAT_ROW
    if row_format and not problems:
        problems += _row_problems(values)
        for problem in problems:
            st.error(md_text(problem))  # quotes the inputs' keys
    return PredictForm(values, tuple(left_out), row_format, tuple(problems), tensors)


def _render_input(plan: InputPlan, scope: str) -> Any:
    base = keys.run_key(scope, keys.RUN_INPUT, plan.key)
    if plan.kind in ("tensor", "image"):
        return tensor_editor(plan, base)
    if plan.kind == "examples":
        return serialized_rows(plan.features, base + ".examples")
    if plan.kind == "sparse":
        return sparse_editor(plan.info, plan.start, base)
    if plan.kind == "ragged":
        match = RAGGED_SPEC.match(plan.info.composite_spec or "")
        dtype = tf_dtype(match[1]) if match else "DT_FLOAT"
        return ragged_editor(plan.info, plan.start, base, dtype)
    if plan.kind == "scalar":
        return scalar_editor(plan.info, plan.start, base)
    if plan.kind == "table":
        return table_editor(plan.info, plan.start, base)
    shape = plan.info.shape
    if plan.info.encoding == "name" and shape and shape[0] is None:
        st.caption(f"Nested lists of shape {plan.info.shape_text}: the first level is the batch.")
    return json_editor(plan.info, plan.start, base, "JSON value: nested lists, or a single value.")


def _show_tensor(value: TensorValue) -> None:
    if value.pictures and isinstance(value.pictures[0], bytes):
        st.image(value.pictures, width=160)
    elif value.pictures:
        st.image(value.pictures[:8], width=min(224, value.pictures[0].shape[1]))
    if value.note:
        st.caption(value.note)
    if value.summary is not None:
        st.caption(f"Holds: {value.summary.describe()}")


def _row_problems(values: dict[str, Any]) -> list[str]:
    counts = {}
    for key, value in values.items():
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            counts[key] = len(value)
            continue
        if not isinstance(value, list):
            return [
                f'Row format needs a batch dimension: "{key}" is a single value. '
                'Choose "inputs (columnar)".'
            ]
        counts[key] = len(value)
    if len(set(counts.values())) > 1:
        sizes = ", ".join(f"{k} has {n}" for k, n in counts.items())
        return [
            f"Row format needs the same number of batch items in every input ({sizes}). "
            'Match them or choose "inputs (columnar)".'
        ]
    return []


def _heading(plan: InputPlan) -> str:
    info = plan.info
    key = md_code(info.key)
    if info.encoding == "coo_sparse":
        return f"**{key}** · sparse `{info.dtype}` · shape `{info.shape_text}`"
    if info.encoding == "composite_tensor":
        return f"**{key}** · composite {md_code(info.composite_spec or '')}"
    image = plan.image
    what = ""
    if image is not None and image.kind == "pixels":
        size = f"{image.height or '?'}×{image.width or '?'}"
        what = f" · image {size} {_CHANNEL_WORDS[image.channels]}"
    elif image is not None:
        what = f" · encoded image ({', '.join(image.decoders)})"
    elif plan.kind == "examples":
        what = " · serialized tf.Example"
    return (
        f"**{key}**{what} · `{info.dtype}` · shape `{info.shape_text}` · tensor "
        f"{md_code(info.name or '')}"
    )


def default_form(signature: SignatureInfo, plans: tuple[InputPlan, ...], scope: str) -> PredictForm:
    """The form as it opens, built without drawing it (the presentation view before the
    full view was ever shown): every input's prefill; big tensors as zeros, images as the
    editor starts them (zeros, or a plain picture for a graph that decodes files)."""
    values: dict[str, Any] = {}
    for plan in plans:
        if plan.key in signature.defaults:
            continue
        if plan.kind == "image":
            base = keys.run_key(scope, keys.RUN_INPUT, plan.key)
            values[plan.key] = image_value(plan, base, []).value
        elif plan.kind == "tensor":
            values[plan.key] = np.zeros(plan.shape, dtype=numpy_dtype(plan.info.dtype))
        elif plan.kind == "examples":
            values[plan.key] = [serialized_example(plan.start)]
        elif plan.kind == "ragged":
            values[plan.key] = ragged_nested(plan.start["values"], plan.start["row_splits"])
        else:
            values[plan.key] = plan.start
    sent = [t for t in signature.inputs if t.key not in signature.defaults]
    row_format = bool(sent) and row_format_possible(
        SignatureInfo(signature.key, signature.method_name, tuple(sent), ())
    )
    left_out = tuple(t.key for t in signature.inputs if t.key in signature.defaults)
    return PredictForm(values, left_out, row_format)
