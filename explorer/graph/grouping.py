"""Group a sliced graph into nested boxes (functions, name scopes) and pick what to open.

Every op gets a place in one tree: the frame it runs in (the top-level graph, or a
function reached through a call, or an If/While/Case branch), then its name scope
inside that frame (``resnet50_1/conv1_conv_1/BiasAdd`` sits in ``resnet50_1`` then
``conv1_conv_1``). A collapsed group is drawn as one box; an open one as a cluster.

Two additions keep big models readable:
* Per frame, top-level scopes holding nothing on an input→output path (the 320 variable
  handles a Keras model passes to its call, a TF1 ``a`` + ``a/read`` pair) go into one
  "constants & variables" group, so they cost one box until asked for.
* A scope with more than ``FANOUT`` children is split by the ``_``-separated words of the
  children's names (Keras names layers ``conv2_block1_1_conv``), giving ``conv2_*`` and
  then ``conv2_block1_*`` groups.

What to open is chosen greedily: groups on an input→output path first, shallow before
deep, in name order, each opened only if the view still fits the node budget.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from explorer.graph.slicing import FlatGraph, Frame

FANOUT = 24
PARAMETERS_LABEL = "constants & variables"


@dataclass(slots=True, eq=False)
class Group:
    """A box that can be opened: a function call, a control-flow op, a scope."""

    id: str
    label: str
    # "scope" covers a name scope and a name prefix.
    kind: Literal["root", "function", "control_flow", "scope", "parameters"]
    parent: Group | None
    scope: str = ""  # name scope inside its frame, e.g. "resnet50_1/conv1_conv_1"
    function: str = ""  # FunctionDef a function group runs
    op: str = ""  # op of the call/control-flow node a group stands for
    call: str = ""  # that node's name in its frame
    groups: list[Group] = field(default_factory=list)
    leaves: list[int] = field(default_factory=list)
    on_path: bool = False
    size: int = 0  # ops inside, at any depth
    depth: int = 0
    order: int = 0
    synthetic: bool = False  # a "<prefix>_*" group made by splitting a wide scope

    @property
    def width(self) -> int:
        """Boxes shown when this group is open."""
        return len(self.groups) + len(self.leaves)


@dataclass(slots=True)
class Hierarchy:
    root: Group
    groups: dict[str, Group]
    # Flat node index → the innermost group holding it.
    home: list[Group]


def build_hierarchy(flat: FlatGraph, on_path: list[bool]) -> Hierarchy:
    """Place every op of ``flat`` in the group tree described in the module docstring."""
    builder = _Builder(flat, on_path)
    return builder.build()


def choose_expanded(
    hierarchy: Hierarchy,
    *,
    fixed: int,
    budget: int,
    expand: Iterable[Group] = (),
    collapse: Iterable[Group] = (),
) -> set[str]:
    """Ids of the groups to open so the view has at most ``budget`` boxes if possible.

    Args:
        hierarchy: the group tree.
        fixed: boxes always shown (signature keys and tensors).
        budget: the most boxes wanted.
        expand: groups the user opened; opened with their ancestors, whatever the cost.
        collapse: groups the user closed; never opened, neither automatically nor for a
            group inside them named in ``expand`` (closing wins).

    Returns:
        The set of open group ids (the root always among them).
    """
    root = hierarchy.root
    opened = {root.id}
    count = fixed + root.width
    closed = {g.id for g in collapse}
    for group in expand:
        chain = []
        current: Group | None = group
        while current is not None and current.id not in opened:
            chain.append(current)
            current = current.parent
        if any(g.id in closed for g in chain):
            continue  # it, or a group around it, was closed: closing wins
        # Opening a group inside one the budget closed opens that one too.
        for g in reversed(chain):
            opened.add(g.id)
            count += g.width - 1
    heap: list[tuple[int, int, int, Group]] = []

    def push_children(g: Group) -> None:
        for child in g.groups:
            if child.id not in opened:
                heapq.heappush(heap, (0 if child.on_path else 1, child.depth, child.order, child))
            else:
                push_children(child)

    push_children(root)
    while heap:
        *_, group = heapq.heappop(heap)
        if group.id in closed or group.parent is None or group.parent.id not in opened:
            continue
        if count + group.width - 1 <= budget:
            opened.add(group.id)
            count += group.width - 1
            push_children(group)
    return opened


class _Builder:
    def __init__(self, flat: FlatGraph, on_path: list[bool]) -> None:
        self.flat = flat
        self.on_path = on_path
        self.groups: dict[str, Group] = {}
        self.home: list[Group | None] = [None] * len(flat.nodes)
        # Frames (and their callers' frames) that hold an op on an input→output path.
        self.hot_frames: set[str] = set()
        for i, node in enumerate(flat.nodes):
            frame: Frame | None = node.frame
            while on_path[i] and frame is not None and frame.id not in self.hot_frames:
                self.hot_frames.add(frame.id)
                frame = frame.parent

    def build(self) -> Hierarchy:
        flat = self.flat
        root = Group(id="", label="", kind="root", parent=None)
        # Items per frame: (name, leaf index or the group of a call made there).
        items: dict[str, list[tuple[str, int | Group]]] = {fid: [] for fid in flat.frames}
        for i, node in enumerate(flat.nodes):
            if node.id not in flat.calls:
                items[node.frame.id].append((node.name, i))
        frame_groups: dict[str, Group] = {"": root}
        for call_id, frames in sorted(flat.calls.items()):
            parent_frame = frames[0].parent
            assert parent_frame is not None
            call = call_id[len(parent_frame.prefix) :]
            op = parent_frame.nodes[call].op
            hot = any(f.id in self.hot_frames for f in frames)
            if len(frames) == 1 and not frames[0].role:
                fn = frames[0].function
                group = Group(
                    id=call_id,
                    label=f"{call}\n→ {fn}",
                    kind="function",
                    parent=None,
                    function=fn,
                    op=op,
                    call=call,
                    on_path=hot,
                )
                frame_groups[frames[0].id] = group
            else:
                group = Group(
                    id=call_id,
                    label=f"{call}\n({op})",
                    kind="control_flow",
                    parent=None,
                    op=op,
                    call=call,
                    on_path=hot,
                )
                if call_id in flat.index:
                    group.leaves.append(flat.index[call_id])
                for frame in frames:
                    branch = Group(
                        id=frame.id,
                        label=f"{frame.role}: {frame.function}",
                        kind="function",
                        parent=group,
                        function=frame.function,
                        op=op,
                        call=call,
                        on_path=frame.id in self.hot_frames,
                    )
                    group.groups.append(branch)
                    frame_groups[frame.id] = branch
            items[parent_frame.id].append((call, group))
        for frame_id, frame_items in items.items():
            if frame_id in frame_groups:
                self._fill(frame_groups[frame_id], flat.frames[frame_id], frame_items)
        self._finish(root, 0, [0], "")
        return Hierarchy(root, self.groups, self.home)  # type: ignore[arg-type]

    def _fill(self, holder: Group, frame: Frame, items: list[tuple[str, int | Group]]) -> None:
        """Build the scope tree of one frame under its group."""
        paths = [name.split("/") for name, _ in items]
        scopes = {"/".join(p[:k]) for p in paths for k in range(1, len(p))}
        hot_tops: dict[str, bool] = {}
        for (_, item), parts in zip(items, paths, strict=True):
            hot = self.on_path[item] if isinstance(item, int) else item.on_path
            hot_tops[parts[0]] = hot_tops.get(parts[0], False) or hot
        cold = {top for top, hot in hot_tops.items() if not hot}
        parameters = None
        if 2 <= len(cold) < len(hot_tops):
            parameters = Group(
                id=f"{frame.prefix}[{PARAMETERS_LABEL}]",
                label=PARAMETERS_LABEL,
                kind="parameters",
                parent=holder,
            )
            holder.groups.append(parameters)
        else:
            cold = set()
        for (name, item), parts in zip(items, paths, strict=True):
            parent = parameters if parts[0] in cold else holder
            assert parent is not None
            # A node named like a scope ("a" beside "a/read") lives inside that scope.
            depth = len(parts) if name in scopes else len(parts) - 1
            for k in range(1, depth + 1):
                scope = "/".join(parts[:k])
                gid = f"{frame.prefix}{scope}/"
                group = self.groups.get(gid)
                if group is None:
                    group = Group(
                        id=gid, label=parts[k - 1], kind="scope", parent=parent, scope=scope
                    )
                    self.groups[gid] = group
                    parent.groups.append(group)
                parent = group
            if isinstance(item, Group):
                item.parent = parent
                parent.groups.append(item)
            else:
                parent.leaves.append(item)

    def _finish(self, group: Group, depth: int, counter: list[int], base: str) -> None:
        """Split wide groups, drop one-child scopes, then number, size and mark."""
        if group.kind in ("function", "control_flow"):
            base = ""  # names restart inside a function body
        elif group.kind == "scope" and not group.synthetic:
            base = group.scope + "/"
        if group.width > FANOUT and not group.synthetic and group.kind != "control_flow":
            _split_wide(group, self.flat, base, 1)
        kept: list[Group] = []
        for child in group.groups:
            while child.kind == "scope" and child.width == 1 and child.groups:
                only = child.groups[0]
                if only.kind == "scope" and not (only.synthetic or child.synthetic):
                    only.label = f"{child.label}/{only.label}"
                del self.groups[child.id]
                child = only
            if child.kind == "scope" and child.width == 1 and child.leaves:
                group.leaves.append(child.leaves[0])
                self.groups.pop(child.id, None)
                continue
            kept.append(child)
        group.groups = sorted(kept, key=lambda g: g.scope or g.call or g.id)
        group.leaves.sort(key=lambda i: self.flat.nodes[i].name)
        group.depth = depth
        group.order = counter[0]
        counter[0] += 1
        self.groups[group.id] = group
        size, hot = len(group.leaves), any(self.on_path[i] for i in group.leaves)
        for leaf in group.leaves:
            self.home[leaf] = group
        for child in group.groups:
            child.parent = group
            self._finish(child, depth + 1, counter, base)
            size += child.size
            hot = hot or child.on_path
        group.size = size
        group.on_path = hot


def _split_wide(group: Group, flat: FlatGraph, base: str, words: int) -> None:
    """Split a group's children into ``<prefix>_*`` groups by their first ``words``
    ``_``-separated words (names taken relative to ``base``)."""
    buckets: dict[str, list[Group | int]] = {}
    items: list[Group | int] = [*group.groups, *group.leaves]
    for item in items:
        parts = _local_name(item, flat).removeprefix(base).split("_")
        key = "_".join(parts[:words]) if len(parts) > words else ""
        buckets.setdefault(key, []).append(item)
    if len(buckets) == 1 and "" not in buckets:
        if words < 8:
            _split_wide(group, flat, base, words + 1)
        return
    group.groups, group.leaves = [], []
    for key, members in sorted(buckets.items()):
        if not key or len(members) < 2:
            for m in members:
                if isinstance(m, Group):
                    group.groups.append(m)
                else:
                    group.leaves.append(m)
            continue
        scope = f"{base}{key}_*"
        owner = group.id.removesuffix("/") if group.id.endswith("/") else group.id
        sub = Group(
            id=f"{owner}/{key}_*" if owner else scope,
            label=f"{key}_*",
            kind="scope",
            parent=group,
            scope=scope,
            synthetic=True,
        )
        for m in members:
            if isinstance(m, Group):
                m.parent = sub
                sub.groups.append(m)
            else:
                sub.leaves.append(m)
        group.groups.append(sub)
        if sub.width > FANOUT:
            _split_wide(sub, flat, base, words + 1)


def _local_name(item: Group | int, flat: FlatGraph) -> str:
    if isinstance(item, int):
        return flat.nodes[item].name
    return item.scope or item.call or item.label
