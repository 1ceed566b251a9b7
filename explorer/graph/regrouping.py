"""A wide level nested by the structure of its names: stage → block → layer.

A level wider than ``naming.NAMING_MIN`` boxes (a Keras model's 175 layer scopes side by
side) is grouped by what its names share (``explorer.graph.naming``), then every group
the data would leave and come back into is dissolved (``explorer.graph.cycles``): a box
must stand for a part of the network that runs as one. Used by
``explorer.graph.grouping`` on every wide level.
"""

from __future__ import annotations

from collections.abc import Callable

from explorer.graph.cycles import dissolve_cycles, topological_rank
from explorer.graph.flat import FlatGraph
from explorer.graph.groups import Group
from explorer.graph.naming import NameGroup, infer_groups


def regroup(
    group: Group,
    base: str,
    flat: FlatGraph,
    owner: list[int],
    measure: Callable[[Group], None],
) -> None:
    """Nest a wide level's boxes by the structure of their names (``naming``), keeping
    only groups nothing outside them runs in the middle of.

    ``base`` is the scope the names start with; ``owner`` a scratch list of -1 per op of
    ``flat``, left as it was; ``measure`` sizes a new group from what it holds.
    """
    items: list[Group | int] = [*group.groups, *group.leaves]
    names = [g.scope or g.call or g.label for g in group.groups]
    names += map(flat.names.__getitem__, group.leaves)
    if base:
        names = [name.removeprefix(base) for name in names]
    tree = infer_groups(names)
    if not tree.groups:
        return
    edges = _item_edges(items, flat, owner)
    dissolve_cycles(tree, edges, topological_rank(len(items), edges))
    if not tree.groups:
        return
    prefix = group.id.removesuffix("/") if group.id.endswith("/") else group.id
    group.groups, group.leaves = [], []
    _materialize(group, tree, items, f"{prefix}/" if prefix else "", base, measure)


def _materialize(
    holder: Group,
    tree: NameGroup,
    items: list[Group | int],
    owner: str,
    base: str,
    measure: Callable[[Group], None],
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
        _materialize(group, sub, items, owner, base, measure)
        measure(group)
        holder.groups.append(group)


def _item_edges(items: list[Group | int], flat: FlatGraph, owner: list[int]) -> dict[int, set[int]]:
    """Which of one level's boxes feed which, from the ops inside them."""
    members: list[int] = []
    for index, item in enumerate(items):
        if isinstance(item, int):
            owner[item] = index
            members.append(item)
            continue
        inside = _members(item) if item.groups else item.leaves
        for op in inside:
            owner[op] = index
        members.extend(inside)
    edges: dict[int, set[int]] = {}
    start, targets = flat.successors()
    for op in members:
        index = owner[op]
        for nxt in targets[start[op] : start[op + 1]]:
            other = owner[nxt]
            if other >= 0 and other != index:
                found = edges.get(index)
                if found is None:
                    edges[index] = {other}
                else:
                    found.add(other)
    for op in members:
        owner[op] = -1
    return edges


def _members(item: Group) -> list[int]:
    found = list(item.leaves)
    stack = list(item.groups)
    while stack:
        g = stack.pop()
        found.extend(g.leaves)
        stack.extend(g.groups)
    return found
