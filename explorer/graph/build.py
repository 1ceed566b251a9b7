"""The graph a signature really runs: keys → tensors → ops, as plain data (``SignatureGraph``).

``build_signature_graph`` slices the MetaGraph between the signature's tensors
(``graph_slice``: only ops on input→output paths and what feeds them, following calls
into the function library), groups the ops into functions and name scopes
(``graph_grouping``) and opens groups until the view fills ``node_budget`` boxes. Input
keys sit on the left, linked to their tensors and to the ops owning them; output keys
on the right. ``explorer.graph.dot.to_dot`` draws the result; the app and the CLI only read it.

The graph's data classes and its ids are ``explorer.graph.elements``;
``explorer.graph.inspector.describe_node`` accepts its op ids.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from explorer.errors import GraphOptionError
from explorer.graph.elements import DEFAULT_NODE_BUDGET, GraphStats, SignatureGraph
from explorer.graph.grouping import Group, build_hierarchy, choose_expanded
from explorer.graph.highlight import highlight_set
from explorer.graph.slicing import FlatGraph, slice_graph
from explorer.graph.view import assemble_view
from explorer.model.info import MetaGraphInfo


def build_signature_graph(
    meta_graph: MetaGraphInfo,
    signature_key: str,
    *,
    expand: Iterable[str] = (),
    collapse: Iterable[str] = (),
    node_budget: int = DEFAULT_NODE_BUDGET,
    highlight: str | None = None,
) -> SignatureGraph:
    """Build the graph of what ``signature_key`` runs, grouped to fit ``node_budget``.

    Args:
        meta_graph: the MetaGraph holding the signature (its parsed proto is used).
        signature_key: the SignatureDef key, e.g. "serving_default".
        expand: groups to open whatever the budget: a cluster id, a name scope
            ("resnet50_1/conv1_conv_1"), a function name or a call node name.
        collapse: groups to keep closed (same names as ``expand``).
        node_budget: most boxes wanted; groups are opened only while the view fits.
        highlight: a signature key whose path is marked: an input key's ops down to the
            outputs it reaches, or an output key's ops back to the inputs.

    Returns:
        The view as frozen dataclasses, sorted so the same model gives the same graph.

    Raises:
        UnknownSignatureError: no signature has that key.
        GraphOptionError: ``highlight``, ``expand`` or ``collapse`` names nothing in this
            graph, or ``node_budget`` is below 1.
    """
    signature = meta_graph.signature(signature_key)
    if node_budget < 1:
        raise GraphOptionError(
            "node budget",
            str(node_budget),
            (),
            f"The node budget is the most boxes to draw: a whole number ≥ 1, not {node_budget}.",
        )
    keys = {t.key for t in (*signature.inputs, *signature.outputs)}
    if highlight is not None and highlight not in keys:
        raise GraphOptionError("signature key", highlight, sorted(keys))
    inputs = tuple(n for t in signature.inputs for n in t.tensor_names)
    outputs = tuple(n for t in signature.outputs for n in t.tensor_names)
    flat, endpoints = slice_graph(meta_graph.proto, inputs, outputs)
    levels = _forward_slice(flat) if inputs else [0] * len(flat.nodes)
    on_path = [level >= 0 for level in levels]
    hierarchy = build_hierarchy(flat, on_path)
    fixed = len(keys) + len(set(inputs) | set(outputs))
    opened = choose_expanded(
        hierarchy,
        fixed=fixed,
        budget=node_budget,
        expand=_find_groups(hierarchy.groups, expand),
        collapse=_find_groups(hierarchy.groups, collapse),
    )
    marked = highlight_set(flat, signature, endpoints, on_path, highlight)
    nodes, edges, clusters = assemble_view(
        flat, hierarchy, opened, signature, endpoints, levels, marked
    )
    proto = meta_graph.proto.graph_def
    stats = GraphStats(
        metagraph_nodes=len(proto.node) + sum(len(f.node_def) for f in proto.library.function),
        slice_nodes=len(flat.nodes),
        visible_nodes=len(nodes),
        visible_edges=len(edges),
        functions_inlined=len(flat.frames) - 1,
        collapsed_groups=sum(1 for c in clusters if c.collapsed),
        node_budget=node_budget,
    )
    return SignatureGraph(
        signature_key=signature_key,
        method_name=signature.method_name,
        nodes=nodes,
        edges=edges,
        clusters=clusters,
        stats=stats,
        highlight=highlight,
        ops=frozenset((n.frame.function, n.name) for n in flat.nodes),
    )


def _forward_slice(flat: FlatGraph) -> list[int]:
    """Each op's distance in edges from the fed (input) ops; -1 for ops no input reaches
    (constants, variables and their reads), the rest are on an input→output path."""
    successors: list[list[int]] = [[] for _ in flat.nodes]
    for src, _, dst, _ in flat.edges:
        successors[src].append(dst)
    level = [0 if node.fed else -1 for node in flat.nodes]
    frontier = [i for i, node in enumerate(flat.nodes) if node.fed]
    distance = 0
    while frontier:
        distance += 1
        following = []
        for i in frontier:
            for nxt in successors[i]:
                if level[nxt] < 0:
                    level[nxt] = distance
                    following.append(nxt)
        frontier = following
    return level


def _find_groups(groups: dict[str, Group], names: Iterable[str]) -> list[Group]:
    """Groups a user names by id, scope, function or call node name."""
    names = [n for n in names if n]
    if not names:
        return []
    lookup: dict[str, list[Group]] = {}
    for group in groups.values():
        if group.kind == "root":
            continue
        for alias in {group.id, group.scope, group.scope + "/", group.function, group.call}:
            if alias and alias != "/":
                lookup.setdefault(alias, []).append(group)
    found: list[Group] = []
    for name in names:
        if name not in lookup:
            close = difflib.get_close_matches(name, list(lookup), n=5, cutoff=0.5)
            ids = sorted(g.id for g in groups.values() if g.kind != "root")
            raise GraphOptionError("scope or function", name, close or ids[:8])
        found.extend(sorted(lookup[name], key=lambda g: g.order))
    return found
