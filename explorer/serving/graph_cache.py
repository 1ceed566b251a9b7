"""What the rules work out once per MetaGraph and ask for again and again (every verdict
of every signature, on every page draw): kept for the last few graphs, by identity."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from explorer.model.proto_types import MetaGraphDef

T = TypeVar("T")


class GraphCache(Generic[T]):
    """``build(graph)`` once per parsed MetaGraph (the proto is kept, so its id is not
    reused while its entry lives), for the last ``kept`` graphs."""

    def __init__(self, build: Callable[[MetaGraphDef], T], kept: int = 8) -> None:
        self._build = build
        self._kept = kept
        self._entries: OrderedDict[int, tuple[MetaGraphDef, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, graph: MetaGraphDef) -> T:
        with self._lock:
            entry = self._entries.get(id(graph))
            if entry is not None and entry[0] is graph:
                self._entries.move_to_end(id(graph))
                return entry[1]
        value = self._build(graph)
        with self._lock:
            self._entries[id(graph)] = (graph, value)
            while len(self._entries) > self._kept:
                self._entries.popitem(last=False)
        return value
