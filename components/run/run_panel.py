"""The Run tab: call a signature through TF Serving's Classify, Regress or Predict API.

Every run goes through ``explorer.run.dispatch`` (TF Serving's semantics, in this explorer
or on a TF Serving); this module only draws the chooser, the editors, the Run button and
the outcome. Typed inputs and the last outcome are kept in ``st.session_state`` under keys
scoped to model, version, tag-set and signature, so switching signature (or page) and back
keeps them. An outcome remembers the request it answered: when the form has changed
since, the answer says so.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import streamlit as st

from components import keys
from components.compare.cases_panel import render_save_case
from components.present.presentation import (
    render_presentation_inputs,
    render_presentation_outcome,
    render_report_download,
)
from components.present.showcase import presentation_predict, presentation_request
from components.remote.remote_calls import call_with_cancel
from components.run.example_builder import render_example_builder, signature_features
from components.run.form_state import (
    current_request,
    keep_form_request,
    kept_tensors,
    request_fingerprint,
    text_prefill,
)
from components.run.inspection_panel import render_inspection, render_inspection_options
from components.run.predict_form import render_predict_form
from components.run.request_text import render_big_request_note, render_rest_editor
from components.run.result_panel import render_outcome
from components.run.tensor_value import TensorValue
from components.text import md_code, md_text
from explorer.constants import Kernels, MethodKind
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.run import runner
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget
from explorer.safety.scan import scan_meta_graph
from explorer.serving.rules import ServingVerdict, check_signature, preferred_method

if TYPE_CHECKING:
    from explorer.remote.target import RemoteTarget

# The API, its request (None until the form holds one), what compact editors hold, and
# whether a photo was just dropped in the presentation view.
Chosen = tuple[MethodKind, "CallRequest | None", "dict[str, TensorValue]", bool]

_PICTURES = "pictures"  # outcome key part: the photos the answer is for
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
    left, right = (
        st.columns([2, 3], gap="large") if presentation else (nullcontext(), nullcontext())
    )
    dropped = False
    with left:
        if presentation:
            st.subheader("What goes in", anchor=False)
        chosen = (
            _presentation_request(meta_graph, signature, scope, verdicts)
            if presentation
            else _render_editors(meta_graph, signature, scope, verdicts)
        )
        if chosen is None:
            return
        api, request, tensors, dropped = chosen
        if presentation:
            aliases = tuple(t.key for t in signature.inputs)
            render_presentation_inputs(api, request, tensors, aliases)
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
        autorun = autorun or dropped  # a photo dropped in the presentation view runs at once
        pressed = st.button(
            f"Run {api.value}",
            type="primary",
            disabled=blocked or request is None,
            key=keys.run_key(scope, keys.RUN_BUTTON, api.value),
        )
        fingerprint_key = f"{outcome_key}.{keys.RUN_FINGERPRINT}"
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
            st.session_state[fingerprint_key] = request_fingerprint(request)
            # The photos this answer is for, so the stage can show each answer beside them.
            sent = tensors if presentation else kept_tensors(scope, api)
            st.session_state[f"{outcome_key}.{_PICTURES}"] = _photos(request, sent)
    outcome = st.session_state.get(outcome_key)
    with right:
        if outcome is not None and request is not None:
            ran = st.session_state.get(fingerprint_key)
            if ran is not None and ran != request_fingerprint(request):
                st.warning(
                    "**The form has changed since this answer.** It answers the request "
                    "sent then; press Run for the answer to what the form holds now.",
                    icon=":material/history:",
                )
        if presentation:
            st.subheader("What comes out", anchor=False)
            pictures = st.session_state.get(f"{outcome_key}.{_PICTURES}")
            render_presentation_outcome(outcome, meta_graph, scope, pictures)
        elif outcome is not None:
            render_outcome(outcome, key=outcome_key, labels_scope=scope, meta_graph=meta_graph)
            render_inspection(outcome, model, meta_graph, signature)
        if outcome is not None:
            render_report_download(model, meta_graph, signature.key, outcome, key=outcome_key)
            if not presentation:
                render_save_case(outcome, model, signature.key, key=outcome_key)


def _photos(request: CallRequest, tensors: dict[str, TensorValue]) -> list[Any]:
    # One picture per batch item of the one image input of a form's request (a REST body
    # typed as text carries no pictures of its own).
    if request.arrays is None:
        return []
    shown = [value.pictures for value in tensors.values() if value.pictures and not value.waiting]
    return list(shown[0]) if len(shown) == 1 else []


def current_request_text(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> str:
    """The request the Run panel would send, as REST text (arrays written out as JSON: for
    sending the same request elsewhere, not for the page)."""
    return current_request(meta_graph, signature, scope, api).shown_text()


def _render_editors(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    scope: str,
    verdicts: dict[MethodKind, ServingVerdict],
) -> Chosen | None:
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
        persist_state="session",
    )
    form_key = keys.run_key(scope, keys.RUN_FORM_BODY, api.value)
    if mode == keys.MODE_FORM:
        request = _render_form(meta_graph, signature, scope, api)
    else:
        prefill = st.session_state.get(form_key) or text_prefill(meta_graph, signature, api)
        if prefill is None:  # images or big tensors: offered as a file, not as text
            render_big_request_note(current_request(meta_graph, signature, scope, api), scope)
        text = render_rest_editor(keys.run_key(scope, keys.RUN_REST_BODY, api.value), prefill or "")
        request = CallRequest(api, body=text) if text else None
    output_filter, extra_fetches = _render_debug_options(meta_graph, signature, scope, api)
    taps, profile = render_inspection_options(meta_graph, signature)
    if request is None:
        return api, None, {}, False
    request = replace(
        request,
        output_filter=output_filter,
        extra_fetches=extra_fetches,
        taps=taps,
        profile=profile,
    )
    return api, request, {}, False


def _presentation_request(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    scope: str,
    verdicts: dict[MethodKind, ServingVerdict],
) -> Chosen | None:
    # No editors, no debugging options: the request kept from the full view; image inputs
    # keep a drop zone here (a photo dropped runs the model at once).
    chosen = st.session_state.get(keys.run_key(scope, keys.RUN_API))
    api = MethodKind(chosen) if chosen else preferred_method(signature, verdicts)
    forced = st.session_state.get(keys.run_key(scope, keys.RUN_FORCE, api.value), False)
    if not verdicts[api].accepted and not forced:
        st.warning(
            f"TF Serving rejects {_API_LABELS[api]} for this signature: switch the "
            "presentation view off for the details."
        )
        return None
    if presentation_request(meta_graph, signature, scope, api):
        request, tensors, dropped = presentation_predict(meta_graph, signature, scope)
        return api, request, tensors, dropped
    return api, current_request(meta_graph, signature, scope, api), kept_tensors(scope, api), False


def _render_api_chooser(
    scope: str, signature: SignatureInfo, verdicts: dict[MethodKind, ServingVerdict]
) -> MethodKind:
    options = list(MethodKind)
    key = keys.run_key(scope, keys.RUN_API)
    # An example or a link may already have set the API in session state: then pass no
    # default of our own (index 0 counts as none), or Streamlit warns the two conflict.
    preferred = options.index(preferred_method(signature, verdicts))
    chosen = st.radio(
        "TF Serving API",
        options,
        index=0 if key in st.session_state else preferred,
        format_func=lambda m: _API_LABELS[m] + ("" if verdicts[m].accepted else " (rejected)"),
        horizontal=True,
        key=key,
        persist_state="session",
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
        persist_state="session",
    )


def _render_form(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> CallRequest | None:
    if api is MethodKind.PREDICT:
        form = render_predict_form(meta_graph, signature, scope)
        request = form.request(signature.key)
        if request is not None:
            keep_form_request(scope, api, request, form)
        return request
    built = render_example_builder(meta_graph, signature, scope)
    if built.body is None:
        return None
    request = CallRequest(api, body=built.body)
    keep_form_request(scope, api, request)
    return request


def _render_debug_options(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    filter_key = keys.run_key(scope, keys.RUN_OUTPUT_FILTER)
    extra_key = keys.run_key(scope, keys.RUN_EXTRA_FETCHES, api.value)
    # Lazy: a big graph's tensor names (thousands) are sent only while the expander is open;
    # closed, the choices made in it still apply (they are kept for the session).
    expander = st.expander(
        "Debugging: output filter and extra tensors",
        key=keys.run_key(scope, keys.RUN_DEBUG_OPEN),
        on_change="rerun",
    )
    if not expander.open:
        chosen_filter = st.session_state.get(filter_key) if api is MethodKind.PREDICT else None
        return tuple(chosen_filter or ()), tuple(st.session_state.get(extra_key) or ())
    with expander:
        output_filter: list[str] = []
        if api is MethodKind.PREDICT:
            output_filter = st.multiselect(
                "Outputs to fetch (output_filter; empty = all)",
                [t.key for t in signature.outputs],
                key=filter_key,
                persist_state="session",
                help="gRPC Predict's output_filter. TF Serving's REST API always returns "
                "every output.",
            )
        extra = st.multiselect(
            "Extra tensors of the graph to fetch",
            _tensor_names(meta_graph),
            key=extra_key,
            persist_state="session",
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
