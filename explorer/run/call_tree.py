"""The calls a signature makes, from the top-level graph down through library functions.

A place in the call tree is named as the signature graph names ops
(``explorer.graph.elements``): the chain of calls down to it joined by ``::``, where an
If/While/Case step names its branch (``cond@then_branch``). Taps find the op a user
points at through it, and the profile maps the names TensorFlow gives inlined ops
(``StatefulPartitionedCall_1/StatefulPartitionedCall/dense/MatMul``) back to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.graph.attrs import CALL_OPS, CONTROL_FLOW_ATTRS, split_graph_ref
from explorer.graph.functions import callees
from explorer.graph.op_outputs import OpOutputs
from explorer.model.info import SignatureInfo

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, MetaGraphDef, NodeDef

# Call chains walked looking for an op by name: a model whose functions call each other
# many times over has a call tree far larger than its graph.
MAX_CHAINS = 20_000


@dataclass(frozen=True, slots=True)
class Hop:
    """One call on the way down to an op."""

    scope: str  # function holding the call node; "" for the top-level graph
    call: str  # the call node's name
    op: str  # its op type (a call op, a control-flow op, or a function's name)
    role: str  # "" for a plain call; the branch attr ("then_branch", "body", "branches_1")
    callee: str  # the function it runs there

    @property
    def segment(self) -> str:
        """This call's part of an op id."""
        return f"{self.call}@{self.role}" if self.role else self.call


Place = tuple[tuple[Hop, ...], "NodeDef"]


def op_id(path: tuple[Hop, ...], node: str) -> str:
    """The signature graph's id of ``node`` reached through ``path``."""
    return "::".join([*(h.segment for h in path), node])


class CallTree:
    """The top-level nodes a signature runs, and the functions below them."""

    def __init__(self, proto: MetaGraphDef, signature: SignatureInfo) -> None:
        self.proto = proto
        self.library: dict[str, FunctionDef] = {
            f.signature.name: f for f in proto.graph_def.library.function
        }
        self.top = {n.name: n for n in proto.graph_def.node}
        self.bodies = {name: {n.name: n for n in f.node_def} for name, f in self.library.items()}
        self.outputs = OpOutputs(proto)
        self.ran = self._ran(signature)

    def _ran(self, signature: SignatureInfo) -> set[str]:
        """Top-level nodes the signature's outputs depend on (as a Session prunes)."""
        stack = [split_graph_ref(n)[0] for t in signature.outputs for n in t.tensor_names]
        seen: set[str] = set()
        while stack:
            name = stack.pop()
            if name in seen or name not in self.top:
                continue
            seen.add(name)
            stack.extend(split_graph_ref(ref.lstrip("^"))[0] for ref in self.top[name].input)
        return seen

    def places(self, op: str) -> list[Place]:
        """Where the signature runs ``op``: an op id names one place; a plain op name is
        every top-level node or function node of that name the signature runs."""
        segments = op.split("::")
        if len(segments) > 1:
            found = self._walk(segments)
            return [found] if found is not None else []
        if op in self.top:
            return [((), self.top[op])] if op in self.ran else []
        return [(path, self.bodies[path[-1].callee][op]) for path in self.chains(op)]

    def chains(self, holding: str | None = None) -> Iterator[tuple[Hop, ...]]:
        """Call chains from the signature's top-level nodes, at most :data:`MAX_CHAINS`;
        with ``holding``, only those ending in a function with a node of that name."""
        stack: list[tuple[Hop, ...]] = [
            (hop,) for n in sorted(self.ran, reverse=True) for hop in self.hops("", self.top[n])
        ]
        walked = 0
        while stack and walked < MAX_CHAINS:
            path = stack.pop()
            walked += 1
            callee = path[-1].callee
            if any(h.callee == callee for h in path[:-1]):
                continue  # a recursive call: the scan refuses such models anyway
            if holding is None or holding in self.bodies[callee]:
                yield path
            for inner in reversed(self.library[callee].node_def):
                stack.extend((*path, hop) for hop in self.hops(callee, inner))

    def hops(self, scope: str, node: NodeDef) -> list[Hop]:
        """The calls ``node`` makes (one per branch for control flow; none for an op)."""
        if (
            node.op not in CALL_OPS
            and node.op not in CONTROL_FLOW_ATTRS
            and node.op not in self.library
        ):
            return []
        return [
            Hop(scope, node.name, node.op, role, fn) for role, fn in callees(node, self.library)
        ]

    def _walk(self, segments: list[str]) -> Place | None:
        scope, nodes = "", self.top
        if segments[0].partition("@")[0] not in self.ran:
            return None
        path: list[Hop] = []
        for segment in segments[:-1]:
            call, _, role = segment.partition("@")
            node = nodes.get(call)
            if node is None:
                return None
            hop = next((h for h in self.hops(scope, node) if h.role == role), None)
            if hop is None:
                return None
            path.append(hop)
            scope, nodes = hop.callee, self.bodies[hop.callee]
        node = nodes.get(segments[-1])
        return (tuple(path), node) if node is not None else None
