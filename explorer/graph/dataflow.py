"""Where a tensor's values flow in a MetaGraph, across function calls, read without TensorFlow.

A SavedModel's graph is the top-level ``GraphDef`` plus a library of functions: TF2 models
reach almost everything through ``StatefulPartitionedCall``/``PartitionedCall`` ops whose
``f`` attr names a function, and a function's body refers to its arguments by name. This
module indexes every body once (:class:`Dataflow`) and answers two questions the readers
of a signature's inputs ask:

- :meth:`Dataflow.consumers`: which ops take a tensor as which input, following a call
  into the callee's argument and a function's return value back out to its callers' output;
- :meth:`Dataflow.origins`: where a tensor comes from, following a function argument back
  to what each caller passes (and a variable read back to what was assigned to it).

Tensors are :class:`Port` values: a scope ("" for the top-level graph, else a function
name), a node name and an output index. Output indexes are flat at the top level
(``node:3``) and per output argument in function bodies (``node:dense_values:1``); a port
keeps the text form's index, and :func:`flat_output` converts for the ops that need it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from explorer.model.info import MetaGraphInfo

CALL_OPS = ("StatefulPartitionedCall", "PartitionedCall")
# Ops that hand their first input's values on unchanged, or a slice or reshaping of them.
SHAPE_OPS = frozenset(
    {
        "Identity",
        "IdentityN",
        "Reshape",
        "Squeeze",
        "ExpandDims",
        "StridedSlice",
        "Slice",
        "GatherV2",
        "Gather",
        "Cast",
        "Snapshot",
        "StopGradient",
        "EnsureShape",
    }
)
# How far a walk may go: graphs with loops of calls or huge fan-out end the walk here.
_MAX_STEPS = 20_000
# Indexes kept for the MetaGraphs walked last (an app rerun walks the same one many times).
_KEPT = 8
_kept: OrderedDict[int, tuple[Any, Dataflow]] = OrderedDict()
_kept_lock = threading.Lock()


def dataflow_of(meta_graph: MetaGraphInfo) -> Dataflow:
    """The MetaGraph's :class:`Dataflow`, built once while it is among the last few used."""
    proto = meta_graph.proto
    with _kept_lock:
        held = _kept.get(id(proto))
        # The proto is kept with its index, so its id cannot be reused while it is held.
        if held is not None and held[0] is proto:
            _kept.move_to_end(id(proto))
            return held[1]
    flow = Dataflow(meta_graph)
    with _kept_lock:
        _kept[id(proto)] = (proto, flow)
        while len(_kept) > _KEPT:
            _kept.popitem(last=False)
    return flow


@dataclass(frozen=True, slots=True)
class Port:
    """One tensor: a node's output in a scope ("" = top-level graph, else a function)."""

    scope: str
    node: str
    # The output named in the reference: flat at the top level; in a function body, the
    # index within the output argument named by ``arg``. -1: every output of the node.
    index: int = 0
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Use:
    """A node that consumes a tensor, and at which of its data inputs."""

    scope: str
    node: Any  # a NodeDef
    input_index: int


class _Body:
    def __init__(self, nodes: Sequence[Any], args: Sequence[str], rets: dict[str, str]) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.args = tuple(args)
        # Output argument name → the tensor returned there.
        self.rets = rets
        self.uses: dict[str, list[tuple[Any, int]]] = {}
        for node in nodes:
            for index, ref in enumerate(data_inputs(node)):
                self.uses.setdefault(ref.split(":")[0], []).append((node, index))


