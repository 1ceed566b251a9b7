"""Name groups that the data would leave and come back into, found so they can be dissolved.

MobileNet's ``Conv1`` and ``Conv_1`` share a prefix but sit at the two ends of the
network: drawn as one box, its output would feed the rest of the network and come back
into it. ``dissolve_level`` lifts the members of such groups into their parent, checking
each group with a walk bounded by the level's topological order (``topological_rank``);
it is applied to a name group's own groups when that group is opened, so a whole tree is
checked once it is all open, one level at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.graph.naming import NameGroup


@dataclass(frozen=True, slots=True)
class LevelEdges:
    """Which boxes of a level feed which, grouped by source: box ``i`` feeds
    ``targets[start[i]:start[i + 1]]``. Two flat lists, not a set per box: a wide level
    has tens of thousands of boxes."""

    start: list[int]
    targets: list[int]


def dissolve_level(tree: NameGroup, edges: LevelEdges, rank: list[int]) -> None:
    """Lift into ``tree`` the members of each of its groups that data leaves and comes
    back into (MobileNet's ``Conv1`` and ``Conv_1`` share a prefix but sit at the two ends
    of the network: as one box, its output would feed the rest of the network and come
    back into it). The groups kept are checked inside when they are opened."""
    kept = []
    for group in tree.groups:
        if _has_cycle_through(all_members(group), edges, rank):
            tree.groups.extend(group.groups)  # looked at in turn, further down this loop
            tree.members.extend(group.members)
        else:
            kept.append(group)
        # tree.groups grows while we walk it: lifted subgroups are checked too.
    tree.groups[:] = kept


def topological_rank(count: int, edges: LevelEdges) -> list[int]:
    """Each box's place in a topological order of one level (boxes on a cycle, which a
    malformed graph may have, come last)."""
    start, targets = edges.start, edges.targets
    indegree = [0] * count
    for t in targets:
        indegree[t] += 1
    ready = [i for i in range(count) if indegree[i] == 0]
    rank = [count] * count
    order = 0
    while ready:
        item = ready.pop()
        rank[item] = order
        order += 1
        for t in targets[start[item] : start[item + 1]]:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return rank


def all_members(tree: NameGroup) -> set[int]:
    """The items of a name group and of every group inside it."""
    found = set(tree.members)
    stack = list(tree.groups)
    while stack:
        group = stack.pop()
        found.update(group.members)
        stack.extend(group.groups)
    return found


def _has_cycle_through(inside: set[int], edges: LevelEdges, rank: list[int]) -> bool:
    """Whether some path leaves ``inside`` and comes back to it. Edges go up the
    topological rank, so the walk never needs to pass the last box inside."""
    ranks = [rank[m] for m in inside]
    last = max(ranks)
    if last < len(rank) and last - min(ranks) + 1 == len(inside):
        return False  # no box outside runs between its first and last: nothing to pass
    start, targets = edges.start, edges.targets
    stack = [
        n
        for m in inside
        for n in targets[start[m] : start[m + 1]]
        if n not in inside and rank[n] < last
    ]
    seen = set(stack)
    while stack:
        box = stack.pop()
        for nxt in targets[start[box] : start[box + 1]]:
            if nxt in inside:
                return True
            if nxt not in seen and rank[nxt] < last:
                seen.add(nxt)
                stack.append(nxt)
    return False
