"""The group tree's data: ``Group`` (a box that can be opened) and ``Hierarchy``.

Built by ``explorer.graph.grouping``; opened by ``explorer.graph.opening``; drawn by
``explorer.graph.view``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from explorer.graph.tally import Tally

PARAMETERS_LABEL = "constants & variables"


@dataclass(slots=True, eq=False)
class Group:
    """A box that can be opened: a function call, a control-flow op, a scope."""

    id: str
    label: str
    # "scope" covers a name scope and a name prefix.
    kind: Literal["root", "function", "control_flow", "scope", "parameters"]
    parent: Group | None
    scope: str = ""  # name scope inside its frame, e.g. "resnet50_1/conv1_conv_1"
    function: str = ""  # FunctionDef a function group runs
    op: str = ""  # op of the call/control-flow node a group stands for
    call: str = ""  # that node's name in its frame
    groups: list[Group] = field(default_factory=list)
    leaves: list[int] = field(default_factory=list)
    on_path: bool = False
    size: int = 0  # ops inside, at any depth
    depth: int = 0
    order: int = 0
    synthetic: bool = False  # a "<prefix>*" group inferred from the names of a wide level
    lo: int = 0  # nearest and farthest distance from the inputs of an op inside
    hi: int = -1
    height: int = 0  # levels of groups inside it (a one-child chain counts once)
    # Its ops, at any depth, are ``tally.order[start:end]`` (see ``explorer.graph.tally``).
    start: int = 0
    end: int = 0
    tally: Tally | None = field(default=None, repr=False)
    _ops: dict[str, int] | None = field(default=None, repr=False)

    @property
    def width(self) -> int:
        """Boxes shown when this group is open."""
        return len(self.groups) + len(self.leaves)

    @property
    def ops(self) -> dict[str, int]:
        """Op type → how many inside (a closed call counts what its functions hold)."""
        if self._ops is None:
            self._ops = self.tally.ops(self.start, self.end) if self.tally else {}
        return self._ops

    def members(self) -> list[int]:
        """The flat ops inside, at any depth."""
        return self.tally.members(self.start, self.end) if self.tally else []


@dataclass(slots=True)
class Hierarchy:
    root: Group
    groups: dict[str, Group]
    # Flat node index → the innermost group holding it.
    home: list[Group]
    tally: Tally
