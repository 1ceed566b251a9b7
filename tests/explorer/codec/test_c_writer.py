"""The C response writer (``explorer.codec.speedups.join_numbers``), byte for byte.

Three writers must give the same text for any tensor: the C one's fast arithmetic (what
responses use), the C one's literal TF Serving path (``snprintf("%.6g")``, ``strtof`` /
``strtod`` back, else ``%.9g``/``%.17g``: ``exact_printf``), and the numpy bulk writer
(used where the extension is not built), itself checked against WriteDecimal's rules in
``test_response_writer.py``. Floats are drawn as raw bit patterns (subnormals, NaN, ±Inf,
-0.0, both ends of the range), plus the values where the fast arithmetic must be exact:
ties at 6, 9 and 17 digits, round-trip edges, powers of two and of ten.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.codec import json_numbers, speedups
from explorer.codec.rest_text import decimal_texts
from tests.explorer.codec.properties import repeatable

PROPERTY = repeatable(300)
WIDTHS = {np.float32: np.uint32, np.float64: np.uint64}


def _tokens(values: np.ndarray, *, exact_printf: bool = False) -> list[str]:
    return speedups.join_numbers(values, (b"\n",), exact_printf=exact_printf).split("\n")


@st.composite
def float_arrays(draw: st.DrawFn) -> np.ndarray:
    """A float32 or float64 array of random bit patterns (and a few chosen values), of a
    random shape of rank 0 to 4."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    bits = WIDTHS[dtype]
    shape = tuple(draw(st.lists(st.integers(1, 4), max_size=4)))
    size = int(np.prod(shape, dtype=np.int64))
    top = int(np.iinfo(bits).max)
    chosen = st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, 0.1, 1e-45, 5e-324])
    raw = draw(st.lists(st.integers(0, top), min_size=size, max_size=size))
    values = np.array(raw, bits).view(dtype)
    for index in draw(st.lists(st.integers(0, size - 1), max_size=3)):
        values[index] = draw(chosen)
    return values.reshape(shape)


@PROPERTY
@given(float_arrays(), st.integers(0, 2), st.booleans())
def test_arrays_equal_the_numpy_writer_and_the_printf_path(
    array: np.ndarray, depth: int, single_line: bool
) -> None:
    text = json_numbers.array_text(array, depth=depth, single_line=single_line)
    assert text == json_numbers.array_text(
        array, depth=depth, single_line=single_line, native=False
    )
    flat = array.reshape(-1)
    assert _tokens(flat) == _tokens(flat, exact_printf=True) == decimal_texts(flat)
    if array.ndim:
        assert json_numbers.item_texts(array) == json_numbers.item_texts(array, native=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_million_bit_patterns_equal_the_printf_path(dtype: type) -> None:
    # Every binary exponent many times over: the fast arithmetic against snprintf/strtod.
    bits = WIDTHS[dtype]
    raw = np.random.default_rng(11).integers(0, np.iinfo(bits).max, 1 << 20, bits, endpoint=True)
    values = raw.view(dtype)
    assert _tokens(values) == _tokens(values, exact_printf=True)


def _edges(dtype: type) -> np.ndarray:
    """Values on the fast path's boundaries: decimals with few bits (exact ties at 6, 9
    and 17 digits), powers of two (a narrower gap below) and of ten, their neighbours, and
    the ends of the range."""
    info = np.finfo(dtype)
    ints = np.arange(1, 20001, dtype=np.float64)
    few_bits = np.concatenate([ints / 2**k for k in (0, 1, 3, 7, 10, 20)])
    ties = np.array([1234565, 9999995, 123456.5, 1000000.125, 0.5009765625, 16777215, 2**-14])
    twos = 2.0 ** np.arange(int(info.minexp) - int(info.nmant), int(info.maxexp))
    tens = 10.0 ** np.arange(int(info.minexp * 0.302) - 16, int(info.maxexp * 0.302))
    with np.errstate(over="ignore"):
        base = np.concatenate([few_bits, ties, twos, tens, few_bits * 1e-9, few_bits * 1e9])
        base = base.astype(dtype)
    base = base[np.isfinite(base) & (base != 0)]
    around = [base, np.nextafter(base, dtype(0)), np.nextafter(base, dtype(np.inf))]
    ends = [info.max, info.tiny, info.smallest_subnormal, np.nextafter(info.tiny, dtype(0))]
    values = np.concatenate([*around, np.array(ends, dtype)])
    return np.concatenate([values, -values])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ties_edges_and_powers_equal_the_printf_path_and_the_rules(dtype: type) -> None:
    values = _edges(dtype)
    tokens = _tokens(values)
    assert tokens == _tokens(values, exact_printf=True)
    assert tokens == json_numbers.item_texts(values, native=False)
    assert tokens[:2000] == decimal_texts(values[:2000])


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"]
)
def test_integers_and_booleans(dtype: str) -> None:
    if dtype == "bool":
        values = np.array([True, False, True])
    else:
        info = np.iinfo(dtype)
        picks = [info.min, info.max, 0, 1, info.max // 3, info.min // 7]
        values = np.array(picks + list(range(-5, 6) if info.min else range(11)), dtype)
    expected = [str(v).lower() for v in values.tolist()]
    assert _tokens(values) == expected
    shaped = values[: len(values) // 2 * 2].reshape(2, -1)
    assert json_numbers.array_text(shaped, depth=1, single_line=False) == json_numbers.array_text(
        shaped, depth=1, single_line=False, native=False
    )


def test_layouts_and_odd_arrays() -> None:
    base = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    odd = [
        base[:, ::2, :],  # not contiguous
        base[..., 0],
        np.float32(2.5).reshape(()),
        np.zeros((1, 1, 1, 1, 1), np.float64),
    ]
    for array in odd:
        for depth, single_line in ((0, True), (0, False), (3, False)):
            assert json_numbers.array_text(
                array, depth=depth, single_line=single_line
            ) == json_numbers.array_text(array, depth=depth, single_line=single_line, native=False)
    swapped = base.astype(">f4")  # not native byte order (the numpy writer takes native only)
    assert json_numbers.array_text(swapped, depth=0, single_line=True) == json_numbers.array_text(
        base, depth=0, single_line=True
    )
    text = json_numbers.array_text(base, depth=1, single_line=True, end="\n    ]")
    assert text == json_numbers.array_text(base, depth=1, single_line=True)[:-1] + "\n    ]"


def test_what_the_writer_has_no_case_for_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        speedups.join_numbers(np.zeros(3, np.float16), (b", ",))
    with pytest.raises(ValueError, match="do not match"):
        speedups.join_numbers(np.zeros((2, 2), np.float32), (b", ",))
    with pytest.raises(ValueError, match="ASCII"):
        speedups.join_numbers(np.zeros(2, np.float32), ("é".encode(),))
