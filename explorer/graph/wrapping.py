"""Wrapping a laid-out level that came out too long: cut between ranks into rows (or, for a
too tall one, columns) placed under (beside) each other, as lines of text are, choosing
the number of pieces whose result is closest to ``TARGET_ASPECT``; then the group's frame.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from explorer.graph.containers import Container

MAX_ASPECT = 2.0  # wrap a level wider (or taller) than this many times its other side
WRAP_MIN_PX = 560  # ... and longer than this: a short chain reads best as a line
TARGET_ASPECT = 1.45  # the shape a wrapped level aims at: a landscape page
LABEL_PX = 18  # a group's title band
FRAME_PAD = 6
ROW_GAP = 22


def wrap(container: Container) -> None:
    """Cut a too-wide level into rows (a too-tall one into columns), then frame it."""
    width, height = container.size
    spans = {item: _span(container, item) for item in container.pos}
    if width > MAX_ASPECT * max(height, 1) and width > WRAP_MIN_PX:
        _cut(container, spans, horizontal=True)
    elif height > MAX_ASPECT * max(width, 1) and height > WRAP_MIN_PX:
        _cut(container, spans, horizontal=False)
    _frame(container)


def _span(container: Container, item: str) -> tuple[float, float]:
    return container.item_sizes[item]


def _cut(container: Container, spans: dict[str, tuple[float, float]], *, horizontal: bool) -> None:
    """Cut between ranks into the number of pieces whose result is closest in shape to
    ``TARGET_ASPECT``."""
    width, height = container.size
    long_side = width if horizontal else height
    axis = 0 if horizontal else 1
    intervals = sorted(
        (pos[axis], pos[axis] + spans[item][axis]) for item, pos in container.pos.items()
    )
    # Places where a cut crosses no box: between the end of everything so far and the
    # next start.
    gaps, reach = [], -1.0
    for begin, end in intervals:
        if reach >= 0 and begin > reach:
            gaps.append((reach + begin) / 2)
        reach = max(reach, end)
    if not gaps:
        return
    best: tuple[float, _Arrangement] | None = None
    for pieces in range(2, min(len(gaps) + 1, 8) + 1):
        arranged = _arrange(container, spans, gaps, long_side, pieces, horizontal)
        w, h = arranged.size
        miss = abs(math.log(max(w, 1) / max(h, 1) / TARGET_ASPECT))
        if best is None or miss < best[0] - 1e-9:
            best = (miss, arranged)
    assert best is not None
    arranged = best[1]
    container.pos, container.rows, container.size = arranged.pos, arranged.rows, arranged.size
    container.ports = {k: v for k, v in arranged.ports.items() if k in container.ports}


@dataclass(slots=True)
class _Arrangement:
    pos: dict[str, tuple[float, float]]
    rows: list[tuple[float, float, float]]
    ports: dict[str, tuple[float, float]]
    size: tuple[float, float]


def _arrange(
    container: Container,
    spans: dict[str, tuple[float, float]],
    gaps: list[float],
    long_side: float,
    pieces: int,
    horizontal: bool,
) -> _Arrangement:
    axis = 0 if horizontal else 1
    cuts: list[float] = []
    for j in range(1, pieces):
        wanted = long_side * j / pieces
        best = min(gaps, key=lambda g: abs(g - wanted))
        if best not in cuts:
            cuts.append(best)
    cuts.sort()
    bounds = [0.0, *cuts, long_side]
    piece_of = {
        item: next(i for i in range(len(bounds) - 1) if pos[axis] < bounds[i + 1])
        for item, pos in container.pos.items()
    }
    # Each piece keeps its own thickness across the cut: its boxes move up (or left)
    # to its first one, as a line of text starts at its own top.
    start = [math.inf] * (len(bounds) - 1)
    extent = [0.0] * (len(bounds) - 1)
    for item, pos in container.pos.items():
        piece = piece_of[item]
        start[piece] = min(start[piece], pos[1 - axis])
    for item, pos in container.pos.items():
        piece = piece_of[item]
        extent[piece] = max(extent[piece], pos[1 - axis] - start[piece] + spans[item][1 - axis])
    offsets, total = [], 0.0
    for thickness in extent:
        offsets.append(total)
        total += thickness + ROW_GAP
    total -= ROW_GAP
    moved = {}
    for item, pos in container.pos.items():
        piece = piece_of[item]
        along = pos[axis] - bounds[piece]
        across = pos[1 - axis] - start[piece] + offsets[piece]
        moved[item] = (along, across) if horizontal else (across, along)
    rows = [(offsets[i], offsets[i] + extent[i], bounds[i]) for i in range(len(extent))]
    longest = max(b - a for a, b in itertools.pairwise(bounds))
    ports = {
        "in": (0.0, extent[0] / 2) if horizontal else (0.0, 0.0),
        "out": (longest, offsets[-1] + extent[-1] / 2),
    }
    size = (longest, total) if horizontal else (total, longest)
    return _Arrangement(moved, rows, ports, size)


def _frame(container: Container) -> None:
    """Move the content inside the group's frame: padding, and the title band on top."""
    if container.id is None:
        return
    dx, dy = FRAME_PAD, FRAME_PAD + LABEL_PX
    container.pos = {k: (x + dx, y + dy) for k, (x, y) in container.pos.items()}
    width, height = container.size
    size = (width + 2 * FRAME_PAD, height + 2 * FRAME_PAD + LABEL_PX)
    ports = {}
    for port, (_, y) in container.ports.items():
        ports[port] = (0.0 if port == "in" else size[0], y + dy)
    container.ports = ports
    container.rows = [(a + dy, b + dy, c) for a, b, c in container.rows]
    container.size = size
