"""The Run tab: call a signature through TF Serving's Classify, Regress or Predict API.

Everything a run does goes through ``explorer.run.calls`` (TF Serving's semantics, in process);
this module only draws the chooser, the editors, the Run button and the outcome. Typed
inputs and the last outcome are kept in ``st.session_state`` under keys scoped to model,
version, tag-set and signature, so switching signature and back keeps them.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from typing import TYPE_CHECKING

import streamlit as st

from components import keys
from components.cases_panel import render_save_case
from components.example_builder import render_example_builder, signature_features
from components.predict_form import render_predict_form
from components.presentation import (
    render_presentation_inputs,
    render_presentation_outcome,
    render_report_download,
)
from components.request_text import render_rest_editor
from components.result_panel import render_outcome
from components.run_execute import RunRequest, execute
from explorer.codec.exchange import (
    body_text,
)
from explorer.constants import CLASSIFY_METHOD_NAME, REGRESS_METHOD_NAME, MethodKind
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.run import calls, runner
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
    api, request, output_filter, extra_fetches = chosen
    left, right = (
        st.columns([2, 3], gap="large") if presentation else (nullcontext(), nullcontext())
    )
    with left:
        if presentation:
            render_presentation_inputs(api, request.text or "")
        scan = scan_meta_graph(meta_graph)
        blocked = not scan.clean and not allow_unsafe
        if blocked:
            ops = ", ".join(sorted({f.op for f in scan.reachable_findings}))
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
            disabled=blocked or not request.ready,
            key=keys.run_key(scope, keys.RUN_BUTTON, api.value),
        )
        if (pressed or autorun) and not blocked and request.ready:
            loaded = (os.path.abspath(model.path), tuple(meta_graph.tags)) in runner.loaded_models()
            waiting = (
                "Asking TF Serving…"
                if remote is not None
                else "Running…"
                if loaded
                else "Loading TensorFlow and the model…"
            )
            with st.spinner(waiting):
                st.session_state[outcome_key] = execute(
                    model,
                    meta_graph,
                    signature,
                    api,
                    request,
                    output_filter=output_filter,
                    extra_fetches=extra_fetches,
                    allow_unsafe=allow_unsafe,
                    method_name_check=method_name_check,
                    remote=remote,
                )
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
) -> tuple[MethodKind, RunRequest, tuple[str, ...], tuple[str, ...]] | None:
    api = _render_api_chooser(scope, signature, verdicts)
    if not _accepted_or_forced(scope, api, verdicts[api]):
        return None
    for issue in verdicts[api].request_time_issues:
        st.caption(f"TF Serving: {issue}")

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
        if request.body is not None:
            st.session_state[form_key] = body_text(request.body)
    else:
        prefill = st.session_state.get(form_key) or body_text(
            calls.request_template(meta_graph, signature, api)
        )
        request = RunRequest(
            text=render_rest_editor(keys.run_key(scope, keys.RUN_REST_BODY, api.value), prefill)
        )
    output_filter, extra_fetches = _render_debug_options(meta_graph, signature, scope, api)
    return api, request, output_filter, extra_fetches


def _presentation_request(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    scope: str,
    verdicts: dict[MethodKind, ServingVerdict],
) -> tuple[MethodKind, RunRequest, tuple[str, ...], tuple[str, ...]] | None:
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
    return api, RunRequest(text=current_request_text(meta_graph, signature, scope, api)), (), ()


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
        f"{reason.splitlines()[0] if reason else ''}"
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
) -> RunRequest:
    if api is MethodKind.PREDICT:
        form = render_predict_form(meta_graph, signature, scope)
        return RunRequest(
            body=form.body(signature.key),
            values=form.values,
            left_out=form.left_out,
            row_format=form.row_format,
        )
    built = render_example_builder(meta_graph, signature, scope)
    return RunRequest(body=built.body)


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
