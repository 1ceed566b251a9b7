"""Compare with TF Serving: the Run tab's request run in this process and on the server,
and where the two answers differ (``explorer.compat.case_diff``: floats within a tolerance,
outputs on one side only, an error on one side only)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from components import keys
from components.remote.remote_calls import call_with_cancel
from components.run import run_panel
from components.text import md_text
from explorer.codec.exchange import body_text
from explorer.compat import case_diff
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.remote.target import RemoteTarget
from explorer.run.dispatch import CallRequest, RunOutcome, dispatch
from explorer.run.local import call_rest

_KIND_WORDS = {
    "missing": "only in this process's answer",
    "extra": "only in TF Serving's answer",
    "value": "values differ beyond the tolerance",
    "type": "JSON types differ",
    "length": "list lengths differ",
    "error": "an error on one side (or different errors)",
}


def render_compare_panel(
    target: RemoteTarget,
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    *,
    allow_unsafe: bool,
    method_name_check: bool,
) -> None:
    """A "Compare with TF Serving" button under the Run tab: the request the Run tab holds,
    run in this process and on the server, and where the two answers differ."""
    if signature.is_init_op:
        return
    scope = run_panel.run_scope(model, meta_graph, signature)
    chosen = st.session_state.get(keys.run_key(scope, keys.RUN_API))
    api = MethodKind(chosen) if chosen else MethodKind.PREDICT
    st.markdown(f"**Compare with TF Serving** · {md_text(target.describe())}")
    tolerance = st.columns(3)
    rtol = tolerance[0].number_input(
        "Relative tolerance", value=1e-5, min_value=0.0, format="%g", key=keys.REMOTE_COMPARE_RTOL
    )
    atol = tolerance[1].number_input(
        "Absolute tolerance", value=1e-6, min_value=0.0, format="%g", key=keys.REMOTE_COMPARE_ATOL
    )
    stored = keys.run_key(scope, keys.REMOTE_COMPARE_OUTCOME, api.value)
    if st.button(
        f"Compare {api.value} with TF Serving", key=keys.run_key(scope, keys.REMOTE_COMPARE_RUN,
                                                                 api.value)
    ):  # fmt: skip
        text = run_panel.current_request_text(meta_graph, signature, scope, api)
        local = call_rest(
            model, api, text, allow_unsafe=allow_unsafe, method_name_check=method_name_check,
            tags=meta_graph.tag_set, kernels=run_panel.chosen_kernels(),
        )  # fmt: skip
        outcome = call_with_cancel(
            lambda cancel: dispatch(target, CallRequest(api, body=text), cancel=cancel),
            f"Waiting for {target.url}",
        )
        remote = (
            outcome.response_json
            if outcome.status is not None
            else {"error": f"(no answer) {outcome.error}"}
        )
        st.session_state[stored] = (local, remote)
    if stored in st.session_state:
        local, remote = st.session_state[stored]
        render_compare_results(local, remote, rtol=float(rtol), atol=float(atol))


def render_compare_results(
    local_result: Any, remote_result: Any, *, rtol: float = 1e-5, atol: float = 1e-6
) -> None:
    """Both answers side by side and every difference: values beyond the tolerance, outputs
    on one side only, an error on one side only.

    Each result may be REST response JSON (or ``{"error": ...}``), a CallResult, a
    RemoteReply, a RunOutcome, or an exception.
    """
    local, remote = _answer(local_result), _answer(remote_result)
    differences = case_diff.compare_responses(local, remote, rtol=rtol, atol=atol)
    if not differences and "error" in local:
        st.info("Both rejected the request, with the same error.")
    elif not differences:
        st.success(f"Same answer from both (floats within rtol {rtol:g}, atol {atol:g}).")
    else:
        st.warning(f"**{len(differences)} difference(s)** between this process and TF Serving.")
        frame = pd.DataFrame(
            [
                {
                    "where": d.path or "(answer)",
                    "what": _KIND_WORDS.get(d.kind, d.kind),
                    "this process": _cell(d.expected),
                    "TF Serving": _cell(d.got),
                }
                for d in differences
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.markdown("**This process**")
    left.code(body_text(local), language="json", wrap_lines=True)
    right.markdown("**TF Serving**")
    right.code(body_text(remote), language="json", wrap_lines=True)


def _answer(result: Any) -> dict[str, Any]:
    if isinstance(result, BaseException):
        return {"error": str(result)}
    if isinstance(result, RunOutcome):
        if result.error is not None or result.result is None:
            return {"error": result.error or ""}
        return dict(result.result.response_json)
    if isinstance(result, Mapping):
        return dict(result)
    if isinstance(result, str):
        parsed = json.loads(result)
        return parsed if isinstance(parsed, dict) else {"value": parsed}
    return dict(result.response_json)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"
