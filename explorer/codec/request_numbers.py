"""A predict body's tensors as a fast reader finds them, before the signature's dtypes.

Two readers fill these: the C extension (:mod:`explorer.codec.speedups`), whose numbers are
rapidjson 1.1.0's own values, and pysimdjson (:mod:`explorer.codec.simdjson_request`, used
when the extension is not built), whose doubles are correctly rounded and so may differ
from rapidjson's by a few ULPs. :class:`explorer.codec.fast_request.FastDoc` turns them into
tensors only where the result is provably the exact path's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Numbers:
    """One tensor's numbers in document order.

    ``values`` holds integers (``int64``, or ``uint64`` when one is past int64's range, none
    then negative) while every token is one of rapidjson's integer kinds, else doubles
    (``float64``, the integers among them as rapidjson's ``GetDouble()`` gives them).
    """

    dims: tuple[int, ...]
    values: np.ndarray
    low: int | None  # the least and the greatest integer; None for doubles
    high: int | None


@dataclass(frozen=True, slots=True)
class FoundBody:
    """What a fast reader found: the top-level members and the tensors' numbers.

    ``columns`` maps input names to their numbers (one unnamed tensor, key "", when
    ``plain``). ``float32_exact(doubles)`` says whether ``doubles.astype(float32)`` is
    certainly what TF Serving feeds for these doubles; ``doubles_exact`` whether the doubles
    themselves are rapidjson's (what a ``DT_DOUBLE`` input takes).
    """

    keys: tuple[str, ...]
    signature_name: str | None
    plain: bool
    columns: dict[str, Numbers]
    doubles_exact: bool
    float32_exact: Callable[[np.ndarray], bool]
