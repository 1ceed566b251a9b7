"""Tables of the Compare page: the changes, and old/new TensorInfos with changed cells coloured."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from components.text import md_code, md_text
from explorer.compat.diff import CompatReport
from explorer.compat.features import requirement
from explorer.compat.rules import Change
from explorer.graph.example_features import expected_features
from explorer.model.info import MetaGraphInfo, SignatureInfo, format_shape

# Cell backgrounds by class of change (light enough for black text).
COLOURS = {"breaking": "#f8d3ce", "notable": "#fcebb6", "safe": "#d6efd2"}
_TENSOR_COLUMNS = ["key", "tensor", "dtype", "shape", "encoding", "default"]
_FEATURE_COLUMNS = ["feature", "dtype", "shape", "kind", "default"]


def render_changes_table(changes: Iterable[Change]) -> None:
    """One row per change, its background by class: breaking, notable, safe."""
    rows = [
        {
            # st.table reads Markdown in its cells: the models' names go through md_text.
            "class": c.kind,
            "signature": md_text(c.signature) if c.signature else "(MetaGraph)",
            "where": md_text(_where(c)),
            "change": md_text(c.what),
            "old": md_text(c.old or ""),
            "new": md_text(c.new or ""),
            "what it means": md_text(c.why),
        }
        for c in changes
    ]
    frame = pd.DataFrame(rows)
    styled = frame.style.apply(
        lambda row: [f"background-color: {COLOURS[row['class']]}"] * len(row), axis=1
    )
    # A static table: its cells wrap, so every change and what it means is read in full.
    st.table(styled, hide_index=True)


def render_signature_pair(report: CompatReport, signature_key: str) -> None:
    """An expander with the old and new signature's tables; changed cells coloured."""
    if report.old is None or report.new is None:
        return
    old = _signature(report.old, signature_key)
    new = _signature(report.new, signature_key)
    changes = report.for_signature(signature_key)
    counts = [f"{n} {k}" for k in COLOURS if (n := sum(c.kind == k for c in changes))]
    label = f"{md_code(signature_key)}: " + (", ".join(counts) if counts else "no changes")
    with st.expander(label, expanded=any(c.kind == "breaking" for c in changes)):
        left, right = st.columns(2, gap="medium")
        for column, side, signature, meta_graph in (
            (left, "old", old, report.old),
            (right, "new", new, report.new),
        ):
            with column:
                _render_side(side, signature, meta_graph, changes)
        other = [c for c in changes if c.part == "api"]
        for change in other:
            st.markdown(
                f"- **{change.kind}**: {md_text(change.key)} API {md_text(change.what)}. "
                f"{md_text(change.why)}"
            )


def tensor_frame(signature: SignatureInfo, part: str) -> pd.DataFrame:
    """Inputs or outputs of a signature as the Compare page shows them."""
    tensors = signature.inputs if part == "input" else signature.outputs
    rows = [
        {
            "key": t.key,
            "tensor": ", ".join(t.tensor_names),
            "dtype": t.dtype,
            "shape": t.shape_text,
            "encoding": t.encoding,
            "default": "yes" if t.key in signature.defaults else "",
        }
        for t in tensors
    ]
    frame = pd.DataFrame(rows, columns=_TENSOR_COLUMNS)
    # Only inputs can have a SignatureDef default.
    return frame if part == "input" else frame.drop(columns="default")


def cell_styles(frame: pd.DataFrame, changes: Iterable[Change], side: str) -> pd.DataFrame:
    """CSS per cell: a changed column coloured, a removed (old) or added (new) row entirely.

    ``frame``'s first column holds the row's key (alias or feature name).
    """
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    rows = {key: index for index, key in zip(frame.index, frame.iloc[:, 0], strict=True)}
    for change in changes:
        row = rows.get(change.key)
        if row is None:
            continue
        colour = f"background-color: {COLOURS[change.kind]}"
        if change.column and change.column in styles.columns:
            styles.loc[row, change.column] = colour
        elif not change.column and (change.old is None) == (side == "new"):
            styles.loc[row, :] = colour  # added rows on the new side, removed on the old
    return styles


def _render_side(
    side: str,
    signature: SignatureInfo | None,
    meta_graph: MetaGraphInfo,
    changes: tuple[Change, ...],
) -> None:
    st.markdown(f"**{side.capitalize()}**")
    if signature is None:
        st.caption("Not in this model.")
        return
    method = next((c for c in changes if c.part == "method_name"), None)
    name = signature.method_name or "(empty)"
    # The name stays outside the colour directive: a "]" in it would end the directive.
    badge = f" :{_tone(method.kind)}-badge[{method.kind}]" if method else ""
    st.markdown(f"method_name {md_code(name)}{badge}")
    for part, title in (("input", "Inputs"), ("output", "Outputs")):
        frame = tensor_frame(signature, part)
        mine = [c for c in changes if c.part == part]
        st.caption(title)
        st.dataframe(
            frame.style.apply(lambda f, m=mine: cell_styles(f, m, side), axis=None),
            hide_index=True,
            width="stretch",
        )
    features = [c for c in changes if c.part == "feature"]
    if features:
        frame = _feature_frame(meta_graph, signature)
        st.caption("tf.Example features the graph parses")
        st.dataframe(
            frame.style.apply(lambda f: cell_styles(f, features, side), axis=None),
            hide_index=True,
            width="stretch",
        )


def _feature_frame(meta_graph: MetaGraphInfo, signature: SignatureInfo) -> pd.DataFrame:
    rows = [
        {
            "feature": f.name,
            "dtype": f.dtype,
            "shape": format_shape(f.shape) if f.kind == "dense" else "",
            "kind": f.kind,
            "default": requirement(f),
        }
        for f in expected_features(meta_graph, signature)
    ]
    return pd.DataFrame(rows, columns=_FEATURE_COLUMNS)


def _signature(meta_graph: MetaGraphInfo, key: str) -> SignatureInfo | None:
    return next((s for s in meta_graph.callable_signatures if s.key == key), None)


def _where(change: Change) -> str:
    if change.part in ("signature", "tag_set"):
        return change.part.replace("_", "-")
    if change.part == "method_name":
        return "method_name"
    if change.part == "api":
        return f"{change.key} API"
    return f'{change.part} "{change.key}"'


def _tone(kind: str) -> str:
    return {"breaking": "red", "notable": "orange", "safe": "green"}[kind]
