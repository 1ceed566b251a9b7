"""How far each op of a slice runs from the signature's inputs (``distances``).

The grouping sorts and places groups by it (what runs first is drawn first), and an op
no input reaches (a constant, a variable, a read of one) is off every input→output path.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress

import numpy as np

from explorer.graph.flat import FlatGraph


def distances(flat: FlatGraph) -> list[int]:
    """Each op's longest distance in edges from the fed (input) ops; -1 for ops no input
    reaches (constants, variables and their reads), the rest are on an input→output path.

    The longest distance, not the shortest: with shortest ones, the op after a residual
    add would rank before the block's main branch it waits for. One pass in topological
    order over the whole slice gives it; a slice with a cycle (a malformed graph) takes
    ``_by_reach``, where ops a cycle holds up keep their shortest distance.
    """
    count = len(flat.ids)
    start, targets = flat.successors()
    # Counted by numpy over the edge arrays the grouping reads too (made once).
    counted = np.bincount(flat.edge_ends()[1], minlength=count)
    indegree: list[int] = counted.tolist()
    depth = [-1] * count
    for fed in compress(range(count), flat.fed):  # a few ops: picked without a pass in Python
        depth[fed] = 0
    ready: list[int] = np.flatnonzero(counted == 0).tolist()
    done = _longest(ready, depth, indegree, start, targets)
    return depth if done == count else _by_reach(flat)


def _longest(
    ready: list[int],
    depth: list[int],
    indegree: list[int],
    start: Sequence[int],
    targets: Sequence[int],
) -> int:
    """Kahn's walk from the ``ready`` ops, raising each op's ``depth`` to one more than
    its deepest input's (an op at -1, no input reaching it, passes -1 on) and counting
    its ``indegree`` down; returns how many ops it walked (fewer than all: a cycle)."""
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        after = depth[i] + 1 if depth[i] >= 0 else -1
        for nxt in targets[start[i] : start[i + 1]]:
            if depth[nxt] < after:
                depth[nxt] = after
            indegree[nxt] -= 1
            if not indegree[nxt]:
                ready.append(nxt)
    return done


def _by_reach(flat: FlatGraph) -> list[int]:
    """``distances`` for a slice with a cycle: shortest distances first, then the longest
    over the ops that no cycle holds up."""
    count = len(flat.ids)
    start, targets = flat.successors()
    fed = flat.fed
    level = [0 if f else -1 for f in fed]
    frontier = [i for i, f in enumerate(fed) if f]
    distance = 0
    while frontier:
        distance += 1
        following = []
        for i in frontier:
            for nxt in targets[start[i] : start[i + 1]]:
                if level[nxt] < 0:
                    level[nxt] = distance
                    following.append(nxt)
        frontier = following
    indegree = [0] * count
    for src, dst in zip(flat.src, flat.dst, strict=True):
        if level[src] >= 0:
            indegree[dst] += 1
    ready = [i for i, f in enumerate(fed) if f and indegree[i] == 0]
    depth = [0 if d >= 0 else -1 for d in level]
    _longest(ready, depth, indegree, start, targets)  # every op it reaches has a level
    # Ops on a cycle never become ready: they keep the shortest.
    return [d if not indegree[i] else level[i] for i, d in enumerate(depth)]
