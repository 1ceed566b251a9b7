"""The sliced graph as data: frames (the top-level graph and each inlined function body),
its real ops, and the edges between them. Made by ``explorer.graph.slicing``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.model.proto_types import NodeDef

# (flat node index, output port or -1 for a control edge, tensor name as written)
Endpoint = tuple[int, int, str]
FlatEdge = tuple[int, int, int, str]  # (source index, port or -1, destination index, tensor)


@dataclass(slots=True)
class Frame:
    """One inlined graph body: the top-level graph or a called function."""

    id: str  # "" for the top-level graph; else the calling frame's id + "::" + call name
    parent: Frame | None
    function: str  # FunctionDef name; "" at the top
    nodes: dict[str, NodeDef]
    # Function input_arg name → position, and the caller's tensor feeding each position.
    args: dict[str, int] = field(default_factory=dict)
    arg_refs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()  # output_arg names in order
    rets: dict[str, str] = field(default_factory=dict)
    control_rets: tuple[str, ...] = ()
    # Cluster this frame draws in; for If/While/Case branches the control-flow cluster
    # is ``owner`` and the branch name ("then_branch", "body", "branches_1") is ``role``.
    owner: str = ""
    role: str = ""
    depth: int = 0

    @property
    def prefix(self) -> str:
        return f"{self.id}::" if self.id else ""


@dataclass(slots=True)
class FlatNode:
    """A real op in the slice, wherever it lives."""

    id: str
    name: str
    node: NodeDef
    frame: Frame
    fed: bool = False  # owns a signature input tensor; its own inputs are not followed


@dataclass(slots=True)
class FlatGraph:
    """The sliced, inlined graph: real ops and the edges between them."""

    nodes: list[FlatNode]
    edges: list[FlatEdge]
    index: dict[str, int]
    frames: dict[str, Frame]
    # Call/control-flow node id → the frames it was inlined into.
    calls: dict[str, tuple[Frame, ...]]
    top: Frame
    # While loops: (body result's op, port, op reading that loop variable, tensor name).
    loops: list[FlatEdge] = field(default_factory=list)
