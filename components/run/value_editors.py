"""Editors for small predict inputs: a scalar box, a table, JSON text, and the labelled parts
of a sparse (indices / values / dense shape) or ragged (values / row splits) input.

Each returns the input's JSON value, batch dimension included, or raises ValueError with
a message for the user, shown at the input: a cell its dtype cannot hold, rows that do not
fit the declared shape, splits that do not add up. Nothing is ever silently turned into 0.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from components.run.run_state import kept_table, reset_table
from components.text import md_code, md_text
from explorer.codec.cells import CellError, parse_cell
from explorer.model.info import TensorInfo
from explorer.run.templates import ragged_nested

_INTEGER = {"DT_INT8", "DT_INT16", "DT_INT32", "DT_INT64", "DT_UINT8", "DT_UINT16", "DT_UINT32"}
_INTEGER |= {"DT_UINT64"}
_PERSIST = "session"  # kept across pages: Explore → Compare → Explore keeps the request


def scalar_editor(info: TensorInfo, start: Any, base: str) -> Any:
    """One box for a scalar input; numbers are typed as text and checked."""
    key = base + ".scalar"
    label = f"{md_code(info.key)} (scalar {info.dtype})"
    if info.dtype == "DT_BOOL":
        return st.checkbox(label, value=bool(start), key=key, persist_state=_PERSIST)
    text = st.text_input(label, value=_cell_text(start), key=key, persist_state=_PERSIST)
    try:
        return parse_cell(text, info.dtype)
    except CellError as exc:
        raise ValueError(str(exc)) from None


def table_editor(info: TensorInfo, start: Any, base: str) -> Any:
    """Rows = batch items (or the fixed first dimension), columns = the second dimension."""
    assert info.shape is not None
    rows_are_batch = info.shape[0] is None
    rank = len(info.shape)
    width = 1 if rank == 1 else info.shape[1] or 1
    names = ["value"] if width == 1 else [str(c) for c in range(width)]

    def initial() -> pd.DataFrame:
        data = start if isinstance(start, list) else [start]
        cell = bool if info.dtype == "DT_BOOL" else _cell_text
        rows = [[cell(v)] for v in data] if rank == 1 else [[cell(v) for v in r] for r in data]
        return pd.DataFrame(rows, columns=names, dtype=object)

    what = "Rows = batch items" if rows_are_batch else f"Rows = its {info.shape[0]} elements"
    if width > 1:
        what += f", columns = the {width} values of each"
    st.caption(what + ("; add or delete rows at the table's edge." if rows_are_batch else "."))
    config = {
        name: st.column_config.CheckboxColumn(name)
        if info.dtype == "DT_BOOL"
        else st.column_config.TextColumn(name)
        for name in names
    }
    frame = kept_table(
        base + ".table",
        initial,
        num_rows="dynamic" if rows_are_batch else "fixed",
        hide_index=False,
        column_config=config,
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
    values = frame_values(frame, info.dtype)
    return [row[0] for row in values] if rank == 1 else values


def frame_values(frame: pd.DataFrame, dtype: str) -> list[list[Any]]:
    """Every cell of a table as its dtype holds it.

    Raises:
        ValueError: one line per cell that cannot be held ("row 2, column 1: …").
    """
    problems = []
    rows = []
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        cells = []
        for column, cell in row.items():
            try:
                cells.append(parse_cell(_empty_as_text(cell), dtype))
            except CellError as exc:
                where = f"row {number}" + (f", column {column}" if len(row) > 1 else "")
                problems.append(f"{where}: {exc}")
        rows.append(cells)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ValueError("; ".join(problems[:5]) + more)
    return rows


def json_editor(info: TensorInfo, start: Any, base: str, help_text: str) -> Any:
    """A text area holding the input's JSON value."""
    text = st.text_area(
        f"{md_code(info.key)} (JSON)",
        value=json.dumps(start),
        key=base + ".json",
        height=120,
        persist_state=_PERSIST,
        help=help_text,
    )
    try:
        return json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from exc


