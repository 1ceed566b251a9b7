"""Signature tables: TensorInfos, and TF Serving's verdict per API."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import keys
from components.text import md_code, md_text, plain
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo
from explorer.serving.rules import check_signature

_MARK = {True: "✓ accepted", False: "✗ rejected"}


def render_signature_overview(meta_graph: MetaGraphInfo, method_name_check: bool = False) -> None:
    """One row per signature: method_name, keys, and which APIs TF Serving accepts (a
    server with ``--enable_signature_method_name_check`` when ``method_name_check``)."""
    rows = []
    for sig in meta_graph.signatures:
        row = {  # plain: a right-to-left override in a name must not show it backwards
            "signature": plain(sig.key),
            "method_name": plain(sig.method_name) or "(none)",
            "inputs": ", ".join(plain(t.key) for t in sig.inputs),
            "outputs": ", ".join(plain(t.key) for t in sig.outputs),
        }
        for method in MethodKind:
            row[method.value.capitalize()] = (
                "initializer"
                if sig.is_init_op
                else "✓"
                if check_signature(sig, method, method_name_check=method_name_check).accepted
                else "✗"
            )
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    server = (
        "a TF Serving started with --enable_signature_method_name_check"
        if method_name_check
        else "TF Serving as it starts by default (method_name not checked)"
    )
    st.caption(f"✓ / ✗: whether {server} accepts the API for the signature.")


def tensor_rows(tensors: tuple[TensorInfo, ...], defaults: tuple[str, ...] = ()) -> pd.DataFrame:
    """TensorInfos as a table: key, tensor, dtype, shape, encoding."""
    rows = []
    for t in tensors:
        if t.encoding == "coo_sparse" and t.sparse_tensors:
            values, indices, dense_shape = t.sparse_tensors
            tensor = f"values {values} · indices {indices} · dense_shape {dense_shape}"
        elif t.encoding == "composite_tensor":
            tensor = f"{t.composite_spec} · components {', '.join(t.component_names)}"
        else:
            tensor = t.name or ""
        rows.append(
            {
                "key": plain(t.key) + (" (has default)" if t.key in defaults else ""),
                "tensor": plain(tensor),
                "dtype": t.dtype,
                "numpy": t.numpy_dtype,
                "shape": t.shape_text,
                "encoding": t.encoding,
            }
        )
    return pd.DataFrame(rows, columns=["key", "tensor", "dtype", "numpy", "shape", "encoding"])


def render_signature(sig: SignatureInfo) -> None:
    """The chosen signature's method_name and its input and output TensorInfos."""
    st.subheader(f"Signature {md_code(sig.key)}")
    if sig.is_init_op:
        st.info(
            "`__saved_model_init_op` is the model's initializer: TensorFlow runs it once when "
            "the model loads (tables, assets). It is not a callable signature."
        )
    st.markdown(f"**method_name** {md_code(sig.method_name or '(empty)')}")
    left, right = st.columns(2)
    with left:
        st.markdown("**Inputs**")
        st.dataframe(tensor_rows(sig.inputs, sig.defaults), hide_index=True, width="stretch")
    with right:
        st.markdown("**Outputs**")
        st.dataframe(tensor_rows(sig.outputs), hide_index=True, width="stretch")


def render_verdicts(sig: SignatureInfo) -> None:
    """Classify / Regress / Predict: accepted, or TF Serving's reason, for both server modes."""
    st.markdown("**Would TF Serving accept it?**")
    rows = []
    for method in MethodKind:
        default = check_signature(sig, method)
        strict = check_signature(sig, method, method_name_check=True)
        rows.append(
            {
                "API": method.value.capitalize(),
                "TF Serving default": _verdict_cell(default.accepted, default.reason),
                "--enable_signature_method_name_check": _verdict_cell(
                    strict.accepted, strict.reason
                ),
                "fails at request time": " • ".join(map(md_text, default.request_time_issues))
                or "—",
            }
        )
    # A static table: its cells wrap, so TF Serving's reasons are read in full. Its cells
    # are Markdown: the reasons quote the model's keys, so they go through md_text.
    st.table(pd.DataFrame(rows), hide_index=True)
    # TensorInfos that declare another dtype than the graph's tensor (TF Serving meets the
    # graph's): said once, under the table.
    for note in dict.fromkeys(n for m in MethodKind for n in check_signature(sig, m).notes):
        st.caption(md_text(note))
    rejections = [
        (method, check, verdict.reason)
        for method in MethodKind
        for check in (False, True)
        if not (verdict := check_signature(sig, method, method_name_check=check)).accepted
    ]
    # Lazy: the messages are drawn only while the expander is open.
    expander = (
        st.expander(
            "TF Serving's full rejection messages", key=keys.REJECTIONS_OPEN, on_change="rerun"
        )
        if rejections
        else None
    )
    if expander is not None and expander.open:
        with expander:
            for method, check, reason in rejections:
                mode = "with --enable_signature_method_name_check" if check else "default"
                st.markdown(f"**{method.value.capitalize()}** ({mode})")
                st.code(reason or "", language="text")
    st.caption(
        "TF Serving's default (since 2.4) ignores method_name and checks only the signature's "
        "keys, so TF2 signatures (always tensorflow/serving/predict) can serve Classify and "
        "Regress. Reasons are TF Serving's own error text."
    )


def _verdict_cell(accepted: bool, reason: str | None) -> str:
    if accepted:
        return _MARK[True]
    first_line = (reason or "").split("\n", 1)[0]
    if first_line.endswith("{") and ": " in first_line:
        # "... found in SignatureDef: inputs {": the SignatureDef's dump starts there; the
        # expander below holds the whole message.
        first_line = first_line[: first_line.rindex(": ")]
    return f"{_MARK[False]}: {md_text(first_line)}"
