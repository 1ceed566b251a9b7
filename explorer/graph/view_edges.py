"""The edges of one view: every edge of the slice between two different boxes, merged.

Each op is drawn by its representative: itself when every group around it is open, else
the outermost closed group. Because the hierarchy numbers its ops so each group is one
range (``explorer.graph.tally``), the boxes of a view cut that numbering into consecutive
pieces, and an op's representative is the piece its number falls in: two binary searches
per edge, done for all edges at once (``crossing``), find the edges that leave a box. The
rest of the work is per edge drawn. Edges between the same two boxes merge into one that
counts its tensors; only a one-tensor edge gets a dtype/shape label (read from the
producer's attrs here, for the edges shown, not for the whole slice).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection

import numpy as np

from explorer.graph import attrs
from explorer.graph.elements import GraphEdge
from explorer.graph.flat import FlatGraph
from explorer.graph.groups import PARAMETERS_LABEL, Group, Hierarchy
from explorer.model.info import format_shape


class Pieces:
    """The boxes of a view as consecutive ranges of the hierarchy's op numbering."""

    __slots__ = ("boxes", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []  # first op number of each box, ascending
        self.boxes: list[str] = []  # its id

    def add(self, start: int, box: str) -> None:
        self.starts.append(start)
        self.boxes.append(box)

    def box_of(self, place: int) -> str:
        """The box showing the op numbered ``place``."""
        return self.boxes[bisect_right(self.starts, place) - 1]


class Representatives:
    """Flat op index → the id of the box showing it (``rep[i]``)."""

    __slots__ = ("_pieces", "_position")

    def __init__(self, pieces: Pieces, hierarchy: Hierarchy) -> None:
        self._pieces, self._position = pieces, hierarchy.tally.position

    def __getitem__(self, op: int) -> str:
        return self._pieces.box_of(self._position[op])


def crossing(flat: FlatGraph, hierarchy: Hierarchy, pieces: Pieces) -> list[tuple[int, str, str]]:
    """Edges (by index, in slice order) whose ends are in different boxes, with both
    boxes."""
    src, dst = _edge_places(flat, hierarchy)
    if not len(src):
        return []
    starts = np.asarray(pieces.starts, dtype=np.int64)
    a = np.searchsorted(starts, src, side="right") - 1
    b = np.searchsorted(starts, dst, side="right") - 1
    found = np.flatnonzero(a != b)
    boxes = pieces.boxes
    return [
        (edge, boxes[x], boxes[y])
        for edge, x, y in zip(found.tolist(), a[found].tolist(), b[found].tolist(), strict=True)
    ]


def _edge_places(flat: FlatGraph, hierarchy: Hierarchy) -> tuple[np.ndarray, np.ndarray]:
    """Every edge's two ends as op numbers of the hierarchy, computed once."""
    tally = hierarchy.tally
    if tally.edge_places is None:
        position = np.asarray(tally.position, dtype=np.int64)
        src, dst = flat.edge_ends()
        tally.edge_places = (position[src], position[dst])
    return tally.edge_places


def parameter_targets(
    flat: FlatGraph,
    hierarchy: Hierarchy,
    opened: set[str],
    cut: list[tuple[int, str, str]],
    parameters: dict[str, Group],
    anchors: dict[str, str],
) -> dict[int, tuple[str, str]]:
    """Ops fed by a closed "constants & variables" box → (cluster, anchor box) to draw
    that edge to instead. A Keras model passes every variable into one call; an edge
    per layer would cross the whole drawing (and slow Graphviz down by minutes), so the
    box gets one edge to the border of each open cluster it feeds."""
    targets: dict[int, tuple[str, str]] = {}
    if not parameters:
        return targets
    position, dsts = hierarchy.tally.position, flat.dst
    for edge, a, _ in cut:
        box = parameters.get(a)
        dst = dsts[edge]
        if box is None or dst in targets or box.parent is None:
            continue
        # The group beside the box that holds the op it feeds.
        group = box.parent.child_at(int(position[dst]))
        if group is not None and group.id in opened and anchors.get(group.id):
            targets[dst] = (group.id, anchors[group.id])
    return targets


def op_edges(
    flat: FlatGraph,
    cut: list[tuple[int, str, str]],
    hot: Collection[int],
    targets: dict[int, tuple[str, str]],
) -> list[GraphEdge]:
    """The data and control edges between boxes, merged per pair of boxes."""
    merged: dict[tuple[str, str], list] = {}  # type: ignore[type-arg]
    ends: dict[tuple[str, str], str] = {}
    srcs, ports, dsts, tensors_of = flat.src, flat.port, flat.dst, flat.tensor
    for edge, a, b in cut:
        src, port, dst, tensor = srcs[edge], ports[edge], dsts[edge], tensors_of[edge]
        if dst in targets and a.endswith(f"[{PARAMETERS_LABEL}]"):
            ends[(a, targets[dst][1])] = targets[dst][0]
            b = targets[dst][1]
        entry = merged.get((a, b))
        if entry is None:
            entry = merged[(a, b)] = [set(), None, False, False]
        if port >= 0:
            entry[0].add((src, port))
            if entry[1] is None or (src, port, tensor) < entry[1]:
                entry[1] = (src, port, tensor)
        else:
            entry[2] = True
        entry[3] = entry[3] or (src in hot and dst in hot)
    edges = []
    for (a, b), (tensors, first, _control, hot_edge) in merged.items():
        if not tensors:
            edges.append(
                GraphEdge(
                    src=a, dst=b, kind="control", highlighted=hot_edge, dst_cluster=ends.get((a, b))
                )
            )
            continue
        src, port, tensor = first
        # The first tensor's dtype and shape describe the edge (and the borders it crosses).
        node = flat.frame_of[src].body.nodes[flat.local[src]]
        dtype = attrs.output_dtype(node, port)
        known, shape = attrs.output_shape(node, port)
        label = f"{len(tensors)} tensors"
        if len(tensors) == 1:
            label = " ".join(p for p in (dtype, format_shape(shape) if known else "") if p)
        edges.append(
            GraphEdge(
                src=a,
                dst=b,
                kind="data",
                label=label,
                dtype=dtype,
                shape=shape,
                shape_known=known,
                tensor=tensor,
                count=len(tensors),
                highlighted=hot_edge,
                dst_cluster=ends.get((a, b)),
            )
        )
    return edges


def loop_edges(flat: FlatGraph, rep: Representatives) -> list[GraphEdge]:
    """While loops' hand-overs between boxes: a body result → what reads it next
    iteration; none inside one box (a closed loop keeps its loop to itself)."""
    merged: dict[tuple[str, str], list[str]] = {}
    for src, _, dst, tensor in flat.loops:
        a, b = rep[src], rep[dst]
        if a != b:
            merged.setdefault((a, b), []).append(tensor)
    return [
        GraphEdge(src=a, dst=b, kind="loop", tensor=min(tensors), count=len(set(tensors)))
        for (a, b), tensors in merged.items()
    ]
