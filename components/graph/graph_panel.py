"""The signature graph: controls, the drawing, downloads, and the node inspector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components import keys
from components.graph.zoomable_svg import render_zoomable_svg
from explorer.errors import ExplorerError, GraphvizError
from explorer.graph.actions import GraphAction, action_for
from explorer.graph.build import build_signature_graph
from explorer.graph.dot import render_svg, to_dot
from explorer.graph.elements import DEFAULT_NODE_BUDGET, SignatureGraph
from explorer.graph.inspector import describe_node, find_nodes
from explorer.model.info import MetaGraphInfo, SignatureInfo

_CLOSED_KINDS = ("group", "function_call", "control_flow", "parameters")


@dataclass(frozen=True, slots=True)
class GraphOptions:
    """What the user asked the graph to show."""

    expand: tuple[str, ...]
    collapse: tuple[str, ...]
    node_budget: int
    highlight: str | None

    def build(self, meta_graph: MetaGraphInfo, signature_key: str) -> SignatureGraph:
        """The graph of ``signature_key`` as these options ask for it."""
        return build_signature_graph(
            meta_graph,
            signature_key,
            expand=self.expand,
            collapse=self.collapse,
            node_budget=self.node_budget,
            highlight=self.highlight,
        )


def render_graph_options(signature: SignatureInfo, scope: str) -> GraphOptions:
    """Highlight and node budget widgets; expand/collapse choices as the user left them."""
    left, middle = st.columns([2, 1])
    key_names = [t.key for t in (*signature.inputs, *signature.outputs)]
    if st.session_state.get(keys.GRAPH_HIGHLIGHT) not in [None, *key_names]:
        st.session_state[keys.GRAPH_HIGHLIGHT] = None
    # No option stands for "none": an empty choice is no highlight, and ✕ clears it.
    highlight = left.selectbox(
        "Highlight the path of a signature key",
        key_names,
        index=None,
        key=keys.GRAPH_HIGHLIGHT,
        placeholder="(none)",
    )
    budget = middle.number_input(
        "Node budget",
        min_value=10,
        max_value=2000,
        value=DEFAULT_NODE_BUDGET,
        step=10,
        key=keys.GRAPH_BUDGET,
        help="Ops are grouped by name scope and function until the view fits this many boxes.",
    )
    expand_key, collapse_key = _group_keys(scope)
    return GraphOptions(
        tuple(st.session_state.get(expand_key, ())),
        tuple(st.session_state.get(collapse_key, ())),
        int(budget),
        highlight,
    )


def render_group_pickers(graph: SignatureGraph, options: GraphOptions, scope: str) -> None:
    """Expand a closed group or collapse an open one; options come from this drawing."""
    expand_key, collapse_key = _group_keys(scope)
    closed = [n.id for n in graph.nodes if n.kind in _CLOSED_KINDS]
    open_clusters = [c.id for c in graph.clusters if c.kind != "parameters"]

    left, right = st.columns(2)
    # Per signature: one signature's group names mean nothing in another's graph.
    with left:
        st.multiselect(
            "Expand groups or functions",
            sorted(set(closed) | set(options.expand) | set(options.collapse)),
            key=expand_key,
            on_change=_move,
            args=(expand_key, collapse_key),
            placeholder="Choose closed groups" if closed else "Every group is open",
            format_func=_short_group,
        )
    with right:
        st.multiselect(
            "Collapse open groups",
            sorted(set(open_clusters) | set(options.collapse) | set(options.expand)),
            key=collapse_key,
            on_change=_move,
            args=(collapse_key, expand_key),
            placeholder="Choose open groups" if open_clusters else "No group is open",
            format_func=_short_group,
        )


def _short_group(group_id: str) -> str:
    # "StatefulPartitionedCall_1::StatefulPartitionedCall::functional_1/dense/": the call
    # chain and outer scopes make ids unique but long; the innermost scope names the group
    # as its box does.
    last = group_id.split("::")[-1]
    scopes = [s for s in last.split("/") if s]
    if len(scopes) > 1:
        return "…/" + scopes[-1] + ("/" if last.endswith("/") else "")
    return last if last != group_id else group_id


def _group_keys(scope: str) -> tuple[str, str]:
    """The session keys of one signature's expanded and collapsed groups."""
    return f"{keys.GRAPH_EXPAND}.{scope}", f"{keys.GRAPH_COLLAPSE}.{scope}"


def _move(chosen_key: str, other_key: str) -> None:
    # A group is expanded or collapsed, never both: the latest choice wins.
    chosen = set(st.session_state.get(chosen_key, ()))
    st.session_state[other_key] = [
        g for g in st.session_state.get(other_key, ()) if g not in chosen
    ]


