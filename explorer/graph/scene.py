"""What the drawing shows, placed: boxes, group frames and edges (``Scene``), and the text
each box holds.

``explorer.graph.layout`` makes a scene; the drawing's JavaScript
(``explorer/present/assets/graph_view.js``) reads ``scene_dict``; ``explorer.graph.svg``
writes it as a standalone SVG. Sizes are CSS pixels at zoom 1, for 11 px text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from explorer.graph.elements import GraphNode
from explorer.model.controls import visible_controls

CHAR_PX = 6.4  # mean advance of an 11 px sans-serif character
LINE_PX = 14
BOX_PAD_X, BOX_PAD_Y = 8, 5
MAX_CHARS = 30  # longer lines are shortened in the middle ("resnet…conv1_bn")

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
    """The lines written in a box, each at most ``MAX_CHARS`` long."""
    first, _, rest = node.label.partition("\n")
    if node.kind in ("input_key", "output_key", "tensor"):
        lines = [first, node.detail]
    elif node.kind in GROUP_KINDS:
        count = rest or f"{node.size:,} ops"
        lines = [first, f"{count} · {node.summary}" if node.summary else count, node.border]
    else:
        lines = [first, rest]
    return tuple(shorten(shown(line)) for line in lines if line)


def shown(text: str) -> str:
    """A text of the model as the drawing writes it: control and format characters as
    escapes (a right-to-left override would show a name backwards, and most C0 controls
    make an SVG invalid XML). Every text of a ``Scene`` is made with it."""
    return visible_controls(text)


def shorten(line: str) -> str:
    if len(line) <= MAX_CHARS:
        return line
    keep = MAX_CHARS - 1
    return line[: keep // 2] + "…" + line[len(line) - (keep - keep // 2) :]


def fit(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters, its end replaced by "…" if cut."""
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "…"


def box_size(lines: tuple[str, ...]) -> tuple[float, float]:
    longest = max((len(line) for line in lines), default=4)
    return (
        round(max(longest, 4) * CHAR_PX + 2 * BOX_PAD_X, 1),
        len(lines) * LINE_PX + 2 * BOX_PAD_Y,
    )
