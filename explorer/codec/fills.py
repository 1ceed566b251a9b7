"""Big tensors without typing them: arrays filled by rule, and what an array holds in brief.

A ``(1, 224, 224, 3)`` input is 150,528 numbers: written as JSON text it is most of a
megabyte, which no one reads or edits. The app's compact editor describes such an input
by its shape and a :class:`TensorFill` instead, builds the array only when it is sent, and
shows an :class:`ArraySummary` of whatever the tensor holds (a fill, a file, an image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from explorer.codec.limits import ElementBudget, element_count
from explorer.errors import InputError
from explorer.model.dtypes import numpy_name

FillKind = Literal["zeros", "constant", "random"]
FILLS: dict[FillKind, str] = {
    "zeros": "zeros",
    "constant": "one value everywhere",
    "random": "random, uniform in a range",
}
# Inputs with more elements than this get the compact editor instead of JSON text.
TEXT_ELEMENTS = 4_096


@dataclass(frozen=True, slots=True)
class TensorFill:
    """How to fill a tensor: zeros, a constant, or uniform random values (seeded, so the
    same fill sends the same request every time)."""

    kind: FillKind = "zeros"
    value: Any = 0
    low: float = 0.0
    high: float = 1.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ArraySummary:
    """What an array holds, in one line's worth of numbers."""

    shape: tuple[int, ...]
    dtype: str
    size: int
    # Numeric arrays (None for strings and empty arrays).
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    nan_count: int = 0
    inf_count: int = 0
    std: float | None = None
    # Share of the values that are exactly zero (a dead ReLU shows here).
    zero_fraction: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "shape": list(self.shape),
            "size": self.size,
            "min": self.minimum,
            "max": self.maximum,
            "mean": self.mean,
            "std": self.std,
            "nan_count": self.nan_count,
            "inf_count": self.inf_count,
            "zero_fraction": self.zero_fraction,
        }

    def describe(self) -> str:
        """``shape [1, 224, 224, 3] · DT_FLOAT · 150,528 values · min 0 · max 1 · mean 0.5``."""
        parts = [f"shape {list(self.shape)}", self.dtype, f"{self.size:,} values"]
        if self.minimum is not None:
            parts += [f"min {self.minimum:.4g}", f"max {self.maximum:.4g}", f"mean {self.mean:.4g}"]
        if self.nan_count:
            parts.append(f"{self.nan_count:,} NaN")
        if self.inf_count:
            parts.append(f"{self.inf_count:,} ±Inf")
        return " · ".join(parts)


def filled_array(
    shape: tuple[int, ...], dtype: str, fill: TensorFill, *, key: str = "", budget: ElementBudget
) -> np.ndarray:
    """An array of ``shape`` and TensorFlow ``dtype`` filled as ``fill`` says.

    Raises:
        InputError: a negative dimension, more elements than the budget, a value the
            dtype cannot hold, or a random range that is empty.
    """
    if any(d < 0 for d in shape):
        raise InputError(f'Input "{key}": dimensions cannot be negative; got {list(shape)}.')
    numpy_type = numpy_dtype(dtype)
    if numpy_type is None:
        raise InputError(f'Input "{key}": {dtype} tensors cannot be filled here; send JSON.')
    budget.take(key, element_count(shape), shape)
    if fill.kind == "zeros":
        zero: Any = b"" if dtype == "DT_STRING" else 0
        return np.full(shape, zero, dtype=numpy_type)
    if fill.kind == "constant":
        return np.full(shape, _held(fill.value, dtype, numpy_type, key), dtype=numpy_type)
    if dtype == "DT_STRING":
        raise InputError(f'Input "{key}": random values need a numeric or bool input.')
    if not fill.low < fill.high:
        raise InputError(
            f'Input "{key}": a random range needs low < high; got {fill.low:g} to {fill.high:g}.'
        )
    generator = np.random.default_rng(fill.seed)
    if numpy_type == np.bool_:
        return generator.random(shape) < 0.5
    if numpy_type.kind in "iu":
        low, high = int(np.ceil(fill.low)), int(np.floor(fill.high))
        _held(low, dtype, numpy_type, key)
        _held(high, dtype, numpy_type, key)
        return generator.integers(low, high, size=shape, endpoint=True).astype(numpy_type)
    return generator.uniform(fill.low, fill.high, size=shape).astype(numpy_type)


def numpy_dtype(dtype: str) -> np.dtype[Any] | None:
    """The numpy dtype arrays of a TensorFlow dtype are built with (object for strings);
    None for the few numpy lacks (bfloat16, resources, variants)."""
    if dtype == "DT_STRING":
        return np.dtype(object)
    try:
        return np.dtype(numpy_name(dtype))
    except TypeError:
        return None


def summarize(array: np.ndarray, dtype: str) -> ArraySummary:
    """Shape, size and, for numbers, min/max/mean/std over the finite values, NaN/Inf
    counts and the share of zeros (complex values by their magnitude)."""
    shape = tuple(int(d) for d in array.shape)
    if array.dtype.kind not in "fiubc" or array.size == 0:
        return ArraySummary(shape, dtype, int(array.size))
    values = (np.abs(array) if array.dtype.kind == "c" else array).astype(np.float64)
    finite = values[np.isfinite(values)]
    nan_count = int(np.isnan(values).sum())
    inf_count = int(np.isinf(values).sum())
    zeros = float(np.count_nonzero(values == 0)) / values.size
    if not finite.size:
        return ArraySummary(
            shape, dtype, int(array.size), nan_count=nan_count, inf_count=inf_count,
            zero_fraction=zeros,
        )  # fmt: skip
    return ArraySummary(
        shape,
        dtype,
        int(array.size),
        float(finite.min()),
        float(finite.max()),
        float(finite.mean()),
        nan_count,
        inf_count,
        float(finite.std()),
        zeros,
    )


def _held(value: Any, dtype: str, numpy_type: np.dtype[Any], key: str) -> Any:
    # The value as the dtype holds it, or a message saying it cannot.
    if dtype == "DT_STRING":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if numpy_type == np.bool_:
        return bool(value)
    if numpy_type.kind in "iu":
        info = np.iinfo(numpy_type)
        if not float(value).is_integer() or not info.min <= int(value) <= info.max:
            raise InputError(
                f'Input "{key}": {dtype} holds whole numbers from {info.min} to {info.max}; '
                f"got {value}."
            )
        return int(value)
    number = float(value)
    with np.errstate(over="ignore"):
        held = numpy_type.type(number)
    if np.isfinite(number) and not np.isfinite(held):
        raise InputError(f'Input "{key}": {value} is beyond what {dtype} can hold.')
    return number
