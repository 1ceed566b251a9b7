"""Deep links in the app: open the view a URL describes, and offer the URL of this view.

A page load reads ``st.query_params`` once per session, in two steps: :func:`apply_link`
before the sidebar pickers are drawn presets their widget keys (source, sample or folder,
version, tag-set, signature, presentation view); :func:`apply_link_to_run`, once the
model and signature are open, checks that the view is the one linked and hands the
method, inputs or case and ``run=1`` to the Run panel. :func:`render_share_link` shows
the link of the current view and keeps the address bar in step with it.
"""

from __future__ import annotations

import dataclasses
import json

import streamlit as st

from components import keys
from components.error_panel import show_error
from components.present.presentation import RUN_TAB
from components.run.examples_panel import cases_at, load_case, model_cases
from components.run.form_state import small_request_text
from components.run.run_panel import run_scope
from components.text import md_code, md_text
from explorer.codec.exchange import body_text
from explorer.compat.cases import TestCase
from explorer.constants import MethodKind
from explorer.errors import (
    ExplorerError,
    ModelSourceError,
    UnknownSignatureError,
    UnknownTagSetError,
)
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.model.locate import locate_model
from explorer.model.samples import Sample
from explorer.present.deep_link import (
    SOURCE_SAMPLE,
    UPLOAD_MESSAGE,
    DeepLinkError,
    ViewState,
    from_query_params,
    link_inputs,
    link_url,
    to_query_params,
    unknown_params,
)
from explorer.safety.paths import AllowedRoots, check_allowed
from explorer.serving.rules import ServingVerdict, check_signature, preferred_method

_FALLBACK_URL = "http://localhost:8501/"


def apply_link(samples: tuple[Sample, ...], *, roots: AllowedRoots) -> ViewState | None:
    """On the first run of a session, preset the pickers from the page's query parameters.

    A link to a folder outside ``roots`` is refused like a typed path; a malformed link
    shows its error and the page opens as usual. Returns the view applied, else None.
    """
    if st.session_state.get(keys.LINK_APPLIED):
        return None
    st.session_state[keys.LINK_APPLIED] = True
    params = st.query_params.to_dict()
    if not params:
        return None
    try:
        state = from_query_params(params)
        _preset(state, samples, roots)
    except ExplorerError as err:
        st.session_state.pop(keys.LINK_PENDING, None)
        show_error(err)
        return None
    ignored = unknown_params(params)
    if ignored:
        # A link is anyone's text: its parameter names are shown as text, never Markdown.
        st.caption(f"Ignored link parameters: {', '.join(map(md_code, ignored))}.")
    return state


def apply_link_to_run(
    model: ModelInfo, meta_graph: MetaGraphInfo, signature: SignatureInfo
) -> None:
    """Check the opened view against the link, then give its request to the Run panel.

    Call it after the signature picker and before the Run panel. When the version,
    tag-set or signature linked is not there, the error says so and nothing is run.
    """
    pending = st.session_state.pop(keys.LINK_PENDING, None)
    if pending is None:
        return
    state, case = pending
    try:
        _check_opened(state, case, model, meta_graph, signature)
    except ExplorerError as err:
        show_error(err)
        return
    if case is not None:
        load_case(model, meta_graph, case, run=state.run, select_signature=False)
        return
    scope = run_scope(model, meta_graph, signature)
    api = state.method or preferred_method(signature, _verdicts(signature))
    if state.method is not None:
        st.session_state[keys.run_key(scope, keys.RUN_API)] = state.method
    if state.inputs is not None:
        st.session_state[keys.run_key(scope, keys.RUN_MODE, api.value)] = keys.MODE_REST
        text = body_text(json.loads(state.inputs))
        st.session_state[keys.run_key(scope, keys.RUN_REST_BODY, api.value)] = text
    if state.run:
        # A link that runs an API TF Serving rejects shows TF Serving's answer.
        st.session_state[keys.run_key(scope, keys.RUN_FORCE, api.value)] = True
        st.session_state[keys.run_key(scope, keys.RUN_AUTORUN, api.value)] = True


def current_view(
    model: ModelInfo, meta_graph: MetaGraphInfo, signature: SignatureInfo | None
) -> ViewState | None:
    """The view on screen without its inputs; None for an uploaded archive.

    Raises:
        DeepLinkError: the view cannot be written as a link (a sample folder named with
            spaces, a path over the length limit).
    """
    kind = st.session_state.get(keys.SOURCE_KIND, keys.SOURCE_SAMPLE)
    if kind == keys.SOURCE_UPLOAD:
        return None
    sample = kind == keys.SOURCE_SAMPLE
    name = st.session_state.get(keys.SAMPLE if sample else keys.FOLDER_PATH) or ""
    method = None
    if signature is not None and not signature.is_init_op:
        scope = run_scope(model, meta_graph, signature)
        chosen = st.session_state.get(keys.run_key(scope, keys.RUN_API))
        method = MethodKind(chosen) if chosen else preferred_method(signature, _verdicts(signature))
    return ViewState(
        source="sample" if sample else "folder",
        model=name.strip() or model.path,
        version=model.version if model.available_versions else None,
        tag_set=None if meta_graph.tag_set == model.meta_graph().tag_set else meta_graph.tag_set,
        signature=None if signature is None else signature.key,
        method=method,
        presentation=bool(st.session_state.get(keys.PRESENTATION, False)),
    )


