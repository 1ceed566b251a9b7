# The C extension built from explorer/codec/_speedups_c/ (see explorer/codec/speedups.py).
from typing import Any

import numpy as np

# (name, dims, values, is_double, low, high): values int64/uint64/float64 bytes.
Column = tuple[str, tuple[int, ...], memoryview, bool, int | None, int | None]

def read_predict(
    body: bytes | str, /, *, split_bytes: int = -1, search_first: bool = False
) -> tuple[tuple[str, ...], str | None, bool, bool, tuple[Column, ...]] | None: ...
def join_numbers(
    values: np.ndarray[Any, Any] | bytes,
    kind: str,
    itemsize: int,
    shape: tuple[int, ...],
    separators: tuple[bytes, ...],
    head: bytes,
    tail: bytes,
    exact_printf: bool = False,
) -> str: ...
def split_counts() -> tuple[int, int, int]: ...
