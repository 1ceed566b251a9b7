"""One typed cell of a form as the value its dtype holds, or a message saying why not.

The Run tab's tables take text: a cell the dtype cannot hold ("abc" in an int64 cell, 2.5
in an int32 one, 1e39 in a float32 one) is refused with a sentence naming what it holds,
never silently turned into 0. The same rules serve a tf.Example feature's cells (int64 or
float) and a predict input's.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.model.dtypes import numpy_name

if TYPE_CHECKING:
    from explorer.graph.example_features import ExampleFeature

_WORDS = {"DT_FLOAT": "float32", "DT_DOUBLE": "float64", "DT_HALF": "float16"}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class CellError(ValueError):
    """A cell's text that its dtype cannot hold (the message says what it can)."""


def parse_cell(value: Any, dtype: str) -> Any:
    """``value`` (text as typed, or a number) as the JSON value a ``dtype`` cell holds.

    Args:
        value: the cell: a string, a number or a bool.
        dtype: ``DT_INT64``, ``DT_FLOAT``, ``DT_BOOL``, ``DT_STRING``, …

    Returns:
        An int for integer dtypes, a float for floating ones, a bool, or the text.

    Raises:
        CellError: text that is not a number of the dtype's kind, a fraction in an integer
            cell, a number out of the dtype's range, or an empty cell.
    """
    if dtype == "DT_STRING":
        return "" if value is None else str(value)
    text = str(value).strip() if not isinstance(value, (bool, int, float)) else None
    if text == "":
        raise CellError("the cell is empty: type a value")
    if dtype == "DT_BOOL":
        return _boolean(value, text)
    numpy_type = np.dtype(numpy_name(dtype))
    number = _number(value, text, dtype, numpy_type.kind in "iu")
    if numpy_type.kind in "iu":
        info = np.iinfo(numpy_type)
        if not info.min <= number <= info.max:
            raise CellError(
                f"{number} is out of range: {numpy_name(dtype)} holds whole numbers from "
                f"{info.min:,} to {info.max:,}"
            )
        return int(number)
    with np.errstate(over="ignore"):
        held = float(numpy_type.type(number))
    if math.isfinite(number) and not math.isfinite(held):
        limit = float(np.finfo(numpy_type).max)
        raise CellError(
            f"{_shown(value)} is beyond what {_WORDS.get(dtype, dtype)} holds (±{limit:.3g})"
        )
    return float(number)


def _number(value: Any, text: str | None, dtype: str, whole: bool) -> Any:
    name = numpy_name(dtype)
    kind = f"{'an' if name.startswith('int') else 'a'} {name} cell"
    if text is None:
        number: Any = value
        if isinstance(value, bool):
            raise CellError(f"{value} is not a number: {kind} holds numbers")
    else:
        try:
            number = int(text) if whole and _looks_whole(text) else float(text)
        except ValueError:
            example = "42" if whole else "0.5"
            what = "whole number" if whole else "number"
            raise CellError(
                f"{_shown(value)} is not a {what}: {kind} holds {what}s such as {example}"
            ) from None
    if whole:
        if isinstance(number, float):
            if not math.isfinite(number) or not number.is_integer():
                raise CellError(
                    f"{_shown(value)} is not a whole number: {kind} holds whole numbers such as 42"
                )
            number = int(number)
        return number
    return float(number)


def _looks_whole(text: str) -> bool:
    digits = text[1:] if text[:1] in "+-" else text
    return digits.isdigit()


def _boolean(value: Any, text: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if text is None:
        if value in (0, 1):
            return bool(value)
    elif text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    raise CellError(f"{_shown(value)} is not true or false")


def _shown(value: Any) -> str:
    text = str(value)
    return f'"{text[:40]}…"' if len(text) > 40 else f'"{text}"'


# A tf.Example feature's value types, as its cells' messages name them.
FEATURE_TYPE_WORDS = {"DT_FLOAT": "float", "DT_INT64": "int64", "DT_STRING": "bytes"}


def scalar_feature(feature: ExampleFeature) -> bool:
    """A dense feature of one value: its cell holds the value itself, not a list."""
    return feature.kind == "dense" and feature.shape in ((), (1,))


def feature_cell(feature: ExampleFeature, cell: Any) -> Any:
    """A form's cell as the JSON value a tf.Example feature is sent as: a scalar feature's
    value typed by the model (a whole number for a float feature still goes as 2.0, a
    float_list), any other's values from a JSON list (a string feature's plain text is
    one value).

    Raises:
        CellError: a value the feature's type cannot hold, or a list that is not JSON.
    """
    if scalar_feature(feature):
        return feature_value(feature, cell)
    text = str(cell).strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        if feature.dtype != "DT_STRING":
            raise CellError(
                f"expected a JSON list of {FEATURE_TYPE_WORDS.get(feature.dtype)} values such "
                f"as [1.0, 2.0], got {text[:40]!r}"
            ) from None
        value = text
    values = value if isinstance(value, list) else [value]
    return [feature_value(feature, v) for v in values]


def feature_value(feature: ExampleFeature, value: Any) -> Any:
    """One value of a feature as the model's type holds it (strings as text, or a
    ``{"b64": ...}`` object).

    Raises:
        CellError: a number the feature's type cannot hold.
    """
    if feature.dtype == "DT_STRING":
        if isinstance(value, dict) and set(value) == {"b64"}:
            return value
        return value if isinstance(value, str) else json.dumps(value)
    return parse_cell(value, feature.dtype)
