"""The C reader's two threads (``explorer/codec/_speedups_c/tensor_text.c``): a big array's
second half read on another thread gives exactly what one thread reading it all gives.

``search_first`` makes the first thread wait for the second's guess of where to start, so
that small bodies are read both ways every time; the counts say the halves were taken, so
these tests do reach the merge they are about.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.codec import _speedups
from tests.explorer.codec.properties import repeatable
from tests.explorer.codec.request_paths import exact, fast, number_token, same, signature

PROPERTY = repeatable(300)
ONE_THREAD = 2**62  # split_bytes no body reaches


def _read(body: str | bytes, **split: Any) -> Any:
    """read_predict's answer with its buffers as bytes (comparable)."""
    found = _speedups.read_predict(body, **split)
    if found is None:
        return None
    keys, name, instances, plain, columns = found
    return keys, name, instances, plain, [(*c[:2], bytes(c[2]), *c[3:]) for c in columns]


def _both(body: str | bytes) -> Any:
    """The two-thread answer, checked equal to the one-thread answer."""
    one = _read(body, split_bytes=ONE_THREAD)
    two = _read(body, split_bytes=0, search_first=True)
    assert two == one, body
    return one


def _taken() -> int:
    return _speedups.split_counts()[2]


def _reached() -> int:
    return _speedups.split_counts()[1]


INTEGERS = st.sampled_from(
    ["0", "-1", "7", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
     "18446744073709551615", "4294967296"]
)  # fmt: skip
TOKENS = st.one_of(number_token(), INTEGERS, st.sampled_from(["1.5", "-0.0", "1e3"]))


@st.composite
def tensor_rows(draw: st.DrawFn) -> str:
    """A rectangular array of rows (its top level split across the threads), numbers of
    every kind, so that each half may hold integers, doubles, negatives and big ones."""
    shape = draw(st.lists(st.integers(1, 3), max_size=3))
    rows = draw(st.integers(2, 7))
    size = int(np.prod(shape)) if shape else 1
    tokens = iter(draw(st.lists(TOKENS, min_size=rows * size, max_size=rows * size)))
    sep = draw(st.sampled_from([", ", ",", " ,\n "]))

    def nested(dims: list[int]) -> str:
        if not dims:
            return next(tokens)
        return "[" + sep.join(nested(dims[1:]) for _ in range(dims[0])) + "]"

    return "[" + sep.join(nested(shape) for _ in range(rows)) + "]"


@PROPERTY
@given(tensor_rows(), st.sampled_from(["instances", "inputs", "named"]))
def test_two_threads_read_what_one_reads(tensor: str, form: str) -> None:
    body = (
        f'{{"inputs": {{"a": {tensor}, "b": {tensor}}}}}'
        if form == "named"
        else f'{{"{form}": {tensor}}}'
    )
    _both(body)


def test_the_halves_are_taken() -> None:
    before = _taken()
    rows = ", ".join(f"[{k}, {k + 0.5}]" for k in range(8))
    found = _both(f'{{"instances": [{rows}]}}')
    assert found is not None
    assert found[4][0][1] == (8, 2)
    numbers = ", ".join(str(k) for k in range(50))
    found = _both(f'{{"inputs": {{"a": [{numbers}]}}}}')
    assert found is not None
    assert found[4][0][1] == (50,)
    assert _taken() == before + 2


def _rows(*tokens: str) -> str:
    """One-number rows of equal width, so that the split falls in the middle: between the
    first half's rows and the second half's."""
    return "[" + ", ".join(f"[{token:<22}]" for token in tokens) + "]"


BIG = "18446744073709551615"
# (tensor, what one pass does): how integers and doubles on either side of the split merge.
MERGES = [
    (_rows("-1", "2", BIG, "3"), "declined"),  # a negative, then a big one
    (_rows(BIG, "2", "-1", "3"), "declined"),
    (_rows("1.5", "-1", BIG, "2"), "doubles"),  # doubles first: no conflict after
    (_rows("-1", "2", "2.5", BIG), "doubles"),
    (_rows(BIG, "2", "2.5", "-1"), "doubles"),
    (_rows("5", "9", "-3", "100"), "integers"),
    (_rows("100", "-3", "9", "5"), "integers"),
    (_rows("1", "2", "9223372036854775808", BIG), "integers"),
    (_rows(BIG, "9223372036854775808", "1", "0"), "integers"),
]


@pytest.mark.parametrize(("tensor", "kind"), MERGES)
def test_integers_and_doubles_merge_as_one_pass_reads_them(tensor: str, kind: str) -> None:
    reached, taken = _reached(), _taken()
    found = _both(f'{{"instances": {tensor}}}')
    assert _reached() == reached + 1
    if kind == "declined":  # the merge refused, then the first thread found why itself
        assert _taken() == taken
        assert found is None
        return
    assert _taken() == taken + 1
    assert found is not None
    assert found[4][0][3] is (kind == "doubles")
    for dtype in ("DT_DOUBLE", "DT_FLOAT", "DT_INT64", "DT_UINT64"):
        sig = signature(("x", dtype))
        body = f'{{"instances": {tensor}}}'
        got, _ = fast(body, sig, native=True)
        assert same(got, exact(body, sig)), (tensor, dtype)


@pytest.mark.parametrize(
    "tensor",
    [
        "[[1, 2], [3, 4], [5, 6], [7]]",  # ragged in the second half
        "[[1, 2], [3, 4], [5, 6], [7, 8, 9]]",
        "[[1, 2], [3, 4], [[5, 6]], [7, 8]]",  # deeper in the second half
        "[[1, 2], [3, 4], 5, [7, 8]]",
        "[[1, 2], [3, 4], [5, 6], [7, NaN]]",  # a token only the exact path reads
        '[[1, 2], [3, 4], [5, 6], ["7", 8]]',
    ],
)
def test_a_second_half_one_pass_refuses_is_refused(tensor: str) -> None:
    assert _both(f'{{"instances": {tensor}}}') is None


def test_a_guess_in_another_tensor_is_not_taken() -> None:
    # "a"'s middle falls in "b": the second thread starts in b's text, which "a"'s reader
    # never reaches at a's top level.
    body = '{"inputs": {"a": [[1], [2]], "b": [[3], [4], [5], [6], [7], [8], [9], [10]]}}'
    found = _both(body)
    assert found is not None
    assert [c[1] for c in found[4]] == [(2, 1), (8, 1)]


def test_a_big_body_is_read_by_two_threads_unasked() -> None:
    started = _speedups.split_counts()[0]
    x = np.random.default_rng(4).random((4, 128, 128, 3), dtype=np.float32)
    body = json.dumps({"instances": x.tolist()}).encode()
    assert len(body) > 2**20
    default = _read(body)
    assert default == _read(body, split_bytes=ONE_THREAD)
    assert _speedups.split_counts()[0] == started + 1
    sig = signature(("x", "DT_FLOAT"))
    got, took = fast(body, sig, native=True)
    assert took
    want = exact(body, sig)
    assert same(got, want)
    np.testing.assert_array_equal(got[1]["x"], x.astype(np.float64).astype(np.float32))
