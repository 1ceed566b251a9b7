"""Which library functions a node can run: every way TensorFlow turns a name into a call.

A node runs a function when its op type is the function's name, or when any of its attrs
names it: a ``func`` attr (``f``, ``then_branch``, ``body``, a dataset's ``f`` ...), a
``list(func)`` attr (``branches``), and, at any depth, the attrs a named function is
instantiated with (``NameAttrList.attr``): a function body may take a function attr as a
``placeholder`` and call whatever the caller put there. A function's own attrs count too,
and so do the default values of its signature's attrs (a placeholder the caller leaves
unset takes its default). Running a function runs all of it: TensorFlow keeps a
function's stateful ops even when no output depends on them.

Two more ways are not written at the call site at all:

* **Grappler's implementation selector** swaps a called function for another one that
  ``api_implements`` the same interface (picked by ``api_preferred_device``) when the graph
  runs. So every function sharing ``api_implements`` with a function that can run can run.
* **Gradients.** ``SymbolicGradient`` (as an op, or a function reference by that name)
  instantiates the gradient of its function: the library's ``gradient`` map entry for it,
  or a symbolic gradient whose called functions' gradients are looked up in that map in
  turn, keyed by function or op name. So once anything that can run instantiates a
  gradient, every function in the ``gradient`` map can run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, GraphDef, NodeDef

#: Ops (and function names) that instantiate gradient functions from the library.
GRADIENT_OPS = frozenset({"SymbolicGradient"})
_API_IMPLEMENTS = "api_implements"


def attr_function_names(values: Iterable[Any]) -> list[str]:
    """Every function name in these ``AttrValue``s, nested instantiation attrs included,
    once per mention.

    Iterative: a hostile model may nest ``NameAttrList.attr`` as deep as protobuf allows.
    """
    names: list[str] = []
    stack = list(values)
    while stack:
        value = stack.pop()
        kind = value.WhichOneof("value")
        if kind == "func":
            names.append(value.func.name)
            if value.func.attr:
                stack.extend(_values(value.func.attr))
        elif kind == "list" and value.list.func:
            for named in value.list.func:
                names.append(named.name)
                if named.attr:
                    stack.extend(_values(named.attr))
    return names


def _values(attrs: Mapping[str, Any]) -> list[Any]:
    # Faster than .values() on a protobuf map (no Python-level view iterator).
    return [attrs[key] for key in attrs]


_NO_REFERENCES: tuple[tuple[str, ...], bool] = ((), False)


class CallGraph:
    """The functions of one graph's library and what each node and function can run.

    Every node's attrs are walked once, when the graph is built; only nodes that name a
    library function or instantiate gradients are kept. ``closure`` answers "which
    functions can running these run?", following call sites, ``api_implements`` groups
    and (once a gradient is instantiated) the gradient map.
    """

    def __init__(self, graph_def: GraphDef, functions: dict[str, FunctionDef]) -> None:
        library = graph_def.library
        #: The library's functions by name (``graph_def.library.function``).
        self.functions = functions
        groups: dict[bytes, list[str]] = {}
        for name, function in self.functions.items():
            if _API_IMPLEMENTS in function.attr:
                groups.setdefault(function.attr[_API_IMPLEMENTS].s, []).append(name)
        #: Function → the other functions implementing its interface (groups of two or more).
        self.interface_peers: dict[str, tuple[str, ...]] = {
            name: tuple(m for m in members if m != name)
            for members in groups.values()
            if len(members) > 1
            for name in members
        }
        #: Gradient functions of the ``gradient`` map that exist in the library.
        self.gradient_functions: tuple[str, ...] = tuple(
            dict.fromkeys(
                g.gradient_func for g in library.gradient if g.gradient_func in self.functions
            )
        )
        #: (function or None, node name) → (the node, the library functions it names by op
        #: type or in any attr, once per mention; whether it instantiates gradients), for
        #: the nodes that do either.
        self.referring: dict[tuple[str | None, str], tuple[NodeDef, tuple[str, ...], bool]] = {}
        if self.functions:  # with no library, no name can call anything
            self._index(None, graph_def.node)
            for name, function in self.functions.items():
                self._index(name, function.node_def)
        self._edges: dict[str, tuple[str, ...]] = {}

    def _index(self, scope: str | None, nodes: Iterable[NodeDef]) -> None:
        library = self.functions
        for node in nodes:
            attrs = node.attr
            names: list[str] = []
            if attrs:
                for key in attrs:
                    value = attrs[key]
                    kind = value.WhichOneof("value")
                    if kind == "func" or (kind == "list" and value.list.func):
                        names = attr_function_names(_values(attrs))
                        break
            op = node.op
            if op in library or op in GRADIENT_OPS:
                names.append(op)
            if names:
                gradients = not GRADIENT_OPS.isdisjoint(names)
                found = tuple(n for n in names if n in library)
                if found or gradients:
                    self.referring[(scope, node.name)] = (node, found, gradients)

    def node_targets(self, scope: str | None, name: str) -> tuple[str, ...]:
        """The library functions node ``name`` of ``scope`` runs directly: those it
        names, plus every gradient function when it instantiates gradients."""
        entry = self.referring.get((scope, name))
        if entry is None:
            return ()
        return entry[1] + self.gradient_functions if entry[2] else entry[1]

    def closure(self, names: Iterable[str]) -> set[str]:
        """Every library function that running the functions ``names`` can run (``names``
        included; names that are not library functions are dropped)."""
        found: set[str] = set()
        stack = [n for n in names if n in self.functions]
        while stack:
            name = stack.pop()
            if name in found:
                continue
            found.add(name)
            stack.extend(self._function_edges(name))
        return found

    def _function_edges(self, name: str) -> tuple[str, ...]:
        edges = self._edges.get(name)
        if edges is None:
            function = self.functions[name]
            targets: list[str] = []
            for node in function.node_def:
                targets.extend(self.node_targets(name, node.name))
            # A function's own attrs, and the defaults of the attrs it is instantiated
            # with (what a placeholder resolves to when the caller leaves it unset).
            own = attr_function_names(_values(function.attr))
            own += attr_function_names(a.default_value for a in function.signature.attr)
            targets.extend(n for n in own if n in self.functions)
            targets.extend(self.interface_peers.get(name, ()))
            edges = self._edges[name] = tuple(dict.fromkeys(targets))
        return edges
