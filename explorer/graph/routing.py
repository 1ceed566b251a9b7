"""Edges as drawn: each piece of an edge (see ``explorer.graph.containers``) from the right
side of its source (or a group's exit) to the left side of its target (or a group's
entry): a curve going forward, a polyline through the gap between rows going back to an
earlier row of a wrapped level."""

from __future__ import annotations

from explorer.graph.containers import Container, chain, walk
from explorer.graph.elements import SignatureGraph
from explorer.graph.scene import LINE_PX, PlacedEdge
from explorer.graph.wrapping import ROW_GAP

Rect = tuple[float, float, float, float]


def route(
    graph: SignatureGraph,
    root: Container,
    origin: dict[int, tuple[float, float]],
    rects: dict[str, Rect],
    owner: dict[str, Container],
) -> list[PlacedEdge]:
    info: dict[tuple[str, str], tuple[str, str, bool, int]] = {}
    for edge in graph.edges:
        key = (edge.src, edge.dst_cluster or edge.dst)
        kind, label, hot, count = info.get(key, (edge.kind, edge.label, False, 0))
        info[key] = (kind, label, hot or edge.highlighted, count + edge.count)
    hot_items: set[tuple[int, str, str]] = set()
    for (src, dst), (_, _, hot, _) in info.items():
        if hot:
            for container, item in chain(src, owner):
                hot_items.add((id(container), item, "out"))
            for container, item in chain(dst, owner):
                hot_items.add((id(container), "in", item))
    placed = []
    for container in walk(root):
        ox, oy = origin[id(container)]
        for a, b in sorted(container.edges):
            start = _exit(a, container, ox, oy, rects)
            end = _entry(b, container, ox, oy, rects)
            if start is None or end is None:
                continue
            kind, label, hot, count = info.get((a, b), ("data", "", False, 1))
            hot = hot or (id(container), a, b) in hot_items
            points = _path(start, end, container, ox, oy)
            placed.append(PlacedEdge(a, b, kind, points, label, hot, count))
    return placed


def _exit(
    item: str, container: Container, ox: float, oy: float, rects: dict[str, Rect]
) -> tuple[float, float] | None:
    """Where an edge leaves ``item``: the container's own "in" port, a child's "out"
    port, or else the middle of the box's right side."""
    return _port(item, "in", "out", container, ox, oy, rects, right=True)


def _entry(
    item: str, container: Container, ox: float, oy: float, rects: dict[str, Rect]
) -> tuple[float, float] | None:
    """Where an edge enters ``item``: the container's own "out" port, a child's "in"
    port, or else the middle of the box's left side."""
    return _port(item, "out", "in", container, ox, oy, rects, right=False)


def _port(
    item: str,
    own: str,
    child_port: str,
    container: Container,
    ox: float,
    oy: float,
    rects: dict[str, Rect],
    *,
    right: bool,
) -> tuple[float, float] | None:
    # The container's own port is named from the inside: edges leave its "in" and enter
    # its "out".
    if item == own:
        port = container.ports.get(own)
        return None if port is None else (ox + port[0], oy + port[1])
    rect = rects.get(item)
    if rect is None:
        return None
    child = next((c for c in container.children if c.id == item), None)
    if child is not None and child_port in child.ports:
        at = child.ports[child_port]
        return (rect[0] + at[0], rect[1] + at[1])
    return (rect[0] + (rect[2] if right else 0), rect[1] + rect[3] / 2)


def _path(
    start: tuple[float, float],
    end: tuple[float, float],
    container: Container,
    ox: float,
    oy: float,
) -> tuple[float, ...]:
    (x0, y0), (x1, y1) = start, end
    if x1 >= x0 - 1:
        return (round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1))
    # Back to an earlier column: a later row of a wrapped level. Down to the gap above the
    # row holding the end, across, and in from the left.
    gap = y1 - LINE_PX
    for top, _bottom, _ in container.rows:
        if oy + top <= y1:
            gap = oy + top - ROW_GAP / 2
    return tuple(
        round(v, 1) for v in (x0, y0, x0 + 12, y0, x0 + 12, gap, x1 - 12, gap, x1 - 12, y1, x1, y1)
    )
