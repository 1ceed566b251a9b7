"""What the drawing shows, placed: boxes, group frames and edges (``Scene``), and the text
each box holds.

``explorer.graph.layout`` makes a scene; the drawing's JavaScript
(``explorer/present/assets/graph_view.js``) reads ``scene_dict``; ``explorer.graph.svg``
writes it as a standalone SVG. Sizes are CSS pixels at zoom 1, for 11 px text.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from explorer.graph.elements import GraphNode
from explorer.graph.text_width import (
    border_lines,
    cut_name,
    fit_items,
    split_items,
    text_px,
)
from explorer.model.controls import visible_controls

TITLE_PX, TEXT_PX = 11, 10  # a box's first line (bold), and its other lines
LINE_PX = 14
BOX_PAD_X, BOX_PAD_Y = 8, 5
MAX_TEXT_PX = 216  # the widest line in a box; longer ones lose whole items ("+N")
_FINDING_MARK = "⚠ "  # the drawing writes it before a flagged box's first line

GROUP_KINDS = frozenset({"group", "function_call", "control_flow", "parameters"})


@dataclass(frozen=True, slots=True)
class PlacedBox:
    """A drawn box: where it is and the lines written in it."""

    id: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]
    title: str  # the full text, for a tooltip
    highlighted: bool = False
    on_path: bool = True
    findings: int = 0


@dataclass(frozen=True, slots=True)
class PlacedFrame:
    """An open group's frame; ``ids`` are the groups it stands for, outermost first
    (several when a group holds only one group)."""

    id: str
    ids: tuple[str, ...]
    kind: str
    x: float
    y: float
    w: float
    h: float
    label: str
    sub: str  # ops inside, summary and border shapes
    findings: int = 0


@dataclass(frozen=True, slots=True)
class PlacedEdge:
    src: str
    dst: str
    kind: str
    points: tuple[float, ...]  # x0, y0, x1, y1, ...: a curve for 2 points, else a polyline
    label: str = ""
    highlighted: bool = False
    count: int = 1


@dataclass(frozen=True, slots=True)
class Scene:
    width: float
    height: float
    boxes: tuple[PlacedBox, ...]
    frames: tuple[PlacedFrame, ...]
    edges: tuple[PlacedEdge, ...]

    @property
    def aspect(self) -> float:
        """Width over height."""
        return self.width / self.height if self.height else 1.0


def scene_dict(scene: Scene) -> dict[str, object]:
    """The scene as JSON-ready plain data (what the drawing's script reads)."""
    return {
        "width": round(scene.width, 1),
        "height": round(scene.height, 1),
        "boxes": [asdict(b) for b in scene.boxes],
        "frames": [asdict(f) for f in scene.frames],
        "edges": [asdict(e) for e in scene.edges],
    }


def box_lines(node: GraphNode) -> tuple[str, ...]:
    """The lines written in a box, each within ``MAX_TEXT_PX``: a name cut at its "/" or
    "_" boundaries, an op summary and border shapes shortened by whole items ("+N")."""
    first, _, rest = node.label.partition("\n")
    room = MAX_TEXT_PX - (text_px(_FINDING_MARK, TITLE_PX, bold=True) if node.findings else 0)
    lines = [cut_name(shown(first), room, TITLE_PX, bold=True)]
    if node.kind in ("input_key", "output_key", "tensor"):
        more = [node.detail]
    elif node.kind in GROUP_KINDS:
        count = shown(rest or f"{node.size:,} ops")
        summary = fit_items(count, split_items(shown(node.summary)), MAX_TEXT_PX, TEXT_PX)
        return tuple(
            line
            for line in (*lines, summary, *border_lines(node.border, MAX_TEXT_PX, TEXT_PX))
            if line
        )
    else:
        more = [rest]
    lines.extend(cut_name(shown(line), MAX_TEXT_PX, TEXT_PX) for line in more if line)
    return tuple(line for line in lines if line)


def shown(text: str) -> str:
    """A text of the model as the drawing writes it: control and format characters as
    escapes (a right-to-left override would show a name backwards, and most C0 controls
    make an SVG invalid XML). Every text of a ``Scene`` is made with it."""
    return visible_controls(text)


def box_size(lines: tuple[str, ...], *, findings: bool = False) -> tuple[float, float]:
    """A box's width and height for its lines, measured (``text_width``)."""
    widths = [
        text_px((_FINDING_MARK if findings else "") + line, TITLE_PX, bold=True)
        if i == 0
        else text_px(line, TEXT_PX)
        for i, line in enumerate(lines)
    ]
    width = max(max(widths, default=0.0), 4 * TEXT_PX) + 2 * BOX_PAD_X
    return math.ceil(width * 10) / 10, len(lines) * LINE_PX + 2 * BOX_PAD_Y