def sparse_editor(info: TensorInfo, start: dict[str, Any], base: str) -> dict[str, Any]:
    """A SparseTensor in its three parts: one row per stored value (its index in each
    dimension, then the value), and the dense shape it lives in."""
    rank = len(start["dense_shape"])
    dims = info.shape or ()
    declared = "×".join(
        str(d) if d is not None else "batch" if i == 0 else "any" for i, d in enumerate(dims)
    )
    st.caption(
        "Sparse input: one row per stored value — its **indices** (one column per "
        f"dimension), then its **value**; the **dense shape** it lives in ({declared} "
        "declared). TF Serving cannot feed sparse TensorInfos; Signature Explorer feeds "
        "these three component tensors."
    )
    names = [f"index {d}" for d in range(rank)] + ["value"]

    def initial() -> pd.DataFrame:
        rows = [
            [str(i) for i in index] + [_cell_text(value)]
            for index, value in zip(start["indices"], start["values"], strict=True)
        ]
        return pd.DataFrame(rows, columns=names, dtype=object)

    frame = kept_table(
        base + ".sparse",
        initial,
        num_rows="dynamic",
        hide_index=True,
        column_config={n: st.column_config.TextColumn(n) for n in names},
        width=110 * len(names) + 40,
    )
    shape_text = st.text_input(
        "dense shape",
        value=", ".join(str(d) for d in start["dense_shape"]),
        key=base + ".dense_shape",
        persist_state=_PERSIST,
        help="One whole number per dimension, the batch first.",
    )
    dense_shape = _whole_numbers(shape_text, "the dense shape")
    if len(dense_shape) != rank:
        raise ValueError(f"the dense shape needs {rank} dimensions; got {len(dense_shape)}")
    for position, (dim, want) in enumerate(zip(dense_shape, info.shape or (), strict=False)):
        if want is not None and dim != want:
            raise ValueError(
                f"dimension {position} of the dense shape is {want} in the signature; got {dim}"
            )
    indices = frame_values(frame[names[:-1]], "DT_INT64") if len(frame) else []
    values = [row[0] for row in frame_values(frame[["value"]], info.dtype)] if len(frame) else []
    for number, index in enumerate(indices, start=1):
        if any(not 0 <= at < dim for at, dim in zip(index, dense_shape, strict=True)):
            raise ValueError(
                f"row {number}: index {index} lies outside the dense shape {dense_shape}"
            )
    return {"indices": indices, "values": values, "dense_shape": dense_shape}


def ragged_editor(info: TensorInfo, start: dict[str, Any], base: str, dtype: str) -> Any:
    """A RaggedTensor (ragged rank 1) as its flat values and row splits: row i holds
    ``values[row_splits[i]:row_splits[i+1]]``."""
    st.caption(
        "Ragged input: the **values** of every row one after another, and the **row "
        "splits** where each row starts (row `i` holds `values[splits[i]:splits[i + 1]]`; "
        "the last split is the number of values). TF Serving cannot feed composite "
        "TensorInfos; Signature Explorer feeds these component tensors."
    )
    left, right = st.columns(2)
    values_text = left.text_input(
        "values",
        value=", ".join(_cell_text(v) for v in start["values"]),
        key=base + ".ragged_values",
        persist_state=_PERSIST,
        help=f"Comma-separated {dtype} values.",
    )
    splits_text = right.text_input(
        "row splits",
        value=", ".join(str(s) for s in start["row_splits"]),
        key=base + ".row_splits",
        persist_state=_PERSIST,
        help="Comma-separated whole numbers from 0 to the number of values.",
    )
    values = []
    for position, text in enumerate(_items(values_text), start=1):
        try:
            values.append(parse_cell(text, dtype))
        except CellError as exc:
            raise ValueError(f"value {position}: {exc}") from None
    nested = ragged_nested(values, _whole_numbers(splits_text, "the row splits"))
    shown = " · ".join(json.dumps(row) for row in nested[:6]) + (" · …" if len(nested) > 6 else "")
    # The values may be anyone's (a link's inputs): shown as text, never Markdown.
    st.caption(f"{len(nested)} row{'s' if len(nested) != 1 else ''}: {md_text(shown)}")
    return nested


def _whole_numbers(text: str, what: str) -> list[int]:
    numbers = []
    for item in _items(text):
        try:
            numbers.append(int(parse_cell(item, "DT_INT64")))
        except CellError as exc:
            raise ValueError(f"{what}: {exc}") from None
    return numbers


def _items(text: str) -> list[str]:
    stripped = text.strip().removeprefix("[").removesuffix("]")
    return [item.strip() for item in stripped.split(",")] if stripped.strip() else []


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _empty_as_text(cell: Any) -> Any:
    if cell is None or (isinstance(cell, float) and cell != cell) or cell is pd.NA:
        return ""
    return cell
