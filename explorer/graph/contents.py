"""What a group holds until it is opened (``explorer.graph.groups.Contents``): a frame's
body, a name scope, a frame's constants and variables, an If/While/Case's branches.

Each keeps what opening it needs and hands the work to ``explorer.graph.grouping``, which
makes the children; a nested group inferred from names is
``explorer.graph.regrouping``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.graph.flat import Frame
from explorer.graph.groups import Group
from explorer.graph.scope_index import Entry

if TYPE_CHECKING:
    from explorer.graph.grouping import _Builder


@dataclass(slots=True)
class FrameBody:
    """A function's body or the top-level graph."""

    builder: _Builder
    frame: Frame

    def open(self, group: Group) -> None:
        self.builder.open_frame(group, self.frame)

    def width(self) -> int | None:
        return None

    def height(self) -> int | None:
        return None


@dataclass(slots=True)
class Scope:
    builder: _Builder
    frame: Frame
    entry: Entry
    # Its width when it is a few ops and nothing else (-1: not asked yet): a group's
    # height asks each child's width and height, which both need it.
    _plain: int | None = -1

    def open(self, group: Group) -> None:
        self.builder.open_scope(group, self.frame, self.entry)

    def width(self) -> int | None:
        if self._plain == -1:
            self._plain = self.builder.plain_width(self.frame, self.entry)
        return self._plain

    def height(self) -> int | None:
        return 0 if self.width() is not None else None


@dataclass(slots=True)
class Parameters:
    """A frame's names holding nothing on an input→output path."""

    builder: _Builder
    frame: Frame
    entries: list[Entry]

    def open(self, group: Group) -> None:
        self.builder.fill(group, self.frame, self.entries, [])

    def width(self) -> int | None:
        return None

    def height(self) -> int | None:
        return None


@dataclass(slots=True)
class Branches:
    builder: _Builder
    call_id: str
    frames: tuple[Frame, ...]

    def open(self, group: Group) -> None:
        self.builder.open_branches(group, self.call_id, self.frames)

    def width(self) -> int | None:
        return None

    def height(self) -> int | None:
        return None
