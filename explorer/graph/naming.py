"""The structure hidden in layer names: stage → block → layer, inferred from the names alone.

Keras names layers by convention, not by scope: ``conv2_block1_1_conv`` (ResNet),
``block_3_expand_relu`` (MobileNetV2), ``block2a_se_squeeze`` (EfficientNet). Every
model family does it differently, so nothing here knows a family. A name is cut into
tokens — runs of letters, runs of digits, and the separators between them
(``conv2_block1`` → ``conv`` ``2`` ``_`` ``block`` ``1``) — and the names of one level
go into a trie of tokens. Each branching point of the trie that holds two or more names
is a group named by the prefix its names share. Two rules keep the groups the ones a
reader thinks in:

* A chain of single-child trie nodes is one step (``conv2_block`` is one prefix, not
  five), so a group always splits its names at least two ways.
* A *series* — a point whose branches are all numbers, such as ``conv1`` … ``conv5`` or
  ``block_1`` … ``block_16`` — is a group of its own only when it is long
  (``SERIES_MIN`` numbers or more); a short series puts its numbered members (the
  stages ``conv2``, ``conv3``, …) directly beside their siblings.

``infer_groups`` returns the nested groups for one level; ``explorer.graph.grouping``
applies it to every level wider than ``NAMING_MIN`` boxes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

SERIES_MIN = 8  # a run of numbered siblings this long becomes a group of its own
NAMING_MIN = 7  # levels with fewer entries are drawn as they are

_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+")
_DIGITS = "0123456789"  # the classes of _TOKEN's first two runs, for str.rstrip
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(slots=True)
class NameGroup:
    """Names sharing ``prefix``: ``members`` are indices into the names given, ``groups``
    the nested groups; ``label`` is what a reader sees (``conv2_block1…3``)."""

    prefix: str
    label: str
    members: list[int] = field(default_factory=list)
    groups: list[NameGroup] = field(default_factory=list)


# A trie node: its children by token, and the indices of the names ending there. Plain
# lists and dicts: a wide level has one node per name.
_Trie = tuple[dict[str, "_Trie"], list[int]]


def tokens(name: str) -> list[str]:
    """``"conv2_block1_1_conv"`` → ``["conv", "2", "_", "block", "1", "_", "1", "_", "conv"]``."""
    return _TOKEN.findall(name)


def infer_groups(names: Sequence[str]) -> NameGroup:
    """Group ``names`` (one level's names, no ``/``) by the structure of their tokens.

    Returns:
        The root group (prefix ""), whose members are the names left ungrouped and whose
        groups hold the rest; each name is in exactly one group or the root.
    """
    root: _Trie = ({}, [])
    # A name's last token is a run of digits or of letters (most names): the trie node of
    # what comes before it is looked up by that text, so a wide level's names
    # (``stage3_block2_7``, ``stage3_block2_8``, ...) are cut into tokens once per head,
    # not once each. A head ends where the run of another class begins: its tokens are
    # the name's first ones.
    heads: dict[str, _Trie] = {}
    for index, name in enumerate(names):
        head = name.rstrip(_DIGITS)
        if head == name:
            head = name.rstrip(_LETTERS)
        if head == name:  # it ends in other characters: cut whole
            node = _walk(root, _TOKEN.findall(name))
        else:
            before = heads.get(head) if head else root
            if before is None:
                before = heads[head] = _walk(root, _TOKEN.findall(head))
            node = _walk(before, (name[len(head) :],))
        node[1].append(index)
    top = NameGroup("", "")
    _fill(top, root, "")
    return top


def _walk(node: _Trie, tokens: Sequence[str]) -> _Trie:
    """The trie node below ``node`` at ``tokens``, made as needed."""
    for token in tokens:
        child = node[0].get(token)
        if child is None:
            child = node[0][token] = ({}, [])
        node = child
    return node


def _fill(group: NameGroup, node: _Trie, prefix: str, order: list[str] | None = None) -> None:
    children, items = node
    members = group.members
    members.extend(items)
    for token in order if order is not None else _ordered(children):
        child = children[token]
        if not child[0] and len(child[1]) <= 1:
            members.extend(child[1])  # one name (most of a wide level): no group
            continue
        entries = _contribution(child, prefix + token)
        if items and not token.isalnum() and len(entries) == 1:
            # "Conv1" beside "Conv1_relu": the suffixed names join the name they extend
            # instead of forming a group of their own inside it.
            only = entries[0]
            if isinstance(only, NameGroup):
                entries = [*only.groups, *only.members]
        for entry in entries:
            if isinstance(entry, NameGroup):
                group.groups.append(entry)
            else:
                members.append(entry)


def _contribution(start: _Trie, prefix: str) -> list[NameGroup | int]:
    """What one branch adds to its parent: its names, or a group holding them."""
    node = start
    while not node[1] and len(node[0]) == 1:
        ((token, node),) = node[0].items()
        prefix += token
    children, items = node
    if not children and len(items) <= 1:
        return list(items)  # one name (most of a wide level): no group
    order = _ordered(children)
    # A series: a point whose branches are all numbers (``block_1`` … ``block_16``).
    series = not items and len(order) > 1 and _is_number(order[-1])
    label = f"{prefix}{order[0]}…{order[-1]}" if series else prefix.rstrip("_-./: ") or prefix
    inner = NameGroup(prefix, label)
    _fill(inner, node, prefix, order)
    entries: list[NameGroup | int] = [*inner.groups, *inner.members]
    if len(entries) <= 1:
        return entries
    if node is start and series and len(children) < SERIES_MIN:
        return entries  # a short series: its numbered members stand beside their siblings
    return [inner]


def _ordered(children: dict[str, _Trie]) -> list[str]:
    """Tokens in order: numbers by value (block_2 before block_10), then words."""
    if len(children) < 2:
        return list(children)
    # ASCII digits only: "²" is a digit to str.isdigit but not a number to int().
    numbers = [t for t in children if t.isascii() and t.isdigit()]
    if not numbers:
        return sorted(children)
    words = sorted(t for t in children if not (t.isascii() and t.isdigit()))
    return sorted(numbers, key=int) + words


def _is_number(token: str) -> bool:
    # ASCII digits only: "²" is a digit to str.isdigit but not a number to int().
    return token.isascii() and token.isdigit()
