"""Signature Explorer: the Streamlit page. Composition only: layout, session state, caching."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from components import keys
from components.error_panel import show_error
from components.model.picker import (
    ModelSource,
    render_meta_graph_picker,
    render_signature_picker,
    render_source_picker,
    render_version_picker,
)
from components.model.safety_panel import render_safety_banner
from components.model.signature_panel import (
    render_signature,
    render_signature_overview,
    render_verdicts,
)
from components.present.deep_link_panel import apply_link, apply_link_to_run, render_share_link
from components.present.presentation import render_presentation_header, render_presentation_toggle
from components.remote.remote_panel import (
    compare_requested,
    render_remote_model,
    render_server_status,
    render_target_picker,
)
from components.run.examples_panel import render_examples_panel
from components.run.run_panel import chosen_kernels, render_run_panel
from components.text import md_code, md_text
from explorer.deploy.warmup_file import warmup_path
from explorer.errors import ExplorerError, ModelSourceError
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.model.locate import locate_model
from explorer.model.reader import read_model
from explorer.model.samples import list_samples
from explorer.remote.target import RemoteTarget
from explorer.run import runner
from explorer.safety.archives import extract_archive
from explorer.safety.paths import AllowedRoots, check_allowed
from explorer.safety.scan import scan_meta_graph

# The first paint needs only the pickers and the Signatures tab: the other tabs' and the
# Compare page's modules are imported when first drawn (~0.1 s of a cold start).
if TYPE_CHECKING:
    from explorer.graph.build import SignatureSlice

# The model's worker starts (importing TensorFlow) this long after the first page is sent,
# so the browser can draw it; it is still ready well before anyone has pressed Run.
_WARM_DELAY_S = 3.0

_NO_MODEL_YET = {
    keys.SOURCE_UPLOAD: "Upload a .zip or .tar.gz of a SavedModel (or of a TF Serving base "
    "folder with version sub-folders) in the sidebar.",
    keys.SOURCE_CONFIG: "Type the path of a TF Serving model config file (its "
    "--model_config_file) in the sidebar, then pick one of its models and versions.",
    keys.SOURCE_FOLDER: "Type the path of a SavedModel folder, a version folder or a TF "
    "Serving base folder on this server in the sidebar.",
    None: "Choose a model in the sidebar: a bundled sample, a server folder or an archive.",
}

# No emoji page icon: Streamlit imports its whole emoji table to check one (~0.1 s).
st.set_page_config(page_title="Signature Explorer", layout="wide")


@st.cache_resource(show_spinner=False, max_entries=32)
def _cached_model(path: str, version: int | None, stamp: float) -> ModelInfo:
    # Keyed on the file's mtime so a model rewritten in place is read again.
    return read_model(path, version=version)


@st.cache_resource(show_spinner=False, max_entries=16)
def _cached_slice(
    _meta_graph: MetaGraphInfo, model_key: str, signature_key: str, inline: frozenset[str]
) -> SignatureSlice:
    # model_key (folder, tag-set, mtime) stands for the unhashable MetaGraph. One slice per
    # signature and set of calls too deep to inline up front (empty for most models), not
    # per view option: a click re-renders the view from it.
    from explorer.graph.build import prepare_signature  # the Graph tab's module, when drawn

    return prepare_signature(_meta_graph, signature_key, inline)


def _read(path: str, version: int | None) -> ModelInfo:
    location = locate_model(path, version=version)
    return _cached_model(path, version, _stamp(location.directory))


def _stamp(directory: str | Path) -> float:
    """The model file's mtime: part of every cache key, so a rewritten model is read again."""
    return max(p.stat().st_mtime for p in Path(directory).glob("saved_model.pb*"))


def _source_path(source: ModelSource) -> str:
    """The folder to read for a source; uploads are extracted once per upload."""
    if source.kind != keys.SOURCE_UPLOAD:
        assert source.path is not None
        if source.kind in (keys.SOURCE_FOLDER, keys.SOURCE_CONFIG):
            roots = AllowedRoots.from_env(extra=_secret_roots())
            return str(check_allowed(source.path, roots))
        return source.path
    held = st.session_state.get("upload.extracted")
    if held is None or held[0] != source.upload_id:
        if source.upload_bytes is None:  # the kept upload, but its folder is gone
            raise ModelSourceError(f"The upload {source.upload_name} is gone: upload it again.")
        if held is not None:
            runner.unload(str(held[1].model_dir))  # the previous upload's model goes,
            held[1].cleanup()  # and its folder with it
            del st.session_state["upload.extracted"]
        assert source.upload_name is not None
        extracted = extract_archive(source.upload_bytes, source.upload_name)
        st.session_state["upload.extracted"] = (source.upload_id, extracted)
        held = st.session_state["upload.extracted"]
    return str(held[1].model_dir)


