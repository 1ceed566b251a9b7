"""What a group holds, counted without walking it: ops numbered so every group is a range.

The hierarchy lists its ops in pre-order (a group's own ops, then each sub-group's in
turn), so a group's ops are one contiguous range ``order[start:end]``. Its op count, its
op types, and how many of a set of ops (flagged, highlighted) it holds are then a slice, a
``Counter`` over a slice, or two binary searches: they cost what the group's box costs,
not what the group holds, and only the groups a view shows are ever counted.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable

import numpy as np

from explorer.graph.library import FunctionStats


class Tally:
    """The hierarchy's ops in pre-order, and what calls left closed add to them."""

    __slots__ = (
        "_calls",
        "_closed",
        "_extra",
        "_kinds",
        "_stats",
        "edge_places",
        "order",
        "position",
    )

    def __init__(self, kinds: list[str], closed: dict[int, FunctionStats]) -> None:
        self.order: list[int] = []  # flat op indices, each group's as one range
        self._kinds = kinds  # op type of each flat op
        self.position: list[int] = []  # flat op index → place in ``order``
        # A call the slice left closed counts what its functions hold (``FunctionStats``).
        self._calls = closed
        self._closed: list[int] = []
        self._stats: list[FunctionStats] = []
        self._extra = [0]
        # Each edge's ends as numbers in ``order`` (``explorer.graph.view_edges``).
        self.edge_places: tuple[np.ndarray, np.ndarray] | None = None

    def finish(self) -> None:
        """Once ``order`` is complete: where each op sits, and the closed calls' places."""
        order = self.order
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        self.position = position.tolist()
        self._closed = sorted(self.position[op] for op in self._calls)
        self._stats = [self._calls[order[place]] for place in self._closed]
        for stats in self._stats:
            self._extra.append(self._extra[-1] + stats.total - 1)

    def members(self, start: int, end: int) -> list[int]:
        return self.order[start:end]

    def size(self, start: int, end: int) -> int:
        """Ops in ``[start, end)``, a closed call counting the ops it runs."""
        if not self._closed:
            return end - start
        first, last = bisect_left(self._closed, start), bisect_left(self._closed, end)
        return end - start + self._extra[last] - self._extra[first]

    def ops(self, start: int, end: int) -> dict[str, int]:
        """Op type → how many in ``[start, end)``, a closed call counting its functions'."""
        kinds = self._kinds
        found = dict(Counter([kinds[op] for op in self.order[start:end]]))
        if self._closed:
            first, last = bisect_left(self._closed, start), bisect_left(self._closed, end)
            for place, stats in zip(self._closed[first:last], self._stats[first:last], strict=True):
                kind = kinds[self.order[place]]
                found[kind] -= 1
                if not found[kind]:
                    del found[kind]
                for op, count in stats.ops.items():
                    found[op] = found.get(op, 0) + count
        return found

    def places(self, ops: Iterable[int]) -> list[int]:
        """Where the flat ops ``ops`` sit in ``order``, sorted (for ``count``)."""
        position = self.position
        return sorted(position[op] for op in ops)

    @staticmethod
    def count(places: list[int], start: int, end: int) -> int:
        """How many of ``places`` (sorted) fall in ``[start, end)``."""
        return bisect_left(places, end) - bisect_left(places, start) if places else 0
