"""Which groups of the hierarchy are open: whole levels while the first view fits its
budget, then the user's own choices (``choose_expanded``)."""

from __future__ import annotations

from collections.abc import Iterable

from explorer.graph.groups import Group, Hierarchy


def choose_expanded(
    hierarchy: Hierarchy,
    *,
    fixed: int,
    budget: int,
    expand: Iterable[Group] = (),
    collapse: Iterable[Group] = (),
) -> set[str]:
    """Ids of the groups to open: whole levels while the view fits, then the user's choices.

    The default view opens the hierarchy one level at a time, every group on an
    input→output path of a level at once, while the boxes stay within ``budget``; a
    group holding a single group is opened for free (its box is its child's box). Then
    the groups the user named are opened (with the groups around them) or closed, on
    top of that view, so one click changes one group and nothing else moves.

    Args:
        hierarchy: the group tree.
        fixed: boxes always shown (signature keys and tensors).
        budget: the most boxes wanted in the default view.
        expand: groups the user opened; opened with their ancestors, whatever the cost.
        collapse: groups the user closed; never opened, and a group inside one named in
            ``expand`` stays hidden (closing wins).

    Returns:
        The set of open group ids (the root always among them).
    """
    root = hierarchy.root
    closed = {g.id for g in collapse}
    opened = {root.id}

    def settle(groups: Iterable[Group]) -> list[Group]:
        boxes = []
        for group in groups:
            while group.width == 1 and group.groups and group.id not in closed:
                opened.add(group.id)
                group = group.groups[0]
            boxes.append(group)
        return boxes

    count = fixed + root.width
    boxes = settle(root.groups)
    whole = True  # every group on a path is open
    while True:
        level = [g for g in boxes if g.on_path and g.id not in closed and g.width > 0]
        cost = sum(g.width - 1 for g in level)
        if not level:
            break
        if count + cost > budget:
            whole = False
            break
        opened.update(g.id for g in level)
        count += cost
        boxes = [g for g in boxes if g not in level] + settle(c for g in level for c in g.groups)
    # Off-path groups (constants, the variables a Keras model passes to its call) open
    # only once the whole path is open, and while the budget allows.
    pending = sorted(boxes, key=lambda g: g.order) if whole else []
    while pending:
        group = pending.pop(0)
        if group.id in closed or group.id in opened or group.on_path:
            continue
        if count + group.width - 1 <= budget:
            opened.add(group.id)
            count += group.width - 1
            pending.extend(group.groups)
    for group in expand:
        chain = []
        current: Group | None = group
        while current is not None and current.id not in opened:
            chain.append(current)
            current = current.parent
        if any(g.id in closed for g in chain):
            continue  # it, or a group around it, was closed: closing wins
        opened.update(g.id for g in chain)
        settle(group.groups)
    opened.difference_update(closed)
    return opened


def ancestors(group: Group) -> list[Group]:
    """The groups around ``group``, outermost first, without the root."""
    chain = []
    current = group.parent
    while current is not None and current.kind != "root":
        chain.append(current)
        current = current.parent
    return chain[::-1]
