"""The function library as a call graph: what each function holds once its calls are
inlined, analysed once per function however many places call it.

A TF2 model's functions call each other; inlined, a function called three times per level
six levels deep is 364 copies of itself. The signature graph follows calls only as deep
as ``INLINE_LIMIT`` ops allow (``inline_depth``); a call left closed is one box whose op
count and op summary come from here (``FunctionStats``), so it costs what its box costs.
Opening it inlines one more body (``explorer.graph.build``'s ``inline``).

The graph bodies themselves (the top-level graph and each function, read once as
``explorer.graph.bodies.Body``) are kept here too: one ``Library`` per MetaGraph serves
every slice of every signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from explorer.collector import collector_paused
from explorer.graph import attrs
from explorer.graph.bodies import Body
from explorer.graph.functions import callees

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, MetaGraphDef, NodeDef

INLINE_LIMIT = 20_000  # ops inlined before deeper calls stay closed boxes
_MAX_LEVELS = 48


@dataclass(frozen=True, slots=True)
class FunctionStats:
    """A function with every call inside it inlined: how many ops, and of which types."""

    total: int
    ops: dict[str, int] = field(default_factory=dict)


class Library:
    """A MetaGraph's functions, each read and analysed at most once."""

    def __init__(self, meta_graph: MetaGraphDef) -> None:
        graph = meta_graph.graph_def
        self.functions: dict[str, FunctionDef] = {
            f.signature.name: f for f in graph.library.function
        }
        # Ops that may run a function: only their attrs are read.
        self.special = frozenset({*attrs.CALL_OPS, *attrs.CONTROL_FLOW_ATTRS, *self.functions})
        self._graph = graph
        self._top: Body | None = None
        self._bodies: dict[str, Body] = {}
        self._stats: dict[str, FunctionStats] = {}
        self._open: set[str] = set()

    @property
    def top(self) -> Body:
        """The top-level graph's body."""
        if self._top is None:
            with collector_paused():
                self._top = Body(self._graph.node, self.functions, self.special)
        return self._top

    def body(self, name: str) -> Body:
        """Function ``name``'s body, read whole (it must be in the library)."""
        with collector_paused():
            return self._body(name).load()

    def _body(self, name: str) -> Body:
        """Function ``name``'s body, its ops and calls at least."""
        found = self._bodies.get(name)
        if found is None:
            function = self.functions[name]
            found = self._bodies[name] = Body(
                function.node_def, self.functions, self.special, function, full=False
            )
        return found

    def stats(self, name: str) -> FunctionStats:
        """``name`` fully inlined (a function calling itself counts its call as one op)."""
        found = self._stats.get(name)
        if found is not None:
            return found
        if name not in self.functions or name in self._open:
            return FunctionStats(1, {})
        self._open.add(name)
        body = self._body(name)
        ops: dict[str, int] = {}
        for op in body.ops:
            ops[op] = ops.get(op, 0) + 1
        total = len(body.ops)
        for node, targets in body.calls.items():
            op = body.ops[node]
            ops[op] -= 1
            if not ops[op]:
                del ops[op]
            inner = self.call_stats(targets)
            total += inner.total - 1
            for inner_op, count in inner.ops.items():
                ops[inner_op] = ops.get(inner_op, 0) + count
        self._open.discard(name)
        self._stats[name] = FunctionStats(total, ops)
        return self._stats[name]

    def call_stats(self, targets: list[tuple[str, str]]) -> FunctionStats:
        """A call running the functions ``targets`` (``functions.callees``), inlined."""
        total, ops = 0, dict[str, int]()
        for _, name in targets:
            inner = self.stats(name)
            total += inner.total
            for op, count in inner.ops.items():
                ops[op] = ops.get(op, 0) + count
        return FunctionStats(max(total, 1), ops)

    def node_stats(self, node: NodeDef) -> FunctionStats:
        """One node with the functions it runs inlined (a plain op: itself)."""
        targets = callees(node, self.functions)
        if not targets:
            return FunctionStats(1, {node.op: 1})
        return self.call_stats(targets)

    def flagged(
        self, targets: list[tuple[str, str]], wanted: dict[str, set[str]], memo: dict[str, int]
    ) -> int:
        """How many ops named in ``wanted`` (function → op names) a call running the
        functions ``targets`` runs, its own calls inlined (``memo``: per function, shared
        between the calls asked about with the same ``wanted``)."""
        total = 0
        for _, name in targets:
            found = memo.get(name)
            if found is None:
                if name not in self.functions:
                    continue
                memo[name] = 0  # a function that calls itself adds nothing more
                body = self.body(name)
                found = sum(1 for op in wanted.get(name, ()) if op in body.index)
                found += sum(self.flagged(inner, wanted, memo) for inner in body.calls.values())
                memo[name] = found
            total += found
        return total

    def inline_depth(self, limit: int = INLINE_LIMIT) -> int:
        """How many frames deep calls can be inlined with at most ``limit`` ops in all (a
        whole level or none): everything when the fully inlined graph fits."""
        top = self.top
        whole = len(top) + sum(self.call_stats(t).total - 1 for t in top.calls.values())
        if whole <= limit:
            return _MAX_LEVELS
        used = len(top)
        level = list(top.calls.values())
        depth = 0
        while level and depth < _MAX_LEVELS:
            names = [name for targets in level for _, name in targets]
            cost = sum(len(self._body(n)) for n in names)
            if used + cost > limit:
                break
            used += cost
            depth += 1
            level = [targets for name in names for targets in self._body(name).calls.values()]
        return depth
