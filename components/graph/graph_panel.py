"""The Graph tab: controls, "go to", the drawing with its inspector beside it, downloads.

The signature is sliced and grouped once (the app's cached ``SignatureSlice``); a click
only changes the view options kept in the session (open and closed groups, highlight,
the selected box, where to go), and the rerun it causes re-assembles and lays out the
view from the same slice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import keys
from components.graph.graph_view import render_graph_view
from components.taps_state import chosen_taps, inspect_scope, profile_times, toggle_tap
from components.text import md_code, md_text
from explorer.errors import ExplorerError, GraphvizError
from explorer.graph.actions import GraphAction, action_for
from explorer.graph.build import OpRef, SignatureSlice, calls_to_inline
from explorer.graph.dot import to_dot
from explorer.graph.elements import DEFAULT_NODE_BUDGET, SignatureGraph
from explorer.graph.inspector import find_nodes
from explorer.graph.layout import Scene, layout, scene_dict
from explorer.graph.svg import scene_svg
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.present.inspector_view import inspector_data, short_group
from explorer.present.profile_heat import box_heat, heat_legend
from explorer.safety.scan import scan_meta_graph

_CLOSED_KINDS = ("group", "function_call", "control_flow", "parameters")
_NONCE = itertools.count(1)


@dataclass(frozen=True, slots=True)
class GraphOptions:
    """What the user asked the graph to show."""

    expand: tuple[str, ...]
    collapse: tuple[str, ...]
    node_budget: int
    highlight: str | None
    focus: str | None = None

    def build(
        self, prepared: SignatureSlice, findings: frozenset[OpRef] = frozenset()
    ) -> SignatureGraph:
        """The view of ``prepared`` these options ask for."""
        return prepared.view(
            expand=self.expand,
            collapse=self.collapse,
            node_budget=self.node_budget,
            highlight=self.highlight,
            findings=findings,
            focus=self.focus,
        )


def _group_keys(scope: str) -> tuple[str, str]:
    """The session keys of one signature's expanded and collapsed groups."""
    return f"{keys.GRAPH_EXPAND}.{scope}", f"{keys.GRAPH_COLLAPSE}.{scope}"


def _move(chosen_key: str, other_key: str) -> None:
    # A group is expanded or collapsed, never both: the latest choice wins.
    chosen = set(st.session_state.get(chosen_key, ()))
    st.session_state[other_key] = [
        g for g in st.session_state.get(other_key, ()) if g not in chosen
    ]


def _options(scope: str, budget: int, highlight: str | None) -> GraphOptions:
    expand_key, collapse_key = _group_keys(scope)
    focus = st.session_state.get(keys.GRAPH_FOCUS)
    return GraphOptions(
        tuple(st.session_state.get(expand_key, ())),
        tuple(st.session_state.get(collapse_key, ())),
        budget,
        highlight,
        focus[1] if focus is not None and focus[0] == scope else None,
    )


def apply_click(graph: SignatureGraph, scope: str, element_id: str) -> None:
    """Turn a click on the drawing of ``graph`` into graph options or a selected box.

    Runs as the drawing's callback, before the rerun the click causes, so the options the
    rerun reads already include it.
    """
    try:
        action = action_for(graph, element_id)
    except ExplorerError as err:
        st.session_state[keys.GRAPH_CLICK_PROBLEM] = str(err)
        return
    _apply(action, scope, element_id)


def _apply(action: GraphAction, scope: str, element_id: str) -> None:
    expand_key, collapse_key = _group_keys(scope)
    if action.kind == "inspect":
        st.session_state[keys.GRAPH_PICKED] = (scope, action.target, action.function, element_id)
    elif action.kind in ("expand", "collapse"):
        chosen, other = (
            (expand_key, collapse_key) if action.kind == "expand" else (collapse_key, expand_key)
        )
        kept = [g for g in st.session_state.get(chosen, ()) if g != action.target]
        st.session_state[chosen] = [*kept, action.target]
        _move(chosen, other)
    else:
        st.session_state[keys.GRAPH_HIGHLIGHT] = (
            action.target if action.kind == "highlight" else None
        )