def _secret_roots() -> tuple[str, ...]:
    try:
        roots = st.secrets.get("allowed_roots", ())
    except Exception:  # no secrets.toml at all: Streamlit raises its own parse/missing errors
        return ()
    return tuple(str(r) for r in ([roots] if isinstance(roots, str) else roots))


def main() -> None:
    samples = list_samples()
    # First run of a session: a link's query parameters preset the pickers below.
    apply_link(samples, roots=AllowedRoots.from_env(extra=_secret_roots()))
    presentation = render_presentation_toggle()
    if not presentation:
        st.title("Signature Explorer")
    target = render_target_picker()
    if target is not None and not compare_requested():
        _main_remote(target)
        return
    if st.session_state.get(keys.TARGET_KIND) == keys.TARGET_SERVING and not compare_requested():
        # Not the local model: it would pass for the server's until the server is named.
        st.info("Name the TF Serving to send to in the sidebar: its URL and the model name.")
        return
    source = render_source_picker(samples, roots=_secret_roots())
    if source is None:
        st.info(_NO_MODEL_YET.get(st.session_state.get(keys.SOURCE_KIND), _NO_MODEL_YET[None]))
        return
    try:
        path = _source_path(source)
        model = _read(path, None)
        # Other versions are read from the base folder, even when the path names a version.
        base = str(Path(model.path).parent) if model.version is not None else path
        if source.served_name is not None:  # a model config names it and picks the version
            model = replace(model, name=source.served_name)
        else:
            render_version_picker(model, path)
            chosen_version = st.session_state.get(keys.VERSION)
            if chosen_version in model.available_versions and chosen_version != model.version:
                model = _read(base, chosen_version)
        meta_graph = render_meta_graph_picker(model)
        signature_key = render_signature_picker(meta_graph)
    except ExplorerError as err:
        show_error(err)
        return

    signature = meta_graph.signature(signature_key) if signature_key is not None else None
    method_name_check = bool(st.session_state.get(keys.METHOD_NAME_CHECK, False))
    # The Compare page starts from the model open here (its folder, as read, and version).
    st.session_state[keys.OPEN_MODEL] = (base, model.version, model.name)
    if signature is not None:
        apply_link_to_run(model, meta_graph, signature)  # a link's inputs, case, run=1
    if presentation and signature is not None:
        render_presentation_header(model, signature)
    else:
        version = f" · version **{model.version}**" if model.version is not None else ""
        where = (
            f"uploaded {md_code(source.upload_name or '')}"
            if source.kind == keys.SOURCE_UPLOAD
            else md_code(str(Path(model.path)))  # an upload's is a temporary folder
        )
        # Names are the model's (and the uploader's): md_code shows them as text, never Markdown.
        st.markdown(
            f"Model **{md_code(model.name)}**{version} · tag-set {md_code(meta_graph.tag_set)} "
            f"· {where}"
        )
        if warmup_path(model.path).is_file():  # TF Serving replays it at load: say so first
            # Lazy: a model without a warmup file does not pay for the warmup checks.
            from components.compare.warmup_panel import render_warmup_note

            render_warmup_note(model, meta_graph)
    # The opt-in is bound to the graph's content: a rewritten saved_model.pb is not trusted.
    # A clean model runs without one, and is not opted in unless the user says so: an extra
    # fetch reaching an unsafe op no signature runs is refused until then.
    scan = scan_meta_graph(meta_graph)
    allow_run = render_safety_banner(scan, runner.model_key(model.path, meta_graph))
    if presentation:  # the story only: examples, what goes in, what comes out
        render_examples_panel(model, meta_graph, signature_key)
        if signature is not None:
            render_run_panel(
                model,
                meta_graph,
                signature,
                allow_unsafe=allow_run,
                method_name_check=method_name_check,
                presentation=True,
            )
        render_share_link(model, meta_graph, signature)
        _warm(model, meta_graph, allow_run, signature_key)
        return
    # Lazy tabs: only the open tab's content runs, so the first paint is just the tables.
    # Tabs keep no state across pages: back from Compare, the tab open before comes back.
    if keys.MAIN_TAB not in st.session_state and keys.MAIN_TAB_KEPT in st.session_state:
        st.session_state[keys.MAIN_TAB] = st.session_state[keys.MAIN_TAB_KEPT]
    signatures_tab, graph_tab, run_tab, cases_tab, facts_tab = st.tabs(
        ["Signatures", "Graph", "Run", "Test cases", "MetaGraph facts"],
        key=keys.MAIN_TAB,
        on_change="rerun",
    )
    st.session_state[keys.MAIN_TAB_KEPT] = st.session_state.get(keys.MAIN_TAB)
    if signatures_tab.open:
        with signatures_tab:
            _render_signatures(meta_graph, signature)
    if graph_tab.open and signature is not None:
        # Lazy: the first paint does not pay for a tab it does not draw.
        from components.graph.graph_panel import render_graph_tab

        model_key = f"{model.path}::{meta_graph.tag_set}::{_stamp(model.path)}"
        with graph_tab:
            render_graph_tab(
                meta_graph,
                signature,
                lambda inline: _cached_slice(meta_graph, model_key, signature.key, inline),
            )
    if run_tab.open:
        with run_tab:
            loading_note = st.empty()
            if runner.model_state(model.path, meta_graph) == "loading":
                loading_note.caption(
                    "The model is loading into its worker in the background; the first Run "
                    "waits for it."
                )
            render_examples_panel(model, meta_graph, signature_key)
            if signature is not None:
                render_run_panel(
                    model,
                    meta_graph,
                    signature,
                    allow_unsafe=allow_run,
                    method_name_check=method_name_check,
                )
                if runner.model_state(model.path, meta_graph) != "loading":
                    loading_note.empty()  # a Run just now waited for it
                if target is not None:  # a local model and a server: run both, compare
                    # Lazy: the first paint does not pay for a tab it does not draw.
                    from components.remote.remote_compare import render_compare_panel

                    render_compare_panel(
                        target,
                        model,
                        meta_graph,
                        signature,
                        allow_unsafe=allow_run,
                        method_name_check=method_name_check,
                    )
    if cases_tab.open:
        # Lazy: the first paint does not pay for a tab it does not draw.
        from components.compare.cases_panel import render_cases_panel
        from components.compare.warmup_panel import render_warmup_panel

        with cases_tab:
            render_cases_panel(
                model,
                allow_unsafe=allow_run,
                method_name_check=method_name_check,
                tags=meta_graph.tag_set,
                read_version=lambda version: _read(base, version),
            )
            render_warmup_panel(
                model, meta_graph, allow_unsafe=allow_run, method_name_check=method_name_check
            )
    if facts_tab.open:
        # Lazy: the first paint does not pay for a tab it does not draw.
        from components.model.meta_graph_panel import render_meta_graph_facts

        with facts_tab:
            render_meta_graph_facts(model, meta_graph)
    render_share_link(model, meta_graph, signature)
    _warm(model, meta_graph, allow_run, signature_key)


