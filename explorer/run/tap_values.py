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

from explorer.codec.fills import ArraySummary, summarize
from explorer.run.taps import TapSite


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

    def summary(self) -> ArraySummary | None:
        """The value's summary; None when it did not run."""
        if self.value is None:
            return None
        return summarize(self.value, self.site.dtype)

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
