"""A parsed REST body: the Python values a rapidjson document becomes.

Objects are dicts, except that an object with a repeated member name is a
:class:`RepeatedMembers` (TF Serving's rapidjson keeps every member: ``FindMember`` finds
the first, iterating sees them all). Arrays are lists; strings ``str``, or ``bytes`` when
they are not UTF-8; numbers ``int`` or ``float``; ``true``/``false``/``null`` as Python's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["RepeatedMembers", "json_object", "member_count", "members"]


class RepeatedMembers(dict[str, Any]):
    """A JSON object with a repeated member name.

    As a dict it holds the first member of each name (``FindMember``); ``pairs`` holds
    every member in document order (what iterating the object, ``MemberCount`` and the
    debug printer see).
    """

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__()
        for name, value in pairs:
            self.setdefault(name, value)
        self.pairs = pairs


def members(obj: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """Every member of an object in document order, repeated names included."""
    pairs = getattr(obj, "pairs", None)
    return pairs if pairs is not None else obj.items()


def member_count(obj: Mapping[str, Any]) -> int:
    """rapidjson's ``MemberCount()``: repeated members count each time."""
    pairs = getattr(obj, "pairs", None)
    return len(pairs) if pairs is not None else len(obj)


def json_object(pairs: list[tuple[str | bytes, Any]]) -> dict[str, Any]:
    """An object from its members in document order (a dict, or RepeatedMembers)."""
    named = [(_name(k), v) for k, v in pairs]
    obj = dict(named)
    if len(obj) == len(named):
        return obj
    return RepeatedMembers(named)


def _name(key: str | bytes | None) -> str:
    # Member names are text for lookups; bytes that are not UTF-8 keep their values as
    # U+DC80..U+DCFF (they can never equal a signature key).
    if isinstance(key, bytes):
        return key.decode("utf-8", "surrogateescape")
    return key or ""
