"""A graph body's nodes read once, as columns: the top-level graph or one FunctionDef.

Reading a protobuf field is slow (a Python object per message and per string), and the
signature graph reads the same nodes many times: the slice walks them, the grouping
names them, every view labels some of them, and a function called from many places is
walked once per call. A ``Body`` reads each node's name and op once, and its inputs the
first time the slice reaches it (parsed into the node and output they name), and is kept
with the MetaGraph's ``explorer.graph.library.Library``, so every slice of every
signature shares it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.graph import attrs
from explorer.graph.functions import callees

if TYPE_CHECKING:
    from collections.abc import Sequence

    from explorer.model.proto_types import FunctionDef, NodeDef

# What an input reference names (``Ref``'s second item).
DATA = 0  # an output of a node of this body: (ref, DATA, node index or -1, port or None)
CONTROL = 1  # "^node": (ref, CONTROL, node index or -1, -1)
GATE = 2  # "^node" where node is the automatic control-dependency NoOp (see ``is_gate``)
ARG = 3  # a function's input arg: (ref, ARG, its position, -1)

# (the reference as written, kind, node index or arg position, output port)
Ref = tuple[str, int, int, "int | None"]

_BRANCHING = frozenset({"If", "StatelessIf", "Case", "StatelessCase"})


class Body:
    """One graph body's nodes: names, ops and the calls among them, read once."""

    __slots__ = (
        "_gates",
        "_library",
        "_parsed",
        "_refs",
        "args",
        "calls",
        "control_rets",
        "function",
        "index",
        "names",
        "nodes",
        "ops",
        "outputs",
        "rets",
    )

    def __init__(
        self,
        nodes: Sequence[NodeDef],
        library: dict[str, FunctionDef],
        special: frozenset[str],
        function: FunctionDef | None = None,
    ) -> None:
        self.nodes = nodes
        names: list[str] = []
        ops: list[str] = []
        calls: dict[int, list[tuple[str, str]]] = {}
        add_name, add_op = names.append, ops.append
        for node in nodes:
            add_name(node.name)
            op = node.op
            add_op(op)
            if op in special:  # a call or control flow: read its attrs
                targets = callees(node, library)
                if targets:
                    calls[len(ops) - 1] = targets
        self.names, self.ops, self.calls = names, ops, calls
        self.index: dict[str, int] = dict(zip(names, range(len(names)), strict=True))
        self._library = library
        self._refs: list[tuple[Ref, ...] | None] = [None] * len(names)
        self._parsed: dict[str, Ref] = {}
        self._gates: dict[int, bool] = {}
        self.function = function
        if function is None:
            self.args: dict[str, int] = {}
            self.outputs: tuple[str, ...] = ()
            self.rets: dict[str, str] = {}
            self.control_rets: tuple[str, ...] = ()
        else:
            signature = function.signature
            self.args = {arg.name: i for i, arg in enumerate(signature.input_arg)}
            self.outputs = tuple(arg.name for arg in signature.output_arg)
            # A protobuf map's order changes from one process to the next: results are
            # taken in output order, so the same model always slices (and draws) the same.
            rets = dict(function.ret)
            self.rets = {name: rets.pop(name) for name in self.outputs if name in rets}
            self.rets.update(sorted(rets.items()))
            self.control_rets = tuple(v for _, v in sorted(function.control_ret.items()))

    def __len__(self) -> int:
        return len(self.names)

    def refs(self, node: int) -> tuple[Ref, ...]:
        """Node ``node``'s inputs in order, each parsed once (see ``Ref``)."""
        found = self._refs[node]
        if found is None:
            found = self._refs[node] = tuple(self._parse(ref) for ref in self.nodes[node].input)
        return found

    def ref(self, ref: str) -> Ref:
        """One reference written in this body (a ret, a call's argument), parsed once."""
        found = self._parsed.get(ref)
        if found is None:
            found = self._parsed[ref] = self._parse(ref)
        return found

    def branch_refs(self, node: int) -> tuple[Ref, ...]:
        """The inputs of a control-flow op that its branches do not take: the If
        predicate or Case index, and control inputs (``functions.cf_inputs``)."""
        refs = self.refs(node)
        first = 1 if self.ops[node] in _BRANCHING else 0
        return refs[:first] + tuple(r for r in refs if r[1] in (CONTROL, GATE))

    def _parse(self, ref: str) -> Ref:
        index = self.index
        if ref.startswith("^"):
            node = index.get(ref[1:], -1)
            return (ref, GATE if node >= 0 and self.is_gate(node) else CONTROL, node, -1)
        if self.function is None:
            name, port = attrs.split_graph_ref(ref)
            return (ref, DATA, index.get(name, -1), port)
        arg = self.args.get(ref)
        if arg is not None:
            return (ref, ARG, arg, -1)
        parts = ref.split(":")
        node = index.get(parts[0], -1)
        if len(parts) < 3:
            return (ref, DATA, node, 0)
        if node < 0:
            return (ref, DATA, node, None)
        position = int(parts[2])
        op = self.ops[node]
        function = self._library.get(op)
        if function is None:
            return (ref, DATA, node, attrs.output_index(self.nodes[node], parts[1], position))
        outputs = [a.name for a in function.signature.output_arg]
        if parts[1] not in outputs:
            return (ref, DATA, node, None)
        return (ref, DATA, node, outputs.index(parts[1]) + position)

    def is_gate(self, node: int) -> bool:
        """A function body's automatic-control-dependency NoOp: it only waits for the
        body's stateful ops, which are its control outputs and sliced as such. Drawing
        it would tie every variable read of a model to one node."""
        if self.function is None or self.ops[node] != "NoOp":
            return False
        found = self._gates.get(node)
        if found is None:
            found = self._gates[node] = all(r.startswith("^") for r in self.nodes[node].input)
        return found
