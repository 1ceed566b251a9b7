"""What a tap returned: one value per place the tapped op ran, with a summary to read.

A tap's value is an array the model computed for this request; TF Serving's answer is
never changed by it. The summary (min / max / mean / std, NaN and Inf counts, the share
of zeros) is what a person reads first; views (tables, heatmaps, channel grids) are drawn
from :attr:`TapValue.value` by the app and the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.run.taps import TapSite


@dataclass(frozen=True, slots=True)
class TapSummary:
    """Numbers that describe an array at a glance (None where they do not apply)."""

    dtype: str
    shape: tuple[int, ...]
    size: int
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    std: float | None = None
    nan_count: int = 0
    inf_count: int = 0
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


@dataclass(frozen=True, slots=True)
class TapValue:
    """One tapped op output at one place it ran, for one call."""

    site: TapSite
    # The array; None when the place did not run for this request (an If branch not
    # taken, a While loop that ran no iteration).
    value: np.ndarray[Any, Any] | None = None

    @property
    def ran(self) -> bool:
        return self.value is not None

    @property
    def note(self) -> str:
        """What a reader must know about where the value comes from."""
        if not self.ran:
            return (
                "did not run for this request (its If/Case branch was not taken, or its "
                "While loop ran no iteration)"
            )
        if self.site.in_loop:
            return "inside a While loop: the value of its last iteration"
        return ""

    def summary(self) -> TapSummary | None:
        """The value's summary; None when it did not run."""
        return summarize(self.value) if self.value is not None else None

    def as_dict(self) -> dict[str, Any]:
        """The tap's identity and summary (no values), for JSON."""
        summary = self.summary()
        return {
            "tap": self.site.tap,
            "id": self.site.id,
            "function": self.site.function,
            "node": self.site.node,
            "output": self.site.port,
            "dtype": self.site.dtype,
            "ran": self.ran,
            "note": self.note,
            "summary": summary.as_dict() if summary is not None else None,
        }


def summarize(value: np.ndarray[Any, Any]) -> TapSummary:
    """Min, max, mean, std, NaN/Inf counts and zero share of a numeric or bool array;
    only dtype, shape and size for strings."""
    array = np.asarray(value)
    base = TapSummary(str(array.dtype), tuple(int(d) for d in array.shape), int(array.size))
    if array.size == 0 or array.dtype.kind not in "biufc":
        return base
    if array.dtype.kind == "c":
        array = np.abs(array)
    numbers = array.astype(np.float64, copy=False)
    finite = numbers[np.isfinite(numbers)]
    nan = int(np.count_nonzero(np.isnan(numbers)))
    inf = int(np.count_nonzero(np.isinf(numbers)))
    zero = float(np.count_nonzero(numbers == 0)) / numbers.size
    if finite.size == 0:
        return TapSummary(
            base.dtype, base.shape, base.size, nan_count=nan, inf_count=inf, zero_fraction=zero
        )
    return TapSummary(
        base.dtype,
        base.shape,
        base.size,
        minimum=float(finite.min()),
        maximum=float(finite.max()),
        mean=float(finite.mean()),
        std=float(finite.std()),
        nan_count=nan,
        inf_count=inf,
        zero_fraction=zero,
    )
