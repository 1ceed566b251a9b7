"""Where every box, group and edge of a view goes: a picture that keeps its shape.

Graphviz's ``dot`` places the boxes (ranks, crossing reduction, coordinates), but one
``dot`` run over a whole nested view gives a strip as long as the network is deep. So
each open group is laid out on its own, innermost first, as a flat graph of its direct
boxes and of its open sub-groups (already laid out, so fixed-size boxes here), left to
right. A level that comes out too wide for its height is *wrapped*: cut between ranks
into rows placed under each other, as lines of text are, so every level — and with it
the whole drawing — stays between ``1:MAX_ASPECT`` and ``MAX_ASPECT:1``; one too tall
(many boxes side by side) is cut into columns the same way. All the levels of one depth
go to ``dot`` in one run.

An edge between boxes in different groups is drawn in pieces: inside each group it
leaves, from its box to the group's exit on the right border; between the outermost
groups it joins, from exit to entry; inside each group it enters, from the entry on the
left border to its box. So a closed or open group looks the same from outside, and
edges never cross a group's insides. Edges are smooth curves between those points
(``PlacedEdge.points``); one going back to an earlier row of a wrapped level is a
polyline through the gap between the rows.

A group holding one open group and nothing else is drawn as one frame with both labels.
Sizes are in CSS pixels at zoom 1 (11 px text). ``scene_dict`` is what the drawing's
JavaScript and the SVG writer read.
"""

from __future__ import annotations

import shutil

from explorer.errors import GraphvizError
from explorer.graph.containers import Container, containers, lift_edges, walk
from explorer.graph.dot import run_dot
from explorer.graph.elements import GraphNode, SignatureGraph
from explorer.graph.routing import route
from explorer.graph.scene import (
    TEXT_PX,
    TITLE_PX,
    PlacedBox,
    PlacedFrame,
    Scene,
    box_lines,
    box_size,
    scene_dict,
    shown,
)
from explorer.graph.text_width import SEPARATOR, cut_name, fit_items, split_items, text_px
from explorer.graph.wrapping import wrap

PORT_PX = 6
_DPI = 72.0
_DOT_TIMEOUT_S = 60

__all__ = ["Scene", "layout", "scene_dict"]


def layout(graph: SignatureGraph) -> Scene:
    """Place ``graph``'s boxes, open groups and edges (see the module docstring).

    Raises:
        GraphvizError: the ``dot`` program is missing, fails or takes too long.
    """
    binary = shutil.which("dot")
    if binary is None:
        raise GraphvizError(
            "Drawing the graph needs the Graphviz 'dot' program, which is not on PATH. "
            "Install Graphviz (apt-get install graphviz, brew install graphviz), or use "
            "--format dot or json."
        )
    nodes = {n.id: n for n in graph.nodes}
    sizes = {n.id: box_size(box_lines(n), findings=bool(n.findings)) for n in graph.nodes}
    root, owner = containers(graph)
    by_depth: dict[int, list[Container]] = {}
    for container in walk(root):
        by_depth.setdefault(container.depth, []).append(container)
    lift_edges(graph, root, owner, nodes)
    for depth in sorted(by_depth, reverse=True):
        _place_level(binary, by_depth[depth], sizes)
    return _assemble(graph, root, owner, nodes, sizes)


def _item_size(
    item: str, container: Container, sizes: dict[str, tuple[float, float]]
) -> tuple[float, float]:
    for child in container.children:
        if child.id == item:
            return child.size
    return sizes[item]


def _place_level(
    binary: str, containers: list[Container], sizes: dict[str, tuple[float, float]]
) -> None:
    texts, names = [], []
    for container in containers:
        items = [*container.boxes, *(c.id for c in container.children if c.id is not None)]
        number = {item: f"n{i}" for i, item in enumerate(items)}
        container.item_sizes = {item: _item_size(item, container, sizes) for item in items}
        lines = [
            "digraph g {",
            "graph [rankdir=LR, nodesep=0.14, ranksep=0.3, newrank=true];",
            'node [shape=box, fixedsize=true, label=""];',
        ]
        for item in items:
            w, h = container.item_sizes[item]
            lines.append(f"{number[item]} [width={w / _DPI:.3f}, height={h / _DPI:.3f}];")
        ports = {p for edge in container.edges for p in edge if p in ("in", "out")}
        for port in sorted(ports):
            number[port] = f"p_{port}"
            rank = "source" if port == "in" else "sink"
            lines.append(
                f"{{rank={rank}; p_{port} [width={PORT_PX / _DPI:.3f}, "
                f"height={PORT_PX / _DPI:.3f}];}}"
            )
        for a, b in sorted(container.edges):
            if a in number and b in number:
                lines.append(f"{number[a]} -> {number[b]};")
        lines.append("}")
        texts.append("\n".join(lines))
        names.append({v: k for k, v in number.items()})
    plain = _run_dot(binary, "\n".join(texts))
    for container, name_of, graph_lines in zip(
        containers, names, _split_graphs(plain), strict=True
    ):
        _read_positions(container, name_of, graph_lines)
        wrap(container)