def _render_signatures(meta_graph: MetaGraphInfo, signature: SignatureInfo | None) -> None:
    """The Signatures tab: every signature at a glance, then the chosen one in full."""
    render_signature_overview(meta_graph, bool(st.session_state.get(keys.METHOD_NAME_CHECK, False)))
    if signature is not None:
        render_signature(signature)
        if not signature.is_init_op:
            render_verdicts(signature)


def _warm(
    model: ModelInfo, meta_graph: MetaGraphInfo, allow_run: bool, signature_key: str | None
) -> None:
    # After the page is painted: the model loads into its worker, and the chosen
    # signature's run is prepared (with the kernels the sidebar picks), before anyone
    # presses Run.
    runner.warm(
        model.path,
        meta_graph,
        allow_unsafe=allow_run,
        delay_s=_WARM_DELAY_S,
        signature=signature_key,
        kernels=chosen_kernels(),
    )
    state = runner.model_state(model.path, meta_graph)
    words = {"loaded": "loaded", "loading": "loading…", "idle": "not loaded"}[state]
    st.sidebar.caption(f"Model worker: {words} · {runner.sandbox_line()}")


def _main_remote(target: RemoteTarget) -> None:
    """A TF Serving target: signatures from its metadata, runs sent to it; no local files."""
    model = render_remote_model(target)
    if model is None:
        return
    meta_graph = model.meta_graph()
    try:
        signature_key = render_signature_picker(meta_graph)
    except ExplorerError as err:
        show_error(err)
        return
    st.markdown(
        f"Model **{md_code(model.name)}** · version **{model.version}** · "
        f"{md_text(target.describe())}"
    )
    signature = meta_graph.signature(signature_key) if signature_key else None
    method_name_check = bool(st.session_state.get(keys.METHOD_NAME_CHECK, False))
    signatures_tab, run_tab, server_tab = st.tabs(
        ["Signatures", "Run", "Server"], key=keys.REMOTE_MAIN_TAB, on_change="rerun"
    )
    if signatures_tab.open:
        with signatures_tab:
            _render_signatures(meta_graph, signature)
    if run_tab.open and signature is not None:
        with run_tab:
            render_run_panel(
                model,
                meta_graph,
                signature,
                allow_unsafe=False,
                method_name_check=method_name_check,
                remote=target,
            )
    if server_tab.open:
        with server_tab:
            render_server_status(target)


def compare() -> None:
    """The Compare page: two models, the verdict for their clients, the changes."""
    # Lazy: the first paint does not pay for a tab it does not draw.
    from components.compare.compare_panel import render_compare_page

    render_compare_page(list_samples(), allowed_roots=_secret_roots(), read=_read)


st.navigation(
    [
        st.Page(main, title="Explore", default=True),
        st.Page(compare, title="Compare models", url_path="compare"),
    ]
).run()
