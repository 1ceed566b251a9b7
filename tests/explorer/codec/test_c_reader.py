"""The C reader (``explorer.codec.speedups.read_predict``) against the exact path.

It is built in this checkout and loaded (the suite runs with it); every number token it
reads is rapidjson 1.1.0's value bit for bit (tokens of every shape rapidjson's
``ParseNumber`` has a branch for, compared as DT_DOUBLE, where nothing rounds them
further); and the bodies it must not read (anything but plain numeric tensors) go to the
exact path, whose answer or error is then the only one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.codec import fast_request, limits, speedups
from explorer.codec.fast_request import FastDoc
from tests.explorer.codec.properties import repeatable
from tests.explorer.codec.request_paths import exact, fast, number_token, same, signature

CODEC = Path(fast_request.__file__).parent
PROPERTY = repeatable(400)
DOUBLE = signature(("x", "DT_DOUBLE"))


def test_the_extension_is_built_in_this_checkout_and_loaded() -> None:
    assert speedups.AVAILABLE, "explorer.codec._speedups is not built: pip install -e ."
    built = Path(speedups._native.__file__)
    assert built.parent == CODEC
    assert built.suffix == ".so"
    assert fast_request.read.__kwdefaults__ == {"native": True}


def _c_took(body: str | bytes, sig_dtype: str = "DT_DOUBLE") -> bool:
    doc = fast_request.read(body, limits.parse_body, native=True)
    return isinstance(doc, FastDoc) and doc.tensors({"x": sig_dtype}) is not None


# --- number tokens ----------------------------------------------------------------------------


@PROPERTY
@given(st.lists(number_token(), min_size=1, max_size=30), st.sampled_from([", ", ",", " ,\n"]))
def test_every_token_is_rapidjsons_double(tokens: list[str], sep: str) -> None:
    body = '{"inputs": [' + sep.join(tokens) + "]}"
    want = exact(body, DOUBLE)
    got, took = fast(body, DOUBLE, native=True)
    assert same(got, want), (body, got, want)
    if not isinstance(want, Exception):
        # Finite values the exact path accepts: the C reader read them itself.
        assert took == bool(np.isfinite(want[1]["x"]).all()), body


@PROPERTY
@given(st.lists(number_token(), min_size=1, max_size=30), st.sampled_from(["DT_INT64", "DT_UINT64",
       "DT_INT32", "DT_UINT8", "DT_INT8", "DT_UINT32", "DT_FLOAT"]))  # fmt: skip
def test_integer_and_float_inputs_agree(tokens: list[str], dtype: str) -> None:
    sig = signature(("x", dtype))
    for body in ('{"inputs": [' + ", ".join(tokens) + "]}", '{"instances": [' + tokens[0] + "]}"):
        got, _ = fast(body, sig, native=True)
        want = exact(body, sig)
        assert same(got, want), (body, got, want)


EDGES = [
    "0", "-0", "-0.0", "0.0", "1", "-1", "2147483647", "2147483648", "-2147483648",
    "-2147483649", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
    "18446744073709551616", "123456789012345678901234567890", "1.7976931348623157e308",
    "1.7976931348623158e308", "4.9e-324", "2.4703282292062328e-324", "1e-400", "-1e-400",
    "0.1", "0.30000000000000004", "9007199254740993", "9007199254740993.0",
    "0." + "0" * 400 + "1", "1" + "0" * 300, "1" + "0" * 308 + ".5", "1e308", "10e307",
    "1E+2", "1e-0", "5e-0000000000000000000000000001", "1e-2147483649", "0.000001e306",
    "123456789012345678.9e-3", "3.4028235e38", "3.4028236e38", "1.401298464324817e-45",
    # 2^53 reached after whole groups of eight digits (the C reader takes eight at a time)
    "0.9007199254740993", "0.90071992547409937", "0.0000000090071992547409937",
    "0.000000000000000090071992547409937", "0.00000009007199254740993", "9007199254740991.5",
    "90071992.547409937", "0.12345678000000001", "0.00000000000000000000000001234",
    "900719924.99999999", "900719925.99999999", "-900719925.47409919e-3",
]  # fmt: skip


@pytest.mark.parametrize("token", EDGES)
def test_edge_tokens_agree_and_finite_ones_are_read_in_c(token: str) -> None:
    body = '{"instances": [' + token + ", " + token + "]}"
    for dtype in ("DT_DOUBLE", "DT_FLOAT", "DT_INT64", "DT_UINT64", "DT_INT32"):
        sig = signature(("x", dtype))
        got, _ = fast(body, sig, native=True)
        assert same(got, exact(body, sig)), (token, dtype)
    want = exact(body, DOUBLE)
    assert not isinstance(want, Exception)
    assert _c_took(body) == bool(np.isfinite(want[1]["x"]).all())


# --- what it leaves to the exact path ---------------------------------------------------------

DECLINED = [
    b'{"instances": [[1.0, 2.0], [3.0]]}',  # ragged
    b'{"instances": [[1.0, 2.0], 3.0]}',
    b'{"instances": [[], []]}',
    b'{"instances": []}',
    b'{"instances": [1.0,]}',
    b'{"instances": [1.0], "instances": [2.0]}',
    b'{"instances": [1.0], "inputs": [2.0]}',
    b'{"instances": [1.0], "signature_name": "a", "signature_name": "b"}',
    b'{"instances": [1.0], "extra": 1}',
    b'{"signature_name": "x"}',
    b"{}",
    b'{"instances": [NaN]}',
    b'{"instances": [Infinity, 1.0]}',
    b'{"instances": [-Inf]}',
    b'{"instances": [1e400]}',
    b'{"instances": [01]}',
    b'{"instances": [1.]}',
    b'{"instances": [.5]}',
    b'{"instances": [1e]}',
    b'{"instances": [+1]}',
    b'{"instances": ["1.0"]}',
    b'{"instances": [true]}',
    b'{"instances": [null]}',
    b'{"instances": [{"b64": "aGk="}]}',
    b'{"inputs": {"b64": [1]}}',
    b'{"inputs": {"a": [1], "a": [2]}}',
    b'{"inputs": {}}',
    b'{"instances": [{"a": 1}, {"b": 1}]}',
    b'{"instances": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]}',
    b'{"instances": [{"a": [1, 2]}, {"a": [1]}]}',
    b'{"instances": [{"a": 1}, [1]]}',
    b'{"instances": [{}]}',
    b'{"instan\\u0063es": [1.0]}',
    b'{"signature_name": "serving\\u005fdefault", "instances": [1.0]}',
    b'{"signature_name": 3, "instances": [1.0]}',
    b'\xef\xbb\xbf{"instances": [1.0]}',
    b'{"instances": [1.0\x00]}',
    b'{"instances": [1.0]\x00}',
    b'{"signature_name": "\xff", "instances": [1.0]}',
    b'{"inputs": {"\xc3": [1.0]}}',
    b'["instances", 1.0]',
    b'{"instances": [1.0]',
    b'{"instances" [1.0]}',
    b"[" * 65 + b"1.0" + b"]" * 65,
    b'{"instances": ' + b"[" * 65 + b"1.0" + b"]" * 65 + b"}",
    b'{"instances": [{"a": ' + b"[" * 64 + b"1.0" + b"]" * 64 + b"}]}",
]


@pytest.mark.parametrize("body", DECLINED, ids=range(len(DECLINED)))
def test_bodies_it_does_not_read_go_to_the_exact_path(body: bytes) -> None:
    assert speedups.read_predict(body) is None
    for sig in (signature(("x", "DT_FLOAT")), signature(("a", "DT_FLOAT"), ("b", "DT_INT64"))):
        got, took = fast(body, sig, native=True)
        assert not took
        assert same(got, exact(body, sig))


READ = [
    b'{"instances": [1.0, 2.5]} trailing bytes rapidjson never reads',
    b' \t\r\n{ "signature_name" : "serving_default" , "instances" :[ [ 1 , 2 ] ] }',
    b'{"inputs": {"a": [[1, 2]], "b": 3.5, "\xc3\xa9t\xc3\xa9": [4]}}',
    b'{"instances": [{"a": [1, 2], "b": 0.5}, {"a": [3, 4], "b": -1e-3}]}',
    b'{"inputs": ' + b"[" * 64 + b"7" + b"]" * 64 + b"}",
    b'{"instances": [{"a": ' + b"[" * 63 + b"7" + b"]" * 63 + b"}]}",
    b'{"inputs": 2.5, "signature_name": ""}',
]


@pytest.mark.parametrize("body", READ, ids=range(len(READ)))
def test_plain_numeric_bodies_are_read_in_c_and_agree(body: bytes) -> None:
    found = speedups.read_predict(body)
    assert found is not None
    for text in (body, body.decode("utf-8")):
        for dtypes in ({"x": "DT_FLOAT"}, {"a": "DT_DOUBLE", "b": "DT_FLOAT"}):
            sig = signature(*dtypes.items())
            got, _ = fast(text, sig, native=True)
            assert same(got, exact(text, sig))


def test_a_string_with_a_lone_surrogate_goes_to_the_exact_path() -> None:
    body = '{"signature_name": "\ud800", "instances": [1.0]}'
    assert speedups.read_predict(body) is None
    sig = signature(("x", "DT_FLOAT"))
    assert same(fast(body, sig, native=True)[0], exact(body, sig))
