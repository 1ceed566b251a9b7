"""Indexes over a MetaGraph for the unsafe-op scan: what a node reaches through inputs and
called functions, and whether a vocabulary op's file name traces back to a model asset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from explorer.model import protos
from explorer.safety.ops import UnsafeOp, unsafe_op

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, GraphDef, MetaGraphDef, NodeDef


def asset_tensor_names(proto: MetaGraphDef) -> frozenset[str]:
    """Tensors the loader feeds with a file inside the model's ``assets/`` folder.

    Only ``asset_file_def`` entries (and the older ``saved_model_assets`` collection of
    AssetFileDefs) are fed so; a name in the ``asset_filepaths`` collection alone keeps the
    path written in the graph, which may be any file on the server. A filename that is not
    a plain name (``../../etc/passwd``) would be joined out of ``assets/``: not an asset.
    """
    entries = list(proto.asset_file_def)
    legacy = proto.collection_def.get("saved_model_assets")
    if legacy is not None:
        for packed in legacy.any_list.value:
            entry = protos.message_class("tensorflow.AssetFileDef")()
            if packed.Unpack(entry):
                entries.append(entry)
    return frozenset(
        _tensor_name(e.tensor_info.name)
        for e in entries
        if e.tensor_info.name and _plain_file_name(e.filename)
    )


def _plain_file_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _node_name(ref: str) -> str:
    """``"^a"``, ``"a:1"``, ``"a:output:0"`` → ``"a"``."""
    return ref.lstrip("^").split(":", 1)[0]


def _tensor_name(ref: str) -> str:
    name, _, index = ref.partition(":")
    return f"{name}:{index or 0}"


def _data_inputs(node: NodeDef) -> list[str]:
    return [ref for ref in node.input if not ref.startswith("^")]


def _callees(node: NodeDef, functions: dict[str, FunctionDef]) -> Iterator[str]:
    """Names of the library functions a node calls: by op type or any function attr."""
    if node.op in functions:
        yield node.op
    for value in node.attr.values():
        kind = value.WhichOneof("value")
        if kind == "func":
            yield value.func.name
        elif kind == "list":
            for func in value.list.func:
                yield func.name


# Ops whose output is their first input, for tracing a vocabulary file name to an asset.
_PASS_THROUGH = frozenset({"Identity", "Snapshot", "StopGradient", "ReadVariableOp"})
# Call ops whose data inputs map onto the callee's arguments, after this many inputs.
_ARG_OFFSET = {"PartitionedCall": 0, "StatefulPartitionedCall": 0, "If": 1, "StatelessIf": 1}
_Sites = dict[str, list[tuple[str | None, list[str] | None]]]


class SafetyGraph:
    """Name indexes over a GraphDef and its function library, built once per scan."""

    def __init__(self, graph_def: GraphDef) -> None:
        self.nodes: dict[str, NodeDef] = {n.name: n for n in graph_def.node}
        self.functions: dict[str, FunctionDef] = {
            f.signature.name: f for f in graph_def.library.function
        }
        self._edges: dict[str, tuple[list[str], list[str]]] = {}
        self._closures: dict[str, frozenset[str]] = {}
        self._traced: dict[tuple[str | None, str], bool] = {}
        self._sites: _Sites | None = None

    def unsafe_nodes(self) -> Iterator[tuple[str | None, NodeDef, UnsafeOp]]:
        """(function or None, NodeDef, table row) for every unsafe node anywhere."""
        scoped: list[tuple[str | None, Iterable[NodeDef]]] = [(None, self.nodes.values())]
        scoped += [(name, f.node_def) for name, f in self.functions.items()]
        for scope, nodes in scoped:
            for node in nodes:
                row = unsafe_op(node)
                if row is not None:
                    yield scope, node, row

    def reach(self, starts: Iterable[str]) -> tuple[set[str], set[str]]:
        """Top-level nodes and library functions that running ``starts`` can execute."""
        seen: set[str] = set()
        functions: set[str] = set()
        nodes, edges, lib = self.nodes, self._edges, self.functions
        stack = [_node_name(ref) for ref in starts if ref]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            entry = edges.get(name)
            if entry is None:
                node = nodes.get(name)
                if node is None:
                    continue
                # Parsed once per scan (inlined: this loop dominates the scan's time).
                inputs = [ref.partition(":")[0].lstrip("^") for ref in node.input]
                called = [f for c in _callees(node, lib) for f in self._closure(c)] if lib else []
                entry = edges[name] = (inputs, called)
            seen.add(name)
            stack += entry[0]
            functions.update(entry[1])
        return seen, functions

    def traces_to_asset(self, function: str | None, node: NodeDef, assets: frozenset[str]) -> bool:
        """Whether a vocabulary op's filename (input 1) is one of the model's assets."""
        data = _data_inputs(node)
        return len(data) > 1 and self._trace(function, data[1], assets)

    def _closure(self, name: str) -> frozenset[str]:
        if name not in self._closures:
            found: set[str] = set()
            stack = [name]
            while stack:
                current = stack.pop()
                if current not in found and current in self.functions:
                    found.add(current)
                    body = self.functions[current].node_def
                    stack.extend(c for n in body for c in _callees(n, self.functions))
            self._closures[name] = frozenset(found)
        return self._closures[name]

    def _trace(self, scope: str | None, ref: str, assets: frozenset[str]) -> bool:
        key = (scope, ref)
        if key not in self._traced:
            self._traced[key] = False  # a cycle back here proves nothing
            self._traced[key] = self._trace_step(scope, ref, assets)
        return self._traced[key]

    def _trace_step(self, scope: str | None, ref: str, assets: frozenset[str]) -> bool:
        if scope is None and _tensor_name(ref) in assets:
            return True
        if scope is not None and ":" not in ref:  # a function argument: check every caller
            args = list(self.functions[scope].signature.input_arg)
            index = next((i for i, a in enumerate(args) if a.name == ref), None)
            if index is None or any(a.number_attr or a.type_list_attr for a in args[: index + 1]):
                return False
            sites = self._call_sites().get(scope, [])
            return bool(sites) and all(
                inputs is not None
                and index < len(inputs)
                and self._trace(caller, inputs[index], assets)
                for caller, inputs in sites
            )
        name = _node_name(ref)
        nodes = self.nodes if scope is None else {n.name: n for n in self.functions[scope].node_def}
        node = nodes.get(name)
        if node is None:
            return False
        if node.op in _PASS_THROUGH:
            data = _data_inputs(node)
            return bool(data) and self._trace(scope, data[0], assets)
        if node.op == "VarHandleOp" and scope is None:
            # TF2 keeps an asset's path in a variable assigned from the asset placeholder.
            assigned = [
                _data_inputs(n)[1:2]
                for n in self.nodes.values()
                if n.op == "AssignVariableOp" and _node_name(next(iter(n.input), "")) == name
            ]
            return bool(assigned) and all(v and self._trace(None, v[0], assets) for v in assigned)
        return False

    def _call_sites(self) -> _Sites:
        """Function → (calling scope, data inputs mapped onto its arguments, or None)."""
        if self._sites is None:
            self._sites = {}
            scoped: list[tuple[str | None, NodeDef]] = [(None, n) for n in self.nodes.values()]
            scoped += [(name, n) for name, f in self.functions.items() for n in f.node_def]
            for scope, node in scoped:
                data = _data_inputs(node)
                offset = 0 if node.op in self.functions else _ARG_OFFSET.get(node.op)
                for callee in _callees(node, self.functions):
                    args = data[offset:] if offset is not None else None
                    self._sites.setdefault(callee, []).append((scope, args))
        return self._sites
