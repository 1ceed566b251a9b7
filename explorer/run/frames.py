"""pandas DataFrames of a call's results: one table per output, or the classify/regress
``results``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from explorer.constants import MethodKind


def dataframes(
    method: MethodKind,
    response: Mapping[str, Any],
    outputs: Mapping[str, Any],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """pandas DataFrames of a call's results (see ``CallResult.to_dataframes``)."""
    # Here, not at the top: pandas costs ~0.3 s of a start, and only these views need it.
    import pandas as pd

    frames: dict[str, Any] = {}
    if method is MethodKind.CLASSIFY:
        rows = [
            (i, c, label, score)
            for i, classes in enumerate(response["results"])
            for c, (label, score) in enumerate(classes)
        ]
        frames["results"] = pd.DataFrame(rows, columns=["example", "class", "label", "score"])
    elif method is MethodKind.REGRESS:
        results = response["results"]
        frames["results"] = pd.DataFrame({"example": range(len(results)), "value": results})
    else:
        frames.update((alias, _frame(pd, array)) for alias, array in outputs.items())
    frames.update((f"extra:{name}", _frame(pd, array)) for name, array in extra.items())
    return frames


def _frame(pd: Any, array: Any) -> Any:
    array = np.asarray(array)
    if array.dtype == object:
        array = np.vectorize(_text, otypes=[object])(array) if array.size else array
    if array.ndim <= 1:
        return pd.DataFrame({"value": array.reshape(-1)})
    flat = array.reshape(array.shape[0], -1)
    columns = [",".join(map(str, i)) for i in np.ndindex(*array.shape[1:])]
    return pd.DataFrame(flat, columns=columns)


def _text(value: Any) -> Any:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
