"""Indexes over a MetaGraph for the unsafe-op scan, built once per scan: its unsafe nodes,
what running some top-level nodes runs (their inputs and, through
:mod:`explorer.safety.callgraph`, library functions), who calls each function with which
arguments, who consumes a tensor, and which nodes name each resource.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from explorer.safety.callgraph import CallGraph
from explorer.safety.ops import UNSAFE_OP_TYPES, UnsafeOp, unsafe_op

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, GraphDef, NodeDef

Scope = str | None  # a library function's name, or None for the top-level graph
# A node that uses a tensor and where; None for a function's ``ret`` (its outputs).
Use = tuple["NodeDef | None", int]
Site = tuple[Scope, "list[str] | None"]  # caller and the inputs it passes, if known

# Call ops whose data inputs, after the first ``offset``, are the callee's arguments.
_CALL_ARGS = {"PartitionedCall": 0, "StatefulPartitionedCall": 0}
_BRANCH_ARGS = {
    "If": ("then_branch", "else_branch"),
    "StatelessIf": ("then_branch", "else_branch"),
    "Case": ("branches",),
    "StatelessCase": ("branches",),
}
_DT_RESOURCE = 20


def node_name(ref: str) -> str:
    """``"^a"``, ``"a:1"``, ``"a:output:0"`` → ``"a"``."""
    return ref.lstrip("^").split(":", 1)[0]


def tensor_name(ref: str) -> str:
    """A top-level tensor reference with its index: ``"a"`` → ``"a:0"``."""
    name, _, index = ref.partition(":")
    return f"{name}:{index or 0}"


def data_inputs(node: NodeDef) -> list[str]:
    return [ref for ref in node.input if not ref.startswith("^")]


def direct_calls(node: NodeDef, functions: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """(callee, the data inputs that become its arguments) for each function ``node`` calls
    with its own inputs. Functions it only names (nested attrs, datasets) get none."""
    data = data_inputs(node)
    if node.op in functions:
        yield node.op, data
    elif node.op in _CALL_ARGS and "f" in node.attr:
        yield node.attr["f"].func.name, data[_CALL_ARGS[node.op] :]
    elif node.op in _BRANCH_ARGS:
        for attr in _BRANCH_ARGS[node.op]:
            if attr in node.attr:
                value = node.attr[attr]
                for name in [value.func.name, *(f.name for f in value.list.func)]:
                    if name:
                        yield name, data[1:]


class SafetyGraph:
    """Name indexes over a GraphDef and its function library, built once per scan."""

    def __init__(self, graph_def: GraphDef) -> None:
        self._graph_def = graph_def
        self.nodes: dict[str, NodeDef] = {n.name: n for n in graph_def.node}
        self.functions: dict[str, FunctionDef] = {
            f.signature.name: f for f in graph_def.library.function
        }
        self._calls: CallGraph | None = None
        self._edges: dict[str, tuple[list[str], tuple[str, ...]]] = {}
        self._scoped: dict[str, dict[str, NodeDef]] = {}
        self._sites: dict[str, list[Site]] | None = None
        self._uses: dict[Scope, dict[str, list[Use]]] = {}
        self._resources: Counter[bytes] | None = None
        self._forgeable: bool | None = None
        self._unsafe: list[tuple[Scope, NodeDef, UnsafeOp]] | None = None

    @property
    def calls(self) -> CallGraph:
        """What each node and function can call: built on first use (a model without
        unsafe ops never needs it)."""
        if self._calls is None:
            self._calls = CallGraph(self._graph_def, self.functions)
        return self._calls

    def unsafe_nodes(self) -> list[tuple[Scope, NodeDef, UnsafeOp]]:
        """(function or None, NodeDef, table row) for every unsafe node anywhere."""
        if self._unsafe is None:
            types = UNSAFE_OP_TYPES
            self._unsafe = [
                (scope, node, row)
                for scope, node in self.all_nodes()
                if node.op in types and (row := unsafe_op(node)) is not None
            ]
        return self._unsafe

    def all_nodes(self) -> Iterator[tuple[Scope, NodeDef]]:
        """Every node of the top-level graph and of every library function."""
        for node in self.nodes.values():
            yield None, node
        for name, function in self.functions.items():
            for node in function.node_def:
                yield name, node

    def scope_nodes(self, scope: Scope) -> dict[str, NodeDef]:
        """The nodes of the top-level graph (None) or of one function, by name."""
        if scope is None:
            return self.nodes
        if scope not in self._scoped:
            self._scoped[scope] = {n.name: n for n in self.functions[scope].node_def}
        return self._scoped[scope]

    def reach(self, starts: Iterable[str]) -> tuple[set[str], set[str]]:
        """Top-level nodes and library functions that running ``starts`` can execute."""
        seen: set[str] = set()
        called: set[str] = set()
        nodes, edges = self.nodes, self._edges
        targets = self.calls.node_targets if self.functions else None
        stack = [node_name(ref) for ref in starts if ref]
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
                entry = edges[name] = (inputs, targets(None, name) if targets else ())
            seen.add(name)
            stack += entry[0]
            called.update(entry[1])
        return seen, self.calls.closure(called)

    def call_sites(self, function: str) -> list[Site]:
        """Every place ``function`` can be called from, with the inputs it gets there
        (None where they are unknown: a name in an attr, an interface peer swapped in by
        Grappler, a gradient)."""
        if self._sites is None:
            sites: dict[str, list[Site]] = {}
            library, calls = self.functions, self.calls
            for (scope, _), (node, named, gradients) in calls.referring.items():
                unmapped = list(named)
                for callee, args in direct_calls(node, library):
                    sites.setdefault(callee, []).append((scope, args))
                    if callee in unmapped:
                        unmapped.remove(callee)
                for callee in unmapped + list(calls.gradient_functions if gradients else ()):
                    sites.setdefault(callee, []).append((scope, None))
            for name in calls.interface_peers:
                sites.setdefault(name, []).append((None, None))
            self._sites = sites
        return self._sites.get(function, [])

    def uses(self, scope: Scope, producer: str) -> list[Use]:
        """The nodes of ``scope`` that take any output of ``producer`` (a node, or in a
        function also an argument) as a data input, with the input's position; a
        ``(None, -1)`` entry when the function returns it."""
        if scope not in self._uses:
            index: dict[str, list[Use]] = {}
            for node in self.scope_nodes(scope).values():
                for position, ref in enumerate(data_inputs(node)):
                    index.setdefault(node_name(ref), []).append((node, position))
            if scope is not None:
                for ref in self.functions[scope].ret.values():
                    index.setdefault(node_name(ref), []).append((None, -1))
            self._uses[scope] = index
        return self._uses[scope].get(producer, [])

    def resource_name_count(self, name: bytes) -> int:
        """How many nodes anywhere (functions included) name the resource ``name``, by
        their ``shared_name`` (or ``shared_names``) attr (see :func:`resource_names`)."""
        if self._resources is None:
            counts: Counter[bytes] = Counter()
            for _, node in self.all_nodes():
                if "shared_name" in node.attr:
                    counts.update(resource_names(node))
                if "shared_names" in node.attr:
                    counts.update(node.attr["shared_names"].list.s)
            self._resources = counts
        return self._resources[name]

    def handles_forgeable(self) -> bool:
        """Whether some node can make a resource handle out of data (a DT_RESOURCE
        Const, Placeholder or ParseTensor ...): such a handle may point at any resource."""
        if self._forgeable is None:
            self._forgeable = any(
                node.attr[key].type == _DT_RESOURCE
                for _, node in self.all_nodes()
                for key in ("dtype", "out_type")
                if key in node.attr
            )
        return self._forgeable


def resource_names(node: NodeDef) -> tuple[bytes, ...]:
    """The names a handle op may give its resource: its ``shared_name``; when that is
    empty, the empty name and its node name (kernels differ in which they use)."""
    shared = node.attr["shared_name"].s
    return (shared,) if shared else (b"", node.name.encode())