def go_to(prepared: SignatureSlice, scope: str, box_id: str) -> None:
    """Open the groups around ``box_id`` (a key, tensor, op or group), select it and
    centre it in the next drawing."""
    expand_key, collapse_key = _group_keys(scope)
    path = list(prepared.group_path(box_id))
    group = prepared.hierarchy.groups.get(box_id)
    if group is not None:
        path = [g.id for g in prepared.groups_to_show(box_id)]
    elif box_id not in prepared.flat.index and "::" in box_id:
        # Inside a call the slice left closed: open the function holding it.
        path = [box_id.rsplit("::", 1)[0]]
    st.session_state[expand_key] = list(
        dict.fromkeys([*st.session_state.get(expand_key, ()), *path])
    )
    st.session_state[collapse_key] = [
        g for g in st.session_state.get(collapse_key, ()) if g not in path and g != box_id
    ]
    index = prepared.flat.index.get(box_id)
    if index is not None:
        node = prepared.flat.nodes[index]
        st.session_state[keys.GRAPH_PICKED] = (scope, node.name, node.frame.function, box_id)
    elif box_id.startswith(("input:", "output:", "tensor:")) or "::" in box_id:
        st.session_state[keys.GRAPH_PICKED] = (scope, "", "", box_id)
    st.session_state[keys.GRAPH_FOCUS] = (scope, box_id, next(_NONCE))


def _search_hits(
    meta_graph: MetaGraphInfo, prepared: SignatureSlice, query: str
) -> dict[str, str | None]:
    """Label → box id to go to (None: an op this signature does not run)."""
    wanted = query.strip().lower()
    hits: dict[str, str | None] = {}
    signature = prepared.signature
    for is_input, infos in ((True, signature.inputs), (False, signature.outputs)):
        for info in infos:
            box = prepared.key_box(info.key)
            if wanted in info.key.lower() and box is not None:
                hits[f"{'input' if is_input else 'output'} key {info.key}"] = box
            for tensor in info.tensor_names:
                if wanted in tensor.lower():
                    hits[f"tensor {tensor}"] = f"tensor:{tensor}"
    for match in find_nodes(meta_graph, query):
        box = prepared.op_id((match.function, match.name))
        where = f" in {match.function}" if match.function else ""
        suffix = "" if box else "  · not run by this signature"
        hits[f"{match.name}  [{match.op}]{where}{suffix}"] = box
    return hits


