"""A graph body's nodes read once, as columns: the top-level graph or one FunctionDef.

Reading a protobuf field is slow (a Python object per message and per string), and the
signature graph reads the same nodes many times: the slice walks them, the grouping
names them, every view labels some of them, and a function called from many places is
walked once per call. A ``Body`` reads each node's name, op and inputs once, parses every
input reference into the node and output it names (columns indexed by reference number,
``ref_start[i]:ref_start[i + 1]`` for node i), and is kept with the MetaGraph's
``explorer.graph.library.Library``, so every slice of every signature shares it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.graph import attrs
from explorer.graph.functions import callees

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from explorer.model.proto_types import FunctionDef, NodeDef

# What an input reference names (``ref_kind``).
DATA = 0  # an output of a node of this body: ``ref_node`` (-1: none), ``ref_port`` (None:
# an output arg the op is not known to have)
CONTROL = 1  # "^node": ``ref_node`` (-1: none)
GATE = 2  # "^node" where node is the automatic control-dependency NoOp (see ``is_gate``)
ARG = 3  # a function's input arg: its position in ``ref_node``

# A reference parsed on its own (a ret, a call's argument): (text, kind, node, port).
Ref = tuple[str, int, int, "int | None"]

_BRANCHING = frozenset({"If", "StatelessIf", "Case", "StatelessCase"})


class Body:
    """One graph body's nodes: names, ops, the calls among them and every input, read
    once. Made with ``full=False`` it holds only the ops and calls (what a closed call's
    op count needs) until ``load`` reads the rest."""

    __slots__ = (
        "_library",
        "_parsed",
        "_special",
        "args",
        "calls",
        "control_rets",
        "double_colon",
        "full",
        "function",
        "index",
        "names",
        "nodes",
        "ops",
        "outputs",
        "ref_kind",
        "ref_node",
        "ref_plain",
        "ref_port",
        "ref_start",
        "ref_text",
        "rets",
    )

    def __init__(
        self,
        nodes: Sequence[NodeDef],
        library: dict[str, FunctionDef],
        special: frozenset[str],
        function: FunctionDef | None = None,
        *,
        full: bool = True,
    ) -> None:
        self.nodes = nodes
        self._library = library
        self._special = special
        self.function = function
        self.full = False
        if full:
            self.load()
        else:  # what a call's op count needs (``Library.stats``): ops, and the calls
            self.ops = [node.op for node in nodes]
            self._find_calls(self.ops)

    def load(self) -> Body:
        """Read the names and inputs too (once): what slicing the body needs."""
        if self.full:
            return self
        # One pass over the protobuf nodes, each field read once: every read makes a new
        # Python object, so nothing of a node is kept but its strings (the inputs are
        # copied out at once, and each op type is kept once: a model has a few dozen).
        names: list[str] = []
        ops: list[str] = []
        text: list[str] = []
        ends = [0]
        add_name, add_op, add_end = names.append, ops.append, ends.append
        same_op: dict[str, str] = {}
        one_op = same_op.setdefault
        for node in self.nodes:
            add_name(node.name)
            op = node.op
            add_op(one_op(op, op))
            # A slice of a repeated field is made as a list at once: iterating the field
            # costs a call per input (a fifth of this loop at 200k nodes).
            text += node.input[:]
            add_end(len(text))
        self.names, self.ops = names, ops
        joined = "\n".join(names)
        # A name with "::" in it, as op ids join a call and the op it runs: two ops of
        # different frames could then share an id (``explorer.graph.slicing``).
        self.double_colon = "::" in joined
        self.index: dict[str, int] = dict(zip(names, range(len(names)), strict=True))
        self._find_calls(same_op)
        self.ref_start = ends
        self.ref_text: list[str] = text
        self._parsed: dict[str, Ref] = {}
        function = self.function
        if function is None:
            self.args: dict[str, int] = {}
            self.outputs: tuple[str, ...] = ()
            self.rets: dict[str, str] = {}
            self.control_rets: tuple[str, ...] = ()
            self._parse_graph_refs(joined)
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
            parsed = [self._parse(ref) for ref in self.ref_text]
            self.ref_kind = [p[1] for p in parsed]
            self.ref_node = [p[2] for p in parsed]
            self.ref_port: list[int | None] = [p[3] for p in parsed]
        # The op a reference needs visited when it is an ordinary op of this body (data
        # or control input, not a call): the slice's fast path. -1 otherwise.
        calls = self.calls
        if function is None and not calls:  # a GraphDef's inputs are data or control
            self.ref_plain = self.ref_node
        else:
            self.ref_plain = [
                node if kind <= CONTROL and node >= 0 and node not in calls else -1
                for kind, node in zip(self.ref_kind, self.ref_node, strict=True)
            ]
        self.full = True
        return self

    def _find_calls(self, kinds: Iterable[str]) -> None:
        """Calls and control flow: only their attrs are read. ``kinds``: the op types
        the body holds (none that may call: no op is looked at)."""
        self.calls: dict[int, list[tuple[str, str]]] = {}
        special, nodes, library = self._special, self.nodes, self._library
        if special.isdisjoint(kinds):
            return
        for i in [i for i, op in enumerate(self.ops) if op in special]:
            targets = callees(nodes[i], library)
            if targets:
                self.calls[i] = targets

    def __len__(self) -> int:
        return len(self.ops)

    def _parse_graph_refs(self, joined: str) -> None:
        """A GraphDef's inputs: mostly a node's name (output 0), parsed by one lookup
        each unless a node's own name (``joined``: one a line) could be mistaken for a
        reference."""
        text = self.ref_text
        found = list(map(self.index.get, text))
        plain = ":" not in joined and not joined.startswith("^") and "\n^" not in joined
        self.ref_kind = [DATA] * len(text)
        self.ref_port = [0] * len(text)
        kind, port = self.ref_kind, self.ref_port
        node: list[int] = found  # type: ignore[assignment]  # None is replaced below
        # Plain names: only the references naming no node need parsing (often none).
        redo = (
            range(len(text))
            if not plain
            else [k for k, n in enumerate(found) if n is None]
            if None in found
            else []
        )
        for k in redo:
            _, kind[k], node[k], port[k] = self._parse(text[k])
        self.ref_node = node

    def refs(self, node: int) -> range:
        """Node ``node``'s inputs, as reference numbers."""
        return range(self.ref_start[node], self.ref_start[node + 1])

    def branch_refs(self, node: int) -> list[int]:
        """The inputs of a control-flow op that its branches do not take: the If
        predicate or Case index, and control inputs (``functions.cf_inputs``)."""
        refs = self.refs(node)
        first = 1 if self.ops[node] in _BRANCHING else 0
        kind = self.ref_kind
        return [*refs[:first], *(k for k in refs if kind[k] in (CONTROL, GATE))]

    def ref(self, ref: str) -> Ref:
        """One reference written in this body (a ret, a call's argument), parsed once."""
        found = self._parsed.get(ref)
        if found is None:
            found = self._parsed[ref] = self._parse(ref)
        return found

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
            if op not in attrs.MULTI_OUTPUT_OPS:  # one output arg: the index is the port
                return (ref, DATA, node, position)
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
        text = self.ref_text
        return all(text[k].startswith("^") for k in self.refs(node))
