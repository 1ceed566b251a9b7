"""The sliced graph as data: frames (the top-level graph and each inlined function body),
its real ops, and the edges between them. Made by ``explorer.graph.slicing``.

Ops and edges are kept as columns (lists of ints and strings indexed by an op's flat
number), not an object each: a 200k-op slice is then a few dozen lists, cheap to build
and to keep. ``FlatGraph.nodes``, ``index`` and ``edges`` give the per-op view for callers
that want one.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

import numpy as np

if TYPE_CHECKING:
    from explorer.graph.bodies import Body
    from explorer.model.proto_types import NodeDef

# (flat node index, output port or -1 for a control edge, tensor name as written)
Endpoint = tuple[int, int, str]
FlatEdge = tuple[int, int, int, str]  # (source index, port or -1, destination index, tensor)


@dataclass(slots=True, eq=False)
class Frame:
    """One inlined graph body: the top-level graph or a called function."""

    id: str  # "" for the top-level graph; else the calling frame's id + "::" + call name
    parent: Frame | None
    function: str  # FunctionDef name; "" at the top
    body: Body
    arg_refs: tuple[str, ...] = ()  # the caller's tensor feeding each input arg
    # Cluster this frame draws in; for If/While/Case branches the control-flow cluster
    # is ``owner`` and the branch name ("then_branch", "body", "branches_1") is ``role``.
    owner: str = ""
    role: str = ""
    depth: int = 0
    prefix: str = ""  # what its ops' ids start with: id + "::", or "" at the top
    # Body node index → flat index of the op (-1: not in the slice), and the call frames
    # made for its call nodes (an empty tuple: the call stays one op).
    flat: list[int] = field(default_factory=list)
    children: dict[int, tuple[Frame, ...]] = field(default_factory=dict)
    number: int = 0  # the slice's frames in the order they were made; 0 at the top

    def lineage(self) -> Iterator[Frame]:
        """This frame, the frame that called it, and so on up to the top-level graph."""
        frame: Frame | None = self
        while frame is not None:
            yield frame
            frame = frame.parent

    @property
    def args(self) -> dict[str, int]:
        """Function input_arg name → position."""
        return self.body.args

    @property
    def outputs(self) -> tuple[str, ...]:
        """output_arg names in order."""
        return self.body.outputs

    @property
    def rets(self) -> dict[str, str]:
        return self.body.rets

    @property
    def control_rets(self) -> tuple[str, ...]:
        return self.body.control_rets


class FlatNode:
    """A real op in the slice, wherever it lives (a view of ``FlatGraph``'s columns)."""

    __slots__ = ("fed", "frame", "id", "local", "name")

    def __init__(self, node_id: str, name: str, frame: Frame, fed: bool, local: int) -> None:
        self.id, self.name, self.frame, self.fed, self.local = node_id, name, frame, fed, local

    @property
    def node(self) -> NodeDef:
        return self.frame.body.nodes[self.local]

    @property
    def op(self) -> str:
        return self.frame.body.ops[self.local]


@dataclass(slots=True, eq=False)
class FlatGraph:
    """The sliced, inlined graph: real ops and the edges between them, as columns."""

    ids: list[str]  # op id: frame prefix + name
    names: list[str]  # name inside its frame
    ops: list[str]  # op type
    frame_of: list[Frame]
    local: list[int]  # index in its frame's body
    fed: list[bool]  # owns a signature input tensor; its own inputs are not followed
    # Edges: source index, port (-1 for a control edge), destination index, tensor.
    src: list[int]
    port: list[int]
    dst: list[int]
    tensor: list[str]
    frames: dict[str, Frame]
    # Call/control-flow node id → the frames it was inlined into.
    calls: dict[str, tuple[Frame, ...]]
    top: Frame
    # While loops: (body result's op, port, op reading that loop variable, tensor name).
    loops: list[FlatEdge] = field(default_factory=list)
    # Flat indices of call nodes left closed (their functions are not inlined).
    closed_calls: list[int] = field(default_factory=list)
    _index: dict[str, int] | None = None
    _succ: tuple[list[int], Sequence[int]] | None = None
    _ends: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def nodes(self) -> _Nodes:
        return _Nodes(self)

    @property
    def index(self) -> dict[str, int]:
        """Op id → flat index."""
        if self._index is None:
            self._index = dict(zip(self.ids, range(len(self.ids)), strict=True))
        return self._index

    @property
    def edges(self) -> list[FlatEdge]:
        return list(zip(self.src, self.port, self.dst, self.tensor, strict=True))

    def edge_ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Every edge's source and destination as arrays (made once)."""
        if self._ends is None:
            self._ends = (
                np.asarray(self.src, dtype=np.int64),
                np.asarray(self.dst, dtype=np.int64),
            )
        return self._ends

    def successors(self) -> tuple[list[int], Sequence[int]]:
        """Each op's edge targets, in edge order: op i's are ``targets[start[i]:start[i+1]]``."""
        if self._succ is None:
            self._succ = _csr(len(self.ids), *self.edge_ends())
        return self._succ


def _csr(count: int, sources: np.ndarray, targets: np.ndarray) -> tuple[list[int], Sequence[int]]:
    """Edges grouped by source (a stable sort, so each op's keep their order). The targets
    are a machine-int array, not a list: no Python int is kept per edge, and a slice of
    it is walked faster than a list's (a quarter of the memory)."""
    if not len(sources):
        return [0] * (count + 1), []
    order = np.argsort(sources, kind="stable")
    start = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(sources, minlength=count), out=start[1:])
    return start.tolist(), array("q", targets[order].astype(np.int64).tobytes())


class _Nodes(Sequence[FlatNode]):
    __slots__ = ("_flat",)

    def __init__(self, flat: FlatGraph) -> None:
        self._flat = flat

    def __len__(self) -> int:
        return len(self._flat.ids)

    @overload
    def __getitem__(self, index: int) -> FlatNode: ...
    @overload
    def __getitem__(self, index: slice) -> list[FlatNode]: ...
    def __getitem__(self, index: int | slice) -> FlatNode | list[FlatNode]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        f = self._flat
        return FlatNode(
            f.ids[index], f.names[index], f.frame_of[index], f.fed[index], f.local[index]
        )

    def __iter__(self) -> Iterator[FlatNode]:
        f = self._flat
        for values in zip(f.ids, f.names, f.frame_of, f.fed, f.local, strict=True):
            yield FlatNode(*values)