def render_graph_tab(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    prepare: Callable[[frozenset[str]], SignatureSlice],
) -> SignatureGraph | None:
    """The whole Graph tab; ``prepare`` is the app's cached slice of this signature, given
    the calls to inline (``calls_to_inline``: empty unless the model is too big to inline
    whole, so one slice serves every click).

    Returns the graph drawn (what a click on the drawing refers to), None on an error.
    """
    scope = f"{meta_graph.model_dir}.{meta_graph.tag_set}.{signature.key}"
    expand_key, _ = _group_keys(scope)
    focus = st.session_state.get(keys.GRAPH_FOCUS)
    named = [
        *st.session_state.get(expand_key, ()),
        *([focus[1]] if focus and focus[0] == scope else []),
    ]
    try:
        prepared = prepare(calls_to_inline(meta_graph, named))
    except ExplorerError as err:
        st.error(md_text(str(err)))
        return None
    request = st.session_state.pop(keys.GRAPH_GOTO, None)  # from the safety banner
    if request is not None:
        target = prepared.op_id(request)
        if target is not None:
            go_to(prepared, scope, target)
        else:
            st.info(
                f"{md_code(request[1])} is not run by {md_code(signature.key)}: choose a "
                "signature that runs it to see it in the graph."
            )
    key_names = [t.key for t in (*signature.inputs, *signature.outputs)]
    if st.session_state.get(keys.GRAPH_HIGHLIGHT) not in [None, *key_names]:
        st.session_state[keys.GRAPH_HIGHLIGHT] = None
    # One compact row above the drawing (labels as placeholders; a collapsed label shows
    # no help), so the drawing and the inspector beside it start high on the page.
    left, middle, hits_column, right = st.columns([2.1, 2.7, 2.7, 1.1], vertical_alignment="center")
    highlight = left.selectbox(
        "Highlight the path of a signature key",
        key_names,
        index=None,
        key=keys.GRAPH_HIGHLIGHT,
        placeholder="Highlight a key's path",
        label_visibility="collapsed",
    )
    _render_go_to(meta_graph, prepared, scope, middle, hits_column)
    budget = _render_budget(right)
    options = _options(scope, int(budget), highlight)
    findings = frozenset(
        (f.function or "", f.node) for f in scan_meta_graph(meta_graph).findings_for(signature.key)
    )
    try:
        graph = options.build(prepared, findings)
    except ExplorerError as err:
        st.error(md_text(str(err)))
        return None
    st.session_state[keys.GRAPH_LAST_DOT] = to_dot(graph)
    picked = st.session_state.get(keys.GRAPH_PICKED)
    selected = picked[3] if picked is not None and picked[0] == scope else None
    try:
        scene: Scene | None = layout(graph)
    except GraphvizError as err:
        scene = None
        st.graphviz_chart(st.session_state[keys.GRAPH_LAST_DOT], width="stretch")
        st.caption(md_text(str(err)))
    if scene is not None:
        tap_scope = inspect_scope(meta_graph, signature)
        times = profile_times(tap_scope)
        heat = box_heat(prepared, graph, times)
        focus = st.session_state.get(keys.GRAPH_FOCUS)
        render_graph_view(
            {
                "scene": scene_dict(scene),
                "selected": selected,
                "focus": {"id": focus[1], "nonce": focus[2]}
                if focus is not None and focus[0] == scope
                else None,
                "highlight": highlight,
                "inspector": inspector_data(
                    meta_graph, prepared, graph, selected, tuple(chosen_taps(tap_scope)), times
                ),
                "heat": heat,
                "heat_legend": heat_legend(heat),
                "key": scope,
            },
            key=keys.GRAPH_DRAWING,
            on_click=lambda element_id: apply_click(graph, scope, element_id),
            on_goto=lambda box_id: go_to(prepared, scope, box_id),
            on_action=lambda action: tap_action(tap_scope, action),
        )
    problem = st.session_state.pop(keys.GRAPH_CLICK_PROBLEM, None)
    if problem:
        st.warning(md_text(problem))  # names what was clicked
    stats = graph.stats
    st.caption(
        f"{stats.visible_nodes} boxes drawn for {stats.slice_nodes:,} ops this signature runs "
        f"(of {stats.metagraph_nodes:,} in the MetaGraph), {stats.levels} levels of groups; "
        f"{stats.functions_inlined} function call(s) followed, {stats.collapsed_groups} "
        "group(s) closed. Blue: input key → tensor → op; red: the highlighted path; dashed "
        "purple: a While loop's result going back to its next iteration."
    )
    _render_group_pickers(graph, options, scope)
    down_left, down_right = st.columns(2)
    down_left.download_button(
        "Download DOT",
        st.session_state[keys.GRAPH_LAST_DOT],
        file_name=f"{signature.key}.dot",
        mime="text/vnd.graphviz",
    )
    if scene is not None:
        down_right.download_button(
            "Download SVG", scene_svg(scene), file_name=f"{signature.key}.svg", mime="image/svg+xml"
        )
    return graph


def tap_action(scope: str, action: str) -> None:
    """An inspector tap action ("tap:<op id>:<n>" or "untap:…") applied to the taps."""
    verb, _, tap = action.partition(":")
    if verb not in ("tap", "untap") or not tap:
        return
    if toggle_tap(scope, tap):
        st.toast(f"{md_code(tap)}: the next run in the Run tab returns its value.")
    else:
        st.toast(f"{md_code(tap)} is no longer tapped.")


