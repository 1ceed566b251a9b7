"""Group a sliced graph into nested boxes (functions, name scopes) and pick what to open.

Every op gets a place in one tree: the frame it runs in (the top-level graph, or a
function reached through a call, or an If/While/Case branch), then its name scope
inside that frame (``resnet50_1/conv1_conv_1/BiasAdd`` sits in ``resnet50_1`` then
``conv1_conv_1``). A collapsed group is drawn as one box; an open one as a cluster.

Two additions keep big models readable:
* Per frame, top-level scopes holding nothing on an input→output path (the 320 variable
  handles a Keras model passes to its call, a TF1 ``a`` + ``a/read`` pair) go into one
  "constants & variables" group, so they cost one box until asked for.
* A level wider than ``naming.NAMING_MIN`` boxes is nested by the structure of its names
  (``explorer.graph.naming``: Keras's ``conv2_block1_1_conv`` gives stage ``conv2``,
  block ``conv2_block1``, layer unit ``conv2_block1_1``), keeping only groups that no
  sibling runs in the middle of.

What to open: ``explorer.graph.opening.choose_expanded``, one whole level at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from explorer.graph.cycles import dissolve_cycles, topological_rank
from explorer.graph.flat import FlatGraph, Frame
from explorer.graph.functions import callees
from explorer.graph.library import Library
from explorer.graph.naming import NAMING_MIN, NameGroup, infer_groups

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
    synthetic: bool = False  # a "<prefix>*" group inferred from the names of a wide level
    lo: int = 0  # nearest and farthest distance from the inputs of an op inside
    hi: int = -1
    height: int = 0  # levels of groups inside it (a one-child chain counts once)
    ops: dict[str, int] = field(default_factory=dict)  # op type → how many inside

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


def build_hierarchy(
    flat: FlatGraph, levels: list[int], library: Library | None = None
) -> Hierarchy:
    """Place every op of ``flat`` in the group tree described in the module docstring.

    ``levels`` is each op's distance from the inputs (-1: not on an input→output path);
    ``library`` sizes the calls the slice left closed (a group counts what they hold).
    """
    builder = _Builder(flat, levels, library)
    return builder.build()


class _Builder:
    def __init__(self, flat: FlatGraph, levels: list[int], library: Library | None) -> None:
        self.flat = flat
        self.levels = levels
        self.library = library
        on_path = [level >= 0 for level in levels]
        self.on_path = on_path
        self.successors: list[list[int]] = [[] for _ in flat.nodes]
        for src, _, dst, _ in flat.edges:
            self.successors[src].append(dst)
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
            op = parent_frame.body.ops[parent_frame.body.index[call]]
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
        self._finish(root, "")
        self.groups = {}
        self._number(root, 0, [0])
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

    def _finish(self, group: Group, base: str) -> None:
        """Post-order: drop one-child scopes, group wide levels by their names, then size,
        mark and summarise (children first, so a level's groups are final when it is)."""
        if group.kind in ("function", "control_flow"):
            base = ""  # names restart inside a function body
        elif group.kind == "scope" and not group.synthetic:
            base = group.scope + "/"
        kept: list[Group] = []
        for child in group.groups:
            while child.kind == "scope" and child.width == 1 and child.groups:
                only = child.groups[0]
                if only.kind == "scope" and not (only.synthetic or child.synthetic):
                    only.label = f"{child.label}/{only.label}"
                self.groups.pop(child.id, None)
                child = only
            if child.kind == "scope" and child.width == 1 and child.leaves:
                group.leaves.append(child.leaves[0])
                self.groups.pop(child.id, None)
                continue
            kept.append(child)
        group.groups = kept
        for child in group.groups:
            child.parent = group
            self._finish(child, base)
        if group.kind != "control_flow" and group.width > NAMING_MIN:
            self._regroup(group, base)
        self._measure(group)

    def _measure(self, group: Group) -> None:
        levels = self.levels
        ops: dict[str, int] = {}
        lo, hi, size = _NO_LEVEL, -1, len(group.leaves)
        library, calls = self.library, self.flat.calls
        for leaf in group.leaves:
            flat_node = self.flat.nodes[leaf]
            if (
                library is not None
                and flat_node.id not in calls
                and callees(flat_node.node, library.functions)
            ):
                inner = library.node_stats(flat_node.node)  # a call the slice left closed
                size += inner.total - 1
                for op, count in inner.ops.items():
                    ops[op] = ops.get(op, 0) + count
            else:
                ops[flat_node.node.op] = ops.get(flat_node.node.op, 0) + 1
            if levels[leaf] >= 0:
                lo, hi = min(lo, levels[leaf]), max(hi, levels[leaf])
        height = 0
        for child in group.groups:
            size += child.size
            lo, hi = min(lo, child.lo), max(hi, child.hi)
            height = max(height, child.height + (0 if child.width <= 1 else 1))
            for op, count in child.ops.items():
                ops[op] = ops.get(op, 0) + count
        group.size, group.lo, group.hi, group.ops = size, lo, hi, ops
        group.on_path = hi >= 0
        group.height = height

    def _regroup(self, group: Group, base: str) -> None:
        """Nest a wide level's boxes by the structure of their names (``naming``), keeping
        only groups nothing outside them runs in the middle of."""
        items: list[Group | int] = [*group.groups, *group.leaves]
        names = [_local_name(item, self.flat).removeprefix(base) for item in items]
        tree = infer_groups(names)
        if not tree.groups:
            return
        edges = self._item_edges(items)
        dissolve_cycles(tree, edges, topological_rank(len(items), edges))
        if not tree.groups:
            return
        owner = group.id.removesuffix("/") if group.id.endswith("/") else group.id
        group.groups, group.leaves = [], []
        self._materialize(group, tree, items, f"{owner}/" if owner else "", base)

    def _materialize(
        self, holder: Group, tree: NameGroup, items: list[Group | int], owner: str, base: str
    ) -> None:
        for index in tree.members:
            item = items[index]
            if isinstance(item, Group):
                item.parent = holder
                holder.groups.append(item)
            else:
                holder.leaves.append(item)
        for sub in tree.groups:
            group = Group(
                id=f"{owner}{sub.prefix}*",
                label=sub.label,
                kind="scope",
                parent=holder,
                scope=f"{base}{sub.prefix}*",
                synthetic=True,
            )
            self._materialize(group, sub, items, owner, base)
            self._measure(group)
            holder.groups.append(group)

    def _item_edges(self, items: list[Group | int]) -> dict[int, set[int]]:
        """Which of one level's boxes feed which, from the ops inside them."""
        item_of: dict[int, int] = {}
        for index, item in enumerate(items):
            for op in _members(item):
                item_of[op] = index
        edges: dict[int, set[int]] = {}
        succ = self.successors
        for op, index in item_of.items():
            for nxt in succ[op]:
                other = item_of.get(nxt)
                if other is not None and other != index:
                    edges.setdefault(index, set()).add(other)
        return edges

    def _number(self, group: Group, depth: int, counter: list[int]) -> None:
        """Pre-order: sort, then depth, order, the id index and each op's home group."""
        # Data-flow order first (what runs first is listed and placed first), then name.
        group.groups.sort(key=lambda g: (g.lo, g.scope or g.call or g.id))
        group.leaves.sort(key=lambda i: (self.levels[i] % _NO_LEVEL, self.flat.nodes[i].name))
        group.depth = depth
        group.order = counter[0]
        counter[0] += 1
        self.groups[group.id] = group
        for leaf in group.leaves:
            self.home[leaf] = group
        for child in group.groups:
            child.parent = group
            self._number(child, depth + 1, counter)


_NO_LEVEL = 1 << 40


def _members(item: Group | int) -> list[int]:
    if isinstance(item, int):
        return [item]
    found = list(item.leaves)
    stack = list(item.groups)
    while stack:
        g = stack.pop()
        found.extend(g.leaves)
        stack.extend(g.groups)
    return found


def _local_name(item: Group | int, flat: FlatGraph) -> str:
    if isinstance(item, int):
        return flat.nodes[item].name
    return item.scope or item.call or item.label
