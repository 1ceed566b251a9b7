"""How much a MetaGraph asks of TensorFlow once loaded, measured on its proto alone.

TensorFlow inlines every function call into the graph it runs, and recurses over it, so
what a model costs is not its file size. Four numbers say it, each computed without
recursion in time linear in the proto:

* ``nodes``: the most nodes TensorFlow builds for one run — loading builds the graph as
  written, and each run (a signature's, the init and restore ops') inlines every call it
  reaches, one copy per call site: a 1 KB library whose functions each call the next twice
  asks for 2**depth nodes.
* ``call_depth``: the longest chain of nested function calls (a function that calls
  itself, or two that call each other, is a cycle: an endless chain).
* ``graph_depth``: the longest path of ops through the inlined graph (a call counts as its
  function's own longest path); TensorFlow's graph passes recurse that deep.
* ``constant_bytes``: what the model's constant tensors take once materialized (``Const``
  values and every other tensor attr, once per inlined copy, and signature ``defaults``):
  a TensorProto may hold one value and a shape that repeats it a billion times.

Function names are followed wherever a node holds one: its op type, ``func`` and
``list(func)`` attrs, the attrs nested inside those, and the gradient registered for a
``SymbolicGradient``'s function.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.model.proto_types import (
        AttrValue,
        MetaGraphDef,
        NodeDef,
        TensorProto,
    )

# Bytes per element by DataType number (reference types, 101+, as their base type).
# DT_STRING elements are tstrings (24 bytes) plus their text; DT_RESOURCE and DT_VARIANT
# hold a handle each (counted as 8).
_ELEMENT_BYTES = {
    1: 4, 2: 8, 3: 4, 4: 1, 5: 2, 6: 1, 7: 24, 8: 8, 9: 8, 10: 1, 11: 1, 12: 1, 13: 4,
    14: 2, 15: 2, 16: 2, 17: 2, 18: 16, 19: 2, 20: 8, 21: 8, 22: 4, 23: 8,
}  # fmt: skip
_OTHER_ELEMENT_BYTES = 1  # the 8-bit float and 4-bit int types added since
_GRADIENT_OPS = frozenset({"SymbolicGradient"})


class CallCycleError(Exception):
    """The function library calls itself round; ``cycle`` names the functions in order,
    the first repeated at the end."""

    def __init__(self, cycle: tuple[str, ...]) -> None:
        self.cycle = cycle
        super().__init__(" → ".join(cycle))


@dataclass(frozen=True, slots=True)
class GraphExtent:
    """What loading and running a MetaGraph asks of TensorFlow."""

    # Nodes as written: the graph's plus every function body's.
    written_nodes: int
    # The most nodes one run builds once its calls are inlined (at least written_nodes).
    nodes: int
    # Which run that is, in words ('signature "serving_default"'); "" if the written graph.
    largest_run: str
    call_depth: int
    # The deepest call chain, outermost function first.
    deepest_call: tuple[str, ...]
    graph_depth: int
    constant_bytes: int
    # The constant that adds the most bytes, in words, and how many it adds.
    largest_constant: str
    largest_constant_bytes: int


def written_nodes(proto: MetaGraphDef) -> int:
    """Nodes in the graph and in every library function, as written (no inlining)."""
    library = proto.graph_def.library.function
    return len(proto.graph_def.node) + sum(len(f.node_def) for f in library)


def measure(proto: MetaGraphDef) -> GraphExtent:
    """Measure a MetaGraph: inlined nodes, call and graph depth, constant bytes.

    Raises:
        CallCycleError: a function calls itself, directly or through others.
    """
    names = {f.signature.name for f in proto.graph_def.library.function}
    gradients = {g.function_name: g.gradient_func for g in proto.graph_def.library.gradient}
    scopes = {
        f.signature.name: _Scope(f.node_def, names, gradients)
        for f in proto.graph_def.library.function
    }
    graph = _Scope(proto.graph_def.node, names, gradients)
    order = _post_order({name: scope.callees for name, scope in scopes.items()})

    depth: dict[str, int] = {}
    below: dict[str, str | None] = {}  # the callee on the deepest chain
    for name in order:
        callees = (c for site in scopes[name].callees for c in site)
        deepest = max(callees, key=depth.__getitem__, default=None)
        depth[name] = 1 + (depth[deepest] if deepest is not None else 0)
        below[name] = deepest
    top = max(order, key=depth.__getitem__, default=None)
    chain: list[str] = []
    while top is not None:
        chain.append(top)
        top = below[top]

    size: dict[str, int] = {}  # nodes one call of a function builds, inlined
    for name in order:
        size[name] = sum(1 + sum(size[c] for c in site) for site in scopes[name].callees)
    written = len(graph.inputs) + sum(len(s.inputs) for s in scopes.values())
    weight = [1 + sum(size[c] for c in site) for site in graph.callees]
    nodes, largest_run = written, ""
    called = _called(scopes, graph)
    if sum(weight) + sum(size[n] for n in order if n not in called) > written:
        # Some call is inlined more than once: count what each run reaches.
        for label, roots in _runs(proto):
            built = sum(weight[i] for i in graph.reach(roots))
            if built > nodes:
                nodes, largest_run = built, label

    copies = _copies(order, scopes, graph)
    constants = _Constants()
    constants.add_scope(graph, 1, None)
    for name in order:
        constants.add_scope(scopes[name], copies[name], name)
    for key, signature in proto.signature_def.items():
        for alias, tensor in signature.defaults.items():
            constants.add(tensor, 1, f'default "{alias}" of signature "{key}"')

    length: dict[str, int] = {}
    for name in order:
        length[name] = scopes[name].longest_path(length)
    return GraphExtent(
        written_nodes=written,
        nodes=nodes,
        largest_run=largest_run,
        call_depth=len(chain),
        deepest_call=tuple(chain),
        graph_depth=max([graph.longest_path(length), *length.values()]),
        constant_bytes=constants.total,
        largest_constant=constants.largest,
        largest_constant_bytes=constants.largest_bytes,
    )


def tensor_bytes(tensor: TensorProto) -> int:
    """The bytes a TensorProto takes once materialized: its shape's elements, however few
    values it stores (TensorFlow repeats the last one, or zero, to fill the shape)."""
    elements = 1
    for dim in tensor.tensor_shape.dim:
        elements *= max(int(dim.size), 0)
    dtype = int(tensor.dtype) % 100
    size = elements * _ELEMENT_BYTES.get(dtype, _OTHER_ELEMENT_BYTES)
    if dtype == 7 and tensor.string_val:  # DT_STRING: the text too, the last one repeated
        stored = tensor.string_val
        size += sum(len(s) for s in stored) + max(elements - len(stored), 0) * len(stored[-1])
    return size


class _Scope:
    """The graph or one function body, read once: each node's inputs (as node indexes),
    the library functions it runs, and its tensor attrs."""

    def __init__(
        self, nodes: Iterable[NodeDef], library: set[str], gradients: dict[str, str]
    ) -> None:
        body = list(nodes)
        index = self.index = {node.name: i for i, node in enumerate(body)}
        self.inputs: list[list[int]] = []
        self.callees: list[list[str]] = []
        self.tensors: list[tuple[NodeDef, TensorProto]] = []
        for node in body:
            refs = (ref.lstrip("^").partition(":")[0] for ref in node.input)  # _node_name
            self.inputs.append([index[n] for n in refs if n in index])
            found = [node.op] if node.op in library else []
            attr = node.attr
            # Keys, then lookups: iterating the map's values is three times slower.
            stack: list[AttrValue] = [attr[key] for key in attr]
            while stack:
                value = stack.pop()
                kind = value.WhichOneof("value")
                if kind == "tensor":
                    self.tensors.append((node, value.tensor))
                elif kind == "func":
                    found += [value.func.name] if value.func.name in library else []
                    stack += [value.func.attr[key] for key in value.func.attr]
                elif kind == "list":
                    self.tensors += [(node, tensor) for tensor in value.list.tensor]
                    for func in value.list.func:
                        found += [func.name] if func.name in library else []
                        stack += [func.attr[key] for key in func.attr]
            if node.op in _GRADIENT_OPS:
                found += [gradients[f] for f in found if gradients.get(f) in library]
            self.callees.append(found)

    def reach(self, roots: Iterable[str]) -> set[int]:
        """Indexes of the nodes running ``roots`` (node or tensor names) needs."""
        stack = [i for ref in roots if (i := self.index.get(_node_name(ref))) is not None]
        seen: set[int] = set()
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack += self.inputs[i]
        return seen

    def longest_path(self, length: dict[str, int]) -> int:
        """The longest path of ops, where a call weighs its callee's own longest path
        (``length``). Back edges (a TF1 loop's NextIteration) are skipped."""
        inputs = self.inputs
        weight = [1 + max((length[c] for c in site), default=0) for site in self.callees]
        dist = [0] * len(inputs)
        state = [0] * len(inputs)  # 0 new, 1 on the current path, 2 done
        for start in range(len(inputs)):
            if state[start]:
                continue
            stack = [start]
            while stack:
                i = stack[-1]
                if state[i] == 0:
                    state[i] = 1
                    stack += [j for j in inputs[i] if state[j] == 0]
                    continue
                stack.pop()
                if state[i] == 1:
                    # An input still on the path is a back edge: it adds nothing.
                    done = [dist[j] for j in inputs[i] if state[j] == 2]
                    dist[i] = weight[i] + max(done, default=0)
                    state[i] = 2
        return max(dist, default=0)


def _node_name(ref: str) -> str:
    return ref.lstrip("^").partition(":")[0]


def _called(scopes: dict[str, _Scope], graph: _Scope) -> set[str]:
    """Every function some node calls."""
    return {c for scope in [graph, *scopes.values()] for site in scope.callees for c in site}


def _runs(proto: MetaGraphDef) -> Iterator[tuple[str, list[str]]]:
    """(what runs, the names it fetches): each signature, the restore op, and each
    collection of ops (the init ops TF1's loader runs are collections)."""
    for key, signature in sorted(proto.signature_def.items()):
        names = []
        for info in signature.outputs.values():
            sparse, composite = info.coo_sparse, info.composite_tensor
            names += [info.name, sparse.values_tensor_name, sparse.indices_tensor_name]
            names += [sparse.dense_shape_tensor_name, *(c.name for c in composite.components)]
        yield f'signature "{key}"', [n for n in names if n]
    if proto.saver_def.restore_op_name:
        yield "the restore op", [proto.saver_def.restore_op_name]
    for key, collection in sorted(proto.collection_def.items()):
        if collection.node_list.value:
            yield f'the ops of collection "{key}"', list(collection.node_list.value)


def _post_order(called: dict[str, list[list[str]]]) -> list[str]:
    """Every function, each after all it calls (depth-first, without recursion).

    Raises:
        CallCycleError: a call leads back to a function still being visited.
    """
    order: list[str] = []
    done: set[str] = set()
    for root in sorted(called):
        if root in done:
            continue
        path = [root]
        on_path = {root}
        pending = [_unique(called[root])]
        while pending:
            callee = next(pending[-1], None)
            if callee is None:
                pending.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                order.append(finished)
            elif callee in on_path:
                start = path.index(callee)
                raise CallCycleError((*path[start:], callee))
            elif callee not in done:
                path.append(callee)
                on_path.add(callee)
                pending.append(_unique(called[callee]))
    return order


def _unique(sites: list[list[str]]) -> Iterator[str]:
    return iter(dict.fromkeys(c for site in sites for c in site))


def _copies(order: list[str], scopes: dict[str, _Scope], graph: _Scope) -> dict[str, int]:
    """How many copies of each function inlining makes: one per call site in the graph,
    its callers' copies per call site in them, and one for a function nothing calls."""
    copies = dict.fromkeys(order, 0)
    callers: set[str] = set()
    for scope in scopes.values():
        callers.update(c for site in scope.callees for c in site)
    for site in graph.callees:
        for callee in site:
            copies[callee] += 1
            callers.add(callee)
    for name in order:
        if name not in callers:
            copies[name] = 1
    for name in reversed(order):  # callers before their callees
        for site in scopes[name].callees:
            for callee in site:
                copies[callee] += copies[name]
    return copies


class _Constants:
    """Materialized bytes of every tensor attr and default, and the largest one."""

    def __init__(self) -> None:
        self.total = 0
        self.largest = ""
        self.largest_bytes = 0

    def add_scope(self, scope: _Scope, copies: int, function: str | None) -> None:
        where = f' in function "{function}"' if function is not None else ""
        for node, tensor in scope.tensors:
            self.add(tensor, copies, f'{node.op} "{node.name}"{where}')

    def add(self, tensor: TensorProto, copies: int, where: str) -> None:
        size = tensor_bytes(tensor) * copies
        self.total += size
        if size > self.largest_bytes:
            shape = ",".join(str(d.size) for d in tensor.tensor_shape.dim)
            times = f", {copies:,} copies once inlined" if copies > 1 else ""
            self.largest = f"{where} (shape [{shape}]{times})"
            self.largest_bytes = size
