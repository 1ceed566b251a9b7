"""What a request may hold before it is converted: an element budget and a nesting limit;
and the body read as TF Serving reads it (:mod:`explorer.codec.rapidjson_reader`).

TF Serving trusts its clients; an explorer that runs on a laptop (or in a shared app)
should not. A request whose tensors would hold more elements than the budget
(``EXPLORER_MAX_REQUEST_ELEMENTS``, default 10,000,000; ``max_request_elements=`` on every
call) is refused from its JSON structure or array shapes alone, before numpy or TensorFlow
allocates anything. A tensor nested deeper than numpy's 64 dimensions is refused the same
way (the body itself may nest as deep as rapidjson allows: without limit).

Error texts that quote a request value go through :func:`value_text`, which prints only
the first few hundred nodes (TF Serving truncates the text at 256 bytes anyway), so a huge
or deeply nested body costs nothing to quote and never recurses deeply.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from explorer.codec import fast_request
from explorer.codec.json_document import RepeatedMembers, members
from explorer.codec.rapidjson_reader import JsonParseError, parse
from explorer.codec.rest_text import json_type, json_value_text
from explorer.collector import collector_paused
from explorer.errors import ExplorerError, InputError

MAX_ELEMENTS_ENV = "EXPLORER_MAX_REQUEST_ELEMENTS"
DEFAULT_MAX_ELEMENTS = 10_000_000
# numpy's NPY_MAXDIMS: TensorFlow allows 254 dimensions, but every tensor passes through
# a numpy array here.
MAX_RANK = 64
# Nodes of a value printed in an error: each writes at least one byte, and TF Serving's
# excerpt stops once 256 are written, so the nodes past these never show.
_QUOTED_NODES = 300
_JSON_TYPES = (type(None), bool, int, float, str, bytes, list, tuple, dict)
_PAUSE_GC_ABOVE = 1 << 20  # body characters


def element_limit(option: int | None = None) -> int:
    """The element budget of one request: ``option``, else the environment, else 10M.

    Args:
        option: ``max_request_elements`` as passed to a call; 0 or less means no limit.

    Returns:
        The limit, or 0 for none.

    Raises:
        ExplorerError: the environment variable is not a whole number.
    """
    if option is not None:
        return max(int(option), 0)
    raw = os.environ.get(MAX_ELEMENTS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_ELEMENTS
    try:
        return max(int(raw), 0)
    except ValueError:
        raise ExplorerError(
            f"{MAX_ELEMENTS_ENV}={raw!r} is not a whole number of elements "
            f"(e.g. {DEFAULT_MAX_ELEMENTS}; 0 turns the limit off)."
        ) from None


class ElementBudget:
    """Counts the elements a request will decode to, and refuses once over the limit."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int | None = None) -> None:
        self.limit = element_limit(limit)
        self.used = 0

    def take(self, key: str, count: int, shape: list[int] | tuple[int, ...] | None = None) -> None:
        """Add ``count`` elements of input ``key``.

        Raises:
            InputError: the request now holds more than the limit (RESOURCE_EXHAUSTED).
        """
        self.used += count
        if not self.limit or self.used <= self.limit:
            return
        where = f" (shape [{','.join(map(str, shape))}])" if shape is not None else ""
        total = "" if self.used == count else f", which brings the request to {self.used:,}"
        raise InputError(
            f'Input "{key}" is too large: {count:,} elements{where}{total}; a request may '
            f"hold at most {self.limit:,}. Send a smaller batch, or raise the limit with "
            f"max_request_elements=N (CLI: --max-request-elements N) or the environment "
            f"variable {MAX_ELEMENTS_ENV} (0 turns it off).",
            key=key,
            code="RESOURCE_EXHAUSTED",
        )


def element_count(dims: list[int] | tuple[int, ...]) -> int:
    """The number of elements of a shape (exact, however large)."""
    count = 1
    for dim in dims:
        count *= dim
    return count