def _run_dot(binary: str, text: str) -> str:
    done = run_dot(binary, text, "-Tplain", timeout_s=_DOT_TIMEOUT_S)
    if done.returncode != 0:
        raise GraphvizError(f"Graphviz 'dot' failed: {done.stderr.strip()}")
    return done.stdout


def _split_graphs(plain: str) -> list[list[str]]:
    graphs: list[list[str]] = []
    for line in plain.splitlines():
        if line.startswith("graph "):
            graphs.append([])
        elif graphs and line.startswith("node "):
            graphs[-1].append(line)
    return graphs


def _read_positions(container: Container, name_of: dict[str, str], lines: list[str]) -> None:
    """Boxes' top-left corners from dot's centres (inches, y up) → pixels, y down."""
    centres: dict[str, tuple[float, float, float, float]] = {}
    for line in lines:
        parts = line.split()
        name = name_of.get(parts[1].strip('"'))
        if name is None:
            continue
        x, y, w, h = (float(v) * _DPI for v in parts[2:6])
        centres[name] = (x, -y, w, h)
    if not centres:
        container.pos, container.size = {}, (PORT_PX * 4, PORT_PX * 4)
        return
    left = min(x - w / 2 for x, _, w, _ in centres.values())
    top = min(y - h / 2 for _, y, _, h in centres.values())
    for name, (x, y, w, h) in centres.items():
        corner = (x - w / 2 - left, y - h / 2 - top)
        if name in ("in", "out"):
            container.ports[name] = (corner[0] + w / 2, corner[1] + h / 2)
        else:
            container.pos[name] = corner
    width = max(x + w / 2 for x, _, w, _ in centres.values()) - left
    height = max(y + h / 2 for _, y, _, h in centres.values()) - top
    container.size = (width, height)


def _assemble(
    graph: SignatureGraph,
    root: Container,
    owner: dict[str, Container],
    nodes: dict[str, GraphNode],
    sizes: dict[str, tuple[float, float]],
) -> Scene:
    clusters = {c.id: c for c in graph.clusters}
    origin: dict[int, tuple[float, float]] = {id(root): (0.0, 0.0)}
    boxes: list[PlacedBox] = []
    frames: list[PlacedFrame] = []
    rects: dict[str, tuple[float, float, float, float]] = {}
    for container in walk(root):
        ox, oy = origin[id(container)]
        for box in container.boxes:
            x, y = container.pos.get(box, (0.0, 0.0))
            w, h = sizes[box]
            node = nodes[box]
            rects[box] = (ox + x, oy + y, w, h)
            boxes.append(
                PlacedBox(
                    id=box,
                    kind=node.kind,
                    x=round(ox + x, 1),
                    y=round(oy + y, 1),
                    w=w,
                    h=h,
                    lines=box_lines(node),
                    title=_title(node),
                    highlighted=node.highlighted,
                    on_path=node.on_path,
                    findings=node.findings,
                )
            )
        for child in container.children:
            assert child.id is not None
            x, y = container.pos.get(child.id, (0.0, 0.0))
            origin[id(child)] = (ox + x, oy + y)
            w, h = child.size
            rects[child.id] = (ox + x, oy + y, w, h)
            first, last = clusters[child.ids[0]], clusters[child.ids[-1]]
            label, sub = _frame_title(
                shown(" › ".join(clusters[i].label for i in child.ids)),
                f"{last.size:,} ops",
                shown(last.summary),
                first.border,
                w - 16 - (text_px("⚠ ", TITLE_PX, bold=True) if first.findings else 0),
            )
            frames.append(
                PlacedFrame(
                    id=child.id,
                    ids=tuple(child.ids),
                    kind=first.kind,
                    x=round(ox + x, 1),
                    y=round(oy + y, 1),
                    w=round(w, 1),
                    h=round(h, 1),
                    label=label,
                    sub=sub,
                    findings=first.findings,
                )
            )
    edges = route(graph, root, origin, rects, owner)
    width, height = root.size
    return Scene(round(width, 1), round(height, 1), tuple(boxes), tuple(frames), tuple(edges))


def _frame_title(label: str, count: str, summary: str, border: str, room: float) -> tuple[str, str]:
    """What an open group's title band holds in ``room`` px: its label (cut at a name
    boundary if need be), then its op count, op types and border shapes as far as they
    fit: op types dropped whole first ("+N types"), then the border."""
    label = cut_name(label, room, TITLE_PX, bold=True)
    left = room - text_px(label, TITLE_PX, bold=True) - 8  # the gap before the rest
    for tail in ([border] if border else [], []):
        extra = text_px(SEPARATOR + tail[0], TEXT_PX) if tail else 0.0
        line = SEPARATOR.join(
            [fit_items(count, split_items(summary), left - extra, TEXT_PX), *tail]
        )
        if text_px(line, TEXT_PX) <= left:
            return label, line
    return label, count if text_px(count, TEXT_PX) <= left else ""


def _title(node: GraphNode) -> str:
    parts = [node.name or node.id, node.op, node.detail, node.summary, node.border]
    if node.findings:
        parts.append(f"{node.findings} unsafe op(s) flagged by the scan")
    return "\n".join(shown(p) for p in parts if p)
