"""Run one REST predict body through the request paths and check they agree.

The fast path (``fast_request``: the C reader of ``explorer.codec.speedups``, or pysimdjson
where it is not built) and the exact path (``rapidjson_reader``) must give the same tensors,
or the same error, for every body; so must the two fast readers. Tests that port TF
Serving's request cases go through :func:`predict_both`, so each case checks the paths.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from explorer.codec import fast_request, limits, rest_request, speedups
from explorer.codec.fast_request import FastDoc
from explorer.errors import ExplorerError
from explorer.model.info import SignatureInfo, TensorInfo


def signature(*inputs: tuple[str, str]) -> SignatureInfo:
    """A predict signature with these (alias, dtype) inputs."""
    tensors = tuple(TensorInfo(k, "name", f"{k}:0", dtype, None) for k, dtype in inputs)
    return SignatureInfo("serving_default", "tensorflow/serving/predict", tensors, ())


def exact(body: str | bytes, sig: SignatureInfo) -> Any:
    """The exact path's outcome: (row_format, tensors) or the error."""
    try:
        doc = limits.parse_body(body)
        converted = rest_request.predict_inputs(doc, sig)
    except ExplorerError as exc:
        return exc
    return converted.row_format, converted.tensors


def fast(
    body: str | bytes, sig: SignatureInfo, *, native: bool = speedups.AVAILABLE
) -> tuple[Any, bool]:
    """The outcome through the fast path (the C reader, or pysimdjson with ``native=False``)
    where it reads the body, else the exact path; and whether the fast path gave the
    tensors itself."""
    try:
        doc: Any = fast_request.read(body, limits.parse_body, native=native)
        may_hold_bools = doc is None  # as parse_request: a fast body holds no true/false
        if doc is None:
            doc = limits.parse_body(body)
        took = isinstance(doc, FastDoc) and doc.tensors({t.key: t.dtype for t in sig.inputs})
        converted = rest_request.predict_inputs(doc, sig, may_hold_bools=may_hold_bools)
    except ExplorerError as exc:
        return exc, False
    return (converted.row_format, converted.tensors), took is not None and took is not False


def same(a: Any, b: Any) -> bool:
    """Equal outcomes: the same error text and code, or the same tensors (dtype, shape and
    bits, NaN equal to NaN, -0.0 apart from 0.0)."""
    if isinstance(a, ExplorerError) or isinstance(b, ExplorerError):
        return (
            type(a) is type(b)
            and str(a) == str(b)
            and getattr(a, "code", None) == getattr(b, "code", None)
        )
    (row_a, tensors_a), (row_b, tensors_b) = a, b
    if row_a != row_b or list(tensors_a) != list(tensors_b):
        return False
    return all(_same_array(tensors_a[k], tensors_b[k]) for k in tensors_a)


