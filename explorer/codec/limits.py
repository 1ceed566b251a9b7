"""What a request may hold before it is converted: an element budget, a nesting limit, and
the body-text checks rapidjson makes that Python's ``json`` module does not.

TF Serving trusts its clients; an explorer that runs on a laptop (or in a shared app)
should not. A request whose tensors would hold more elements than the budget
(``EXPLORER_MAX_REQUEST_ELEMENTS``, default 10,000,000; ``max_request_elements=`` on every
call) is refused from its JSON structure or array shapes alone, before numpy or TensorFlow
allocates anything. Nesting deeper than numpy's 64 dimensions is refused the same way,
so a list nested 100,000 levels deep is an InputError rather than a RecursionError.

Error texts that quote a request value go through :func:`value_text`, which prints only
the first few hundred nodes (TF Serving truncates the text at 256 bytes anyway), so a huge
or deeply nested body costs nothing to quote and never recurses deeply.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from explorer.codec import rest_text
from explorer.codec.rest_text import json_type, json_value_text
from explorer.errors import ExplorerError, InputError

MAX_ELEMENTS_ENV = "EXPLORER_MAX_REQUEST_ELEMENTS"
DEFAULT_MAX_ELEMENTS = 10_000_000
# numpy's NPY_MAXDIMS: TensorFlow allows 254 dimensions, but every tensor passes through
# a numpy array here.
MAX_RANK = 64
# Nodes of a value printed in an error: enough for TF Serving's 256-byte excerpt.
_QUOTED_NODES = 200
_JSON_TYPES = (type(None), bool, int, float, str, list, tuple, dict)
# A \uXXXX escape of a UTF-16 surrogate, with the backslashes before it.
_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")
_LONG_INTEGER = re.compile(r"-?[0-9]{4000,}")
_OFFSET = re.compile(r"at offset: (\d+)$")
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
    """``rest_text.parse_body``, plus what rapidjson refuses and Python's ``json`` does not.

    rapidjson rejects a lone UTF-16 surrogate (``"\\ud800"``) and integers too long for a
    double; Python accepts the first and fails the second with a bare ValueError. Like
    rapidjson, the first error in the text is the one reported.

    Args:
        body: the request body (bytes are read as UTF-8, bad bytes replaced).

    Returns:
        The top-level JSON object.

    Raises:
        InputError: ``JSON Parse error: <rapidjson's message> at offset: N`` and the rest
            of ``rest_text.parse_body``'s errors.
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    early = _encoding_error(text)
    try:
        with _collector_paused(len(text)):
            doc = rest_text.parse_body(text)
    except InputError as exc:
        found = _OFFSET.search(str(exc))
        if early is not None and found and early[0] < int(found[1]):
            raise early[1] from None
        raise
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        if early is not None:
            raise early[1] from None
        match = _LONG_INTEGER.search(text)
        offset = len(text[: match.start()].encode("utf-8")) if match else 0
        raise InputError(
            f"JSON Parse error: Number too big to be stored in double. at offset: {offset}"
        ) from None
    if early is not None:
        raise early[1]
    return require_object(doc)


def parse_request(request: str | bytes | Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """A REST body (text, bytes or already parsed) as its top-level object, and whether
    its text can hold ``true``/``false`` (numeric inputs then skip a leaf scan).

    Raises:
        InputError: as :func:`parse_body` and :func:`require_object`.
    """
    if isinstance(request, (str, bytes)):
        text = request if isinstance(request, str) else request.decode("utf-8", "replace")
        return parse_body(text), "true" in text or "false" in text
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


@contextlib.contextmanager
def _collector_paused(size: int) -> Iterator[None]:
    # Parsing a big body creates a list per row of every tensor; each batch of new lists
    # sets off the cyclic garbage collector, whose full passes then walk every object of
    # the process (TensorFlow's included): more time than the parse itself. JSON cannot
    # hold cycles, so nothing is lost by pausing it, and it is resumed right after.
    if size < _PAUSE_GC_ABOVE or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _encoding_error(text: str) -> tuple[int, InputError] | None:
    # A str holding raw lone surrogates cannot even be sent as UTF-8.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            offset = len(text[: exc.start].encode("utf-8", "surrogatepass"))
            message = f"JSON Parse error: Invalid encoding in string. at offset: {offset}"
            return offset, InputError(message)
    return _surrogate_error(text)


def _surrogate_error(text: str) -> tuple[int, InputError] | None:
    # rapidjson reads a high surrogate escape and requires "\\u" + a low one right after;
    # a low one alone is an error too. Offsets are of the escape's backslash, in bytes.
    if "\\" not in text:
        return None
    bad = None
    pending: tuple[int, int] | None = None  # (offset, end) of a high surrogate escape
    for match in _SURROGATE_ESCAPE.finditer(text):
        if len(match[1]) % 2 == 0:  # an escaped backslash followed by "u..." text
            continue
        start, high = match.start(2) - 2, match[2][1] in "89abAB"
        if pending is not None:
            if high or start != pending[1]:
                bad = pending[0]
                break
            pending = None
        elif high:
            pending = (start, match.end())
        else:
            bad = start
            break
    if bad is None and pending is not None:
        bad = pending[0]
    if bad is None:
        return None
    offset = len(text[:bad].encode("utf-8", "surrogatepass"))
    message = f"JSON Parse error: The surrogate pair in string is invalid. at offset: {offset}"
    return offset, InputError(message)


def _printable(text: str) -> str:
    # A lone surrogate (from a Python caller) cannot be written as UTF-8: show it escaped.
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
        pruned = {}
        for key, item in value.items():
            if left[0] <= 0:
                break
            pruned[_printable(str(key))] = _pruned(item, left)
        return pruned
    if isinstance(value, str):
        return _printable(value)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:  # rapidjson holds it as a double; too big for one
            return float("inf") if value > 0 else float("-inf")
    if isinstance(value, _JSON_TYPES):
        return value
    return repr(value)
