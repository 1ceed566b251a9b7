"""What TF Serving's rapidjson (v1.1.0, ``kParseIterativeFlag | kParseNanAndInfFlag |
kParseStopWhenDoneFlag``, read from ``json_tensor.cc`` ``ParseJson``) accepts and how it
reads it; and how TF Serving then treats repeated members (``json_tensor.cc``). Each
expected value here was checked against rapidjson v1.1.0 itself, built with TF Serving's
flags. Predict cases run through both request paths (``request_paths.predict_both``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer.codec import limits, rest_request, tf_example
from explorer.codec.json_debug import debug_string
from explorer.codec.rapidjson_number import parse_number
from explorer.errors import InputError
from tests.explorer.codec.request_paths import error, signature, tensors

FLOAT = signature(("x", "DT_FLOAT"))
DOUBLE = signature(("x", "DT_DOUBLE"))
STRING = signature(("x", "DT_STRING"))


def _parse_error(body: str | bytes) -> str:
    with pytest.raises(InputError) as info:
        limits.parse_body(body)
    return str(info.value)


def test_nan_and_infinity_tokens() -> None:
    body = '{"instances": [NaN, -NaN, Inf, -Inf, Infinity, -Infinity]}'
    out = tensors(body, FLOAT)["x"].tolist()
    assert math.isnan(out[0])
    assert math.isnan(out[1])
    assert out[2:] == [math.inf, -math.inf, math.inf, -math.inf]
    assert "Invalid value. at offset: 27" in error('{"instances": [1.0, Infinit]}', FLOAT)


def test_rapidjson_1_1_0_number_quirks() -> None:
    # After NaN/Inf its fraction and exponent are still read, over a zero significand.
    assert parse_number(b"NaN.5", 0) == (0.5, 5)
    assert parse_number(b"-Inf.25e1", 0) == (-2.5, 9)
    assert parse_number(b"NInf", 0)[0] == math.inf  # each Consume() only moves on a match
    # A zero with an exponent past 308 is "too big" (the check comes before the value).
    assert _parse_error('{"x": [0e400]}') == (
        "JSON Parse error: Number too big to be stored in double. at offset: 7"
    )
    assert limits.parse_body('{"x": [0.0e309]}') == {"x": [0.0]}


@pytest.mark.parametrize(
    ("token", "rapidjson_bits"),
    [
        # Normal precision: one ULP from the correctly rounded double.
        (b"0.9424502837770503", "0x1.e288d7f5db50dp-1"),
        (b"0.9433567169983137", "0x1.e2ffa6cff07a7p-1"),
        (b"0.9009004917506227", "0x1.cd42d44a09da3p-1"),
        (b"0.013114189588902203", "0x1.adb9cbb2edb01p-7"),
    ],
)
def test_doubles_are_rapidjson_normal_precision(token: bytes, rapidjson_bits: str) -> None:
    assert float(token) != float.fromhex(rapidjson_bits)
    out = tensors(b'{"instances": [' + token + b"]}", DOUBLE)["x"]
    assert out.tolist() == [float.fromhex(rapidjson_bits)]


def test_a_byte_order_mark_is_skipped_and_counted_in_offsets() -> None:
    assert tensors(b'\xef\xbb\xbf{"instances": [2.0]}', FLOAT)["x"].tolist() == [2.0]
    # Each of its three bytes is skipped on its own when present.
    assert tensors(b'\xbb{"instances": [2.0]}', FLOAT)["x"].tolist() == [2.0]
    assert _parse_error(b'\xef\xbb\xbf{"a" 1}') == (
        "JSON Parse error: Missing a colon after a name of object member. at offset: 8"
    )


def test_the_parser_stops_after_the_document() -> None:
    assert tensors('{"instances": [2.0]} trailing {[', FLOAT)["x"].tolist() == [2.0]
    assert tensors(b'{"instances": [2.0]}\x00\xff', FLOAT)["x"].tolist() == [2.0]
    # A NUL byte reads as the end of the input.
    assert "Missing a comma or ']' after an array element. at offset: 18" in error(
        b'{"instances": [1.0\x00]}', FLOAT
    )


def test_strings_are_not_validated_as_utf8() -> None:
    out = tensors(b'{"instances": ["\xff\xfe", "ok"]}', STRING)["x"].tolist()
    assert out == [b"\xff\xfe", b"ok"]
    # A lone low surrogate escape is kept as its three bytes; a lone high one is an error.
    assert tensors('{"instances": ["\\udc00"]}', STRING)["x"].tolist() == [b"\xed\xb0\x80"]
    assert "surrogate pair in string is invalid. at offset: 16" in error(
        '{"instances": ["\\ud800x"]}', STRING
    )


def test_nesting_has_no_limit() -> None:
    text = "[" * 300_000 + "]" * 300_000
    assert _parse_error(text) == f"JSON Value: {'[' * 256} Is not object"


def test_error_texts_print_values_as_json_value_to_debug_string() -> None:
    # kFormatSingleLineArray: arrays on one line, objects one member per line; the text
    # stops at the first writer event that finds 256 bytes written.
    body = '{"signature_name": [' + ", ".join(map(str, range(200))) + "]}"
    with pytest.raises(InputError) as info:
        rest_request.request_signature_name(limits.parse_body(body))
    numbers = ", ".join(map(str, range(61)))
    assert str(info.value) == (
        f'JSON Value: {{\n    "signature_name": [{numbers} not formatted correctly. '
        "'signature_name' key must be a string value."
    )
    assert _parse_error("[[1, 2], [3, 4]]") == "JSON Value: [[1, 2], [3, 4]] Is not object"
    assert debug_string([1.5, 1e21, 1e-7, 100.0, -0.0]) == "[1.5, 1e21, 1e-7, 100.0, -0.0]"
    assert debug_string([1, float("nan"), 2]) == "[1, "  # the writer refuses NaN: it stops


def test_repeated_top_level_and_inputs_members_count_once_the_first() -> None:
    body = '{"instances": [[1.0]], "instances": "junk", "x": 1}'
    assert tensors(body, FLOAT)["x"].tolist() == [[1.0]]
    body = '{"inputs": {"x": [1.0], "x": [2.0, 3.0]}}'
    assert tensors(body, FLOAT)["x"].tolist() == [1.0]


def test_a_repeated_member_in_a_row_adds_its_values_and_the_shape_keeps_the_first() -> None:
    # AddInstanceItem appends every member's values; Tensor::FromProto keeps as many as
    # the shape [rows, ...] holds.
    body = '{"instances": [{"x": [1.0], "x": [2.0]}, {"x": [3.0]}]}'
    assert tensors(body, FLOAT)["x"].tolist() == [[1.0], [2.0]]
    body = '{"instances": [{"x": [1.0], "x": [2.0, 3.0]}]}'
    assert error(body, FLOAT) == (
        "Failed to process element: 0 key: x of 'instances' list. Error: INVALID_ARGUMENT: "
        "Expecting tensor size: 1 but got: 2"
    )


def test_a_repeated_b64_member_is_not_a_b64_object() -> None:
    body = '{"instances": [{"b64": "aGk=", "b64": "aGk="}]}'
    assert error(body, STRING) == (
        "Failed to process element: 0 key: b64 of 'instances' list. Error: INVALID_ARGUMENT: "
        "JSON object: does not have named input: b64"
    )


def test_a_repeated_example_feature_is_the_last_one() -> None:
    doc = limits.parse_body('{"examples": [{"x": 1.0, "x": [2.0, 3.0]}]}')
    example = tf_example.example_from_json(rest_request.example_lists(doc)[1][0])
    assert tf_example.example_to_json(example) == {"x": [2.0, 3.0]}
    # Each one is still converted: an error in the first is reported.
    doc = limits.parse_body('{"examples": [{"x": null, "x": 2.0}]}')
    with pytest.raises(InputError, match="x has element with unexpected JSON type: Null"):
        tf_example.example_from_json(rest_request.example_lists(doc)[1][0])


def test_float32_from_a_double_token_rounds_like_getfloat() -> None:
    # GetFloat() is (float)GetDouble(): rapidjson's double, then float32.
    token = b"0.9424502837770503"
    expected = np.float32(float.fromhex("0x1.e288d7f5db50dp-1"))
    assert tensors(b'{"inputs": [' + token + b"]}", FLOAT)["x"].tolist() == [float(expected)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # The first error in the text wins: a number too big before a later syntax error.
        (
            '{"instances": [0.123456789011e99923456789,3e-],1]',
            "Number too big to be stored in double. at offset: 15",
        ),
        (
            '{"instances": [[1,0.5,2.5],[1,2.5,0.1e99990123456789],[1,3e-2,e-2]]}',
            "Number too big to be stored in double. at offset: 34",
        ),
        # Arrays that look rectangular by their brackets and commas alone.
        (
            '{"instances": [[1,2]5,[3,]]}',
            "Missing a comma or ']' after an array element. at offset: 20",
        ),
        ('{"instances": [[1 2]]}', "Missing a comma or ']' after an array element. at offset: 18"),
    ],
)
def test_errors_inside_numeric_arrays_are_rapidjsons(body: str, message: str) -> None:
    assert _parse_error(body) == f"JSON Parse error: {message}"
