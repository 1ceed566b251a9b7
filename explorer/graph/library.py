"""The function library as a call graph: what each function holds once its calls are
inlined, analysed once per function however many places call it.

A TF2 model's functions call each other; inlined, a function called three times per level
six levels deep is 364 copies of itself. The signature graph follows calls only as deep
as ``INLINE_LIMIT`` ops allow (``inline_depth``); a call left closed is one box whose op
count and op summary come from here (``FunctionStats``), so it costs what its box costs.
Opening it inlines one more body (``explorer.graph.build``'s ``inline``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
    """A MetaGraph's functions, each analysed at most once."""

    def __init__(self, meta_graph: MetaGraphDef) -> None:
        graph = meta_graph.graph_def
        self.functions: dict[str, FunctionDef] = {
            f.signature.name: f for f in graph.library.function
        }
        self.top: list[NodeDef] = list(graph.node)
        self._stats: dict[str, FunctionStats] = {}
        self._open: set[str] = set()

    def stats(self, name: str) -> FunctionStats:
        """``name`` fully inlined (a function calling itself counts its call as one op)."""
        found = self._stats.get(name)
        if found is not None:
            return found
        function = self.functions.get(name)
        if function is None or name in self._open:
            return FunctionStats(1, {})
        self._open.add(name)
        total, ops = 0, dict[str, int]()
        for node in function.node_def:
            inner = self.node_stats(node)
            total += inner.total
            for op, count in inner.ops.items():
                ops[op] = ops.get(op, 0) + count
        self._open.discard(name)
        self._stats[name] = FunctionStats(total, ops)
        return self._stats[name]

    def node_stats(self, node: NodeDef) -> FunctionStats:
        """One node with the functions it runs inlined (a plain op: itself)."""
        targets = callees(node, self.functions)
        if not targets:
            return FunctionStats(1, {node.op: 1})
        total, ops = 0, dict[str, int]()
        for _, name in targets:
            inner = self.stats(name)
            total += inner.total
            for op, count in inner.ops.items():
                ops[op] = ops.get(op, 0) + count
        return FunctionStats(max(total, 1), ops)

    def inline_depth(self, limit: int = INLINE_LIMIT) -> int:
        """How many frames deep calls can be inlined with at most ``limit`` ops in all (a
        whole level or none): everything when the fully inlined graph fits."""
        whole = sum(self.node_stats(n).total for n in self.top)
        if whole <= limit:
            return _MAX_LEVELS
        used = len(self.top)
        level = [n for n in self.top if callees(n, self.functions)]
        depth = 0
        while level and depth < _MAX_LEVELS:
            names = [name for node in level for _, name in callees(node, self.functions)]
            cost = sum(len(self.functions[n].node_def) for n in names)
            if used + cost > limit:
                break
            used += cost
            depth += 1
            level = [
                node
                for name in names
                for node in self.functions[name].node_def
                if callees(node, self.functions)
            ]
        return depth
