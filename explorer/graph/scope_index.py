"""One frame's ops and calls sorted by name, so every name scope is a run of them: a scope's
children are found by jumping from run to run (a binary search per child), not by reading
every name below it, and a chain of one-child scopes is seen from a run's first and last
names. ``explorer.graph.grouping`` opens a scope with it, one level at a time.

An item is an op of the frame or a call made there (drawn as a group of its own).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import repeat

import numpy as np

_AFTER_SLASH = chr(ord("/") + 1)  # every name starting with "a/" sorts below "a" + this
_NEAR = 16  # how far a run's end is looked for first (most scopes hold a few items)


@dataclass(slots=True)
class Entry:
    """What one scope holds directly: a sub-scope (a run of the sorted items, and the item
    named like it, which lives inside it), or a single item."""

    name: str  # the scope or item name, from the start of the frame
    label: str  # what its box says: its last part (more after a one-child chain)
    start: int  # run of sorted positions [start, end); a single item: end == start + 1
    end: int
    scope: bool
    inner: int = -1  # sorted position of the item named like the scope, or -1
    lo: int = 0  # nearest and farthest distance from the inputs inside, and whether any
    hi: int = -1  # op inside is on an input→output path (a call: its frame's)
    hot: bool = False
    first: int = 0  # the first item (in frame order) inside: where it was first named


class FrameItems:
    """A frame's items (its ops in slice order, then the calls made in it), sorted by name."""

    __slots__ = (
        "_array",
        "_call",
        "_depth",
        "_first",
        "_hi",
        "_hot",
        "_lo",
        "items",
        "names",
        "size",
    )

    def __init__(
        self,
        names: list[str],
        items: list[int],
        lo: np.ndarray,
        hi: np.ndarray,
        hot: np.ndarray,
    ) -> None:
        """``items[i]`` is what item ``i`` (frame order) stands for (a flat op, or a call as
        ``-1 - its number``); ``names`` and the arrays ``lo``, ``hi``, ``hot`` are per item."""
        ranked = sorted(range(len(names)), key=names.__getitem__)
        # Picked by ``map`` (no bytecode per item: a frame may hold 200k).
        self.names = list(map(names.__getitem__, ranked))
        self.items = list(map(items.__getitem__, ranked))
        self._first = np.asarray(ranked, dtype=np.int64)
        self._lo = lo[self._first]
        self._hi = hi[self._first]
        self._hot = hot[self._first]
        self.size = len(names)
        # Made when first asked (``plain_counts``): each name's "/" count, and which items
        # are calls.
        self._depth: np.ndarray | None = None
        self._call = np.zeros(0, dtype=bool)
        self._array: np.ndarray | None = None

    def item_array(self) -> np.ndarray:
        """``items`` as an array (made once)."""
        if self._array is None:
            self._array = np.asarray(self.items, dtype=np.int64)
        return self._array

    def entries(self, prefix: str, start: int, end: int) -> list[Entry]:
        """What the scope ``prefix`` ("" for the whole frame, else ending in "/") holds
        directly, given its run ``[start, end)``: sub-scopes and items, each item named
        like a sub-scope inside it; with distances and where each was first named."""
        names, cut = self.names, len(prefix)
        # The runs first (a scope's, or one item's), then one entry each with all its
        # fields: a scope may hold tens of thousands of runs.
        parts: list[str] = []
        scope: list[bool] = []
        bounds: list[int] = []
        add_part, add_scope, add_bound = parts.append, scope.append, bounds.append
        at = start
        while at < end:
            name = names[at]
            slash = name.find("/", cut)
            add_bound(at)
            if slash < 0:
                add_part(name[cut:])
                add_scope(False)
                at += 1
                continue
            part = name[cut:slash]
            add_part(part)
            add_scope(True)
            # The first name not below ``bound``: among the next few first, as most scopes
            # hold a few items (a layer's ops), then beyond. Written out, not a call: this
            # loop runs once per run (52k at 200k ops).
            bound = name[:slash] + _AFTER_SLASH  # the name starts with the prefix
            near = at + _NEAR if at + _NEAR < end else end
            after = bisect_left(names, bound, at, near)
            at = after if after < near else bisect_left(names, bound, near, end)
        if not parts:
            return []
        offsets = np.asarray(bounds, dtype=np.int64) - start
        bounds.append(end)
        lo = np.minimum.reduceat(self._lo[start:end], offsets).tolist()
        hi = np.maximum.reduceat(self._hi[start:end], offsets).tolist()
        hot = np.logical_or.reduceat(self._hot[start:end], offsets).tolist()
        first = np.minimum.reduceat(self._first[start:end], offsets).tolist()
        # Made by ``map`` from the columns (all of one length): no bytecode per entry.
        found = list(
            map(
                Entry,
                map(prefix.__add__, parts),
                parts,
                bounds[:-1],
                bounds[1:],
                scope,
                repeat(-1),
                lo,
                hi,
                hot,
                first,
            )
        )
        if all(scope) or not any(scope):
            return found  # no item beside a scope it could be named like
        scopes = {e.name: e for e in found if e.scope}
        kept = []
        for entry in found:
            holder = None if entry.scope else scopes.get(entry.name)
            if holder is None:
                kept.append(entry)
                continue
            # "a" beside "a/read": the item lives inside the scope it is named like.
            holder.inner = entry.start
            holder.lo, holder.hi = min(holder.lo, entry.lo), max(holder.hi, entry.hi)
            holder.hot = holder.hot or entry.hot
        return kept

    def collapse_all(self, entries: list[Entry]) -> list[Entry | int]:
        """``collapse`` for each of ``entries``: most scopes of a wide level hold a few
        items and no further scope, and are themselves (seen here without a call each)."""
        names, collapse = self.names, self.collapse
        found: list[Entry | int] = []
        add = found.append
        for entry in entries:
            if entry.inner >= 0 or (
                entry.end - entry.start > 1
                and names[entry.end - 1].find("/", len(entry.name) + 1) < 0
            ):
                add(entry)
            else:
                add(collapse(entry))
        return found

    def collapse(self, entry: Entry) -> Entry | int:
        """A scope holding one thing is that thing: a sub-scope holding everything (its
        label grows: "conv1/BiasAdd"), or its only item (its sorted position)."""
        names = self.names
        while entry.scope and entry.inner < 0:
            start, end = entry.start, entry.end
            if end - start == 1:
                return start
            prefix = entry.name + "/"
            last = names[end - 1][len(prefix) :]
            part, slash, _ = last.partition("/")
            if not slash:
                break
            inner = prefix + part
            first = names[start]
            if first.startswith(inner + "/"):
                held = -1
            elif first == inner and names[start + 1].startswith(inner + "/"):
                held, start = start, start + 1  # the item named like it lives inside it
            else:
                break
            entry = Entry(
                inner,
                f"{entry.label}/{part}",
                start,
                end,
                True,
                held,
                entry.lo,
                entry.hi,
                entry.hot,
                entry.first,
            )
        return entry

    def plain_counts(self, entries: list[Entry], most: int, calls: bool) -> list[int | None]:
        """For each scope, how many items it holds when they are at most ``most`` ops
        directly inside it (no sub-scope, no call when ``calls``), else None."""
        if len(entries) == 1:  # one scope (a group asked for its width): no arrays
            return [self._plain_count(entries[0], most, calls)]
        counts = [e.end - e.start + (1 if e.inner >= 0 else 0) for e in entries]
        small = [i for i, n in enumerate(counts) if n <= most]
        found: list[int | None] = [None] * len(entries)
        if not small:
            return found
        if self._depth is None:
            # Counted by ``map`` (no bytecode per name: a frame may hold 200k).
            names = self.names
            self._depth = np.fromiter(map(str.count, names, repeat("/")), np.int64, len(names))
            self._call = self.item_array() < 0
        # By arrays: a wide level holds tens of thousands of small scopes.
        starts = [e.start for e in entries]
        order = np.asarray(sorted(small, key=starts.__getitem__), dtype=np.int64)
        ranges = np.empty((len(order), 2), dtype=np.int64)
        ranges[:, 0] = np.asarray(starts, dtype=np.int64)[order]
        ranges[:, 1] = np.asarray([e.end for e in entries], dtype=np.int64)[order]
        bounds = ranges.ravel()
        if bounds[-1] == len(self.names):  # reduceat reads [last, end) for the last start
            bounds = bounds[:-1]
        held = [entries[i] for i in order.tolist()]
        own = np.fromiter(map(str.count, [e.name for e in held], repeat("/")), np.int64, len(held))
        plain = np.maximum.reduceat(self._depth, bounds)[::2] == own + 1
        if calls:  # a call directly inside, or named like the scope, is a group inside it
            items = self.items
            inner = [e.inner >= 0 and items[e.inner] < 0 for e in held]
            plain &= ~(np.logical_or.reduceat(self._call, bounds)[::2] | np.asarray(inner, bool))
        for i in order[plain].tolist():
            found[i] = counts[i]
        return found

    def _plain_count(self, entry: Entry, most: int, calls: bool) -> int | None:
        """``plain_counts`` for one scope, read from its few names."""
        start, end, inner = entry.start, entry.end, entry.inner
        count = end - start + (1 if inner >= 0 else 0)
        if count > most:
            return None
        cut = len(entry.name) + 1  # its items' names go on after "<scope>/"
        if any(name.find("/", cut) >= 0 for name in self.names[start:end]):
            return None  # a sub-scope inside
        if calls:
            items = self.items
            if (inner >= 0 and items[inner] < 0) or min(items[start:end], default=0) < 0:
                return None  # a call directly inside, or named like the scope
        return count

    def single(self, at: int) -> Entry:
        """The item at sorted position ``at``, as an entry of the scope holding it."""
        name = self.names[at]
        entry = Entry(name, name.rpartition("/")[2], at, at + 1, False)
        entry.lo, entry.hi = int(self._lo[at]), int(self._hi[at])
        entry.hot, entry.first = bool(self._hot[at]), int(self._first[at])
        return entry
