"""The fast path: a predict body of numeric tensors read straight into arrays.

Most predict bodies are ``{"instances": [[...]]}`` or ``{"inputs": ...}`` holding
rectangular arrays of numbers. A fast reader finds their numbers in one pass: the C
extension (:mod:`explorer.codec.speedups`: rapidjson 1.1.0's number algorithm, ported
statement for statement, with the GIL released) or, where it is not built, pysimdjson
(:mod:`explorer.codec.simdjson_request`, correctly rounded doubles and proofs). The numbers
become tensors only when the result is provably what the exact path
(:mod:`explorer.codec.rapidjson_reader` and ``rest_request``) gives:

- integer dtypes: every token an integer within the range rapidjson's ``IsInt`` /
  ``IsUint`` ... accept for the dtype (narrowed by a C cast, as TF Serving does);
- ``DT_FLOAT`` / ``DT_DOUBLE``: the reader's doubles when they are rapidjson's (the C
  reader's; simdjson's for ``DT_FLOAT`` only when proved to give the same float32s);
  integer tokens converted as the exact path converts them (for ``DT_FLOAT`` only up to
  2^53 in magnitude: past it numpy's int64 → float32 and rapidjson's int → double → float
  can differ, and the exact path decides).

Anything else (another top-level member, a repeated member, strings, ``b64``, booleans,
another dtype, NaN/Infinity, a number rapidjson refuses, any error) goes to the exact path,
which reads the body again from its text: every answer and error stays TF Serving's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from explorer.codec import simdjson_request, speedups
from explorer.codec.request_numbers import FoundBody, Numbers

_INT_RANGES = {
    "DT_INT32": (-(2**31), 2**31 - 1), "DT_INT16": (-(2**31), 2**31 - 1),
    "DT_INT8": (-(2**31), 2**31 - 1), "DT_UINT8": (-(2**31), 2**31 - 1),
    "DT_INT64": (-(2**63), 2**63 - 1), "DT_UINT32": (0, 2**32 - 1), "DT_UINT64": (0, 2**64 - 1),
}  # fmt: skip
_NUMPY_INTS = {
    "DT_INT32": np.int32, "DT_INT16": np.int16, "DT_INT8": np.int8, "DT_UINT8": np.uint8,
    "DT_INT64": np.int64, "DT_UINT32": np.uint32, "DT_UINT64": np.uint64,
}  # fmt: skip
_EXACT_IN_DOUBLE = 2**53  # integers up to this magnitude convert to float32 one way only


class FastDoc(Mapping[str, Any]):
    """A predict body read by the fast path.

    As a mapping it is the body's top-level object: ``signature_name`` is at hand, the
    tensor member is read exactly (``exact()``) when asked for. ``tensors`` gives the
    arrays when they are provably the exact path's.
    """

    def __init__(
        self, body: str | bytes, found: FoundBody, exact: Callable[[bytes], dict[str, Any]]
    ) -> None:
        self.body = body
        self.found = found
        self.keys_in_order = list(found.keys)
        self.signature_name = found.signature_name
        self.row_format = "instances" in found.keys
        # Input name → numbers; with ``plain`` one unnamed tensor keyed "".
        self.columns = found.columns
        self.plain = found.plain
        self._exact = exact
        self._data = body if isinstance(body, bytes) else None
        self._doc: dict[str, Any] | None = None

    @property
    def data(self) -> bytes:
        """The body as bytes (text is encoded when first asked: a reader took it as UTF-8)."""
        if self._data is None:
            self._data = str(self.body).encode("utf-8")
        return self._data

    def exact(self) -> dict[str, Any]:
        """The body read by the exact path (once)."""
        if self._doc is None:
            self._doc = self._exact(self.data)
        return self._doc

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys_in_order:
            raise KeyError(key)
        if key == "signature_name" and self.signature_name is not None:
            return self.signature_name
        return self.exact()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_in_order)

    def __len__(self) -> int:
        return len(self.keys_in_order)

    def __contains__(self, key: object) -> bool:
        return key in self.keys_in_order

    def tensors(self, infos: Mapping[str, str]) -> dict[str, tuple[np.ndarray, list[int]]] | None:
        """Input name → (array, shape) for the signature's inputs (name → dtype), or None
        when the exact path must decide (an error to report, or values to prove)."""
        if self.plain:
            if len(infos) != 1:
                return None
            columns = {next(iter(infos)): self.columns[""]}
        else:
            if set(infos) - set(self.columns):
                return None
            if self.row_format and set(infos) != set(self.columns):
                return None
            columns = {name: self.columns[name] for name in infos}
        out = {}
        for name, numbers in columns.items():
            array = self._convert(numbers, infos[name])
            if array is None:
                return None
            out[name] = (array.reshape(numbers.dims), list(numbers.dims))
        return out

    def _convert(self, numbers: Numbers, dtype: str) -> np.ndarray | None:
        values = numbers.values
        if numbers.low is not None and numbers.high is not None:  # integer tokens only
            if dtype in _INT_RANGES:
                low, high = _INT_RANGES[dtype]
                if numbers.low < low or numbers.high > high:
                    return None
                return values.astype(_NUMPY_INTS[dtype])
            if dtype == "DT_DOUBLE":
                return values.astype(np.float64)
            if dtype == "DT_FLOAT" and max(-numbers.low, numbers.high) <= _EXACT_IN_DOUBLE:
                return values.astype(np.float32)
            return None
        if dtype == "DT_DOUBLE" and self.found.doubles_exact:
            return values
        if dtype == "DT_FLOAT" and self.found.float32_exact(values):
            with np.errstate(over="ignore"):
                return values.astype(np.float32)
        return None


def read(
    body: str | bytes,
    exact: Callable[[bytes], dict[str, Any]],
    *,
    native: bool = speedups.AVAILABLE,
) -> FastDoc | None:
    """The body as a :class:`FastDoc`, or None when it is not a plain numeric predict body.

    Args:
        body: the request body.
        exact: the exact reader (``limits.parse_body``), for what the fast path leaves.
        native: read with the C extension (the default where it is built), else pysimdjson.
    """
    if native:
        text = body if isinstance(body, (str, bytes)) else bytes(body)
        found = speedups.read_predict(text)
        return FastDoc(text, found, exact) if found is not None else None
    if isinstance(body, str):
        try:
            data = body.encode("utf-8")
        except UnicodeEncodeError:
            return None
    else:
        data = bytes(body)
    found = simdjson_request.read(data)
    return FastDoc(data, found, exact) if found is not None else None
