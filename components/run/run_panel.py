"""The Run tab: call a signature through TF Serving's Classify, Regress or Predict API.

Every run goes through ``explorer.run.dispatch`` (TF Serving's semantics, in this explorer
or on a TF Serving); this module only draws the chooser, the editors, the Run button and
the outcome. Typed inputs and the last outcome are kept in ``st.session_state`` under keys
scoped to model, version, tag-set and signature, so switching signature and back keeps
them.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING

import streamlit as st

from components import keys
from components.compare.cases_panel import render_save_case
from components.present.presentation import (
    render_presentation_inputs,
    render_presentation_outcome,
    render_report_download,
)
from components.remote.remote_calls import call_with_cancel
from components.run.example_builder import render_example_builder, signature_features
from components.run.predict_form import render_predict_form
from components.run.request_text import render_rest_editor
from components.run.result_panel import render_outcome
from components.text import md_code, md_text
from explorer.codec.exchange import (
    body_text,
)
from explorer.constants import CLASSIFY_METHOD_NAME, REGRESS_METHOD_NAME, Kernels, MethodKind
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.run import calls, runner
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget
from explorer.safety.scan import scan_meta_graph
from explorer.serving.rules import ServingVerdict, check_signature

if TYPE_CHECKING:
    from explorer.remote.target import RemoteTarget

_API_LABELS = {
    MethodKind.CLASSIFY: "Classify",
    MethodKind.REGRESS: "Regress",
    MethodKind.PREDICT: "Predict",
}


def run_scope(model: ModelInfo, meta_graph: MetaGraphInfo, signature: SignatureInfo) -> str:
    """The key scope of one signature: model folder, version, tag-set, signature key."""
    version = "" if model.version is None else str(model.version)
    return f"{model.path}@{version}|{meta_graph.tag_set}|{signature.key}"


def render_run_panel(
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    *,
    allow_unsafe: bool,
    method_name_check: bool,
    presentation: bool = False,
    remote: RemoteTarget | None = None,
) -> None:
    """API chooser, request editors, Run button and the last outcome for one signature.

    With ``remote`` the request goes to that TF Serving instead of this process.

    ``presentation`` draws the presentation view instead: the request kept from the full
    view shown readably, a Run button, and the answer big and clean.
    """
    if signature.is_init_op:
        st.info("`__saved_model_init_op` runs when the model loads; it cannot be called.")
        return
    scope = run_scope(model, meta_graph, signature)
    verdicts = {
        m: check_signature(signature, m, method_name_check=method_name_check) for m in MethodKind
    }
    chosen = (
        _presentation_request(meta_graph, signature, scope, verdicts)
        if presentation
        else _render_editors(meta_graph, signature, scope, verdicts)
    )
    if chosen is None:
        return
    api, request = chosen
    left, right = (
        st.columns([2, 3], gap="large") if presentation else (nullcontext(), nullcontext())
    )
    with left:
        if presentation:
            render_presentation_inputs(api, request.shown_text() if request is not None else "")
        scan = scan_meta_graph(meta_graph)
        blocked = not scan.clean and not allow_unsafe
        if blocked:
            ops = ", ".join(md_code(op) for op in sorted({f.op for f in scan.reachable_findings}))
            st.warning(
                f"Running is disabled: this model contains unsafe ops ({ops}). Tick "
                '"I trust this model" above if you know where it comes from.'
            )
        outcome_key = keys.run_key(scope, keys.RUN_OUTCOME, api.value)
        # An example button or a link asks for one run on this draw.
        autorun = st.session_state.pop(keys.run_key(scope, keys.RUN_AUTORUN, api.value), False)
        pressed = st.button(
            f"Run {api.value}",
            type="primary",
            disabled=blocked or request is None,
            key=keys.run_key(scope, keys.RUN_BUTTON, api.value),
        )
        if (pressed or autorun) and not blocked and request is not None:
            loaded = (os.path.abspath(model.path), tuple(meta_graph.tags)) in runner.loaded_models()
            waiting = (
                "Asking TF Serving…"
                if remote is not None
                else "Running…"
                if loaded
                else "Loading TensorFlow and the model…"
            )
            with st.spinner(waiting):
                if remote is not None:
                    st.session_state[outcome_key] = call_with_cancel(
                        lambda cancel: dispatch(remote, request, cancel=cancel),
                        f"Waiting for {remote.url}",
                    )
                else:
                    local = LocalTarget(
                        model,
                        tags=meta_graph.tag_set,
                        allow_unsafe=allow_unsafe,
                        method_name_check=method_name_check,
                        kernels=chosen_kernels(),
                    )
                    st.session_state[outcome_key] = dispatch(local, request)
    outcome = st.session_state.get(outcome_key)
    with right:
        if presentation:
            render_presentation_outcome(outcome)
        elif outcome is not None:
            render_outcome(outcome, key=outcome_key)
        if outcome is not None:
            render_report_download(model, meta_graph, signature.key, outcome, key=outcome_key)
            if not presentation:
                render_save_case(outcome, model, signature.key, key=outcome_key)


def current_request_text(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> str:
    """The request the Run panel would send: the REST text, else the form's last body."""
    if st.session_state.get(keys.run_key(scope, keys.RUN_MODE, api.value)) == keys.MODE_REST:
        text = st.session_state.get(keys.run_key(scope, keys.RUN_REST_BODY, api.value))
        if text:
            return str(text)
    return st.session_state.get(keys.run_key(scope, keys.RUN_FORM_BODY, api.value)) or body_text(
        calls.request_template(meta_graph, signature, api)
    )