def apply_click(graph: SignatureGraph, scope: str, element_id: str) -> None:
    """Turn a click on the drawing of ``graph`` into graph options or an inspected op.

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


def render_graph(graph: SignatureGraph, signature: SignatureInfo, scope: str) -> str:
    """Draw the graph with its stats and DOT/SVG downloads; returns the DOT it drew."""
    stats = graph.stats
    st.caption(
        f"{stats.visible_nodes} boxes drawn for {stats.slice_nodes:,} ops this signature runs "
        f"(of {stats.metagraph_nodes:,} in the MetaGraph); {stats.functions_inlined} function "
        f"call(s) followed, {stats.collapsed_groups} group(s) closed. Blue: input key → tensor "
        "→ op; orange: op → tensor → output key; red: the highlighted path; dashed purple: a "
        "While loop's result going back to its next iteration."
    )
    dot_text = to_dot(graph)
    try:
        svg: str | None = render_svg(dot_text)
    except GraphvizError as err:
        # No Graphviz on the server: the browser lays DOT out itself (no zoom there).
        svg = None
        st.graphviz_chart(dot_text, width="stretch")
        st.caption(str(err))
    else:
        render_zoomable_svg(
            svg,
            key=keys.GRAPH_DRAWING,
            on_click=lambda element_id: apply_click(graph, scope, element_id),
            selected=_picked_box(scope),
        )
        picked = graph.node(_picked_box(scope) or "")
        if picked is not None:
            st.caption(
                f"Selected `{picked.name}` ({picked.op or picked.kind}): decoded in the Node "
                "inspector below."
            )
        problem = st.session_state.pop(keys.GRAPH_CLICK_PROBLEM, None)
        if problem:
            st.warning(problem)
    left, right = st.columns(2)
    left.download_button(
        "Download DOT", dot_text, file_name=f"{signature.key}.dot", mime="text/vnd.graphviz"
    )
    if svg is not None:
        right.download_button(
            "Download SVG", svg, file_name=f"{signature.key}.svg", mime="image/svg+xml"
        )
    return dot_text


def _picked_box(scope: str) -> str | None:
    picked = st.session_state.get(keys.GRAPH_PICKED)
    return picked[3] if picked is not None and picked[0] == scope else None


def render_node_inspector(
    meta_graph: MetaGraphInfo, scope: str, signature_ops: frozenset[tuple[str, str]] = frozenset()
) -> None:
    """The op last clicked in the drawing, or ops found by name or type anywhere in the
    MetaGraph; the chosen one decoded. Matches among ``signature_ops`` ((function, name)
    pairs of the ops the signature runs) come first; the others are marked."""
    st.markdown("**Node inspector**")
    query = st.text_input(
        "Find a node by name or op type",
        key=keys.GRAPH_SEARCH,
        placeholder="e.g. ParseExampleV2, dense/MatMul, pool",
        on_change=lambda: st.session_state.pop(keys.GRAPH_PICKED, None),
    )
    picked = st.session_state.get(keys.GRAPH_PICKED)
    if picked is not None and picked[0] == scope:
        _, name, function, _ = picked
        st.caption("Clicked in the drawing. Search to look for other nodes.")
        _render_node(meta_graph, name, function)
        return
    matches = find_nodes(meta_graph, query) if query else ()
    if query and not matches:
        st.caption(f'No node matches "{query}".')
        return
    if not matches:
        return
    runs = {m: (m.function, m.name) in signature_ops for m in matches}
    ordered = sorted(matches, key=lambda m: not runs[m]) if signature_ops else list(matches)
    labels = {
        f"{m.name}  [{m.op}]"
        + (f"  in {m.function}" if m.function else "")
        + ("" if runs[m] or not signature_ops else "  · not run by this signature"): m
        for m in ordered
    }
    chosen = st.selectbox(f"{len(matches)} match(es)", list(labels), key=keys.GRAPH_NODE)
    match = labels[chosen]
    _render_node(meta_graph, match.name, match.function)


def _render_node(meta_graph: MetaGraphInfo, name: str, function: str) -> None:
    try:
        details = describe_node(meta_graph, name, function=function or None)
    except ExplorerError as err:
        st.error(str(err))
        return
    where = f"function `{details.function}`" if details.function else "the top-level graph"
    st.markdown(
        f"`{details.name}` · op **{details.op}** · in {where}"
        + (f" · scope `{details.scope}`" if details.scope else "")
        + (f" · device `{details.device}`" if details.device else "")
    )
    if details.calls:
        st.markdown("Runs functions: " + ", ".join(f"`{c}`" for c in details.calls))
    left, right = st.columns(2)
    with left:
        st.markdown("Attributes")
        st.dataframe(
            pd.DataFrame(details.attrs, columns=["attr", "value"]), hide_index=True, width="stretch"
        )
        st.markdown("Outputs")
        st.dataframe(
            pd.DataFrame(details.outputs, columns=["#", "dtype", "shape"]),
            hide_index=True,
            width="stretch",
        )
    with right:
        st.markdown("Inputs")
        st.dataframe(
            pd.DataFrame(
                [(i.ref, i.node, i.kind) for i in details.inputs],
                columns=["input", "from node", "kind"],
            ),
            hide_index=True,
            width="stretch",
        )
        st.markdown("Consumers")
        st.dataframe(
            pd.DataFrame(
                [(c.name, c.op, c.ref) for c in details.consumers], columns=["node", "op", "reads"]
            ),
            hide_index=True,
            width="stretch",
        )


def render_graph_tab(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    build: Callable[[GraphOptions], SignatureGraph],
) -> None:
    """The whole Graph tab; ``build`` is the app's cached graph builder."""
    scope = f"{meta_graph.model_dir}.{meta_graph.tag_set}.{signature.key}"
    options = render_graph_options(signature, scope)
    pickers = st.container()
    try:
        graph = build(options)
    except ExplorerError as err:
        st.error(str(err))
        return
    with pickers:
        render_group_pickers(graph, options, scope)
    st.session_state[keys.GRAPH_LAST_DOT] = render_graph(graph, signature, scope)
    render_node_inspector(meta_graph, scope, graph.ops)
