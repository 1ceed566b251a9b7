"""The C loops of TF Serving's REST JSON, as typed calls: ``explorer.codec._speedups``,
compiled from ``explorer/codec/_speedups_c/`` when the package is installed.

- :func:`read_predict`: a predict body's tensors, numbers read exactly as rapidjson 1.1.0
  reads them (the fast request path, :mod:`explorer.codec.fast_request`);
- :func:`join_numbers`: a tensor's values as TF Serving's JSON tokens, joined with the
  writer's separators (the response writer, :mod:`explorer.codec.json_numbers`).

Both release the GIL while they loop, so calls on other threads go on meanwhile. Where the
extension could not be built (no C compiler at install), :data:`AVAILABLE` is False and
the callers take their pysimdjson and numpy paths, which give the same tensors and bytes
(the tests check both against each other).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from explorer.codec.request_numbers import FoundBody, Numbers

try:
    from explorer.codec import _speedups as _native

    AVAILABLE = True
except ImportError:  # built without it (no compiler): the pure-Python paths serve
    AVAILABLE = False

_INT64_MAX = 2**63 - 1


def read_predict(
    body: str | bytes, *, split_bytes: int | None = None, search_first: bool = False
) -> FoundBody | None:
    """A predict body's tensors, or None when the body is not one the C reader handles
    (see ``explorer/codec/_speedups_c/predict_body.c``): then the exact path reads it.

    Args:
        body: the request's JSON text.
        split_bytes: a tensor whose array has this much text or more is read by two threads
            at once, on a machine with two CPUs or more (``tensor_text.c``); None: 1 MiB.
        search_first: the first thread waits for the second's guess of where to start, so
            that small bodies are read by both (for tests; the answer is the same either way).

    Raises:
        RuntimeError: the extension is not built (check :data:`AVAILABLE` first).
    """
    if not AVAILABLE:
        raise RuntimeError("explorer.codec._speedups is not built")
    found = _native.read_predict(
        body, split_bytes=-1 if split_bytes is None else split_bytes, search_first=search_first
    )
    if found is None:
        return None
    keys, signature_name, _, plain, columns = found
    numbers = {}
    for name, dims, buffer, is_double, low, high in columns:
        kind = np.float64 if is_double else np.uint64 if (high or 0) > _INT64_MAX else np.int64
        numbers[name] = Numbers(dims, np.frombuffer(buffer, kind), low, high)
    return FoundBody(keys, signature_name, plain, numbers, True, _rapidjson_doubles)


def _rapidjson_doubles(doubles: np.ndarray) -> bool:
    return True  # the C reader's doubles are rapidjson's own: their float32 is TF Serving's


def join_numbers(
    values: np.ndarray,
    separators: Sequence[bytes],
    head: bytes = b"",
    tail: bytes = b"",
    *,
    exact_printf: bool = False,
) -> str:
    """The values (any shape, C order) as TF Serving's JSON tokens.

    Args:
        values: floats (float32/float64), integers (int8/16/32/64, uint8/16/32/64) or bools.
        separators: ``separators[k]`` goes between two values where ``k`` inner arrays end
            (``separators[0]`` inside one innermost array): one per dimension (one for a
            scalar, unused).
        head: text before the first value.
        tail: text after the last value.
        exact_printf: format every float through ``snprintf``/``strtod`` (TF Serving's own
            path) instead of the fast exact arithmetic; for tests.

    Raises:
        RuntimeError: the extension is not built.
        ValueError: a dtype the writer has no case for, or separators that do not fit.
    """
    if not AVAILABLE:
        raise RuntimeError("explorer.codec._speedups is not built")
    array = np.asarray(values)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    flat = np.ascontiguousarray(array).reshape(-1)
    return _native.join_numbers(
        flat,
        array.dtype.kind,
        array.dtype.itemsize,
        tuple(array.shape),
        tuple(separators),
        head,
        tail,
        exact_printf,
    )
