"""Turn a sliced, grouped graph into the boxes, edges and clusters of a SignatureGraph.

Each op is drawn by its representative: itself when every group around it is open, else
the outermost closed group. Edges between the same two boxes merge into one that counts
its tensors; only a one-tensor edge gets a dtype/shape label (read from the producer's
attrs here, for the few hundred edges shown, not for the whole slice).
"""

from __future__ import annotations

from collections.abc import Iterable

from explorer.graph import attrs
from explorer.graph.elements import Cluster, ClusterKind, GraphEdge, GraphNode, NodeKind
from explorer.graph.flat import Endpoint, FlatGraph
from explorer.graph.functions import callees
from explorer.graph.grouping import PARAMETERS_LABEL, Group, Hierarchy
from explorer.graph.highlight import Marked
from explorer.graph.library import Library
from explorer.graph.signature_boxes import key_nodes_and_edges
from explorer.graph.summary import op_summary, with_borders
from explorer.model.info import SignatureInfo, format_shape

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
    flagged: set[int] | None = None,
    library: Library | None = None,
) -> tuple[tuple[GraphNode, ...], tuple[GraphEdge, ...], tuple[Cluster, ...]]:
    """The visible boxes, merged edges and clusters for the open groups ``opened``.

    ``levels`` is each op's distance from the inputs (-1: not on an input→output path);
    ``flagged`` the ops the unsafe-op scan found, marked on the boxes showing them;
    ``library`` says what a call left closed holds (its box's op count and summary).
    """
    flagged = flagged or set()

    on_path = [level >= 0 for level in levels]

    rep: list[str] = [""] * len(flat.nodes)
    hot_ops = marked.ops if marked else frozenset()
    nodes: list[GraphNode] = []
    clusters: list[Cluster] = []

    def walk(group: Group, base: str, cluster: str | None) -> list[str]:
        inside: list[str] = []
        for leaf in group.leaves:
            flat_node = flat.nodes[leaf]
            node = flat_node.node
            rep[leaf] = flat_node.id
            inside.append(flat_node.id)
            label, size, summary = f"{_short_name(flat_node.name, base)}\n{node.op}", 1, ""
            targets = callees(node, library.functions) if library is not None else []
            closed_call = bool(targets) and flat_node.id not in flat.calls
            if closed_call and library is not None:
                # A call left closed: one box standing for what its functions hold.
                stats = library.node_stats(node)
                called = ", ".join(dict.fromkeys(name for _, name in targets))
                size, summary = stats.total, op_summary(stats.ops)
                label = f"{_short_name(flat_node.name, base)} → {called}\n{size:,} ops"
            nodes.append(
                GraphNode(
                    id=flat_node.id,
                    label=label,
                    kind=_op_kind(node.op, closed_call or flat_node.id in flat.calls),
                    op=node.op,
                    name=flat_node.name,
                    function=flat_node.frame.function,
                    scope=flat_node.name.rpartition("/")[0],
                    device=node.device,
                    cluster=cluster,
                    size=size,
                    on_path=on_path[leaf],
                    highlighted=leaf in hot_ops,
                    summary=summary,
                    findings=int(leaf in flagged),
                )
            )
        for child in group.groups:
            inside.append(child.id)
            is_open = child.id in opened
            children: tuple[str, ...] = ()
            if is_open:
                child_base = base
                if child.kind == "function":
                    child_base = ""
                elif child.kind == "scope" and not child.synthetic:
                    child_base = child.scope + "/"
                children = tuple(sorted(walk(child, child_base, child.id)))
                found = _count_in(child, flagged)
            else:
                members = _members(child)
                for i in members:
                    rep[i] = child.id
                found = sum(1 for i in members if i in flagged) if flagged else 0
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
                        highlighted=any(i in hot_ops for i in members),
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
    edges = key_nodes_and_edges(signature, endpoints, rep, marked, nodes)
    box_level: dict[str, int] = {}
    for i, level in enumerate(levels):
        if level >= 0 and box_level.get(rep[i], level + 1) > level:
            box_level[rep[i]] = level
    anchors = _cluster_anchors(clusters, {n.id for n in nodes}, box_level)
    targets = _parameter_targets(flat, hierarchy, opened, rep, anchors)
    edges.extend(_op_edges(flat, rep, hot_ops, targets))
    edges.extend(_loop_edges(flat, rep))
    nodes, clusters = with_borders(nodes, clusters, edges)
    return (
        tuple(sorted(nodes, key=lambda n: n.id)),
        tuple(sorted(edges, key=lambda e: (e.src, e.dst, e.kind, e.tensor))),
        tuple(sorted(clusters, key=lambda c: c.id)),
    )


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