class Dataflow:
    """Every scope of one MetaGraph, indexed for walks in both directions."""

    def __init__(self, meta_graph: MetaGraphInfo) -> None:
        graph_def = meta_graph.proto.graph_def
        self.bodies: dict[str, _Body] = {}
        self.outputs: dict[str, tuple[str, ...]] = {}
        # Function name → the call sites: (scope, call node).
        self.callers: dict[str, list[tuple[str, Any]]] = {}
        self.bodies[""] = _Body(graph_def.node, (), {})
        for function in graph_def.library.function:
            name = function.signature.name
            self.bodies[name] = _Body(
                function.node_def,
                [a.name for a in function.signature.input_arg],
                dict(function.ret),
            )
            self.outputs[name] = tuple(a.name for a in function.signature.output_arg)
        for scope, body in self.bodies.items():
            for node in body.nodes.values():
                callee = called_function(node)
                if callee in self.bodies:
                    self.callers.setdefault(callee, []).append((scope, node))

    def node(self, scope: str, name: str) -> Any:
        """The NodeDef called ``name`` in ``scope``, else None."""
        body = self.bodies.get(scope)
        return body.nodes.get(name) if body is not None else None

    def port(self, scope: str, ref: str) -> Port:
        """The tensor an input reference names in ``scope`` (``node``, ``node:2``,
        ``node:output:0``)."""
        parts = ref.lstrip("^").split(":")
        if len(parts) == 1:
            return Port(scope, parts[0])
        if len(parts) == 2:
            return Port(scope, parts[0], int(parts[1]) if parts[1].isdigit() else 0)
        return Port(scope, parts[0], int(parts[2]) if parts[2].isdigit() else 0, parts[1])

    def consumers(
        self, start: Port, *, through: Callable[[Use], bool] = lambda use: False
    ) -> Iterator[Use]:
        """Every use of ``start``'s values, breadth first, across calls and returns.

        A use whose op is a call is entered (the callee's argument is walked instead); a
        use for which ``through(use)`` is true is yielded and its outputs walked too.
        """
        queue = deque([start])
        seen = {start}
        steps = 0
        while queue and steps < _MAX_STEPS:
            port = queue.popleft()
            steps += 1
            for use in self._direct_uses(port):
                entered = [
                    (name, self.bodies[name].args, use.input_index - skip)
                    for name, skip in bodies_run(use.node)
                    if name in self.bodies
                ]
                if entered:
                    # Loop and branch bodies hand their values on through their outputs,
                    # which are the op's outputs: walk those too.
                    targets = [Port(n, args[i]) for n, args, i in entered if 0 <= i < len(args)]
                    if use.node.op not in CALL_OPS:
                        targets.append(Port(use.scope, use.node.name, -1))
                else:
                    yield use
                    targets = [Port(use.scope, use.node.name, -1)] if through(use) else []
                for target in targets:
                    if target not in seen:
                        seen.add(target)
                        queue.append(target)
            for target in self._returned(port):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)

    def origins(self, scope: str, ref: str) -> list[tuple[str, Any]]:
        """The nodes a tensor comes from: ``(scope, NodeDef)``, through function arguments
        to their callers' inputs, Identity ops and variable reads (to what was assigned)."""
        found: list[tuple[str, Any]] = []
        queue = deque([self.port(scope, ref)])
        seen = set(queue)
        steps = 0
        while queue and steps < _MAX_STEPS:
            port = queue.popleft()
            steps += 1
            body = self.bodies.get(port.scope)
            if body is None:
                continue
            nexts: list[Port] = []
            node = body.nodes.get(port.node)
            if node is None and port.node in body.args:
                position = body.args.index(port.node)
                for caller_scope, call in self.callers.get(port.scope, ()):
                    inputs = data_inputs(call)
                    if position < len(inputs):
                        nexts.append(self.port(caller_scope, inputs[position]))
            elif node is not None and node.op in ("Identity", "Snapshot") and node.input:
                nexts.append(self.port(port.scope, data_inputs(node)[0]))
            elif node is not None and node.op == "ReadVariableOp" and node.input:
                for handle_scope, handle in self.origins(port.scope, data_inputs(node)[0]):
                    nexts += self._assigned(handle_scope, handle.name)
            elif node is not None:
                found.append((port.scope, node))
            for target in nexts:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        return found

    def _direct_uses(self, port: Port) -> Iterator[Use]:
        body = self.bodies.get(port.scope)
        if body is None:
            return
        for node, index in body.uses.get(port.node, ()):
            if port.index == -1 or self.port(port.scope, data_inputs(node)[index]) == port:
                yield Use(port.scope, node, index)

    def _returned(self, port: Port) -> Iterator[Port]:
        # A function's return value continues at each caller's matching output.
        body = self.bodies.get(port.scope)
        if not port.scope or body is None:
            return
        for position, name in enumerate(self.outputs.get(port.scope, ())):
            ref = body.rets.get(name)
            returned = self.port(port.scope, ref) if ref is not None else None
            if returned is None or returned.node != port.node:
                continue
            if port.index != -1 and returned != port:
                continue
            for caller_scope, call in self.callers.get(port.scope, ()):
                yield Port(caller_scope, call.name, position, "output" if caller_scope else "")

    def _assigned(self, scope: str, variable: str) -> list[Port]:
        body = self.bodies.get(scope)
        if body is None:
            return []
        ports = []
        for node, index in body.uses.get(variable, ()):
            if node.op in ("AssignVariableOp", "Assign") and index == 0 and len(node.input) > 1:
                ports.append(self.port(scope, data_inputs(node)[1]))
        return ports


def data_inputs(node: Any) -> list[str]:
    """A node's data inputs (control inputs, ``^name``, left out)."""
    return [i for i in node.input if not i.startswith("^")]


def bodies_run(node: Any) -> list[tuple[str, int]]:
    """The functions an op runs with its inputs: ``(name, inputs before the first
    argument)``: a call's ``f``, a While loop's ``cond`` and ``body``, an If's branches
    (whose input 0 is the condition)."""
    if node.op in CALL_OPS:
        return [(str(node.attr["f"].func.name), 0)]
    if node.op in ("While", "StatelessWhile"):
        return [(str(node.attr[a].func.name), 0) for a in ("cond", "body")]
    if node.op in ("If", "StatelessIf"):
        return [(str(node.attr[a].func.name), 1) for a in ("then_branch", "else_branch")]
    return [(str(node.op), 0)]


def called_function(node: Any) -> str:
    """The function a call op runs (its ``f`` attr, or an op named after a function)."""
    if node.op in CALL_OPS:
        return str(node.attr["f"].func.name)
    return str(node.op)


def flat_output(node: Any, port: Port, counts: dict[str, int]) -> int:
    """A port's flat output index, given the sizes of the op's output arguments in order
    (``counts``); a top-level port is flat already."""
    if not port.arg:
        return port.index
    offset = 0
    for name, size in counts.items():
        if name == port.arg:
            return offset + port.index
        offset += size
    return -1
