"""The open groups of a view as nested containers, and each edge cut into its pieces.

A container is one open group (or the whole drawing), laid out on its own; a group holding
only one open group shares its container (one frame, both labels). An edge between boxes
in different groups becomes, in each group it leaves, an edge from its box to the group's
exit ("out"); in the outermost group holding both ends, an edge between the two items
standing for its ends there; and in each group it enters, an edge from the entry ("in")
to its box. ``explorer.graph.layout`` places the containers, innermost first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from explorer.graph.elements import GraphNode, SignatureGraph


@dataclass(slots=True)
class Container:
    id: str | None  # None: the whole drawing
    ids: list[str]
    depth: int
    boxes: list[str] = field(default_factory=list)
    children: list[Container] = field(default_factory=list)
    # Laid out: item id → (x, y) of its top-left corner inside this container.
    pos: dict[str, tuple[float, float]] = field(default_factory=dict)
    size: tuple[float, float] = (0.0, 0.0)
    ports: dict[str, tuple[float, float]] = field(default_factory=dict)  # "in"/"out"
    edges: set[tuple[str, str]] = field(default_factory=set)
    rows: list[tuple[float, float, float]] = field(default_factory=list)  # y0, y1 per row
    item_sizes: dict[str, tuple[float, float]] = field(default_factory=dict)


def containers(graph: SignatureGraph) -> tuple[Container, dict[str, Container]]:
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
    owner: dict[str, Container] = {}
    merged: dict[str, Container] = {}

    def build(cluster_id: str | None, depth: int) -> Container:
        ids = [cluster_id] if cluster_id is not None else []
        current = cluster_id
        # A group holding only one open group is drawn as one frame.
        while current is not None and not boxes.get(current) and len(inside.get(current, [])) == 1:
            current = inside[current][0]
            ids.append(current)
        container = Container(id=cluster_id, ids=[i for i in ids if i is not None], depth=depth)
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


def walk(container: Container) -> Iterable[Container]:
    yield container
    for child in container.children:
        yield from walk(child)


def chain(item: str, owner: dict[str, Container]) -> list[tuple[Container, str]]:
    """(container, the item standing for ``item`` in it), innermost first."""
    chain: list[tuple[Container, str]] = []
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


def lift_edges(
    graph: SignatureGraph,
    root: Container,
    owner: dict[str, Container],
    nodes: dict[str, GraphNode],
) -> None:
    for edge in graph.edges:
        # An edge into a whole open group ("constants & variables" feeding a function)
        # ends at that group's entry.
        dst = edge.dst_cluster or edge.dst
        src_chain, dst_chain = chain(edge.src, owner), chain(dst, owner)
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
