"""How a replayed answer differs from the recorded one: JSON compared with a float tolerance.

Floats follow numpy's ``isclose`` rule (``|got - expected| <= atol + rtol * |expected|``;
NaN equals NaN, infinities must match); strings, ints and bools must be equal, and an int
where a float was recorded is a type change (the output's dtype changed). Two error
answers agree only with the same message. Pure Python: no numpy, no TensorFlow.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6


@dataclass(frozen=True, slots=True)
class Difference:
    """Where a replayed answer departs from the recorded one."""

    # JSON path into the response, e.g. "predictions[0][1]" or "outputs.y[2]".
    path: str
    kind: Literal["value", "type", "length", "missing", "extra", "error"]
    expected: Any
    got: Any

    @property
    def message(self) -> str:
        """One line for a table or a terminal."""
        where = self.path or "response"
        if self.kind == "missing":
            return f"{where}: missing (expected {_short(self.expected)})"
        if self.kind == "extra":
            return f"{where}: not in the recorded answer (got {_short(self.got)})"
        if self.kind == "length":
            return f"{where}: {self.got} items, expected {self.expected}"
        if self.kind == "error" and self.expected is None:
            return f"got an error instead of a result: {self.got}"
        if self.kind == "error" and self.got is None:
            return f"expected the error {_short(self.expected, 200)}, got a result"
        if self.kind == "error":
            return f"another error: {_short(self.got, 200)}, expected {_short(self.expected, 200)}"
        if self.kind == "type":
            return (
                f"{where}: {_short(self.got)} ({_kind(self.got)}), expected "
                f"{_short(self.expected)} ({_kind(self.expected)})"
            )
        if isinstance(self.expected, float) and isinstance(self.got, float):
            delta = abs(self.got - self.expected)
            return f"{where}: {self.got!r}, expected {self.expected!r} (off by {delta:.3g})"
        return f"{where}: {_short(self.got)}, expected {_short(self.expected)}"


def compare_responses(
    expected: Any, got: Any, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> list[Difference]:
    """Every difference between a recorded answer and a new one.

    Args:
        expected: the recorded response JSON (or ``{"error": ...}``).
        got: the new one.
        rtol: relative tolerance on floats.
        atol: absolute tolerance on floats.

    Returns:
        The differences, in document order; empty when the answers agree.

    Raises:
        Nothing.
    """
    expected_error = _error_of(expected)
    got_error = _error_of(got)
    if expected_error is not None or got_error is not None:
        if expected_error == got_error:
            return []
        return [Difference("error", "error", expected_error, got_error)]
    found: list[Difference] = []
    _compare(expected, got, "", rtol, atol, found)
    return found


# --- helpers ------------------------------------------------------------------------------


def _error_of(response: Any) -> str | None:
    if isinstance(response, Mapping) and set(response) == {"error"}:
        return str(response["error"])
    return None


def _compare(
    expected: Any, got: Any, path: str, rtol: float, atol: float, found: list[Difference]
) -> None:
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        for key in expected:
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                found.append(Difference(where, "missing", expected[key], None))
            else:
                _compare(expected[key], got[key], where, rtol, atol, found)
        found.extend(
            Difference(f"{path}.{key}" if path else str(key), "extra", None, got[key])
            for key in got
            if key not in expected
        )
        return
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            found.append(Difference(path, "length", len(expected), len(got)))
            return
        for index, (e, g) in enumerate(zip(expected, got, strict=True)):
            _compare(e, g, f"{path}[{index}]", rtol, atol, found)
        return
    if _kind(expected) != _kind(got):
        found.append(Difference(path, "type", expected, got))
        return
    same = _close(expected, got, rtol, atol) if isinstance(expected, float) else expected == got
    if not same:
        found.append(Difference(path, "value", expected, got))


def _kind(value: Any) -> str:
    # bool before int: True is an int to Python, not to TF Serving's JSON.
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "list" if isinstance(value, list) else "object"


def _close(expected: float, got: float, rtol: float, atol: float) -> bool:
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    if math.isinf(expected) or math.isinf(got):
        return expected == got
    return abs(got - expected) <= atol + rtol * abs(expected)


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
