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

import itertools
import math
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from explorer.errors import GraphvizError
from explorer.graph.elements import GraphNode, SignatureGraph

MAX_ASPECT = 2.0  # wrap a level wider (or taller) than this many times its other side
WRAP_MIN_PX = 560  # ... and longer than this: a short chain reads best as a line
TARGET_ASPECT = 1.45  # the shape a wrapped level aims at: a landscape page
CHAR_PX = 6.4  # mean advance of an 11 px sans-serif character
LINE_PX = 14
BOX_PAD_X, BOX_PAD_Y = 8, 5
MAX_CHARS = 30  # longer lines are shortened in the middle ("resnet…conv1_bn")
LABEL_PX = 18  # a group's title band
FRAME_PAD = 6
ROW_GAP = 22
PORT_PX = 6
_DPI = 72.0
_DOT_TIMEOUT_S = 60

_GROUP_KINDS = frozenset({"group", "function_call", "control_flow", "parameters"})


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


@dataclass(slots=True)
class _Container:
    id: str | None  # None: the whole drawing
    ids: list[str]
    depth: int
    boxes: list[str] = field(default_factory=list)
    children: list[_Container] = field(default_factory=list)
    # Laid out: item id → (x, y) of its top-left corner inside this container.
    pos: dict[str, tuple[float, float]] = field(default_factory=dict)
    size: tuple[float, float] = (0.0, 0.0)
    ports: dict[str, tuple[float, float]] = field(default_factory=dict)  # "in"/"out"
    edges: set[tuple[str, str]] = field(default_factory=set)
    rows: list[tuple[float, float, float]] = field(default_factory=list)  # y0, y1 per row
    item_sizes: dict[str, tuple[float, float]] = field(default_factory=dict)


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
    sizes = {n.id: _box_size(box_lines(n)) for n in graph.nodes}
    root, owner = _containers(graph)
    by_depth: dict[int, list[_Container]] = {}
    for container in _walk(root):
        by_depth.setdefault(container.depth, []).append(container)
    _lift_edges(graph, root, owner, nodes)
    for depth in sorted(by_depth, reverse=True):
        _place_level(binary, by_depth[depth], sizes)
    return _assemble(graph, root, owner, nodes, sizes)


def box_lines(node: GraphNode) -> tuple[str, ...]:
    """The lines written in a box, each at most ``MAX_CHARS`` long."""
    first, _, rest = node.label.partition("\n")
    if node.kind in ("input_key", "output_key", "tensor"):
        lines = [first, node.detail]
    elif node.kind in _GROUP_KINDS:
        count = rest or f"{node.size:,} ops"
        lines = [first, f"{count} · {node.summary}" if node.summary else count, node.border]
    else:
        lines = [first, rest]
    return tuple(_shorten(line) for line in lines if line)


def scene_dict(scene: Scene) -> dict[str, object]:
    """The scene as JSON-ready plain data (what the drawing's script reads)."""
    return {
        "width": round(scene.width, 1),
        "height": round(scene.height, 1),
        "boxes": [asdict(b) for b in scene.boxes],
        "frames": [asdict(f) for f in scene.frames],
        "edges": [asdict(e) for e in scene.edges],
    }


