"""The Predict form: one editor per signature input, shaped by its dtype and shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import keys
from components.run.run_state import kept_table, kept_upload, reset_table
from components.text import md_code, md_text
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo
from explorer.run.calls import request_template

_NUMBER = {"DT_FLOAT", "DT_DOUBLE", "DT_HALF", "DT_BFLOAT16"}
_INTEGER = {
    "DT_INT8",
    "DT_INT16",
    "DT_INT32",
    "DT_INT64",
    "DT_UINT8",
    "DT_UINT16",
    "DT_UINT32",
    "DT_UINT64",
}
_TABLE_DTYPES = {"DT_FLOAT", "DT_DOUBLE", "DT_BOOL", "DT_STRING"} | _INTEGER
_MAX_TABLE_COLUMNS = 64


@dataclass(frozen=True, slots=True)
class PredictForm:
    """What the form holds: one JSON-able value per input sent, batch dimension included."""

    values: dict[str, Any]
    # Inputs with a SignatureDef default that the user left out.
    left_out: tuple[str, ...]
    row_format: bool
    # Why no body can be built yet (unreadable JSON in an editor, ...).
    problems: tuple[str, ...] = ()

    def body(self, signature_key: str) -> dict[str, Any] | None:
        """The TF Serving REST body, row (``instances``) or columnar (``inputs``)."""
        if self.problems:
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


def render_predict_form(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str
) -> PredictForm:
    """Editors for every input (scalar, table, JSON or file) and the body format."""
    starts = _starting_values(meta_graph, signature)
    # Defaulted inputs start left out, so they do not decide the starting format.
    sent = [t for t in signature.inputs if t.key not in signature.defaults]
    row_possible = bool(sent) and all(
        t.encoding == "composite_tensor" or (t.encoding == "name" and t.shape != ()) for t in sent
    )
    body_format = st.radio(
        "Request body",
        [keys.FORMAT_ROW, keys.FORMAT_COLUMNAR],
        index=0 if row_possible else 1,
        horizontal=True,
        key=keys.run_key(scope, keys.RUN_BODY_FORMAT),
        persist_state="page",
        help='Row format lists batch items (answered with "predictions"); columnar format '
        'gives each input whole (answered with "outputs"). Both are TF Serving REST formats.',
    )
    values: dict[str, Any] = {}
    left_out: list[str] = []
    problems: list[str] = []
    # Small inputs side by side; a lone input, or one edited as JSON, gets the whole width.
    wide = [t for t in signature.inputs if _editor_kind(t) == "json"]
    narrow = [t for t in signature.inputs if t not in wide]
    columns = st.columns(min(3, len(narrow))) if len(narrow) > 1 else [st.container()]
    placed = [(columns[i % len(columns)], t) for i, t in enumerate(narrow)]
    placed += [(st.container(), t) for t in wide]
    for place, info in placed:
        with place, st.container(border=True):
            st.markdown(_heading(info))
            if info.key in signature.defaults and not st.checkbox(
                f"Send {md_code(info.key)}",
                value=False,
                key=keys.run_key(scope, keys.RUN_INPUT, info.key, "send"),
                persist_state="page",
                help="Unticked, the input is left out and TensorFlow uses the SignatureDef's "
                "default (gRPC Predict allows this; TF Serving's REST API needs every input).",
            ):
                left_out.append(info.key)
                st.caption("Left out: the signature's default value is used.")
                continue
            try:
                values[info.key] = _render_input(info, starts.get(info.key), scope)
            except ValueError as exc:
                problems.append(f"{info.key}: {exc}")
                st.error(f"**{md_code(info.key)}**: {md_text(str(exc))}")
    # Keep the signature's order (the body lists inputs as the SignatureDef does).
    values = {t.key: values[t.key] for t in signature.inputs if t.key in values}
    left_out = [t.key for t in signature.inputs if t.key in left_out]
    row_format = body_format == keys.FORMAT_ROW
    if row_format and not problems:
        problems += _row_problems(values)
        for problem in problems:
            st.error(md_text(problem))  # quotes the inputs' keys
    return PredictForm(values, tuple(left_out), row_format, tuple(problems))


def _render_input(info: TensorInfo, start: Any, scope: str) -> Any:
    base = keys.run_key(scope, keys.RUN_INPUT, info.key)
    if info.encoding != "name":
        st.caption(_composite_help(info))
        return _json_editor(info, start, base, "JSON value for the whole batch.")
    upload = None
    if info.shape != ():
        with st.expander("Upload a .npy or .json file (for big tensors)"):
            upload = kept_upload(
                base + ".file",
                f"Value of {md_code(info.key)}",
                help_text=".npy files are read with allow_pickle=False; .json holds nested "
                "lists. The whole tensor, batch dimension included.",
            )
    if upload is not None:
        name, value = upload
        shape = np.shape(value) if isinstance(value, list) else ()
        st.caption(
            f"Using **{md_code(name)}**: shape {tuple(shape)} (the editor below is ignored)."
        )
    kind = _editor_kind(info)
    if kind == "scalar":
        value = _scalar_editor(info, start, base)
    elif kind == "table":
        value = _table_editor(info, start, base)
    else:
        if info.shape and info.shape[0] is None:
            st.caption(f"Nested lists of shape {info.shape_text}: the first level is the batch.")
        value = _json_editor(info, start, base, "JSON value: nested lists, or a single value.")
    return upload[1] if upload is not None else value


def _editor_kind(info: TensorInfo) -> str:
    if info.shape == () and (info.dtype in _TABLE_DTYPES):
        return "scalar"
    if info.shape is None or info.dtype not in _TABLE_DTYPES:
        return "json"
    if len(info.shape) == 1:
        return "table"
    if len(info.shape) == 2 and info.shape[1] is not None and info.shape[1] <= _MAX_TABLE_COLUMNS:
        return "table"
    return "json"


def _scalar_editor(info: TensorInfo, start: Any, base: str) -> Any:
    key = base + ".scalar"
    label = f"{md_code(info.key)} (scalar {info.dtype})"
    if info.dtype == "DT_BOOL":
        return st.checkbox(label, value=bool(start), key=key, persist_state="page")
    if info.dtype == "DT_STRING":
        return st.text_input(label, value=str(start or ""), key=key, persist_state="page")
    if info.dtype in _INTEGER:
        return int(
            st.number_input(label, value=int(start or 0), step=1, key=key, persist_state="page")
        )
    return float(
        st.number_input(
            label, value=float(start or 0.0), format="%g", key=key, persist_state="page"
        )
    )


def _table_editor(info: TensorInfo, start: Any, base: str) -> Any:
    assert info.shape is not None
    rows_are_batch = info.shape[0] is None
    rank = len(info.shape)

    width = 1 if rank == 1 else info.shape[1] or 1
    names = ["value"] if width == 1 else [str(c) for c in range(width)]

    def initial() -> pd.DataFrame:
        data = start if isinstance(start, list) else [start]
        if rank == 1:
            return pd.DataFrame({"value": data})
        return pd.DataFrame(data, columns=names)

    what = "Rows = batch items" if rows_are_batch else f"Rows = its {info.shape[0]} elements"
    if width > 1:
        what += f", columns = the {width} values of each"
    st.caption(what + ("; add or delete rows at the table's edge." if rows_are_batch else "."))
    frame = kept_table(
        base + ".table",
        initial,
        num_rows="dynamic" if rows_are_batch else "fixed",
        hide_index=False,
        width="stretch" if width > 4 else 110 * width + 120,
    )
    st.button(
        "Reset",
        key=base + ".reset",
        on_click=reset_table,
        args=(base + ".table",),
        type="tertiary",
        icon=":material/restart_alt:",
    )
    return _frame_values(frame, info.dtype, rank)


def _frame_values(frame: pd.DataFrame, dtype: str, rank: int) -> Any:
    if dtype == "DT_STRING":
        frame = frame.astype(object).where(frame.notna(), "")
        cells = frame.map(str)
    elif dtype == "DT_BOOL":
        cells = frame.fillna(False).astype(bool)
    elif dtype in _INTEGER:
        numbers = pd.to_numeric(frame.stack(), errors="coerce").unstack().fillna(0)
        if not np.all(np.mod(numbers.to_numpy(dtype=float), 1) == 0):
            raise ValueError(f"expected whole numbers for {dtype}")
        cells = numbers.astype(np.int64)
    else:
        cells = frame.apply(pd.to_numeric, errors="coerce").fillna(0.0).astype(float)
    values = cells.to_numpy().tolist()
    return [row[0] for row in values] if rank == 1 else values


def _json_editor(info: TensorInfo, start: Any, base: str, help_text: str) -> Any:
    text = st.text_area(
        f"{md_code(info.key)} (JSON)",
        value=json.dumps(start),
        key=base + ".json",
        height=120,
        persist_state="page",
        help=help_text,
    )
    try:
        return json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from exc


def _row_problems(values: dict[str, Any]) -> list[str]:
    counts = {}
    for key, value in values.items():
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


def _starting_values(meta_graph: MetaGraphInfo, signature: SignatureInfo) -> dict[str, Any]:
    """Each input's template value with a batch of one (columnar form)."""
    body = request_template(meta_graph, signature, MethodKind.PREDICT)
    if "instances" in body:
        first = body["instances"][0]
        items = first if len(signature.inputs) > 1 else {signature.inputs[0].key: first}
        return {k: [v] for k, v in items.items()}
    given = body.get("inputs")
    if len(signature.inputs) == 1:  # the template writes a single input's value plainly
        return {signature.inputs[0].key: given}
    return dict(given or {})


def _heading(info: TensorInfo) -> str:
    # Keys, names and specs are the model's: md_code shows them as text, never Markdown.
    key, dtype, shape = md_code(info.key), md_code(info.dtype), md_code(info.shape_text)
    if info.encoding == "coo_sparse":
        return f"**{key}** · sparse {dtype} · shape {shape}"
    if info.encoding == "composite_tensor":
        return f"**{key}** · composite {md_code(str(info.composite_spec))}"
    return f"**{key}** · {dtype} · shape {shape} · tensor {md_code(info.name or '')}"


def _composite_help(info: TensorInfo) -> str:
    if info.encoding == "coo_sparse":
        return (
            'A SparseTensor as {"indices": [[row, col], ...], "values": [...], '
            '"dense_shape": [rows, cols]}. TF Serving cannot feed sparse TensorInfos; '
            "Signature Explorer feeds their three component tensors."
        )
    return (
        "A RaggedTensor as nested lists of varying length, one list per batch item. "
        "TF Serving cannot feed composite TensorInfos; Signature Explorer feeds their "
        "component tensors (flat values and row splits)."
    )
