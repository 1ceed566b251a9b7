"""Group a sliced graph into nested boxes (functions, name scopes), one level at a time.

Every op gets a place in one tree: the frame it runs in (the top-level graph, or a
function reached through a call, or an If/While/Case branch), then its name scope
inside that frame (``resnet50_1/conv1_conv_1/BiasAdd`` sits in ``resnet50_1`` then
``conv1_conv_1``). A collapsed group is drawn as one box; an open one as a cluster.

The tree is made when it is opened (``explorer.graph.groups``): ``build_hierarchy`` makes
the root, and opening a group makes its children, so the first view pays for the levels
it shows. Opening a group:
* finds what it holds directly, from its frame's items sorted by name
  (``explorer.graph.scope_index``): sub-scopes, calls, ops;
* at a frame's top, puts the names holding nothing on an input→output path (the 320
  variable handles a Keras model passes to its call, a TF1 ``a`` + ``a/read`` pair)
  into one "constants & variables" group, so they cost one box until asked for;
* makes a scope holding one thing that thing (a one-child chain is one box,
  "conv1/BiasAdd"; a scope of one op is the op);
* nests a level wider than ``naming.NAMING_MIN`` boxes by the structure of its names
  (``explorer.graph.regrouping``: Keras's ``conv2_block1_1_conv`` gives stage ``conv2``,
  block ``conv2_block1``, layer unit ``conv2_block1_1``);
* sorts its ops (by distance from the inputs, then name) and its groups (data-flow
  order, then name), and arranges its range of the op numbering (``explorer.graph.tally``)
  into its own ops, then one range per group: what a box says (op count, op types,
  findings) is counted from its range.
What to open: ``explorer.graph.opening.choose_expanded``, one whole level at a time.
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np

from explorer.graph.contents import Branches, FrameBody, Parameters, Scope
from explorer.graph.flat import FlatGraph, Frame
from explorer.graph.groups import PARAMETERS_LABEL, Group, Hierarchy
from explorer.graph.library import FunctionStats, Library
from explorer.graph.naming import NAMING_MIN
from explorer.graph.regrouping import regroup
from explorer.graph.scope_index import Entry, FrameItems
from explorer.graph.tally import Tally

__all__ = ["PARAMETERS_LABEL", "Group", "Hierarchy", "build_hierarchy"]

_NO_LEVEL = 1 << 40


def build_hierarchy(
    flat: FlatGraph, levels: list[int], library: Library | None = None
) -> Hierarchy:
    """The group tree of ``flat`` described in the module docstring: its root, whose
    groups are made when first read.

    ``levels`` is each op's distance from the inputs (-1: not on an input→output path);
    ``library`` sizes the calls the slice left closed (a group counts what they hold).
    """
    return _Builder(flat, levels, library).build()


class _Builder:
    """What opening any group of one slice needs, made once."""

    def __init__(self, flat: FlatGraph, levels: list[int], library: Library | None) -> None:
        self.flat = flat
        self.levels = levels
        level = np.asarray(levels, dtype=np.int64)
        # The nearest distance an op gives its group (an op off every path: none).
        self.near = np.where(level >= 0, level, _NO_LEVEL)
        self.level = level
        self.library = library
        self.groups: dict[str, Group] = {}
        self.tally = Tally(flat.ops, self._closed_calls())
        self._items: dict[str, tuple[FrameItems, list[Group]]] = {}
        self._subtree: dict[str, list[int]] = {}
        # What each frame holds directly: its ops (an inlined call's own node is left
        # out), and the calls made in it with the frames they run.
        self.frame_ops: dict[str, list[int]] = {fid: [] for fid in flat.frames}
        self.frame_calls: dict[str, list[tuple[str, tuple[Frame, ...]]]] = {
            fid: [] for fid in flat.frames
        }
        self._sort_ops()
        # Frames (and their callers' frames) holding an op on an input→output path.
        self.hot_frames: set[str] = set()
        if len(flat.frames) == 1:  # every op is the top frame's: no op's frame is read
            if (level >= 0).any():
                self.hot_frames.add(flat.top.id)
        elif len(level):
            numbers = np.fromiter(map(attrgetter("number"), flat.frame_of), np.int64, len(level))
            by_number = {f.number: f for f in flat.frames.values()}
            # The frame numbers in use, counted (np.unique would import numpy.ma: 8 ms).
            for number in np.flatnonzero(np.bincount(numbers[level >= 0])).tolist():
                climb: Frame | None = by_number[number]
                while climb is not None and climb.id not in self.hot_frames:
                    self.hot_frames.add(climb.id)
                    climb = climb.parent

    def _closed_calls(self) -> dict[int, FunctionStats]:
        closed: dict[int, FunctionStats] = {}
        if self.library is not None:
            flat = self.flat
            for at in flat.closed_calls:  # calls the slice left closed: what they run
                body = flat.frame_of[at].body
                closed[at] = self.library.call_stats(body.calls[flat.local[at]])
        return closed

    def _sort_ops(self) -> None:
        flat = self.flat
        expanded = {flat.index[c] for c in flat.calls if c in flat.index}
        if len(flat.frames) == 1:
            ops = range(len(flat.ids))
            self.frame_ops[flat.top.id] = (
                [op for op in ops if op not in expanded] if expanded else list(ops)
            )
        else:
            for op, frame in enumerate(flat.frame_of):
                if op not in expanded:
                    self.frame_ops[frame.id].append(op)
        for call_id, frames in sorted(flat.calls.items()):
            parent = frames[0].parent
            assert parent is not None
            self.frame_calls[parent.id].append((call_id, frames))

    # ---- the root, the frames and the calls --------------------------------------------

    def build(self) -> Hierarchy:
        count = len(self.flat.ids)
        root = Group(id="", label="", kind="root", parent=None, tally=self.tally)
        root.end = count
        root.lo, root.hi = self._span(range(count))
        root.on_path = root.hi >= 0
        root.size = self.tally.size(0, count)
        root.contents = FrameBody(self, self.flat.top)
        self.groups[""] = root
        return Hierarchy(root, self.groups, self.tally)

    def _span(self, ops: range | list[int]) -> tuple[int, int]:
        """The nearest and farthest distance from the inputs of ``ops``."""
        if not len(ops):
            return _NO_LEVEL, -1
        picked = np.asarray(ops, dtype=np.int64) if isinstance(ops, list) else slice(None)
        return int(self.near[picked].min()), int(self.level[picked].max())

    def subtree(self, frame: Frame) -> list[int]:
        """Every op a frame runs, the frames it calls included."""
        found = self._subtree.get(frame.id)
        if found is None:
            found = list(self.frame_ops[frame.id])
            for call_id, frames in self.frame_calls[frame.id]:
                found.extend(self._call_ops(call_id, frames))
            self._subtree[frame.id] = found
        return found

    def _call_ops(self, call_id: str, frames: tuple[Frame, ...]) -> list[int]:
        found = []
        if not (len(frames) == 1 and not frames[0].role) and call_id in self.flat.index:
            found.append(self.flat.index[call_id])  # an If/While/Case op: in its group
        for frame in frames:
            found.extend(self.subtree(frame))
        return found

    def frame_items(self, frame: Frame) -> tuple[FrameItems, list[Group]]:
        """A frame's items sorted by name, and the groups of the calls made in it."""
        found = self._items.get(frame.id)
        if found is not None:
            return found
        flat, near, level = self.flat, self.near, self.level
        ops = self.frame_ops[frame.id]
        names = list(map(flat.names.__getitem__, ops))  # no bytecode per op (200k)
        items: list[int] = list(ops)
        picked = np.asarray(ops, dtype=np.int64)
        calls = []
        call_lo, call_hi, call_hot = [], [], []
        for number, (call_id, frames) in enumerate(self.frame_calls[frame.id]):
            group = self._call_group(call_id, frames, frame)
            calls.append(group)
            names.append(group.call)
            items.append(-1 - number)
            call_lo.append(group.lo)
            call_hi.append(group.hi)
            call_hot.append(any(f.id in self.hot_frames for f in frames))
        # The ops' distances stay arrays (a frame may hold 200k ops); the calls' follow.
        lo = np.concatenate([near[picked], np.asarray(call_lo, dtype=np.int64)])
        hi = np.concatenate([level[picked], np.asarray(call_hi, dtype=np.int64)])
        hot = np.concatenate([level[picked] >= 0, np.asarray(call_hot, dtype=bool)])
        found = (FrameItems(names, items, lo, hi, hot), calls)
        self._items[frame.id] = found
        return found

    def _call_group(self, call_id: str, frames: tuple[Frame, ...], parent: Frame) -> Group:
        call = call_id[len(parent.prefix) :]
        op = parent.body.ops[parent.body.index[call]]
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
            )
            group.contents = FrameBody(self, frames[0])
        else:
            group = Group(
                id=call_id,
                label=f"{call}\n({op})",
                kind="control_flow",
                parent=None,
                op=op,
                call=call,
            )
            group.contents = Branches(self, call_id, frames)
        self.made(group, self._call_ops(call_id, frames))
        return group

    def made(self, group: Group, ops: list[int], span: tuple[int, int] | None = None) -> Group:
        """Give a new group its ops and distances (``span``: known already)."""
        group.pending = ops
        group.lo, group.hi = span if span is not None else self._span(ops)
        group.on_path = group.hi >= 0
        group.tally = self.tally
        return group

    # ---- opening a group ----------------------------------------------------------------

    def open_frame(self, group: Group, frame: Frame) -> None:
        """A frame's top: its names, with the ones off every path in a group of their own."""
        index, calls = self.frame_items(frame)
        entries = index.entries("", 0, index.size)
        cold = [e for e in entries if not e.hot]
        lead: list[Group] = []
        if 2 <= len(cold) < len(entries):
            parameters = Group(
                id=f"{frame.prefix}[{PARAMETERS_LABEL}]",
                label=PARAMETERS_LABEL,
                kind="parameters",
                parent=group,
                base=group.base,
            )
            parameters.contents = Parameters(self, frame, cold)
            span = (min(e.lo for e in cold), max(e.hi for e in cold))
            ops = [op for e in cold for op in self.entry_ops(index, calls, e)]
            self.made(parameters, ops, span)
            lead.append(parameters)
            entries = [e for e in entries if e.hot]
        self.fill(group, frame, entries, lead)

    def open_scope(self, group: Group, frame: Frame, entry: Entry) -> None:
        index, _ = self.frame_items(frame)
        entries = index.entries(entry.name + "/", entry.start, entry.end)
        if entry.inner >= 0:  # the item named like the scope: directly inside it
            entries.append(index.single(entry.inner))
        self.fill(group, frame, entries, [])

    def fill(self, group: Group, frame: Frame, entries: list[Entry], lead: list[Group]) -> None:
        """Make a group's children from what it holds directly, in the order they were
        first named (scopes, then calls, then ops), then finish it."""
        index, calls = self.frame_items(frame)
        items = index.items
        kept: list[Group | Entry] = list(lead)
        lifted: list[int] = []
        scopes = sorted((e for e in entries if e.scope), key=attrgetter("first"))
        for found in index.collapse_all(scopes):
            if isinstance(found, Entry):
                kept.append(found)  # made a group below, unless its level is nested first
            elif items[found] >= 0:
                lifted.append(items[found])  # a scope of one op is that op
            else:
                kept.append(calls[-1 - items[found]])  # a scope of one call: the call
        direct = sorted((e for e in entries if not e.scope), key=attrgetter("first"))
        # Calls come after the scopes, in the order the slice made them.
        made = sorted(-1 - items[e.start] for e in direct if items[e.start] < 0)
        kept.extend(calls[number] for number in made)
        leaves = [items[e.start] for e in direct if items[e.start] >= 0]
        self.finish(group, frame, kept, leaves + lifted)

    def finish(
        self, group: Group, frame: Frame, kept: list[Group | Entry], leaves: list[int]
    ) -> None:
        """Nest a wide level by its names (its scopes made groups as they are shown), or
        make its scopes groups; then arrange it."""
        if group.kind != "control_flow" and len(kept) + len(leaves) > NAMING_MIN:
            groups, leaves = regroup(self, group, frame, kept, leaves)
        else:
            groups = [self.as_group(frame, k, group) for k in kept]
        self.arrange(group, groups, leaves)

    def as_group(self, frame: Frame, item: Group | Entry, parent: Group) -> Group:
        """A child of ``parent``: a group made already, or a scope's group made now."""
        if isinstance(item, Group):
            item.parent = parent
            return item
        group = Group(
            id=f"{frame.prefix}{item.name}/",
            label=item.label,
            kind="scope",
            parent=parent,
            scope=item.name,
            base=item.name + "/",
            lo=item.lo,
            hi=item.hi,
            on_path=item.hi >= 0,
            tally=self.tally,
        )
        index, calls = self.frame_items(frame)
        group.contents = Scope(self, frame, item)
        group.pending = self.entry_ops(index, calls, item)
        return group

    def entry_ops(self, index: FrameItems, calls: list[Group], entry: Entry) -> list[int]:
        """The flat ops an entry holds, at any depth."""
        held = index.items[entry.start : entry.end]
        if entry.inner >= 0:
            held = [*held, index.items[entry.inner]]
        if not calls or min(held) >= 0:
            return held
        ops: list[int] = []
        for item in held:
            if item >= 0:
                ops.append(item)
            else:
                ops.extend(calls[-1 - item].members())
        return ops

    def plain_width(self, frame: Frame, entry: Entry) -> int | None:
        """How many ops a scope holds when they are a few ops directly inside it (no
        group inside, not nested by names): its width, with no level below."""
        index, calls = self.frame_items(frame)
        return index.plain_counts([entry], NAMING_MIN, bool(calls))[0]

    def open_branches(self, group: Group, call_id: str, frames: tuple[Frame, ...]) -> None:
        """An If/While/Case: its op, and one group per branch (never nested by names)."""
        leaves = [self.flat.index[call_id]] if call_id in self.flat.index else []
        branches = []
        for frame in frames:
            branch = Group(
                id=frame.id,
                label=f"{frame.role}: {frame.function}",
                kind="function",
                parent=group,
                function=frame.function,
                op=group.op,
                call=group.call,
            )
            branch.contents = FrameBody(self, frame)
            branches.append(self.made(branch, self.subtree(frame)))
        self.arrange(group, branches, leaves)

    def arrange(self, group: Group, groups: list[Group], leaves: list[int]) -> None:
        """Sort a group's ops and children, and give each child its range of the group's."""
        names, levels = self.flat.names, self.levels
        leaves = sorted(leaves, key=lambda op: (levels[op] % _NO_LEVEL, names[op], op))
        groups = sorted(groups, key=_group_order)
        ops = list(leaves)
        for child in groups:
            assert child.pending is not None
            ops.extend(child.pending)
        assert len(ops) == group.end - group.start, (group.id, len(ops), group.end - group.start)
        self.tally.arrange(group.start, ops)
        place = group.start + len(leaves)
        registry = self.groups
        for number, child in enumerate(groups):
            held = child.pending
            assert held is not None
            child.start, child.end, child.pending = place, place + len(held), None
            place = child.end
            child.parent = group
            child.depth = group.depth + 1
            child.order = (*group.order, number)
            child.size = self.tally.size(child.start, child.end)
            registry[child.id] = child
        group._groups, group._leaves = groups, leaves


def _group_order(group: Group) -> tuple[int, str]:
    # Data-flow order first (what runs first is listed and placed first), then name.
    return (group.lo, group.scope or group.call or group.id)
