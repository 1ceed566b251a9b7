"""Whether a string tensor can only ever hold what the loader feeds: a vocabulary read's
file name tracing to the model's own asset, a restore's checkpoint prefix tracing to the
saver's filename tensor.

A tensor traces to the fed tensors when it *is* one of them (top level), passes one
through unchanged (``Identity`` ...), is a function argument that every call site fills
with a tracing tensor (a caller that cannot be seen, such as a name in an attr, an
interface peer or a gradient, fails it), or is read from a variable that holds one.

The variable route is how TF2 keeps an asset's path: a top-level ``VarHandleOp`` assigned
from the asset tensor. It holds only while nothing else can write the variable: no other
node anywhere (functions included) names the same resource, no node can forge a resource
handle out of data, and every use of the handle, followed through ``Identity`` and into
the functions it is passed to, only reads it, or assigns a value that traces in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from explorer.safety.index import (
    SafetyGraph,
    Scope,
    data_inputs,
    direct_calls,
    node_name,
    resource_names,
    tensor_name,
)

if TYPE_CHECKING:
    from explorer.model.proto_types import NodeDef

# Ops whose output is their first input, unchanged.
_PASS_THROUGH = frozenset({"Identity", "Snapshot", "StopGradient"})
# Uses of a variable's handle that cannot change what it holds.
_HANDLE_READS = frozenset({"ReadVariableOp", "VarIsInitializedOp"})
# Steps followed from one tensor before giving up (then it does not trace): real models
# need a handful; a hostile chain of thousands must not exhaust Python's stack.
_MAX_STEPS = 64


class FeedTracer:
    """Traces tensors of one MetaGraph to a set of top-level tensors the loader feeds."""

    def __init__(self, graph: SafetyGraph, fed: frozenset[str]) -> None:
        self._graph = graph
        self._fed = fed
        self._traced: dict[tuple[Scope, str], bool] = {}
        self._handles: dict[tuple[Scope, str], bool] = {}
        self._variables: dict[str, bool] = {}
        self._depth = 0
        #: Why variables on the way could not be trusted to hold only fed values.
        self.doubts: list[str] = []

    def traces(self, scope: Scope, ref: str) -> bool:
        """Whether tensor ``ref`` of ``scope`` can only hold a value fed into ``fed``."""
        key = (scope, ref)
        if key not in self._traced:
            self._traced[key] = False  # a cycle back here proves nothing
            self._traced[key] = self._deeper(self._value_step, scope, ref)
        return self._traced[key]

    def _deeper(self, step: Callable[[Scope, str], bool], scope: Scope, ref: str) -> bool:
        """One step further from the tensor first asked about; too far proves nothing."""
        if self._depth >= _MAX_STEPS:
            return False
        self._depth += 1
        try:
            return step(scope, ref)
        finally:
            self._depth -= 1

    def _value_step(self, scope: Scope, ref: str) -> bool:
        if scope is None and tensor_name(ref) in self._fed:
            return True
        if scope is not None and ":" not in ref:
            return self._argument(scope, ref, self.traces)
        node = self._graph.scope_nodes(scope).get(node_name(ref))
        if node is None:
            return False
        data = data_inputs(node)
        if node.op in _PASS_THROUGH:
            return bool(data) and self.traces(scope, data[0])
        if node.op == "ReadVariableOp":
            return bool(data) and self._handle(scope, data[0])
        return False

    def _argument(self, scope: str, arg: str, follow: Callable[[Scope, str], bool]) -> bool:
        """Whether every call site of function ``scope`` passes a tracing tensor as its
        argument ``arg`` (``follow`` judges the caller's tensor)."""
        args = list(self._graph.functions[scope].signature.input_arg)
        index = next((i for i, a in enumerate(args) if a.name == arg), None)
        if index is None or any(a.number_attr or a.type_list_attr for a in args[: index + 1]):
            return False  # a list argument: positions are not known without its length
        sites = self._graph.call_sites(scope)
        return bool(sites) and all(
            inputs is not None and index < len(inputs) and follow(caller, inputs[index])
            for caller, inputs in sites
        )

    def _handle(self, scope: Scope, ref: str) -> bool:
        """Whether resource handle ``ref`` is a variable that only holds fed values."""
        key = (scope, ref)
        if key not in self._handles:
            self._handles[key] = False
            self._handles[key] = self._deeper(self._handle_step, scope, ref)
        return self._handles[key]

    def _handle_step(self, scope: Scope, ref: str) -> bool:
        if scope is not None and ":" not in ref:
            return self._argument(scope, ref, self._handle)
        node = self._graph.scope_nodes(scope).get(node_name(ref))
        if node is None:
            return False
        if node.op == "Identity":
            data = data_inputs(node)
            return bool(data) and self._handle(scope, data[0])
        return scope is None and node.op == "VarHandleOp" and self._variable(node)

    def _variable(self, handle: NodeDef) -> bool:
        """Whether a top-level variable can hold nothing but fed values."""
        if handle.name not in self._variables:
            self._variables[handle.name] = False
            doubt = self._variable_doubt(handle)
            if doubt is not None:
                self.doubts.append(doubt)
            self._variables[handle.name] = doubt is None
        return self._variables[handle.name]

    def _variable_doubt(self, handle: NodeDef) -> str | None:
        graph = self._graph
        where = f"the variable {handle.name!r} that holds the path"
        if graph.handles_forgeable():
            return f"a node makes resource handles out of data, so it can write {where}"
        shared = [n for n in resource_names(handle) if graph.resource_name_count(n) > 1]
        if shared:
            return (
                f"another node names the same resource ({shared[0].decode(errors='replace')!r}) "
                f"as {where}, and can write it"
            )
        if not self._only_reads_or_fed_writes(None, handle.name, set()):
            return f"{where} is used by more than reads and assignments of the asset path"
        return None

    def _only_reads_or_fed_writes(self, scope: Scope, producer: str, seen: set[object]) -> bool:
        """Every use of a handle (``producer``'s outputs in ``scope``) reads it, assigns it
        a tracing value, or passes it on (``Identity``, a call) to uses that do."""
        if (scope, producer) in seen:
            return True  # checked higher up the same walk
        seen.add((scope, producer))
        if len(seen) > _MAX_STEPS:
            return False  # passed on further than any real model does
        graph = self._graph
        for user, position in graph.uses(scope, producer):
            if user is None:
                return False  # returned to the caller: out of sight
            if user.op in _HANDLE_READS and position == 0:
                continue
            if user.op == "AssignVariableOp" and position == 0:
                data = data_inputs(user)
                if len(data) > 1 and self.traces(scope, data[1]):
                    continue
                return False
            if user.op == "Identity":
                if self._only_reads_or_fed_writes(scope, user.name, seen):
                    continue
                return False
            calls = list(direct_calls(user, graph.functions))
            if not calls or not all(
                self._passed_on(callee, args, producer, seen) for callee, args in calls
            ):
                return False
        return True

    def _passed_on(self, callee: str, args: list[str], producer: str, seen: set[object]) -> bool:
        """The handle passed as some of ``args`` is only read or fed-written by ``callee``
        and by every function Grappler may swap in for it."""
        graph = self._graph
        positions = [i for i, ref in enumerate(args) if node_name(ref) == producer]
        if callee not in graph.functions:
            return False
        for function in (callee, *graph.calls.interface_peers.get(callee, ())):
            declared = list(graph.functions[function].signature.input_arg)
            for i in positions:
                if i >= len(declared) or any(
                    a.number_attr or a.type_list_attr for a in declared[: i + 1]
                ):
                    return False
                if not self._only_reads_or_fed_writes(function, declared[i].name, seen):
                    return False
        return True
