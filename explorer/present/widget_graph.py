"""The notebook widget's graph: what a click or a "go to" does to the view, and the data the
drawing (``assets/graph_view.js``, the app's own script) shows.

The app keeps these view options in Streamlit's session (``components/graph``); the
widget keeps them in a :class:`GraphState` and gets a new one per event. Both decide a
click with ``explorer.graph.actions.action_for``, open the groups on the way to a box with
``SignatureSlice.groups_to_show`` / ``group_path``, and draw ``SignatureSlice.view`` laid out
by ``explorer.graph.layout``: the same views for the same clicks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from explorer.errors import ExplorerError, GraphvizError
from explorer.graph.actions import action_for
from explorer.graph.build import OpRef, SignatureSlice
from explorer.graph.dot import to_dot
from explorer.graph.elements import DEFAULT_NODE_BUDGET, SignatureGraph
from explorer.graph.layout import layout, scene_dict
from explorer.model.info import MetaGraphInfo
from explorer.present.inspector_view import inspector_data

# The drawing's frame in the notebook: tall enough to read, short enough to scroll past.
FRAME_PX = 480


@dataclass(frozen=True, slots=True)
class GraphState:
    """What the user asked one signature's drawing to show."""

    expand: tuple[str, ...] = ()
    collapse: tuple[str, ...] = ()
    highlight: str | None = None
    # The box whose details the inspector shows.
    selected: str | None = None
    # A box to centre in the next drawing; the nonce tells the script it is a new request.
    focus: str | None = None
    nonce: int = 0
    # Why the last click did nothing (it named a box this view does not draw).
    problem: str | None = None


def after_click(state: GraphState, graph: SignatureGraph, element_id: str) -> GraphState:
    """The state after a click on ``element_id`` in the drawing of ``graph``: open or close a
    group, highlight a key's path (or clear it), or inspect an op."""
    try:
        action = action_for(graph, element_id)
    except ExplorerError as err:
        return replace(state, problem=str(err))
    state = replace(state, problem=None)
    if action.kind == "inspect":
        return replace(state, selected=element_id)
    if action.kind == "expand":
        return replace(
            state,
            expand=(*[g for g in state.expand if g != action.target], action.target),
            collapse=tuple(g for g in state.collapse if g != action.target),
        )
    if action.kind == "collapse":
        return replace(
            state,
            collapse=(*[g for g in state.collapse if g != action.target], action.target),
            expand=tuple(g for g in state.expand if g != action.target),
        )
    return replace(state, highlight=action.target if action.kind == "highlight" else None)


def after_goto(state: GraphState, prepared: SignatureSlice, box_id: str) -> GraphState:
    """The state that shows ``box_id`` (a key, tensor, op or group): the groups around it
    open, it is selected and centred."""
    path = list(prepared.group_path(box_id))
    if box_id in prepared.hierarchy.groups:
        path = [g.id for g in prepared.groups_to_show(box_id)]
    return replace(
        state,
        expand=tuple(dict.fromkeys([*state.expand, *path])),
        collapse=tuple(g for g in state.collapse if g not in path and g != box_id),
        selected=box_id,
        focus=box_id,
        nonce=state.nonce + 1,
        problem=None,
    )


def build_view(
    prepared: SignatureSlice, state: GraphState, findings: frozenset[OpRef]
) -> SignatureGraph:
    """The boxes ``state`` asks for.

    Raises:
        GraphOptionError: the state names a group or key the slice does not have.
    """
    return prepared.view(
        expand=state.expand,
        collapse=state.collapse,
        node_budget=DEFAULT_NODE_BUDGET,
        highlight=state.highlight,
        findings=findings,
        focus=state.focus,
    )


def drawing_data(
    meta_graph: MetaGraphInfo,
    prepared: SignatureSlice,
    graph: SignatureGraph,
    state: GraphState,
    key: str,
) -> dict[str, Any]:
    """What ``graph_view.js``'s ``show`` takes (its data interface), plus a caption; without
    Graphviz, the reason and the DOT text instead of a scene."""
    stats = graph.stats
    caption = (
        f"{stats.visible_nodes} boxes drawn for {stats.slice_nodes:,} ops this signature runs "
        f"(of {stats.metagraph_nodes:,} in the MetaGraph), {stats.levels} levels of groups, "
        f"{stats.collapsed_groups} group(s) closed."
    )
    try:
        scene = layout(graph)
    except GraphvizError as err:
        return {"error": str(err), "dot": to_dot(graph), "caption": caption}
    return {
        "scene": scene_dict(scene),
        "selected": state.selected,
        "focus": {"id": state.focus, "nonce": state.nonce} if state.focus else None,
        "highlight": state.highlight,
        "inspector": inspector_data(meta_graph, prepared, graph, state.selected),
        "height": FRAME_PX,
        "key": key,
        "caption": caption,
        "problem": state.problem,
        "keys": [t.key for t in (*prepared.signature.inputs, *prepared.signature.outputs)],
    }
