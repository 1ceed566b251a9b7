"""A wide level nested by the structure of its names: stage → block → layer.

A level wider than ``naming.NAMING_MIN`` boxes (a Keras model's 175 layer scopes side by
side) is grouped by what its names share (``explorer.graph.naming``); a group the data
would leave and come back into is dissolved (``explorer.graph.cycles``): a box must stand
for a part of the network that runs as one. The nested groups are made one level at a
time, as the tree is (``explorer.graph.groups``): a stage's blocks when the stage is
opened, and a scope of the level when the group holding it is. How deep they go is read
from the names without making them. Used by ``explorer.graph.grouping`` on every wide
level.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING, cast

import numpy as np

from explorer.graph.cycles import LevelEdges, all_members, dissolve_level, topological_rank
from explorer.graph.flat import Frame
from explorer.graph.groups import Group
from explorer.graph.naming import NAMING_MIN, NameGroup, infer_groups
from explorer.graph.scope_index import Entry

if TYPE_CHECKING:
    from explorer.graph.grouping import _Builder

# A box of the level: a group made already, a scope whose group is made when shown, or an op.
Item = Group | Entry | int
_NO_RUN = (0, 0, -1)  # a group's place in ``_Level``'s run columns


def regroup(
    builder: _Builder, group: Group, frame: Frame, kept: list[Group | Entry], leaves: list[int]
) -> tuple[list[Group], list[int]]:
    """``group``'s children (``kept`` and ``leaves``, not yet arranged) nested by their
    names, keeping only groups nothing outside them runs in the middle of; as they are
    when the names share nothing. Groups are made for the top level only."""
    # The scopes' and groups' names, then the ops' (a wide level: one comprehension each),
    # in the order of the level's items (``_Level``).
    op_names = builder.flat.names
    names = [k.name if k.__class__ is Entry else _name(k) for k in kept]
    names += map(op_names.__getitem__, leaves)
    base = group.base
    if base:
        names = list(map(str.removeprefix, names, repeat(base)))
    tree = infer_groups(names)
    if tree.groups:
        level = _Level(builder, frame, group, kept, leaves)
        dissolve_level(tree, level.edges, level.rank)
        if tree.groups:
            return level.children(tree, group)
    return [builder.as_group(frame, k, group) for k in kept], leaves


def _column(items: list[Group | Entry], field: str) -> np.ndarray:
    """One int field of every item, as an array (read by ``map``: a level may be wide)."""
    return np.fromiter(map(attrgetter(field), items), np.int64, len(items))


def _name(item: Group | Entry) -> str:
    if isinstance(item, Entry):
        return item.name  # its group's scope
    return item.scope or item.call or item.label


class _Level:
    """One wide level's boxes, the edges between them and their topological order: what
    every nested group made from it needs."""

    __slots__ = (
        "_inner",
        "_kept",
        "_leaves",
        "_length",
        "_levels",
        "_scope",
        "_start",
        "base",
        "builder",
        "edges",
        "frame",
        "hi",
        "items",
        "lo",
        "made",
        "owner",
        "rank",
    )

    def __init__(
        self,
        builder: _Builder,
        frame: Frame,
        group: Group,
        kept: list[Group | Entry],
        leaves: list[int],
    ) -> None:
        """The level's items: its groups and scopes ``kept``, then its ops ``leaves``."""
        items: list[Item] = [*kept, *leaves]
        self.builder, self.frame, self.items, self.base = builder, frame, items, group.base
        prefix = group.id.removesuffix("/") if group.id.endswith("/") else group.id
        self.owner = f"{prefix}/" if prefix else ""  # new groups' ids start with it
        self.made: dict[int, Group] = {}  # item → its group, once made
        ops = np.asarray(leaves, dtype=np.int64)  # the ops' distances: picked by arrays
        count = len(kept)
        self.lo = np.concatenate([_column(kept, "lo"), builder.near[ops]])
        self.hi = np.concatenate([_column(kept, "hi"), builder.level[ops]])
        # What ``ops`` reads of the items, as arrays: the ops, and each scope's run of its
        # frame's sorted items (its start, length and the item named like it, or -1).
        self._kept, self._leaves = count, ops
        self._scope = np.fromiter(map(isinstance, kept, repeat(Entry)), bool, count)
        if self._scope.all():  # scopes only (a wide level of name scopes)
            self._start = _column(kept, "start")
            self._length = _column(kept, "end") - self._start
            self._inner = _column(kept, "inner")
        else:
            scopes = [
                (k.start, k.end - k.start, k.inner) if isinstance(k, Entry) else _NO_RUN
                for k in kept
            ]
            runs = np.asarray(scopes, dtype=np.int64).reshape(count, 3)
            self._start, self._length, self._inner = runs[:, 0], runs[:, 1], runs[:, 2]
        self.edges = self._item_edges()
        self.rank = topological_rank(len(items), self.edges)
        self._levels: list[int | None] | None = None

    def ops(self, indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The flat ops of the items ``indices``, at any depth, and the item each is in, as
        arrays: its ops and the groups' (in the order of ``indices``), then the scopes'.
        A scope's ops are a run of its frame's sorted items: read for all at once."""
        picked = np.asarray(indices, dtype=np.int64)
        boxes = picked[picked < self._kept]
        if not self._scope[boxes].all():  # a group made already among them: its members
            return self._ops_of_groups(indices)
        ops = picked[picked >= self._kept]
        return self._with_runs(self._leaves[ops - self._kept], ops, boxes)

    def _ops_of_groups(self, indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
        ops: list[int] = []
        owners: list[int] = []
        runs: list[int] = []
        for index in indices:
            item = self.items[index]
            if isinstance(item, int):
                ops.append(item)
                owners.append(index)
            elif isinstance(item, Entry):
                runs.append(index)
            else:
                inside = item.members()
                ops.extend(inside)
                owners.extend([index] * len(inside))
        return self._with_runs(
            np.asarray(ops, dtype=np.int64),
            np.asarray(owners, dtype=np.int64),
            np.asarray(runs, dtype=np.int64),
        )

    def _with_runs(
        self, ops: np.ndarray, owners: np.ndarray, runs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``ops`` and ``owners``, then the ops of the scopes ``runs`` (item numbers)."""
        if not len(runs):
            return ops, owners
        found, calls = self.builder.frame_items(self.frame)
        starts, lengths, inner = self._start[runs], self._length[runs], self._inner[runs]
        total = int(lengths.sum())
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        held = found.item_array()[offsets + np.arange(total, dtype=np.int64)]
        who = np.repeat(runs, lengths)
        named = inner >= 0  # the item named like a scope, inside it
        if named.any():
            held = np.concatenate([held, found.item_array()[inner[named]]])
            who = np.concatenate([who, runs[named]])
        if calls and (held < 0).any():  # a call inside: the ops it runs
            more: list[int] = []
            whose: list[int] = []
            for op, index in zip(held.tolist(), who.tolist(), strict=True):
                inside = [op] if op >= 0 else calls[-1 - op].members()
                more.extend(inside)
                whose.extend([index] * len(inside))
            held, who = np.asarray(more, dtype=np.int64), np.asarray(whose, dtype=np.int64)
        # The common case stays arrays (a wide level's runs hold every op).
        return np.concatenate([ops, held]), np.concatenate([owners, who])

    def group(self, index: int, holder: Group) -> Group:
        """Item ``index``'s group (made the first time), inside ``holder``."""
        made = self.made.get(index)
        if made is None:
            item = self.items[index]
            assert not isinstance(item, int)
            made = self.made[index] = self.builder.as_group(self.frame, item, holder)
        made.parent = holder
        return made

    def children(self, tree: NameGroup, holder: Group) -> tuple[list[Group], list[int]]:
        """``tree``'s direct members and nested groups (made, not yet arranged)."""
        groups: list[Group] = []
        leaves: list[int] = []
        for index in tree.members:
            item = self.items[index]
            if isinstance(item, int):
                leaves.append(item)
            else:
                groups.append(self.group(index, holder))
        for sub in tree.groups:
            group = Group(
                id=f"{self.owner}{sub.prefix}*",
                label=sub.label,
                kind="scope",
                parent=holder,
                scope=f"{self.base}{sub.prefix}*",
                synthetic=True,
                base=holder.base,
            )
            group.contents = _Named(self, sub)
            inside = sorted(all_members(sub))
            picked = np.asarray(inside, dtype=np.int64)
            span = (int(self.lo[picked].min()), int(self.hi[picked].max()))
            groups.append(self.builder.made(group, self.ops(inside)[0].tolist(), span))
        return groups, leaves

    def height(self, tree: NameGroup) -> int | None:
        """Levels of groups inside the group ``tree`` stands for, from the names: its own
        groups checked for cycles as opening it would, nothing made. None when an item
        inside would have to be opened to say (a scope holding groups)."""
        dissolve_level(tree, self.edges, self.rank)
        added = list(map(self._item_levels().__getitem__, tree.members))
        if None in added:
            return None
        found = max(cast("list[int]", added), default=0)  # no None: checked above
        for sub in tree.groups:
            inner = self.height(sub)
            if inner is None:
                return None
            found = max(found, inner + (1 if len(sub.members) + len(sub.groups) > 1 else 0))
        return found

    def _item_levels(self) -> list[int | None]:
        """The levels each item adds to a group holding it, when known without opening it:
        its height, plus one when it shows more than one box open (an op: none); None
        for one that would have to be opened."""
        if self._levels is None:
            levels: list[int | None] = []
            found, calls = self.builder.frame_items(self.frame)
            entries = [item for item in self.items if isinstance(item, Entry)]
            # The scopes' widths, in item order as the scopes come below.
            widths = iter(found.plain_counts(entries, NAMING_MIN, bool(calls)))
            for item in self.items[: self._kept]:
                if isinstance(item, Entry):
                    width = next(widths)  # a scope of a few ops: no group inside it
                    levels.append(None if width is None else (1 if width > 1 else 0))
                    continue
                assert isinstance(item, Group)  # the level's ops come after its boxes
                if item.pending is None or item.contents is None:  # arranged: may be opened
                    height, width = item.height, item.width
                else:
                    known = item.contents.height(), item.contents.width()
                    if known[0] is None or known[1] is None:
                        levels.append(None)
                        continue
                    height, width = known[0], known[1]
                levels.append(height + (1 if width > 1 else 0))
            levels += [0] * len(self._leaves)
            self._levels = levels
        return self._levels

    def _item_edges(self) -> LevelEdges:
        """Which of the level's boxes feed which, from the ops inside them."""
        flat = self.builder.flat
        count = len(self.items)
        members, owners = self.ops(list(range(count)))
        if not len(members) or not flat.src:
            return LevelEdges([0] * (count + 1), [])
        owner = np.full(len(flat.ids), -1, dtype=np.int64)
        owner[members] = owners
        src, dst = flat.edge_ends()
        a, b = owner[src], owner[dst]
        keep = (a >= 0) & (b >= 0) & (a != b)
        # Each pair once, sorted by source (as np.unique, which would import numpy.ma).
        pairs = np.sort(a[keep] * count + b[keep])
        first = np.ones(len(pairs), dtype=bool)
        first[1:] = pairs[1:] != pairs[:-1]
        pairs = pairs[first]
        start = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(pairs // count, minlength=count), out=start[1:])
        return LevelEdges(start.tolist(), (pairs % count).tolist())


@dataclass(slots=True)
class _Named:
    """A group of a wide level inferred from its names, not yet opened."""

    level: _Level
    tree: NameGroup

    def open(self, group: Group) -> None:
        level = self.level
        dissolve_level(self.tree, level.edges, level.rank)
        groups, leaves = level.children(self.tree, group)
        level.builder.arrange(group, groups, leaves)

    def width(self) -> int | None:
        level = self.level
        dissolve_level(self.tree, level.edges, level.rank)
        return len(self.tree.members) + len(self.tree.groups)

    def height(self) -> int | None:
        return self.level.height(self.tree)
