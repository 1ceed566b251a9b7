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

Once the tree is sorted, its ops are numbered in pre-order (``explorer.graph.tally``), so
each group holds one range of them: what a box says (op count, op types, findings) is
counted from its range when a view shows it. What to open:
``explorer.graph.opening.choose_expanded``, one whole level at a time.
"""

from __future__ import annotations

from itertools import compress, groupby
from operator import and_, attrgetter, itemgetter, methodcaller, not_

import numpy as np

from explorer.graph.flat import FlatGraph, Frame
from explorer.graph.groups import PARAMETERS_LABEL, Group, Hierarchy
from explorer.graph.library import FunctionStats, Library
from explorer.graph.naming import NAMING_MIN
from explorer.graph.regrouping import regroup
from explorer.graph.tally import Tally

__all__ = ["PARAMETERS_LABEL", "Group", "Hierarchy", "build_hierarchy"]

_NO_LEVEL = 1 << 40


def build_hierarchy(
    flat: FlatGraph, levels: list[int], library: Library | None = None
) -> Hierarchy:
    """Place every op of ``flat`` in the group tree described in the module docstring.

    ``levels`` is each op's distance from the inputs (-1: not on an input→output path);
    ``library`` sizes the calls the slice left closed (a group counts what they hold).
    """
    return _Builder(flat, levels, library).build()


class _Builder:
    def __init__(self, flat: FlatGraph, levels: list[int], library: Library | None) -> None:
        self.flat = flat
        self.levels = levels
        # The nearest distance an op gives its group (an op off every path: none).
        self.near = [level if level >= 0 else _NO_LEVEL for level in levels]
        self.library = library
        self.groups: dict[str, Group] = {}
        # Frames (and their callers' frames) that hold an op on an input→output path.
        self.hot_frames: set[str] = set()
        hot = self.hot_frames
        for frame, level in zip(flat.frame_of, levels, strict=True):
            if level >= 0 and frame.id not in hot:
                climb: Frame | None = frame
                while climb is not None and climb.id not in hot:
                    hot.add(climb.id)
                    climb = climb.parent
        self._owner: list[int] = []  # scratch for ``_item_edges``: op → item, or -1
        self.rank: list[int] = []  # op → place when sorted by distance, then name

    def build(self) -> Hierarchy:
        flat = self.flat
        root = Group(id="", label="", kind="root", parent=None)
        # What each frame holds: its ops, then the groups of the calls made there.
        leaves: dict[str, list[int]] = {fid: [] for fid in flat.frames}
        frame_ids = list(map(attrgetter("id"), flat.frame_of))
        by_frame = sorted(range(len(frame_ids)), key=frame_ids.__getitem__)  # stable
        for frame_id, run in groupby(by_frame, key=frame_ids.__getitem__):
            leaves[frame_id] = list(run)
        expanded = {flat.index[c] for c in flat.calls if c in flat.index}
        for frame_id, ops in leaves.items():
            if expanded.intersection(ops):
                leaves[frame_id] = [op for op in ops if op not in expanded]
        calls: dict[str, list[Group]] = {fid: [] for fid in flat.frames}
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
            calls[parent_frame.id].append(group)
        for frame_id, frame in flat.frames.items():
            if frame_id in frame_groups:
                self._fill(frame_groups[frame_id], frame, leaves[frame_id], calls[frame_id])
        self._owner = [-1] * len(flat.ids)
        self._finish(root, "")
        self.groups = {}
        # Ops are listed by distance from the inputs, then name: one sort for all groups.
        distance = [level % _NO_LEVEL for level in self.levels]
        ranked = sorted(range(len(distance)), key=flat.names.__getitem__)
        ranked.sort(key=distance.__getitem__)  # stable: by name within a distance
        rank = np.empty(len(ranked), dtype=np.int64)
        rank[ranked] = np.arange(len(ranked))
        self.rank = rank.tolist()
        closed: dict[int, FunctionStats] = {}
        if self.library is not None:
            for at in flat.closed_calls:  # calls the slice left closed: what they run
                body = flat.frame_of[at].body
                closed[at] = self.library.call_stats(body.calls[flat.local[at]])
        tally = Tally(flat.ops, closed)
        home: list[Group] = [root] * len(flat.ids)
        self._number(root, 0, [0], tally, home)
        tally.finish()
        if closed:  # a closed call counts the ops it runs
            for group in self.groups.values():
                group.size = tally.size(group.start, group.end)
        return Hierarchy(root, self.groups, home, tally)

    def _fill(self, holder: Group, frame: Frame, leaves: list[int], calls: list[Group]) -> None:
        """Build the scope tree of one frame under its group."""
        names, levels, registry = self.flat.names, self.levels, self.groups
        prefix = frame.prefix
        scopes: dict[str, Group] = {}  # scope → its group, in this frame
        top_of: dict[str, str] = {}  # scope → the top-level name it is under
        new_tops: list[Group] = []  # scope groups whose parent waits for ``cold``

        def scope_group(scope: str) -> Group:
            last = scope.rfind("/")
            parent = None
            if last >= 0:
                outer = scope[:last]
                parent = scopes.get(outer) or scope_group(outer)
                top_of[scope] = top_of[outer]
            else:
                top_of[scope] = scope
            gid = f"{prefix}{scope}/"
            group = registry.get(gid)
            if group is None:
                group = Group(gid, scope[last + 1 :], "scope", parent, scope)
                registry[gid] = group
                if parent is None:
                    new_tops.append(group)
                else:
                    parent.groups.append(group)
            scopes[scope] = group
            return group

        # Where each op and call sits (its scope): a pass of C loops over the names.
        item_names = [*map(names.__getitem__, leaves), *(g.call for g in calls)]
        split = list(map(methodcaller("rpartition", "/"), item_names))
        scope_of = list(map(itemgetter(0), split))
        slashed = list(map(itemgetter(1), split))  # "/" for a name inside a scope
        for scope in dict.fromkeys(compress(scope_of, slashed)):
            if scope not in scopes:
                scope_group(scope)
        # Top-level names (scopes, or ops and calls outside any) with nothing on a path.
        hot = [*map((-1).__lt__, map(levels.__getitem__, leaves)), *(g.on_path for g in calls)]
        scoped = list(map(bool, slashed))
        unscoped = list(map(not_, scoped))
        hot_tops = {top_of[s] for s in set(compress(scope_of, map(and_, scoped, hot)))}
        hot_tops.update(compress(item_names, map(and_, unscoped, hot)))
        distinct = set(top_of.values()).union(compress(item_names, unscoped))
        cold = distinct - hot_tops
        parameters = None
        if 2 <= len(cold) < len(distinct):
            parameters = Group(
                id=f"{frame.prefix}[{PARAMETERS_LABEL}]",
                label=PARAMETERS_LABEL,
                kind="parameters",
                parent=holder,
            )
            holder.groups.append(parameters)
        else:
            cold = set()
        for group in new_tops:
            group.parent = parameters if group.scope in cold else holder
            group.parent.groups.append(group)  # type: ignore[union-attr]
        # A node named like a scope ("a" beside "a/read") lives inside that scope.
        parents = [
            own or (scopes[scope] if slash else None)
            for own, scope, slash in zip(
                map(scopes.get, item_names), scope_of, slashed, strict=True
            )
        ]
        count = len(leaves)
        for parent, leaf, name in zip(parents, leaves, item_names, strict=False):
            (parent or (parameters if name in cold else holder)).leaves.append(leaf)  # type: ignore[union-attr]
        for parent, item, name in zip(parents[count:], calls, item_names[count:], strict=True):
            parent = parent or (parameters if name in cold else holder)
            assert parent is not None
            item.parent = parent
            parent.groups.append(item)

    def _finish(self, group: Group, base: str) -> None:
        """Post-order: drop one-child scopes, group wide levels by their names, then
        measure (children first, so a level's groups are final when it is)."""
        if group.kind in ("function", "control_flow"):
            base = ""  # names restart inside a function body
        elif group.kind == "scope" and not group.synthetic:
            base = group.scope + "/"
        kept: list[Group] = []
        near, levels = self.near.__getitem__, self.levels.__getitem__
        for child in group.groups:
            # A scope holding one thing is that thing (the widths are counted inline:
            # this runs once per group of the model).
            while child.kind == "scope" and len(child.groups) == 1 and not child.leaves:
                only = child.groups[0]
                if only.kind == "scope" and not (only.synthetic or child.synthetic):
                    only.label = f"{child.label}/{only.label}"
                child = only
            if child.kind == "scope" and len(child.leaves) == 1 and not child.groups:
                group.leaves.append(child.leaves[0])
                continue
            kept.append(child)
            child.parent = group
            if child.groups or len(child.leaves) > NAMING_MIN:
                self._finish(child, base)
            else:  # a few ops (most groups): nothing to drop or regroup
                leaves = child.leaves
                child.lo = min(map(near, leaves), default=_NO_LEVEL)
                child.hi = max(map(levels, leaves), default=-1)
                child.height = 0
                child.on_path = child.hi >= 0
        group.groups = kept
        if group.kind != "control_flow" and group.width > NAMING_MIN:
            self._regroup(group, base)
        self._measure(group)

    def _measure(self, group: Group) -> None:
        """Nearest and farthest distance from the inputs inside, and levels of groups."""
        leaves = group.leaves
        lo = min(map(self.near.__getitem__, leaves), default=_NO_LEVEL)
        hi = max(map(self.levels.__getitem__, leaves), default=-1)
        height = 0
        for child in group.groups:
            if child.lo < lo:
                lo = child.lo
            if child.hi > hi:
                hi = child.hi
            height = max(height, child.height + (0 if child.width <= 1 else 1))
        group.lo, group.hi, group.height = lo, hi, height
        group.on_path = hi >= 0

    def _regroup(self, group: Group, base: str) -> None:
        regroup(group, base, self.flat, self._owner, self._measure)

    def _number(
        self, group: Group, depth: int, counter: list[int], tally: Tally, home: list[Group]
    ) -> None:
        """Pre-order: sort, then depth, order, the id index, each op's home group and
        place (its own ops first, then each sub-group's)."""
        leaves, order = group.leaves, tally.order
        if len(leaves) > 1:
            leaves.sort(key=self.rank.__getitem__)
        group.depth = depth
        group.order = counter[0]
        counter[0] += 1
        self.groups[group.id] = group
        group.tally = tally
        group.start = len(order)
        order.extend(leaves)
        for leaf in leaves:
            home[leaf] = group
        if group.groups:
            group.groups.sort(key=_group_order)
            for child in group.groups:
                child.parent = group
                self._number(child, depth + 1, counter, tally, home)
        group.end = len(order)
        group.size = group.end - group.start


def _group_order(group: Group) -> tuple[int, str]:
    # Data-flow order first (what runs first is listed and placed first), then name.
    return (group.lo, group.scope or group.call or group.id)
