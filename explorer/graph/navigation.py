"""What a user names, found in a slice: groups by any of their names (``GroupNames``), an op
inside a call the slice left closed, an op's neighbours, and the ops the unsafe-op scan
flagged.

Each lookup table is built the first time it is asked for and kept with the slice
(``explorer.graph.build.SignatureSlice``), so a click pays for what it asks.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from collections.abc import Set as AbstractSet
from operator import attrgetter

from explorer.errors import GraphOptionError
from explorer.graph.flat import FlatGraph
from explorer.graph.groups import Group
from explorer.graph.library import Library

# (FunctionDef or "" for the top-level graph, op name): how search hits and the unsafe-op
# scan name an op.
OpRef = tuple[str, str]


# A layer's scope as Keras 3 names it inside a traced function: "conv4_block6_2_conv_1".
_INDEXED = re.compile(r"^(.+?)_\d+$")


class GroupNames:
    """Every name a user may give a group, and the rule that picks among the groups a name
    fits (``find``).

    A name fits a group as: its id; its scope, function or call node name (or, for a stage
    or block inferred from names, its label or prefix) exactly; the last part of its scope
    or call name ("conv4_block6_2_conv_1" for "resnet50_1/conv4_block6_2_conv_1"); or that
    last part without Keras's "_N" suffix ("conv4_block6_2_conv"). Groups that compute
    (on the signature's data flow) win over the groups of constants and variables (a
    layer's kernel lives in a scope of the layer's own name there); then an exact name
    wins over a last part, and a last part over one without its suffix. Every group of
    the winning kind is chosen (a function called from several places opens at each).
    """

    __slots__ = ("_exact", "_groups", "_indexed", "_last")

    def __init__(self, groups: dict[str, Group]) -> None:
        self._groups = groups
        self._exact: dict[str, list[Group]] = {}
        self._last: dict[str, list[Group]] = {}
        self._indexed: dict[str, list[Group]] = {}
        for group in groups.values():  # in hierarchy order
            if group.kind == "root":
                continue
            scope = group.scope
            aliases = [group.id, scope, scope + "/", group.function, group.call]
            if group.synthetic:  # a stage or block inferred from names: its name too
                aliases += [group.label, scope.removesuffix("*").rstrip("_-./")]
            for alias in aliases:
                _add(self._exact, alias, group)
            named = "" if group.synthetic else (scope or group.call)
            last = named.rpartition("/")[2]
            _add(self._last, last, group)
            found = _INDEXED.match(last)
            if found:
                _add(self._indexed, found.group(1), group)

    def names(self) -> list[str]:
        """Every exact name (for suggestions)."""
        return list(self._exact)

    def find(self, names: Iterable[str]) -> list[Group]:
        """The groups ``names`` name (see the class docstring for the rule).

        Raises:
            GraphOptionError: a name names no group (the closest names are suggested).
        """
        found: list[Group] = []
        for name in names:
            if not name:
                continue
            if name in self._groups:
                found.append(self._groups[name])
                continue
            ranked = [
                ((_in_parameters(group), tier), group)
                for tier, table in enumerate((self._exact, self._last, self._indexed))
                for group in table.get(name, ())
            ]
            if not ranked:
                close = difflib.get_close_matches(name, self.names(), n=5, cutoff=0.5)
                ids = sorted(g.id for g in self._groups.values() if g.kind != "root")
                raise GraphOptionError("scope or function", name, close or ids[:8])
            best = min(rank for rank, _ in ranked)
            chosen = [group for rank, group in ranked if rank == best]
            found.extend(dict.fromkeys(chosen))  # once each, in hierarchy order
        return found


def _add(table: dict[str, list[Group]], alias: str, group: Group) -> None:
    if not alias or alias == "/":
        return
    listed = table.get(alias)
    if listed is None:
        table[alias] = [group]
    elif listed[-1] is not group:
        listed.append(group)


def _in_parameters(group: Group) -> bool:
    """Whether ``group`` is, or sits in, a frame's "constants & variables" group."""
    current: Group | None = group
    while current is not None:
        if current.kind == "parameters":
            return True
        current = current.parent
    return False


