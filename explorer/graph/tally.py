"""What a group holds, counted without walking it: ops numbered so every group is a range.

The hierarchy lists its ops so a group's own ops come first, then each sub-group's in
turn: a group's ops are one contiguous range ``order[start:end]``. Its op count, its op
types, and how many of a set of ops (flagged, highlighted) it holds are then a slice, a
``Counter`` over a slice, or two binary searches: they cost what the group's box costs,
not what the group holds, and only the groups a view shows are ever counted.

The tree is made one group at a time (``explorer.graph.groups``): a group's range is
fixed when it is made, and when it is opened its ops are rearranged inside that range
(``arrange``) into its own ops and one range per child. So every made group's range,
and the op numbers inside it, always hold its ops, whatever is opened later.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable

import numpy as np

from explorer.graph.library import FunctionStats


class Tally:
    """The hierarchy's ops in order, and what calls left closed add to them."""

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
        count = len(kinds)
        self.order: list[int] = list(range(count))  # flat op indices, each group a range
        self._kinds = kinds  # op type of each flat op
        # Flat op index → its place in ``order``.
        self.position: np.ndarray = np.arange(count, dtype=np.int64)
        # A call the slice left closed counts what its functions hold (``FunctionStats``).
        self._calls = closed
        self._closed: list[int] | None = None  # their places, sorted (made when asked)
        self._stats: list[FunctionStats] = []
        self._extra = [0]
        # Each edge's ends as numbers in ``order`` (``explorer.graph.view_edges``).
        self.edge_places: tuple[np.ndarray, np.ndarray] | None = None

    def arrange(self, start: int, ops: list[int]) -> None:
        """Put ``ops`` (the ops of ``order[start:start + len(ops)]``, rearranged) there."""
        if not ops:
            return
        end = start + len(ops)
        self.order[start:end] = ops
        self.position[np.asarray(ops, dtype=np.int64)] = np.arange(start, end, dtype=np.int64)
        self.edge_places = None
        if self._calls:
            self._closed = None

    def _closed_places(self) -> list[int]:
        """The closed calls' places, sorted, with their stats and running extra counts."""
        if self._closed is None:
            position = self.position
            self._closed = sorted(int(position[op]) for op in self._calls)
            order = self.order
            self._stats = [self._calls[order[place]] for place in self._closed]
            self._extra = [0]
            for stats in self._stats:
                self._extra.append(self._extra[-1] + stats.total - 1)
        return self._closed

    def members(self, start: int, end: int) -> list[int]:
        return self.order[start:end]

    def size(self, start: int, end: int) -> int:
        """Ops in ``[start, end)``, a closed call counting the ops it runs."""
        if not self._calls:
            return end - start
        closed = self._closed_places()
        first, last = bisect_left(closed, start), bisect_left(closed, end)
        return end - start + self._extra[last] - self._extra[first]

    def ops(self, start: int, end: int) -> dict[str, int]:
        """Op type → how many in ``[start, end)``, a closed call counting its functions'."""
        kinds = self._kinds
        found = dict(Counter(map(kinds.__getitem__, self.order[start:end])))
        if self._calls:
            closed = self._closed_places()
            first, last = bisect_left(closed, start), bisect_left(closed, end)
            for place, stats in zip(closed[first:last], self._stats[first:last], strict=True):
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
        return sorted(int(position[op]) for op in ops)

    @staticmethod
    def count(places: list[int], start: int, end: int) -> int:
        """How many of ``places`` (sorted) fall in ``[start, end)``."""
        return bisect_left(places, end) - bisect_left(places, start) if places else 0