def _render_editors(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    scope: str,
    verdicts: dict[MethodKind, ServingVerdict],
) -> tuple[MethodKind, CallRequest | None] | None:
    api = _render_api_chooser(scope, signature, verdicts)
    if not _accepted_or_forced(scope, api, verdicts[api]):
        return None
    for issue in verdicts[api].request_time_issues:
        st.caption(f"TF Serving: {md_text(issue)}")

    has_features = api is MethodKind.PREDICT or bool(signature_features(meta_graph, signature))
    mode = st.radio(
        "Edit the request as",
        [keys.MODE_FORM, keys.MODE_REST],
        index=0 if has_features else 1,
        horizontal=True,
        key=keys.run_key(scope, keys.RUN_MODE, api.value),
        persist_state="page",
    )
    form_key = keys.run_key(scope, keys.RUN_FORM_BODY, api.value)
    if mode == keys.MODE_FORM:
        request = _render_form(meta_graph, signature, scope, api)
        if request is not None and isinstance(request.body, dict):
            st.session_state[form_key] = body_text(request.body)
    else:
        prefill = st.session_state.get(form_key) or body_text(
            calls.request_template(meta_graph, signature, api)
        )
        text = render_rest_editor(keys.run_key(scope, keys.RUN_REST_BODY, api.value), prefill)
        request = CallRequest(api, body=text) if text is not None else None
    output_filter, extra_fetches = _render_debug_options(meta_graph, signature, scope, api)
    if request is None:
        return api, None
    return api, replace(request, output_filter=output_filter, extra_fetches=extra_fetches)


def _presentation_request(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    scope: str,
    verdicts: dict[MethodKind, ServingVerdict],
) -> tuple[MethodKind, CallRequest | None] | None:
    # No editors, no debugging options: the request kept from the full view, as REST text.
    chosen = st.session_state.get(keys.run_key(scope, keys.RUN_API))
    api = MethodKind(chosen) if chosen else preferred_api(signature, verdicts)
    forced = st.session_state.get(keys.run_key(scope, keys.RUN_FORCE, api.value), False)
    if not verdicts[api].accepted and not forced:
        st.warning(
            f"TF Serving rejects {_API_LABELS[api]} for this signature: switch the "
            "presentation view off for the details."
        )
        return None
    return api, CallRequest(api, body=current_request_text(meta_graph, signature, scope, api))