def _parameter_targets(
    flat: FlatGraph,
    hierarchy: Hierarchy,
    opened: set[str],
    rep: list[str],
    anchors: dict[str, str],
) -> dict[int, tuple[str, str]]:
    """Ops fed by a closed "constants & variables" box → (cluster, anchor box) to draw
    that edge to instead. A Keras model passes every variable into one call; an edge
    per layer would cross the whole drawing (and slow Graphviz down by minutes), so the
    box gets one edge to the border of each open cluster it feeds."""
    boxes = {
        g.id: g for g in hierarchy.groups.values() if g.kind == "parameters" and g.id not in opened
    }
    if not boxes:
        return {}
    targets: dict[int, tuple[str, str]] = {}
    for src, _, dst, _ in flat.edges:
        box = boxes.get(rep[src])
        if box is None or dst in targets:
            continue
        group: Group | None = hierarchy.home[dst]
        while group is not None and group.parent is not box.parent:
            group = group.parent
        if group is not None and group.id in opened and anchors.get(group.id):
            targets[dst] = (group.id, anchors[group.id])
    return targets


def _op_edges(
    flat: FlatGraph,
    rep: list[str],
    hot_ops: Iterable[int],
    targets: dict[int, tuple[str, str]],
) -> list[GraphEdge]:

    hot = set(hot_ops)
    merged: dict[tuple[str, str], list] = {}  # type: ignore[type-arg]
    ends: dict[tuple[str, str], str] = {}
    for src, port, dst, tensor in flat.edges:
        a, b = rep[src], rep[dst]
        if a == b:
            continue
        if dst in targets and a.endswith(f"[{PARAMETERS_LABEL}]"):
            ends[(a, targets[dst][1])] = targets[dst][0]
            b = targets[dst][1]
        entry = merged.get((a, b))
        if entry is None:
            entry = merged[(a, b)] = [set(), None, False, False]
        if port >= 0:
            entry[0].add((src, port))
            if entry[1] is None or (src, port, tensor) < entry[1]:
                entry[1] = (src, port, tensor)
        else:
            entry[2] = True
        entry[3] = entry[3] or (src in hot and dst in hot)
    edges = []
    for (a, b), (tensors, first, _control, hot_edge) in merged.items():
        if not tensors:
            edges.append(
                GraphEdge(
                    src=a, dst=b, kind="control", highlighted=hot_edge, dst_cluster=ends.get((a, b))
                )
            )
            continue
        src, port, tensor = first
        # The first tensor's dtype and shape describe the edge (and the borders it crosses).
        node = flat.nodes[src].node
        dtype = attrs.output_dtype(node, port)
        known, shape = attrs.output_shape(node, port)
        label = f"{len(tensors)} tensors"
        if len(tensors) == 1:
            label = " ".join(p for p in (dtype, format_shape(shape) if known else "") if p)
        edges.append(
            GraphEdge(
                src=a,
                dst=b,
                kind="data",
                label=label,
                dtype=dtype,
                shape=shape,
                shape_known=known,
                tensor=tensor,
                count=len(tensors),
                highlighted=hot_edge,
                dst_cluster=ends.get((a, b)),
            )
        )
    return edges


def _loop_edges(flat: FlatGraph, rep: list[str]) -> list[GraphEdge]:
    """While loops' hand-overs between boxes: a body result → what reads it next
    iteration; none inside one box (a closed loop keeps its loop to itself)."""

    merged: dict[tuple[str, str], list[str]] = {}
    for src, _, dst, tensor in flat.loops:
        if rep[src] != rep[dst]:
            merged.setdefault((rep[src], rep[dst]), []).append(tensor)
    return [
        GraphEdge(src=a, dst=b, kind="loop", tensor=min(tensors), count=len(set(tensors)))
        for (a, b), tensors in merged.items()
    ]


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


def _members(group: Group) -> list[int]:
    found = list(group.leaves)
    stack = list(group.groups)
    while stack:
        g = stack.pop()
        found.extend(g.leaves)
        stack.extend(g.groups)
    return found


def _cluster_kind(group: Group) -> ClusterKind:
    if group.kind == "root":  # the root frame is never drawn as a cluster
        raise ValueError("the root group has no cluster")
    return group.kind


def _count_in(group: Group, flagged: set[int]) -> int:
    return sum(1 for i in _members(group) if i in flagged) if flagged else 0