class OpIndex:
    """(function, op name) → the flat ops running it (one per call site)."""

    __slots__ = ("first", "more")

    def __init__(self, flat: FlatGraph) -> None:
        refs = list(zip(map(attrgetter("function"), flat.frame_of), flat.names, strict=True))
        count = len(refs)
        # Each ref's first op; a function inlined at several call sites runs its ops again.
        self.first: dict[OpRef, int] = dict(
            zip(reversed(refs), range(count - 1, -1, -1), strict=True)
        )
        self.more: dict[OpRef, list[int]] = {}
        if len(self.first) < count:
            for i, ref in enumerate(refs):
                if self.first[ref] != i:
                    self.more.setdefault(ref, [self.first[ref]]).append(i)

    def ops(self, ref: OpRef) -> list[int]:
        if ref in self.more:
            return self.more[ref]
        first = self.first.get(ref)
        return [] if first is None else [first]


class OpRefs(AbstractSet[OpRef]):
    """Every (function, op name) a slice runs, as a set made the first time it is asked
    (``SignatureGraph.ops``: a search needs it, a drawing does not)."""

    __slots__ = ("_index", "_refs")

    def __init__(self, index: Callable[[], OpIndex]) -> None:
        self._index = index
        self._refs: frozenset[OpRef] | None = None

    def _set(self) -> frozenset[OpRef]:
        if self._refs is None:
            self._refs = frozenset(self._index().first)
        return self._refs

    def __contains__(self, ref: object) -> bool:
        return ref in self._set()

    def __iter__(self) -> Iterator[OpRef]:
        return iter(self._set())

    def __len__(self) -> int:
        return len(self._set())

    def __hash__(self) -> int:
        return hash(self._set())


def inside_closed_calls(flat: FlatGraph, library: Library, ref: OpRef) -> str | None:
    """The box id op ``ref`` would have inside a call the slice left closed (the calls on
    its way, breadth first), or None if no closed call runs it."""
    function, name = ref
    start = [(flat.ids[c], flat.frame_of[c].body.calls[flat.local[c]]) for c in flat.closed_calls]
    seen: set[str] = set()
    while start:  # breadth first through the closed calls' bodies
        following: list[tuple[str, list[tuple[str, str]]]] = []
        for call_id, targets in start:
            for role, callee in targets:
                frame = f"{call_id}@{role}" if role else call_id
                body = library.body(callee)
                if callee == function and name in body.index:
                    return f"{frame}::{name}"
                if callee in seen:
                    continue
                seen.add(callee)
                following.extend(
                    (f"{frame}::{body.names[node]}", inner) for node, inner in body.calls.items()
                )
        start = following
    return None


def flagged_ops(
    flat: FlatGraph, library: Library, index: OpIndex, findings: Collection[OpRef]
) -> dict[int, int]:
    """Flat op → how many of the scan's ``findings`` it stands for: 1 for a flagged op,
    and for a call the slice left closed, the flagged ops its functions run."""
    flagged: dict[int, int] = {}
    for ref in findings:
        for op in index.ops(ref):
            flagged[op] = 1
    if flat.closed_calls and findings:
        wanted: dict[str, set[str]] = {}
        for function, name in findings:
            wanted.setdefault(function, set()).add(name)
        memo: dict[str, int] = {}
        for call in flat.closed_calls:
            targets = flat.frame_of[call].body.calls[flat.local[call]]
            inside = library.flagged(targets, wanted, memo)
            if inside:
                flagged[call] = flagged.get(call, 0) + inside
    return flagged


def neighbours(
    flat: FlatGraph, adjacency: tuple[list[list[int]], list[list[int]]], index: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(box id, tensor) of the ops feeding op ``index`` and of those reading it."""
    preds, succs = adjacency
    ids, tensors = flat.ids, flat.tensor
    inputs = [(ids[flat.src[e]], tensors[e]) for e in preds[index]]
    consumers = [(ids[flat.dst[e]], tensors[e]) for e in succs[index]]
    return inputs, consumers


def adjacency(flat: FlatGraph) -> tuple[list[list[int]], list[list[int]]]:
    """Each op's incoming and outgoing edges, by edge index."""
    preds: list[list[int]] = [[] for _ in flat.ids]
    succs: list[list[int]] = [[] for _ in flat.ids]
    for edge, (src, dst) in enumerate(zip(flat.src, flat.dst, strict=True)):
        preds[dst].append(edge)
        succs[src].append(edge)
    return preds, succs