def preferred_api(
    signature: SignatureInfo, verdicts: dict[MethodKind, ServingVerdict]
) -> MethodKind:
    """The API the signature is made for: its method_name if TF Serving accepts it, else
    Classify, then Regress (TF2 signatures shaped for them), else Predict."""
    declared = {CLASSIFY_METHOD_NAME: MethodKind.CLASSIFY, REGRESS_METHOD_NAME: MethodKind.REGRESS}
    method = declared.get(signature.method_name)
    if method is not None and verdicts[method].accepted:
        return method
    for method in (MethodKind.CLASSIFY, MethodKind.REGRESS):
        if verdicts[method].accepted:
            return method
    return MethodKind.PREDICT


def _render_api_chooser(
    scope: str, signature: SignatureInfo, verdicts: dict[MethodKind, ServingVerdict]
) -> MethodKind:
    options = list(MethodKind)
    key = keys.run_key(scope, keys.RUN_API)
    # An example or a link may already have set the API in session state: then pass no
    # default of our own (index 0 counts as none), or Streamlit warns the two conflict.
    preferred = options.index(preferred_api(signature, verdicts))
    chosen = st.radio(
        "TF Serving API",
        options,
        index=0 if key in st.session_state else preferred,
        format_func=lambda m: _API_LABELS[m] + ("" if verdicts[m].accepted else " (rejected)"),
        horizontal=True,
        key=key,
        persist_state="page",
    )
    return MethodKind(chosen)


def _accepted_or_forced(scope: str, api: MethodKind, verdict: ServingVerdict) -> bool:
    if verdict.accepted:
        return True
    reason = verdict.reason or ""
    st.warning(
        f"**TF Serving rejects {_API_LABELS[api]} for this signature:** "
        f"{md_text(reason.splitlines()[0]) if reason else ''}"
    )
    if "\n" in reason:
        with st.expander("TF Serving's full message"):
            st.code(reason, language="text")
    return st.checkbox(
        "Send a request anyway, to see TF Serving's answer",
        key=keys.run_key(scope, keys.RUN_FORCE, api.value),
        persist_state="page",
    )


def _render_form(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> CallRequest | None:
    if api is MethodKind.PREDICT:
        form = render_predict_form(meta_graph, signature, scope)
        body = form.body(signature.key)
        if body is None:
            return None
        if not form.left_out:
            return CallRequest(api, body=body)
        # Inputs left out take their defaults: fed the gRPC way, the values as typed.
        return CallRequest(
            api,
            body=body,
            arrays=form.values,
            signature=signature.key,
            row_format=form.row_format,
            left_out=form.left_out,
        )
    built = render_example_builder(meta_graph, signature, scope)
    return CallRequest(api, body=built.body) if built.body is not None else None


def _render_debug_options(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    with st.expander("Debugging: output filter and extra tensors"):
        output_filter: list[str] = []
        if api is MethodKind.PREDICT:
            output_filter = st.multiselect(
                "Outputs to fetch (output_filter; empty = all)",
                [t.key for t in signature.outputs],
                key=keys.run_key(scope, keys.RUN_OUTPUT_FILTER),
                persist_state="page",
                help="gRPC Predict's output_filter. TF Serving's REST API always returns "
                "every output.",
            )
        extra = st.multiselect(
            "Extra tensors of the graph to fetch",
            _tensor_names(meta_graph),
            key=keys.run_key(scope, keys.RUN_EXTRA_FETCHES, api.value),
            persist_state="page",
            accept_new_options=True,
            placeholder="e.g. pool:0",
            help="Any tensor of the top-level graph, fetched in the same Session run (to "
            "check what a mapping feeds where). TF Serving itself cannot return these.",
        )
    return tuple(output_filter), tuple(extra)


def _tensor_names(meta_graph: MetaGraphInfo) -> list[str]:
    if meta_graph.proto is None:
        return []
    return [f"{n.name}:0" for n in meta_graph.proto.graph_def.node if n.op != "NoOp"]


def chosen_kernels() -> Kernels:
    """Whose kernels run the model, as the sidebar says: TF Serving's standard build's, or
    its mkl build's (oneDNN)."""
    return "mkl" if st.session_state.get(keys.ONEDNN_KERNELS, False) else "standard"