def sync_query_params(view: ViewState | None) -> None:
    """Keep the address bar on the current view (no inputs, no run), so reload restores it."""
    wanted = to_query_params(view if view is not None else ViewState())
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def render_share_link(
    model: ModelInfo, meta_graph: MetaGraphInfo, signature: SignatureInfo | None
) -> None:
    """Sidebar: the link to this view (copy it from the code box), and the URL kept in sync."""
    try:
        view = current_view(model, meta_graph, signature)
        problem = UPLOAD_MESSAGE if view is None else ""
    except DeepLinkError as err:
        view, problem = None, f"This view cannot be linked. {err}"
    sync_query_params(view)
    # Lazy: the link (and its inputs' encoding) is built only while the expander is open.
    expander = st.sidebar.expander("Link to this view", key=keys.LINK_OPEN, on_change="rerun")
    if not expander.open:
        _keep_link_options()
        return
    with expander:
        if view is None:
            st.caption(md_text(problem))
            return
        linked = view
        if signature is not None and view.method is not None:
            include = st.checkbox(
                "Include the current inputs", value=True, key=keys.LINK_INCLUDE_INPUTS
            )
            run = st.checkbox("Run when opened", value=True, key=keys.LINK_RUN_ON_OPEN)
            if include:
                linked = _with_inputs(model, meta_graph, signature, view)
            linked = dataclasses.replace(linked, run=run)
        # One line (it scrolls): wrapped, a link with inputs fills the sidebar.
        st.code(link_url(st.context.url or _FALLBACK_URL, linked), language=None)
        st.caption("Copy it with the button at the box's corner. Opening it restores this view.")


def _keep_link_options() -> None:
    # Streamlit forgets a widget's value in a run that does not draw it; keep the checkboxes'.
    for key in (keys.LINK_INCLUDE_INPUTS, keys.LINK_RUN_ON_OPEN):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _preset(state: ViewState, samples: tuple[Sample, ...], roots: AllowedRoots) -> None:
    if state.presentation:
        st.session_state[keys.PRESENTATION] = True
    if not state.names_model:
        return
    assert state.model is not None
    if state.source == SOURCE_SAMPLE:
        by_name = {s.name: s for s in samples}
        if state.model not in by_name:
            raise ModelSourceError(
                f'The link names a sample "{state.model}" that is not bundled. Samples: '
                f"{', '.join(by_name) or '(none)'}."
            )
        folder = str(by_name[state.model].path)
        st.session_state[keys.SOURCE_KIND] = keys.SOURCE_SAMPLE
        st.session_state[keys.SAMPLE] = state.model
    else:
        folder = str(check_allowed(state.model, roots))
        st.session_state[keys.SOURCE_KIND] = keys.SOURCE_FOLDER
        st.session_state[keys.FOLDER_PATH] = state.model
    if state.version is not None:
        st.session_state[keys.VERSION] = state.version
        st.session_state[keys.VERSION_SOURCE] = folder
    if state.tag_set is not None:
        st.session_state[keys.TAG_SET] = state.tag_set
    case = _find_case(folder, state) if state.case is not None else None
    signature = state.signature or (case.signature_name if case is not None else None)
    if signature is not None:
        st.session_state[keys.SIGNATURE] = signature
    st.session_state[keys.LINK_PENDING] = (state, case)
    if state.inputs is not None or state.case is not None or state.run:
        st.session_state[keys.MAIN_TAB] = RUN_TAB  # the app's tabs open on Run


def _find_case(folder: str, state: ViewState) -> TestCase:
    cases = cases_at(locate_model(folder, version=state.version).directory)
    for case in cases:
        if case.name == state.case:
            return case
    names = ", ".join(c.name for c in cases) or "(none saved)"
    raise DeepLinkError(
        f'Link parameter "case": no saved case "{state.case}" for this model. Cases: {names}.',
        param="case",
    )


def _check_opened(
    state: ViewState,
    case: TestCase | None,
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
) -> None:
    if state.version is not None and model.version != state.version:
        versions = ", ".join(map(str, model.available_versions)) or "(unversioned)"
        raise ModelSourceError(
            f"The link asks for version {state.version}, which this model does not have. "
            f"Versions: {versions}; showing {model.version}."
        )
    if state.tag_set is not None and set(state.tag_set.split(",")) != set(meta_graph.tags):
        raise UnknownTagSetError(state.tag_set.split(","), [mg.tags for mg in model.meta_graphs])
    wanted = state.signature or (case.signature_name if case is not None else None)
    if wanted is not None and wanted != signature.key:
        raise UnknownSignatureError(wanted, [s.key for s in meta_graph.signatures])


def _with_inputs(
    model: ModelInfo, meta_graph: MetaGraphInfo, signature: SignatureInfo, view: ViewState
) -> ViewState:
    assert view.method is not None
    scope = run_scope(model, meta_graph, signature)
    text = small_request_text(meta_graph, signature, scope, view.method)
    if text is None:
        st.caption(
            "The link leaves the inputs out: they hold images or big tensors, which a link "
            "cannot carry."
        )
        return view
    for case in model_cases(model, meta_graph):  # a saved case is linked by its name
        if case.signature_name == signature.key and case.method == view.method.value:
            saved = case.request if isinstance(case.request, str) else body_text(case.request)
            if _same_json(saved, text):
                return dataclasses.replace(view, case=case.name)
    try:
        return dataclasses.replace(view, inputs=link_inputs(text))
    except DeepLinkError as err:
        st.caption(f"The link leaves the inputs out. {md_text(str(err))}")
        return view


def _same_json(left: str, right: str) -> bool:
    try:
        return json.loads(left) == json.loads(right)
    except json.JSONDecodeError:
        return left == right


def _verdicts(signature: SignatureInfo) -> dict[MethodKind, ServingVerdict]:
    method_name_check = bool(st.session_state.get(keys.METHOD_NAME_CHECK, False))
    return {
        m: check_signature(signature, m, method_name_check=method_name_check) for m in MethodKind
    }
