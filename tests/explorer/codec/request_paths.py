"""Run one REST predict body through both request paths and check they agree.

The fast path (``fast_request``, simdjson) and the exact path (``rapidjson_reader``) must
give the same tensors, or the same error, for every body. Tests that port TF Serving's
request cases go through :func:`predict_both`, so each case checks both paths.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from explorer.codec import limits, rest_request
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


def fast(body: str | bytes, sig: SignatureInfo) -> tuple[Any, bool]:
    """The outcome through ``parse_request`` (fast when it can), and whether the fast path
    gave the tensors itself."""
    try:
        doc, may_hold_bools = limits.parse_request(body)
        took = isinstance(doc, FastDoc) and doc.tensors({t.key: t.dtype for t in sig.inputs})
        converted = rest_request.predict_inputs(doc, sig, may_hold_bools=may_hold_bools)
    except ExplorerError as exc:
        return exc, False
    return (converted.row_format, converted.tensors), bool(took)


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
    """``rest_request.predict_inputs`` that, whenever the fast path gives the tensors,
    also runs the exact path on the same body and fails on any difference. The test
    session installs it, so every REST body of every test checks the two paths agree."""

    def predict_inputs(doc: Any, sig: SignatureInfo, **options: Any) -> Any:
        if not isinstance(doc, FastDoc):
            return original(doc, sig, **options)
        budget = options.get("budget")
        before = copy.copy(budget)  # each path charges the budget as it was
        try:
            got: Any = original(doc, sig, **options)
        except ExplorerError as exc:
            got = exc
        try:
            exact_doc = limits.parse_body(doc.data)
            want: Any = original(exact_doc, sig, **{**options, "budget": before})
        except ExplorerError as exc:
            want = exc
        pack = lambda r: r if isinstance(r, ExplorerError) else (r.row_format, r.tensors)  # noqa: E731
        assert same(pack(got), pack(want)), (
            f"fast and exact paths differ on {doc.data[:200]!r}: {pack(got)!r} != {pack(want)!r}"
        )
        if isinstance(got, ExplorerError):
            raise got
        return got

    return predict_inputs
