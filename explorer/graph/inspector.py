"""Find ops by name or type anywhere in a MetaGraph, and describe one op in full.

Search covers the top-level graph and every library function, since in a TF2 SavedModel
the model's ops live in functions. ``describe_node`` decodes attrs into words (dtypes as
DT_ names, shapes, function names, small constants with their values and large ones by
shape only) and lists inputs and consumers within the same graph or function.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from explorer.errors import UnknownNodeError
from explorer.graph import attrs
from explorer.model.info import MetaGraphInfo, format_shape

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, GraphDef, MetaGraphDef, NodeDef

DEFAULT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class NodeMatch:
    """One op found by ``find_nodes``."""

    name: str
    op: str
    function: str  # FunctionDef holding it; "" for the top-level graph
    device: str


@dataclass(frozen=True, slots=True)
class NodeInput:
    """One input of an op as its NodeDef writes it."""

    ref: str  # "x:0", "dense/MatMul:product:0", "^init", or a function input arg name
    node: str  # producing op ("" for a function input arg)
    kind: Literal["data", "control", "arg"]


@dataclass(frozen=True, slots=True)
class NodeConsumer:
    """An op in the same graph or function that reads this op's outputs."""

    name: str
    op: str
    ref: str  # how it names the tensor (or "^name" for a control dependency)


@dataclass(frozen=True, slots=True)
class NodeDetails:
    """Everything a NodeDef says about one op, decoded."""

    name: str
    op: str
    function: str  # FunctionDef holding it; "" for the top-level graph
    device: str
    scope: str
    attrs: tuple[tuple[str, str], ...]  # (attr name, value in words), sorted by name
    inputs: tuple[NodeInput, ...]
    consumers: tuple[NodeConsumer, ...]
    # (output number, DT_ name or "", shape text or "") as the attrs record them.
    outputs: tuple[tuple[int, str, str], ...]
    calls: tuple[str, ...]  # library functions it runs (f, then_branch, body, ...)


def find_nodes(
    meta_graph: MetaGraphInfo, query: str, *, limit: int = DEFAULT_LIMIT
) -> tuple[NodeMatch, ...]:
    """Ops whose name contains ``query`` or whose op type matches it (case-insensitive).

    Args:
        meta_graph: the MetaGraph to search (top-level graph and function library).
        query: part of a node name ("dense/MatMul") or an op type ("Conv2D").
        limit: most matches returned.

    Returns:
        Matches, exact op-type or name matches first, then top-level before functions,
        then by function and name. Empty for a blank query.

    Raises:
        Nothing: an unmatched query returns an empty tuple.
    """
    wanted = query.strip().lower()
    if not wanted:
        return ()
    found: list[tuple[tuple[int, int, str, str], NodeMatch]] = []
    for function, node in _all_nodes(meta_graph.proto):
        name, op = node.name.lower(), node.op.lower()
        if wanted in name or wanted in op:
            exact = 0 if wanted in (name, op) else 1
            rank = (exact, 1 if function else 0, function, node.name)
            found.append((rank, NodeMatch(node.name, node.op, function, node.device)))
    found.sort(key=lambda item: item[0])
    return tuple(match for _, match in found[:limit])


