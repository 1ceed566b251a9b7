"""A small page with the demo features wired as app.py wires them: deep links, presentation
view, examples at hand, share link, report download. Pickers and Run panel are the app's."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from components import keys
from components.deep_link_panel import (
    apply_link,
    apply_link_to_run,
    render_share_link,
)
from components.error_panel import show_error
from components.examples_panel import render_examples_panel
from components.model_picker import (
    render_meta_graph_picker,
    render_signature_picker,
    render_source_picker,
    render_version_picker,
)
from components.presentation import (
    render_presentation_header,
    render_presentation_toggle,
)
from components.run_panel import render_run_panel
from components.safety_panel import render_safety_banner
from components.signature_panel import render_signature
from explorer.errors import ExplorerError
from explorer.model_info import ModelInfo
from explorer.paths import AllowedRoots, check_allowed
from explorer.reader import read_model
from explorer.safety import scan_meta_graph
from explorer.samples import list_samples

st.set_page_config(page_title="Signature Explorer demo", layout="wide")


@st.cache_resource(show_spinner=False)
def _model(path: str, version: int | None) -> ModelInfo:
    return read_model(path, version=version)


def main() -> None:
    samples = list_samples()
    roots = AllowedRoots.from_env()
    apply_link(samples, roots=roots)
    presentation = render_presentation_toggle()
    source = render_source_picker(samples)
    if source is None or source.path is None:
        return
    try:
        path = source.path
        if source.kind == keys.SOURCE_FOLDER:
            path = str(check_allowed(path, roots))
        model = _model(path, None)
        render_version_picker(model)
        chosen = st.session_state.get(keys.VERSION)
        if chosen in model.available_versions and chosen != model.version:
            model = _model(path, chosen)
        meta_graph = render_meta_graph_picker(model)
        signature_key = render_signature_picker(meta_graph)
    except ExplorerError as err:
        show_error(err)
        return
    signature = meta_graph.signature(signature_key) if signature_key is not None else None
    if signature is not None:
        apply_link_to_run(model, meta_graph, signature)
    if presentation and signature is not None:
        render_presentation_header(model, signature)
    else:
        st.markdown(f"Model **{model.name}** · tag-set `{meta_graph.tag_set}`")
    allow_run = render_safety_banner(
        scan_meta_graph(meta_graph), f"{model.path}::{meta_graph.tag_set}"
    )
    if presentation:
        render_examples_panel(model, meta_graph)
        if signature is not None:
            render_run_panel(
                model,
                meta_graph,
                signature,
                allow_unsafe=allow_run,
                method_name_check=bool(st.session_state.get(keys.METHOD_NAME_CHECK, False)),
                presentation=True,
            )
    else:
        signatures_tab, run_tab = st.tabs(
            ["Signatures", "Run"], key=keys.MAIN_TAB, on_change="rerun"
        )
        if signatures_tab.open and signature is not None:
            with signatures_tab:
                render_signature(signature)
        if run_tab.open:
            with run_tab:
                render_examples_panel(model, meta_graph)
                if signature is not None:
                    render_run_panel(
                        model,
                        meta_graph,
                        signature,
                        allow_unsafe=allow_run,
                        method_name_check=bool(st.session_state.get(keys.METHOD_NAME_CHECK, False)),
                    )
    render_share_link(model, meta_graph, signature)


main()