def too_deep(key: str | None, levels: int = MAX_RANK) -> InputError:
    """The error for lists nested more than ``levels`` deep (the batch of an ``instances``
    row takes one of numpy's 64 dimensions)."""
    name = f'Input "{key}": ' if key else ""
    return InputError(
        f"{name}JSON lists nested more than {levels} levels deep; a tensor can have at most "
        f"{MAX_RANK} dimensions here (numpy's limit).",
        key=key,
    )


def value_text(value: Any) -> str:
    """``JsonValueToString`` of a request value, safe for any size, depth or Python type.

    Only the first few hundred nodes are printed (the text is cut at 256 bytes anyway);
    non-JSON values (numpy arrays, sets, objects) are printed as their ``repr``.
    """
    return json_value_text(_pruned(value, [_QUOTED_NODES]))


def value_type(value: Any) -> str:
    """rapidjson's type word (``Number``, ``String``, ...), or the Python type of a
    value JSON cannot hold."""
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, _JSON_TYPES):
        return f"{type(value).__name__} (not a JSON value)"
    return json_type(value)


def parse_body(body: str | bytes) -> dict[str, Any]:
    """The body's top-level object, read as TF Serving's ``ParseJson`` reads it.

    Args:
        body: the request body (a ``str`` is sent as UTF-8).

    Returns:
        The top-level JSON object (see ``rapidjson_reader`` for the Python types).

    Raises:
        InputError: ``JSON Parse error: The document is empty`` for an empty body,
            ``JSON Parse error: <rapidjson's message> at offset: N``, or
            ``JSON Value: ... Is not object``.
    """
    if not body:
        raise InputError("JSON Parse error: The document is empty")
    try:
        # A big body's rows would set off full collections that walk every object of the
        # process (TensorFlow's included): more time than the parse itself.
        with collector_paused() if len(body) >= _PAUSE_GC_ABOVE else contextlib.nullcontext():
            doc = parse(body)
    except JsonParseError as exc:
        raise InputError(f"JSON Parse error: {exc}") from None
    return require_object(doc)


def parse_request(
    request: str | bytes | Mapping[str, Any],
) -> tuple[Mapping[str, Any], bool]:
    """A REST body (text, bytes or already parsed) as its top-level object, and whether
    it can hold ``true``/``false`` (numeric inputs then skip a leaf scan).

    A predict body of numeric tensors is read by the fast path
    (:mod:`explorer.codec.fast_request`): its object holds the tensors ready, and is read
    in full (exactly, as here) only if something asks for more.

    Raises:
        InputError: as :func:`parse_body` and :func:`require_object`.
    """
    if isinstance(request, (str, bytes)):
        fast = fast_request.read(request, parse_body)
        if fast is not None:
            return fast, False
        text = request if isinstance(request, bytes) else request.encode("utf-8", "surrogatepass")
        return parse_body(request), b"true" in text or b"false" in text
    return require_object(request), True


def require_object(doc: Any) -> dict[str, Any]:
    """The top level must be an object (``JSON Value: ... Is not object``).

    Any Python mapping counts as one (it is what a JSON object parses to).
    """
    if isinstance(doc, Mapping) and not isinstance(doc, dict):
        doc = dict(doc)
    if not isinstance(doc, dict):
        raise InputError(f"JSON Value: {value_text(doc)} Is not object")
    return doc


def _pruned(value: Any, left: list[int]) -> Any:
    # A copy holding the first `left[0]` nodes in document order: its text starts as the
    # original's does, and its depth is at most that many levels.
    left[0] -= 1
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if left[0] <= 0:
                break
            items.append(_pruned(item, left))
        return items
    if isinstance(value, Mapping):
        pairs = []
        for key, item in members(value):
            if left[0] <= 0:
                break
            pairs.append((str(key), _pruned(item, left)))
        kept = dict(pairs)
        return kept if len(kept) == len(pairs) else RepeatedMembers(pairs)
    if isinstance(value, _JSON_TYPES):
        return value
    return repr(value)
