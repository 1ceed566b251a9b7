"""The group tree's data: ``Group`` (a box that can be opened) and ``Hierarchy``.

The tree is built one group at a time, when it is first opened: a group is made with what
its box says (its ops' range, op count, distances, whether it is on a path) and a recipe
for its children (``Contents``, from ``explorer.graph.grouping``); reading its ``groups`` or
``leaves`` makes them. So the first view costs the levels it shows, not the depth of the
model. Built by ``explorer.graph.grouping``; opened by ``explorer.graph.opening``; drawn by
``explorer.graph.view``.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal, Protocol

from explorer.collector import collector_paused
from explorer.graph.tally import Tally

PARAMETERS_LABEL = "constants & variables"
GroupKind = Literal["root", "function", "control_flow", "scope", "parameters"]


class Contents(Protocol):
    """What a group holds until it is opened: makes its children (``open``), and says its
    width and height when they are known without opening it (a few ops and no groups; a
    group inferred from names, from the names)."""

    def open(self, group: Group) -> None: ...

    def width(self) -> int | None: ...

    def height(self) -> int | None: ...


@dataclass(slots=True, eq=False)
class Group:
    """A box that can be opened: a function call, a control-flow op, a scope."""

    id: str
    label: str
    # "scope" covers a name scope and a name prefix.
    kind: GroupKind
    parent: Group | None
    scope: str = ""  # name scope inside its frame, e.g. "resnet50_1/conv1_conv_1"
    function: str = ""  # FunctionDef a function group runs
    op: str = ""  # op of the call/control-flow node a group stands for
    call: str = ""  # that node's name in its frame
    on_path: bool = False
    size: int = 0  # ops inside, at any depth
    depth: int = 0
    # Where it comes in a pre-order walk of the tree: its place among its siblings, and
    # theirs among theirs, from the root.
    order: tuple[int, ...] = ()
    synthetic: bool = False  # a "<prefix>*" group inferred from the names of a wide level
    lo: int = 0  # nearest and farthest distance from the inputs of an op inside
    hi: int = -1
    # The scope its children's names are written under (names restart in a function).
    base: str = ""
    # Its ops, at any depth, are ``tally.order[start:end]`` (see ``explorer.graph.tally``).
    start: int = 0
    end: int = 0
    tally: Tally | None = field(default=None, repr=False)
    contents: Contents | None = field(default=None, repr=False)  # None: open already
    # Its ops while its range is not set yet (made, but its parent not yet open).
    pending: list[int] | None = field(default=None, repr=False)
    _groups: list[Group] = field(default_factory=list, repr=False)
    _leaves: list[int] = field(default_factory=list, repr=False)
    _ops: dict[str, int] | None = field(default=None, repr=False)
    _height: int | None = field(default=None, repr=False)
    _starts: list[int] | None = field(default=None, repr=False)

    @property
    def groups(self) -> list[Group]:
        """The groups directly inside (made on first use)."""
        if self.contents is not None:
            self._open()
        return self._groups

    @property
    def leaves(self) -> list[int]:
        """The flat ops directly inside (made on first use)."""
        if self.contents is not None:
            self._open()
        return self._leaves

    def _open(self) -> None:
        contents, self.contents = self.contents, None
        assert contents is not None
        if gc.isenabled():  # the outermost open: the groups inside open with it paused
            with collector_paused():  # a wide level makes many objects, all kept
                contents.open(self)
        else:
            contents.open(self)

    @property
    def built(self) -> bool:
        """Whether its children are made."""
        return self.contents is None

    @property
    def width(self) -> int:
        """Boxes shown when this group is open."""
        if self.contents is not None:
            known = self.contents.width()
            if known is not None:
                return known
        return len(self.groups) + len(self.leaves)

    @property
    def height(self) -> int:
        """Levels of groups inside it (a one-child chain counts once), said without opening
        it when its contents know."""
        if self._height is None:
            if gc.isenabled():  # the outermost ask: every group inside opens with it paused
                with collector_paused():
                    return self.height
            known = self.contents.height() if self.contents is not None else None
            if known is None:
                known = max((c.height + (0 if c.width <= 1 else 1) for c in self.groups), default=0)
            self._height = known
        return self._height

    @property
    def ops(self) -> dict[str, int]:
        """Op type → how many inside (a closed call counts what its functions hold)."""
        if self._ops is None:
            self._ops = self.tally.ops(self.start, self.end) if self.tally else {}
        return self._ops

    def members(self) -> list[int]:
        """The flat ops inside, at any depth."""
        if self.pending is not None:
            return self.pending
        return self.tally.members(self.start, self.end) if self.tally else []

    def child_at(self, place: int) -> Group | None:
        """The group directly inside holding the op numbered ``place`` (None: one of its
        own ops, or outside it). Opening this group renumbers its ops: ``place`` must be
        read after."""
        groups = self.groups
        if self._starts is None:
            self._starts = [g.start for g in groups]
        found = bisect_right(self._starts, place) - 1
        if found >= 0 and place < groups[found].end:
            return groups[found]
        return None


@dataclass(slots=True)
class Hierarchy:
    root: Group
    # The groups made so far, by id: every group a view shows, and those on the way to
    # what a lookup asked for (``everything`` makes them all).
    groups: dict[str, Group]
    tally: Tally

    def locate(self, op: int) -> Group:
        """The innermost group holding flat op ``op`` (opening the groups on the way)."""
        group = self.root
        while True:
            group.groups  # noqa: B018  # opened first: opening rearranges its ops
            inner = group.child_at(int(self.tally.position[op]))
            if inner is None:
                return group
            group = inner

    def find(self, group_id: str) -> Group | None:
        """The group with this id, made if need be."""
        found = self.groups.get(group_id)
        return found if found is not None else self.everything().get(group_id)

    def everything(self) -> dict[str, Group]:
        """Every group, opened, by id in hierarchy order (a pre-order walk)."""
        stack = [self.root]
        while stack:
            group = stack.pop()
            stack.extend(group.groups)
        return dict(sorted(self.groups.items(), key=lambda item: item[1].order))