def _render_budget(column: DeltaGenerator) -> int:
    """The node budget, behind a small button that says it (it is changed rarely)."""
    budget = int(st.session_state.get(keys.GRAPH_BUDGET, DEFAULT_NODE_BUDGET))
    with column.popover(f"Budget {budget}", width="stretch", help="Boxes in the first view"):
        chosen = st.number_input(
            "Node budget",
            min_value=4,
            max_value=2000,
            value=DEFAULT_NODE_BUDGET,
            step=4,
            key=keys.GRAPH_BUDGET,
            help="The first view opens the hierarchy one level at a time while it fits this "
            "many boxes; a click opens or closes one group.",
        )
    return int(chosen)


def _search_changed(meta_graph: MetaGraphInfo, prepared: SignatureSlice, scope: str) -> None:
    """A new "go to" query: with exactly one match that this signature runs, go there now
    (there is nothing to choose)."""
    query = st.session_state.get(keys.GRAPH_SEARCH) or ""
    st.session_state.pop(keys.GRAPH_NODE, None)
    if not query.strip():
        return
    hits = _search_hits(meta_graph, prepared, query)
    if len(hits) == 1:
        target = next(iter(hits.values()))
        if target:
            go_to(prepared, scope, target)


def _render_go_to(
    meta_graph: MetaGraphInfo,
    prepared: SignatureSlice,
    scope: str,
    field: DeltaGenerator,
    choices: DeltaGenerator,
) -> None:
    """The "go to" box in ``field``; its matches in ``choices``: one is gone to at once,
    several are listed to pick from."""
    query = field.text_input(
        "Go to a key, tensor or op",
        key=keys.GRAPH_SEARCH,
        placeholder="Go to: output_0, Softmax, conv4_block3…",
        label_visibility="collapsed",
        on_change=_search_changed,
        args=(meta_graph, prepared, scope),
    )
    if not query.strip():
        return
    hits = _search_hits(meta_graph, prepared, query)
    if not hits:
        choices.caption(f"Nothing matches {md_code(query)}.")
        return
    if len(hits) == 1:
        label, target = next(iter(hits.items()))
        choices.caption(md_text(f"Went to {label}" if target else label))
        return
    runs = sorted(hits, key=lambda label: hits[label] is None)

    def _chosen() -> None:
        label = st.session_state.get(keys.GRAPH_NODE)
        target = hits.get(label) if label else None
        if target:
            go_to(prepared, scope, target)

    choices.selectbox(
        f"{len(hits)} matches: choose one to go to it",
        runs,
        index=None,
        key=keys.GRAPH_NODE,
        on_change=_chosen,
        placeholder=f"{len(hits)} matches: choose one",
        label_visibility="collapsed",
    )


def _render_group_pickers(graph: SignatureGraph, options: GraphOptions, scope: str) -> None:
    """Open or close groups by name (what a click in the drawing does, for keyboards and
    tests)."""
    expand_key, collapse_key = _group_keys(scope)
    closed = [n.id for n in graph.nodes if n.kind in _CLOSED_KINDS]
    open_clusters = [c.id for c in graph.clusters if not c.collapsed]
    with st.expander("Open or close groups by name"):
        left, right = st.columns(2)
        left.multiselect(
            "Expand groups or functions",
            sorted(set(closed) | set(options.expand) | set(options.collapse)),
            key=expand_key,
            on_change=_move,
            args=(expand_key, collapse_key),
            placeholder="Choose closed groups" if closed else "Every group is open",
            format_func=short_group,
        )
        right.multiselect(
            "Collapse open groups",
            sorted(set(open_clusters) | set(options.collapse) | set(options.expand)),
            key=collapse_key,
            on_change=_move,
            args=(collapse_key, expand_key),
            placeholder="Choose open groups" if open_clusters else "No group is open",
            format_func=short_group,
        )