def describe_node(
    meta_graph: MetaGraphInfo, name: str, *, function: str | None = None
) -> NodeDetails:
    """Decode one op: attrs, inputs, consumers and output dtypes/shapes.

    Args:
        meta_graph: the MetaGraph holding the op.
        name: the op's name; or, with ``function`` left None, a signature-graph node id
            such as ``StatefulPartitionedCall::StatefulPartitionedCall::dense/MatMul``
            (the call chain is followed into the library).
        function: the FunctionDef holding it; None or "" for the top-level graph.

    Returns:
        The op's details.

    Raises:
        UnknownNodeError: no such function, call chain or op.
    """
    graph = meta_graph.proto.graph_def
    library = {f.signature.name: f for f in graph.library.function}
    if function is None and "::" in name:
        function, name = _follow_id(graph, library, name)
    if function:
        if function not in library:
            similar = difflib.get_close_matches(function, list(library), n=5)
            raise UnknownNodeError(function, "the function library", tuple(similar))
        nodes = list(library[function].node_def)
        args = {a.name for a in library[function].signature.input_arg}
        where = f'function "{function}"'
    else:
        nodes, args, where = list(graph.node), set(), "the top-level graph"
    by_name = {n.name: n for n in nodes}
    node = by_name.get(name)
    if node is None:
        similar = difflib.get_close_matches(name, list(by_name), n=5)
        raise UnknownNodeError(name, where, tuple(similar))
    return NodeDetails(
        name=node.name,
        op=node.op,
        function=function or "",
        device=node.device,
        scope=node.name.rpartition("/")[0],
        attrs=tuple((key, attrs.describe_attr(node.attr[key])) for key in sorted(node.attr)),
        inputs=tuple(_input(ref, args) for ref in node.input),
        consumers=_consumers(nodes, node.name),
        outputs=_outputs(node),
        calls=_calls(node, library),
    )


def _all_nodes(meta_graph: MetaGraphDef) -> list[tuple[str, NodeDef]]:
    graph = meta_graph.graph_def
    found = [("", node) for node in graph.node]
    for func in graph.library.function:
        found.extend((func.signature.name, node) for node in func.node_def)
    return found


def _follow_id(graph: GraphDef, library: dict[str, FunctionDef], node_id: str) -> tuple[str, str]:
    """``call::call@then_branch::name`` → (function holding ``name``, ``name``)."""
    *chain, name = node_id.split("::")
    nodes = {n.name: n for n in graph.node}
    function = ""
    for step in chain:
        call, _, role = step.partition("@")
        node = nodes.get(call)
        where = f'function "{function}"' if function else "the top-level graph"
        if node is None:
            raise UnknownNodeError(call, where, ())
        targets = dict(_roles(node, library))
        function = targets.get(role or "", "")
        if not function:
            raise UnknownNodeError(step, f"the calls made by {call} ({node.op})", ())
        nodes = {n.name: n for n in library[function].node_def}
    return function, name


def _roles(node: NodeDef, library: dict[str, FunctionDef]) -> list[tuple[str, str]]:
    found = []
    for key in sorted(node.attr):
        value = node.attr[key]
        if value.HasField("func") and value.func.name in library:
            found.append(("" if key == "f" else key, value.func.name))
        elif value.HasField("list"):
            found.extend(
                (f"{key}_{i}", f.name) for i, f in enumerate(value.list.func) if f.name in library
            )
    if node.op in library:
        found.append(("", node.op))
    return found


def _input(ref: str, args: set[str]) -> NodeInput:
    if ref.startswith("^"):
        return NodeInput(ref, ref[1:], "control")
    if ref in args:
        return NodeInput(ref, "", "arg")
    return NodeInput(ref, ref.split(":")[0], "data")


def _consumers(nodes: list[NodeDef], name: str) -> tuple[NodeConsumer, ...]:
    found = []
    for other in nodes:
        for ref in other.input:
            if ref.removeprefix("^").split(":")[0] == name:
                found.append(NodeConsumer(other.name, other.op, ref))
    return tuple(sorted(found, key=lambda c: (c.name, c.ref)))


def _outputs(node: NodeDef) -> tuple[tuple[int, str, str], ...]:
    count = len(node.attr["_output_shapes"].list.shape) if "_output_shapes" in node.attr else 0
    if not count and attrs.output_dtype(node, 0):
        count = 1
    rows = []
    for port in range(count):
        known, shape = attrs.output_shape(node, port)
        rows.append((port, attrs.output_dtype(node, port), format_shape(shape) if known else ""))
    return tuple(rows)


def _calls(node: NodeDef, library: dict[str, FunctionDef]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for _, name in _roles(node, library)))