def _shorten(line: str) -> str:
    if len(line) <= MAX_CHARS:
        return line
    keep = MAX_CHARS - 1
    return line[: keep // 2] + "…" + line[len(line) - (keep - keep // 2) :]


def _fit(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters, its end replaced by "…" if cut."""
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "…"


def _box_size(lines: tuple[str, ...]) -> tuple[float, float]:
    longest = max((len(line) for line in lines), default=4)
    return (
        round(max(longest, 4) * CHAR_PX + 2 * BOX_PAD_X, 1),
        len(lines) * LINE_PX + 2 * BOX_PAD_Y,
    )


def _containers(graph: SignatureGraph) -> tuple[_Container, dict[str, _Container]]:
    """The tree of open groups, one-child chains merged; ``owner`` maps every box id and
    open group id to the container drawing it (a group: the one it is drawn *in*)."""
    open_clusters = {c.id: c for c in graph.clusters if not c.collapsed}
    inside: dict[str | None, list[str]] = {}
    for cluster in open_clusters.values():
        inside.setdefault(cluster.parent, []).append(cluster.id)
    boxes: dict[str | None, list[str]] = {}
    for node in graph.nodes:
        boxes.setdefault(node.cluster if node.cluster in open_clusters else None, []).append(
            node.id
        )
    owner: dict[str, _Container] = {}
    merged: dict[str, _Container] = {}

    def build(cluster_id: str | None, depth: int) -> _Container:
        ids = [cluster_id] if cluster_id is not None else []
        current = cluster_id
        # A group holding only one open group is drawn as one frame.
        while current is not None and not boxes.get(current) and len(inside.get(current, [])) == 1:
            current = inside[current][0]
            ids.append(current)
        container = _Container(id=cluster_id, ids=[i for i in ids if i is not None], depth=depth)
        for cid in container.ids:
            merged[cid] = container
        container.boxes = sorted(boxes.get(current, []))
        for box in container.boxes:
            owner[box] = container
        for child_id in sorted(inside.get(current, [])):
            child = build(child_id, depth + 1)
            container.children.append(child)
            owner[child_id] = container
        return container

    root = build(None, 0)
    owner.update({f"@{cid}": c for cid, c in merged.items()})  # "@id": the group's own
    return root, owner


def _walk(container: _Container) -> Iterable[_Container]:
    yield container
    for child in container.children:
        yield from _walk(child)


def _chain(item: str, owner: dict[str, _Container]) -> list[tuple[_Container, str]]:
    """(container, the item standing for ``item`` in it), innermost first."""
    chain: list[tuple[_Container, str]] = []
    current = item
    if current not in owner and f"@{current}" in owner:
        current = owner[f"@{current}"].ids[0]  # a group merged into the frame around it
    while True:
        container = owner.get(current)
        if container is None:
            return chain
        chain.append((container, current))
        if container.id is None:
            return chain
        current = container.id


def _lift_edges(
    graph: SignatureGraph,
    root: _Container,
    owner: dict[str, _Container],
    nodes: dict[str, GraphNode],
) -> None:
    for edge in graph.edges:
        # An edge into a whole open group ("constants & variables" feeding a function)
        # ends at that group's entry.
        dst = edge.dst_cluster or edge.dst
        src_chain, dst_chain = _chain(edge.src, owner), _chain(dst, owner)
        shared = {id(c) for c, _ in src_chain} & {id(c) for c, _ in dst_chain}
        for container, item in src_chain:
            if id(container) in shared:
                break
            container.edges.add((item, "out"))
        for container, item in dst_chain:
            if id(container) in shared:
                break
            container.edges.add(("in", item))
        top = next((c for c, _ in src_chain if id(c) in shared), None)
        if top is not None:
            a = next(i for c, i in src_chain if c is top)
            b = next(i for c, i in dst_chain if c is top)
            if a != b:
                top.edges.add((a, b))


def _item_size(
    item: str, container: _Container, sizes: dict[str, tuple[float, float]]
) -> tuple[float, float]:
    for child in container.children:
        if child.id == item:
            return child.size
    return sizes[item]


def _place_level(
    binary: str, containers: list[_Container], sizes: dict[str, tuple[float, float]]
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
        _wrap(container)


def _run_dot(binary: str, text: str) -> str:
    try:
        done = subprocess.run(
            [binary, "-Tplain"],
            input=text,
            capture_output=True,
            text=True,
            timeout=_DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GraphvizError(
            f"Graphviz 'dot' took over {_DOT_TIMEOUT_S} s; try a smaller node budget."
        ) from exc
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


def _read_positions(container: _Container, name_of: dict[str, str], lines: list[str]) -> None:
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


def _wrap(container: _Container) -> None:
    """Cut a too-wide level into rows (a too-tall one into columns), then frame it."""
    width, height = container.size
    spans = {item: _span(container, item) for item in container.pos}
    if width > MAX_ASPECT * max(height, 1) and width > WRAP_MIN_PX:
        _cut(container, spans, horizontal=True)
    elif height > MAX_ASPECT * max(width, 1) and height > WRAP_MIN_PX:
        _cut(container, spans, horizontal=False)
    _frame(container)


def _span(container: _Container, item: str) -> tuple[float, float]:
    return container.item_sizes[item]


def _cut(container: _Container, spans: dict[str, tuple[float, float]], *, horizontal: bool) -> None:
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
    container: _Container,
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


def _frame(container: _Container) -> None:
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


def _assemble(
    graph: SignatureGraph,
    root: _Container,
    owner: dict[str, _Container],
    nodes: dict[str, GraphNode],
    sizes: dict[str, tuple[float, float]],
) -> Scene:
    clusters = {c.id: c for c in graph.clusters}
    origin: dict[int, tuple[float, float]] = {id(root): (0.0, 0.0)}
    boxes: list[PlacedBox] = []
    frames: list[PlacedFrame] = []
    rects: dict[str, tuple[float, float, float, float]] = {}
    for container in _walk(root):
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
            label = " › ".join(clusters[i].label for i in child.ids)
            sub = f"{last.size:,} ops"
            if last.summary:
                sub += f" · {last.summary}"
            if first.border:
                sub += f" · {first.border}"
            # The title band holds what fits: the label first, then as much of the rest.
            room = max(int((w - 16) / CHAR_PX), 8)
            label = _fit(label, room)
            sub = _fit(sub, room - len(label) - 2) if room - len(label) - 2 >= 12 else ""
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
    edges = _route(graph, root, origin, rects, owner)
    width, height = root.size
    return Scene(round(width, 1), round(height, 1), tuple(boxes), tuple(frames), tuple(edges))


def _title(node: GraphNode) -> str:
    parts = [node.name or node.id, node.op, node.detail, node.summary, node.border]
    if node.findings:
        parts.append(f"{node.findings} unsafe op(s) flagged by the scan")
    return "\n".join(p for p in parts if p)


def _route(
    graph: SignatureGraph,
    root: _Container,
    origin: dict[int, tuple[float, float]],
    rects: dict[str, tuple[float, float, float, float]],
    owner: dict[str, _Container],
) -> list[PlacedEdge]:
    info: dict[tuple[str, str], tuple[str, str, bool, int]] = {}
    for edge in graph.edges:
        key = (edge.src, edge.dst_cluster or edge.dst)
        kind, label, hot, count = info.get(key, (edge.kind, edge.label, False, 0))
        info[key] = (kind, label, hot or edge.highlighted, count + edge.count)
    hot_items: set[tuple[int, str, str]] = set()
    for (src, dst), (_, _, hot, _) in info.items():
        if hot:
            for container, item in _chain(src, owner):
                hot_items.add((id(container), item, "out"))
            for container, item in _chain(dst, owner):
                hot_items.add((id(container), "in", item))
    placed = []
    for container in _walk(root):
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
    item: str,
    container: _Container,
    ox: float,
    oy: float,
    rects: dict[str, tuple[float, float, float, float]],
) -> tuple[float, float] | None:
    if item == "in":
        port = container.ports.get("in")
        return None if port is None else (ox + port[0], oy + port[1])
    rect = rects.get(item)
    if rect is None:
        return None
    child = next((c for c in container.children if c.id == item), None)
    if child is not None and "out" in child.ports:
        return (rect[0] + child.ports["out"][0], rect[1] + child.ports["out"][1])
    return (rect[0] + rect[2], rect[1] + rect[3] / 2)


def _entry(
    item: str,
    container: _Container,
    ox: float,
    oy: float,
    rects: dict[str, tuple[float, float, float, float]],
) -> tuple[float, float] | None:
    if item == "out":
        port = container.ports.get("out")
        return None if port is None else (ox + port[0], oy + port[1])
    rect = rects.get(item)
    if rect is None:
        return None
    child = next((c for c in container.children if c.id == item), None)
    if child is not None and "in" in child.ports:
        return (rect[0] + child.ports["in"][0], rect[1] + child.ports["in"][1])
    return (rect[0], rect[1] + rect[3] / 2)


def _path(
    start: tuple[float, float],
    end: tuple[float, float],
    container: _Container,
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
