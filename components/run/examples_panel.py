"""Examples at hand: a model's saved test cases as buttons that load and run their request.

A model's cases live in ``cases.jsonl`` beside it (see ``explorer.compat.cases``): in the model
folder, or for a version folder of a TF Serving base folder, in the version folder or
the base folder. Clicking one puts its request into the Run panel's REST JSON editor,
selects its signature and API, and runs it once.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import keys
from components.run.run_panel import run_scope
from components.text import md_code, md_text
from explorer.codec.exchange import body_text
from explorer.compat.cases import TestCase, load_cases
from explorer.constants import MethodKind
from explorer.errors import CasesFileError
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.model.locate import is_number

CASES_FILE = "cases.jsonl"


def cases_at(folder: str | Path) -> tuple[TestCase, ...]:
    """The cases saved for the model in ``folder`` (its base folder's if it is a version).

    Raises:
        CasesFileError: a cases file is there but cannot be read.
    """
    path = Path(folder)
    candidates = [path / CASES_FILE]
    if is_number(path.name):  # a version folder: cases may be kept for every version
        candidates.append(path.parent / CASES_FILE)
    for file in candidates:
        if file.is_file():
            return load_cases(file)
    return ()


def model_cases(model: ModelInfo, meta_graph: MetaGraphInfo) -> tuple[TestCase, ...]:
    """The cases of this model whose signature is in the MetaGraph; none if unreadable."""
    try:
        cases = cases_at(model.path)
    except CasesFileError:
        return ()
    callable_keys = {s.key for s in meta_graph.callable_signatures}
    return tuple(c for c in cases if c.signature_name in callable_keys)


def render_examples_panel(
    model: ModelInfo, meta_graph: MetaGraphInfo, current: str | None = None
) -> None:
    """One button per saved example; a click loads its request and runs it (switching to
    its signature when that is not ``current``, the chosen one)."""
    try:
        cases_at(model.path)
    except CasesFileError as err:
        st.caption(f"Examples unavailable: {md_text(str(err))}")
        return
    cases = model_cases(model, meta_graph)
    if not cases:
        return
    st.markdown("**Examples** · pick one to load its request and run it")
    # In file order, so a click never moves the buttons; another signature's example
    # names the signature it switches to.
    with st.container(horizontal=True, gap="small"):
        for number, case in enumerate(cases):
            other = current is not None and case.signature_name != current
            # Names come from the model folder's cases file: shown as text, not Markdown.
            name = md_text(case.name)
            st.button(
                f"{name} → {md_code(case.signature_name)}" if other else name,
                key=f"{keys.EXAMPLES}.{number}",
                on_click=load_case,
                args=(model, meta_graph, case),
                help=f"{md_text(case.method.capitalize())} on {md_code(case.signature_name)}"
                + (": TF Serving answers with an error" if case.expects_error else ""),
            )
    loaded = st.session_state.get(keys.EXAMPLE_LOADED)
    if loaded in {c.name for c in cases}:
        st.caption(f"Loaded example: {md_text(loaded)}")


def load_case(
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    case: TestCase,
    *,
    run: bool = True,
    select_signature: bool = True,
) -> None:
    """Put a case's request into the Run panel (REST JSON mode) and ask for one run.

    Call it before the widgets it sets are drawn in this script run: from a button's
    callback, or before the sidebar pickers (``select_signature=False`` after them).
    """
    signature = meta_graph.signature(case.signature_name)
    scope = run_scope(model, meta_graph, signature)
    api = MethodKind(case.method)
    if select_signature:
        st.session_state[keys.SIGNATURE] = signature.key
    st.session_state[keys.run_key(scope, keys.RUN_API)] = api
    st.session_state[keys.run_key(scope, keys.RUN_MODE, api.value)] = keys.MODE_REST
    text = case.request if isinstance(case.request, str) else body_text(case.request)
    st.session_state[keys.run_key(scope, keys.RUN_REST_BODY, api.value)] = text
    # A case may record TF Serving's rejection of an API: send it anyway, as it was.
    st.session_state[keys.run_key(scope, keys.RUN_FORCE, api.value)] = True
    if run:
        st.session_state[keys.run_key(scope, keys.RUN_AUTORUN, api.value)] = True
    st.session_state[keys.EXAMPLE_LOADED] = case.name