def _same_array(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()


def predict_both(body: str | bytes, sig: SignatureInfo) -> Any:
    """The outcome of ``body``, checked equal on both paths (tensors or an error)."""
    want = exact(body, sig)
    got, _ = fast(body, sig)
    assert same(got, want), f"fast path {got!r} != exact path {want!r}"
    return want


def tensors(body: str | bytes, sig: SignatureInfo) -> dict[str, np.ndarray]:
    """The tensors of a body both paths accept."""
    outcome = predict_both(body, sig)
    assert not isinstance(outcome, ExplorerError), str(outcome)
    return dict(outcome[1])


def error(body: str | bytes, sig: SignatureInfo) -> str:
    """The error text of a body both paths refuse."""
    outcome = predict_both(body, sig)
    assert isinstance(outcome, ExplorerError), f"accepted: {outcome!r}"
    return str(outcome)


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def checked_predict_inputs(original: Any) -> Any:
    """``rest_request.predict_inputs`` that, whenever a fast reader read the body, also runs
    the exact path and every fast reader (the C one and pysimdjson) on the same body and
    fails on any difference. The test session installs it, so every REST body of every
    test checks the paths agree."""

    def outcome(doc: Any, sig: SignatureInfo, options: dict[str, Any], budget: Any) -> Any:
        try:
            result = original(doc, sig, **{**options, "budget": copy.copy(budget)})
        except ExplorerError as exc:
            return exc
        return result.row_format, result.tensors

    def predict_inputs(doc: Any, sig: SignatureInfo, **options: Any) -> Any:
        if not isinstance(doc, FastDoc):
            return original(doc, sig, **options)
        before = copy.copy(options.get("budget"))  # each path charges the budget as it was
        try:
            got: Any = original(doc, sig, **options)
        except ExplorerError as exc:
            got = exc
        pack = lambda r: r if isinstance(r, ExplorerError) else (r.row_format, r.tensors)  # noqa: E731
        try:
            want: Any = outcome(limits.parse_body(doc.data), sig, options, before)
        except ExplorerError as exc:
            want = exc
        assert same(pack(got), want), (
            f"fast and exact paths differ on {doc.data[:200]!r}: {pack(got)!r} != {want!r}"
        )
        for native in (True, False) if speedups.AVAILABLE else (False,):
            other = fast_request.read(doc.data, limits.parse_body, native=native)
            if other is not None:
                also = outcome(other, sig, options, before)
                assert same(also, want), (
                    f"the {'C' if native else 'pysimdjson'} reader differs on "
                    f"{doc.data[:200]!r}: {also!r} != {want!r}"
                )
        if speedups.AVAILABLE:  # the C reader's two threads read what its one thread reads
            two = speedups.read_predict(doc.data, split_bytes=0, search_first=True)
            one = speedups.read_predict(doc.data, split_bytes=2**62)
            assert _found(two) == _found(one), f"two threads differ on {doc.data[:200]!r}"
        if isinstance(got, ExplorerError):
            raise got
        return got

    return predict_inputs


def _found(found: Any) -> Any:
    """A fast reader's answer as comparable values (arrays as dtype and bytes)."""
    if found is None:
        return None
    columns = {
        name: (n.dims, n.values.dtype.str, n.values.tobytes(), n.low, n.high)
        for name, n in found.columns.items()
    }
    return found.keys, found.signature_name, found.plain, columns


# --- number tokens ----------------------------------------------------------------------------

_DIGITS = "0123456789"


def _digits(draw: st.DrawFn, low: int, high: int) -> str:
    # A digit string of a length drawn evenly (17-digit significands are not rare), often
    # led by a 9: 16 digits of 9... are past 2^53, where rapidjson goes on in a double.
    count = draw(st.integers(low, high))
    lead = draw(st.sampled_from(["", "9", "90071992547409"]))[:count]
    return lead + draw(st.text(_DIGITS, min_size=count - len(lead), max_size=count - len(lead)))


@st.composite
def number_token(draw: st.DrawFn) -> str:
    """A well-formed JSON number in any of rapidjson's branches: 32- and 64-bit integers and
    past them, fractions gathered in the 64-bit significand and past 2^53 (eight digits at a
    time in the C reader: leading zeros around those eights), 17+ significant digits,
    exponents of either sign and many digits."""
    sign = draw(st.sampled_from(["", "", "-"]))
    kind = draw(st.integers(0, 5))
    if kind in (0, 5):  # values in [0, 1), the commonest
        whole = "0"
    elif kind == 1:  # around 2^31, 2^32, 2^53, 2^63, 2^64
        edge = draw(st.sampled_from([2**31, 2**32, 2**53, 2**63, 2**64, 10**19, 10**20]))
        whole = str(edge + draw(st.integers(-3, 3)))
    else:
        whole = draw(st.sampled_from("123456789")) + _digits(draw, 0, 30)
    fraction = ""
    if draw(st.booleans()):
        zeros = "0" * draw(st.sampled_from([0, 0, 1, 7, 8, 9, 15, 16, 20, 330]))
        fraction = "." + zeros + _digits(draw, 1, 25)
    exponent = ""
    if draw(st.integers(0, 2)) == 0:
        digits = str(draw(st.integers(0, 330)))
        if draw(st.booleans()):
            digits = "0" * draw(st.integers(1, 3)) + digits
        exponent = draw(st.sampled_from("eE")) + draw(st.sampled_from(["", "+", "-"])) + digits
    return sign + whole + fraction + exponent
