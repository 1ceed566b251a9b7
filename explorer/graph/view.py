"""Turn a sliced, grouped graph into the boxes, edges and clusters of a SignatureGraph.

Only the open groups are walked: a closed group is one box, whatever it holds, and what
its box says (op count, op types, flagged ops, highlight) is counted from its range of
the hierarchy's op numbering (``explorer.graph.tally``). The edges between boxes are
``explorer.graph.view_edges``'s. A click costs what the view shows.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection

from explorer.graph import attrs
from explorer.graph.elements import Cluster, ClusterKind, GraphEdge, GraphNode, NodeKind
from explorer.graph.flat import Endpoint, FlatGraph
from explorer.graph.groups import Group, Hierarchy
from explorer.graph.highlight import Marked
from explorer.graph.library import Library
from explorer.graph.signature_boxes import key_nodes_and_edges
from explorer.graph.summary import op_summary, with_borders
from explorer.graph.tally import Tally
from explorer.graph.view_edges import (
    Pieces,
    Representatives,
    crossing,
    loop_edges,
    op_edges,
    parameter_targets,
)
from explorer.model.info import SignatureInfo

_GROUP_KINDS: dict[str, NodeKind] = {
    "function": "function_call",
    "control_flow": "control_flow",
    "scope": "group",
    "parameters": "parameters",
}


def assemble_view(
    flat: FlatGraph,
    hierarchy: Hierarchy,
    opened: set[str],
    signature: SignatureInfo,
    endpoints: dict[str, tuple[Endpoint, ...]],
    levels: list[int],
    marked: Marked | None,
    flagged: dict[int, int] | None = None,
    library: Library | None = None,
) -> tuple[tuple[GraphNode, ...], tuple[GraphEdge, ...], tuple[Cluster, ...]]:
    """The visible boxes, merged edges and clusters for the open groups ``opened``.

    ``levels`` is each op's distance from the inputs (-1: not on an input→output path);
    ``flagged`` the ops the unsafe-op scan found (op → how many flagged ops it stands for:
    1, or what a call left closed holds), marked on the boxes showing them; ``library``
    says what a call left closed holds (its box's op count and summary).
    """
    flagged = flagged or {}
    tally = hierarchy.tally
    hot_ops: Collection[int] = marked.ops if marked else frozenset()
    hot_places = tally.places(hot_ops) if hot_ops else []
    flag_places = tally.places(flagged) if flagged else []
    flag_weights = _weights(tally, flagged, flag_places)
    pieces = Pieces()
    nodes: list[GraphNode] = []
    clusters: list[Cluster] = []
    parameters: dict[str, Group] = {}  # closed "constants & variables" boxes
    box_level: dict[str, int] = {}  # nearest distance from the inputs inside a box

    def found_in(group: Group) -> int:
        return _weight(flag_places, flag_weights, group.start, group.end)

    def walk(group: Group, base: str, cluster: str | None) -> list[str]:
        inside: list[str] = []
        place = group.start
        for leaf in group.leaves:
            node_id, name, op = flat.ids[leaf], flat.names[leaf], flat.ops[leaf]
            frame = flat.frame_of[leaf]
            pieces.add(place, node_id)
            place += 1
            inside.append(node_id)
            if levels[leaf] >= 0:
                box_level[node_id] = levels[leaf]
            label, size, summary = f"{_short_name(name, base)}\n{op}", 1, ""
            targets = frame.body.calls.get(flat.local[leaf], []) if library is not None else []
            closed_call = bool(targets) and node_id not in flat.calls
            if closed_call and library is not None:
                # A call left closed: one box standing for what its functions hold.
                stats = library.call_stats(targets)
                called = ", ".join(dict.fromkeys(name for _, name in targets))
                size, summary = stats.total, op_summary(stats.ops)
                label = f"{_short_name(name, base)} → {called}\n{size:,} ops"
            nodes.append(
                GraphNode(
                    id=node_id,
                    label=label,
                    kind=_op_kind(op, closed_call or node_id in flat.calls),
                    op=op,
                    name=name,
                    function=frame.function,
                    scope=name.rpartition("/")[0],
                    device=frame.body.nodes[flat.local[leaf]].device,
                    cluster=cluster,
                    size=size,
                    on_path=levels[leaf] >= 0,
                    highlighted=leaf in hot_ops,
                    summary=summary,
                    findings=flagged.get(leaf, 0),
                )
            )
        for child in group.groups:
            inside.append(child.id)
            is_open = child.id in opened
            children: tuple[str, ...] = ()
            found = found_in(child)
            if is_open:
                child_base = base
                if child.kind == "function":
                    child_base = ""
                elif child.kind == "scope" and not child.synthetic:
                    child_base = child.scope + "/"
                children = tuple(sorted(walk(child, child_base, child.id)))
            else:
                pieces.add(child.start, child.id)
                if child.hi >= 0:
                    box_level[child.id] = child.lo
                if child.kind == "parameters":
                    parameters[child.id] = child
                nodes.append(
                    GraphNode(
                        id=child.id,
                        label=f"{_box_label(child, base)}\n{child.size:,} ops",
                        kind=_GROUP_KINDS[child.kind],
                        op=child.op,
                        name=child.call,
                        function=child.function,
                        scope=child.scope,
                        cluster=cluster,
                        size=child.size,
                        on_path=child.on_path,
                        highlighted=Tally.count(hot_places, child.start, child.end) > 0,
                        summary=op_summary(child.ops),
                        findings=found,
                    )
                )
            clusters.append(
                Cluster(
                    id=child.id,
                    label=_box_label(child, base),
                    kind=_cluster_kind(child),
                    parent=cluster,
                    children=children,
                    collapsed=not is_open,
                    size=child.size,
                    function=child.function,
                    summary=op_summary(child.ops),
                    findings=found,
                )
            )
        return inside

    walk(hierarchy.root, "", None)
    rep = Representatives(pieces, hierarchy)
    edges = key_nodes_and_edges(signature, endpoints, rep, marked, nodes)
    anchors = _cluster_anchors(clusters, {n.id for n in nodes}, box_level)
    cut = crossing(flat, hierarchy, pieces)
    targets = parameter_targets(flat, hierarchy, opened, cut, parameters, anchors)
    edges.extend(op_edges(flat, cut, hot_ops, targets))
    edges.extend(loop_edges(flat, rep))
    nodes, clusters = with_borders(nodes, clusters, edges)
    return (
        tuple(sorted(nodes, key=lambda n: n.id)),
        tuple(sorted(edges, key=lambda e: (e.src, e.dst, e.kind, e.tensor))),
        tuple(sorted(clusters, key=lambda c: c.id)),
    )


def _weights(tally: Tally, flagged: dict[int, int], places: list[int]) -> list[int]:
    """Running totals of the flagged ops' weights, in ``places`` order (for ``_weight``)."""
    by_place = {tally.position[op]: count for op, count in flagged.items()}
    totals = [0]
    for place in places:
        totals.append(totals[-1] + by_place[place])
    return totals


def _weight(places: list[int], totals: list[int], start: int, end: int) -> int:
    """Flagged ops in the range ``[start, end)``."""
    if not places:
        return 0
    return totals[bisect_left(places, end)] - totals[bisect_left(places, start)]


def _cluster_anchors(
    clusters: list[Cluster], node_ids: set[str], box_level: dict[str, int]
) -> dict[str, str]:
    """For each open cluster, the box inside it closest to the inputs: an edge into the
    whole cluster ends there, so it stays short."""
    children = {c.id: c.children for c in clusters if not c.collapsed}
    anchors: dict[str, tuple[float, str]] = {}

    def anchor(cluster_id: str) -> tuple[float, str]:
        if cluster_id not in anchors:
            best: tuple[float, str] = (float("inf"), "")
            for child in children.get(cluster_id, ()):
                if child in node_ids:
                    candidate = (float(box_level.get(child, 1 << 30)), child)
                else:
                    candidate = anchor(child)
                if candidate[1] and (not best[1] or candidate < best):
                    best = candidate
            anchors[cluster_id] = best
        return anchors[cluster_id]

    return {cluster_id: anchor(cluster_id)[1] for cluster_id in sorted(children)}


def _box_label(group: Group, base: str) -> str:
    if group.kind == "function":
        if group.parent is not None and group.parent.kind == "control_flow":
            return group.label  # "then_branch: cond_true_25"
        return f"{group.call.removeprefix(base)} → {group.function}"
    if group.kind == "control_flow":
        return f"{group.call.removeprefix(base)} ({group.op})"
    if group.kind == "scope" and not group.synthetic:
        return group.scope.removeprefix(base)
    return group.label


def _short_name(name: str, base: str) -> str:
    """A name inside its cluster: "BiasAdd" in "conv1_conv_1/"; a node named like its
    own scope ("a" in "a/") keeps its last word."""
    if base and name.startswith(base):
        return name[len(base) :]
    if base and name == base[:-1]:
        return name.rpartition("/")[2]
    return name


def _op_kind(op: str, inlined_call: bool) -> NodeKind:
    if op in attrs.CONTROL_FLOW_ATTRS:
        return "control_flow"
    if op in attrs.CONST_OPS:
        return "const"
    if op in attrs.VARIABLE_OPS:
        return "variable"
    if op in attrs.PLACEHOLDER_OPS:
        return "placeholder"
    if op in attrs.CALL_OPS or inlined_call:
        return "function_call"
    return "op"


def _cluster_kind(group: Group) -> ClusterKind:
    if group.kind == "root":  # the root frame is never drawn as a cluster
        raise ValueError("the root group has no cluster")
    return group.kind
