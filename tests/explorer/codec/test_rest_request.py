"""TF Serving's REST JSON layer (json_tensor.cc), without TensorFlow: requests → arrays,
tensors → response text, and every JSON-level error text of the reference (§5, §6.6)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.codec import rest_request, rest_text
from explorer.errors import InputError, ServingRuleError
from explorer.model.info import SignatureInfo, TensorInfo


def _sig(*inputs: tuple[str, str]) -> SignatureInfo:
    tensors = tuple(TensorInfo(k, "name", f"{k}:0", dtype, None) for k, dtype in inputs)
    return SignatureInfo("serving_default", "tensorflow/serving/predict", tensors, ())


X_FLOAT = _sig(("x", "DT_FLOAT"))
TWO_INPUTS = _sig(("a", "DT_FLOAT"), ("b", "DT_STRING"))
I32 = _sig(("x", "DT_INT32"))
STR = _sig(("x", "DT_STRING"))


def _inputs(body: str, signature: SignatureInfo = X_FLOAT) -> rest_request.PredictInputs:
    return rest_request.predict_inputs(rest_request.parse_body(body), signature)


def _error(body: str, signature: SignatureInfo = X_FLOAT) -> InputError:
    with pytest.raises(InputError) as info:
        _inputs(body, signature)
    return info.value


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "JSON Parse error: The document is empty"),
        ("   ", "JSON Parse error: The document is empty. at offset: 3"),
        ("instances = [1, 2]", "JSON Parse error: Invalid value. at offset: 0"),
        ('{"a": 1 "b": 2}', "JSON Parse error: Missing a comma or '}' after an object member."),
        ("[1 2]", "JSON Parse error: Missing a comma or ']' after an array element."),
        ('{"a": "x', "JSON Parse error: Missing a closing quotation mark in string."),
        ("[1, 2]", "JSON Value: [1, 2] Is not object"),
        ('"text"', 'JSON Value: "text" Is not object'),
        ('{"x": [1e400]}', "JSON Parse error: Number too big to be stored in double. at offset: 7"),
        (
            '{"x": -1E+0309}',
            "JSON Parse error: Number too big to be stored in double. at offset: 6",
        ),
        ("\ufeff[]", "JSON Value: [] Is not object"),  # a byte-order mark is skipped
    ],
)
def test_parse_body_rejects_like_rapidjson(body: str, message: str) -> None:
    with pytest.raises(InputError, match="^" + _re(message)):
        rest_request.parse_body(body)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            '{\n  "instances": [1, 2,,3]\n}',
            'line 2, column 22:\n  "instances": [1, 2,,3]\n' + " " * 21 + "^",
        ),
        ('{"é": 1,', 'line 1, column 9:\n{"é": 1,\n' + " " * 8 + "^"),  # offsets count bytes
        ("   ", "line 1, column 4:\n   \n   ^"),
    ],
)
def test_parse_errors_are_located_by_line_and_column(body: str, where: str) -> None:
    with pytest.raises(InputError) as info:
        rest_request.parse_body(body)
    assert rest_text.parse_error_location(str(info.value), body) == where


def test_only_parse_errors_with_an_offset_are_located() -> None:
    assert rest_text.parse_error_location("JSON Parse error: The document is empty", "") is None
    assert rest_text.parse_error_location("Missing 'inputs' or 'instances' key", "{}") is None


def test_a_repeated_member_is_read_as_its_first_occurrence() -> None:
    # rapidjson keeps both; FindMember("instances") returns the first.
    doc = rest_request.parse_body('{"instances": [[1.0]], "instances": [], "x": {"a": 1, "a": 2}}')
    assert doc == {"instances": [[1.0]], "x": {"a": 1}}


def test_big_but_finite_numbers_and_lookalike_strings_pass() -> None:
    doc = rest_request.parse_body('{"a": "1e400", "b": 1e308, "c": 1e-400, "d": 1.5E+307}')
    assert doc == {"a": "1e400", "b": 1e308, "c": 0.0, "d": 1.5e307}


def test_parse_body_accepts_nan_and_infinity() -> None:
    doc = rest_request.parse_body('{"x": [NaN, Infinity, -Infinity]}')
    assert np.isnan(doc["x"][0])
    assert doc["x"][1:] == [float("inf"), float("-inf")]


def test_signature_name_must_be_a_string() -> None:
    doc = rest_request.parse_body('{ "signature_name": 100 }')
    with pytest.raises(InputError) as info:
        rest_request.request_signature_name(doc)
    assert str(info.value) == (
        'JSON Value: {\n    "signature_name": 100\n} not formatted correctly. '
        "'signature_name' key must be a string value."
    )
    assert rest_request.request_signature_name({}) == ""


# --- predict: row and columnar forms ---------------------------------------------------------


def test_row_instances_of_mixed_ints_and_floats_make_a_float_tensor() -> None:
    converted = _inputs('{"instances": [1, 2.0, 3, 4, 5.003, 0.007, 0.0]}')
    x = converted.tensors["x"]
    assert converted.row_format
    assert x.dtype == np.float32
    assert x.shape == (7,)
    np.testing.assert_allclose(x, [1, 2, 3, 4, 5.003, 0.007, 0], rtol=1e-6)


def test_columnar_keeps_the_shape_as_given() -> None:
    converted = _inputs('{"inputs": 2.0}')
    assert not converted.row_format
    assert converted.tensors["x"].shape == ()
    assert _inputs('{"inputs": {"x": [[1.0], [2.0]], "ignored": 1}}').tensors["x"].shape == (2, 1)


def test_row_objects_batch_each_named_input() -> None:
    body = (
        '{"instances": [{"a": [1.0, 2.0], "b": "p"}, {"a": [3.0, 4.0], "b": {"b64": "aGVsbG8="}}]}'
    )
    tensors = _inputs(body, TWO_INPUTS).tensors
    assert tensors["a"].shape == (2, 2)
    assert tensors["b"].tolist() == [b"p", b"hello"]


@pytest.mark.parametrize(
    ("value", "dtype", "expected"),
    [
        ([1, 2], "DT_INT32", np.array([1, 2], np.int32)),
        ([[1, 2]], "DT_INT64", np.array([[1, 2]], np.int64)),
        ([True, False], "DT_BOOL", np.array([True, False])),
        ([2**63], "DT_UINT64", np.array([2**63], np.uint64)),
        (7, "DT_DOUBLE", np.array(7.0)),
        ([300], "DT_INT8", np.array([44], np.int8)),  # stored as int_val, narrowed by a C cast
        ([], "DT_FLOAT", np.zeros((0,), np.float32)),
        ([1e300], "DT_FLOAT", np.array([np.inf], np.float32)),
    ],
)
def test_values_convert_to_the_declared_dtype(value, dtype, expected) -> None:
    array = rest_request.to_array(value, dtype)
    assert array.dtype == expected.dtype
    np.testing.assert_array_equal(array, expected)


@pytest.mark.parametrize(
    ("body", "signature", "message"),
    [
        (
            '{ "instances": ["x", "y"] }',
            X_FLOAT,
            "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: "
            'JSON Value: "x" Type: String is not of expected type: float',
        ),
        ('{"instances": [1.0], "inputs": [1.0]}', X_FLOAT, "keys to exist "),
        ('{"instances": 1.0}', X_FLOAT, "Expecting 'instances' to be an list/array"),
        ('{"instances": []}', X_FLOAT, "No values in 'instances' array"),
        ('{"foo": 1}', X_FLOAT, "Missing 'inputs' or 'instances' key"),
        (
            '{"instances": [1.0, 2.0]}',
            TWO_INPUTS,
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map",
        ),
        (
            '{"instances": [{"a": 1.0}]}',
            TWO_INPUTS,
            "Failed to process element: 0 of 'instances' list. JSON object: {\n    \"a\": 1.0\n} "
            "keys must be equal to: a,b",
        ),
        (
            '{"instances": [{"a": 1.0, "b": "s", "c": 1}]}',
            TWO_INPUTS,
            "Failed to process element: 0 key: c of 'instances' list. Error: INVALID_ARGUMENT: "
            "JSON object: does not have named input: c",
        ),
        (
            '{"instances": [{"a": 1.0, "b": "s"}, [1.0]]}',
            TWO_INPUTS,
            "Expecting object but got list at item 1 of input list",
        ),
        (
            '{"instances": [1.0, {"x": 1.0}]}',
            X_FLOAT,
            "Expecting value/list but got object at item 1 of input list",
        ),
        (
            '{"instances": [[1.0], [1.0, 2.0]]}',
            X_FLOAT,
            "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: "
            "Expecting tensor size: 1 but got: 2",
        ),
        ('{"instances": [[[1.0, 2.0]], [[1.0], [2.0]]]}', X_FLOAT, "Expecting shape [1,2] but got"),
        (
            '{"inputs": [1.0]}',
            TWO_INPUTS,
            "inputs is a plain value/list, but expecting an object as multiple input tensors "
            "required as per tensorinfo_map",
        ),
        ('{"inputs": {"a": 1.0}}', TWO_INPUTS, "Missing named input: b in 'inputs' object."),
        (
            '{"inputs": [[1.0], 2.0]}',
            X_FLOAT,
            "JSON Value: 2.0 found at incorrect level: 2 in the JSON DOM. Expected at level: 2",
        ),
        (
            '{"inputs": [[1.0], [[2.0]]]}',
            X_FLOAT,
            "Encountered list at unexpected level: 2 expected < 2",
        ),
        (
            '{"inputs": [[1.0], [2.0, 3.0]]}',
            X_FLOAT,
            "unexpected size: 2 at level: 1 expected size: 1",
        ),
        (
            '{"inputs": [1.0, true]}',
            X_FLOAT,
            "JSON Value: true Type: True is not of expected type: float",
        ),
        ('{"inputs": {"b64": "aGVsbG8="}}', X_FLOAT, "Type: Object is not of expected type: float"),
        ('{"inputs": [1.5]}', I32, "JSON Value: 1.5 Type: Number is not of expected type: int32"),
        ('{"inputs": [3000000000]}', I32, "is not of expected type: int32"),
        ('{"inputs": [-1]}', _sig(("x", "DT_UINT32")), "is not of expected type: uint32"),
        (
            '{"inputs": [1]}',
            _sig(("x", "DT_BOOL")),
            "JSON Value: 1 Type: Number is not of expected type: bool",
        ),
        ('{"inputs": [1]}', STR, "JSON Value: 1 Type: Number is not of expected type: string"),
        ('{"inputs": [{"b64": "!!"}]}', STR, "Unable to base64 decode"),
        ('{"inputs": [{"b64": "a", "c": 1}]}', STR, "not formatted correctly for base64 data"),
    ],
)
def test_predict_json_errors_are_tf_servings(body, signature, message) -> None:
    assert message in str(_error(body, signature))


def test_unsupported_dtype_is_unimplemented() -> None:
    error = _error('{"inputs": [1.5]}', _sig(("x", "DT_HALF")))
    assert str(error) == "Conversion of JSON Value: 1.5 to type: half"
    assert error.code == "UNIMPLEMENTED"


def test_bools_hidden_among_numbers_are_found_in_large_inputs() -> None:
    values = [[0.0, 1.0] * 100 for _ in range(3)]
    values[2][150] = True
    with pytest.raises(InputError, match="JSON Value: true Type: True"):
        rest_request.to_array(values, "DT_FLOAT")
    values[2][150] = 1
    assert rest_request.to_array(values, "DT_FLOAT").shape == (3, 200)


# --- classify / regress bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{}", "JSON Value: {} When method is classify, key 'examples' is expected and was not"),
        ('{"examples": {}}', "Expecting 'examples' value to be an list/array"),
        ('{"examples": []}', "'examples' value is an empty array"),
    ],
)
def test_examples_list_errors(body: str, message: str) -> None:
    with pytest.raises(InputError, match=_re(message)):
        rest_request.example_lists(rest_request.parse_body(body))


# --- responses -------------------------------------------------------------------------------


def test_float_outputs_use_tf_servings_decimal_format() -> None:
    values = np.array([9000000, 999999, 0.5, 0.0003, 0.00003, 555557.5], np.float32)
    assert rest_request.decimal_texts(values) == [
        "9e+06",
        "999999.0",
        "0.5",
        "0.0003",
        "3e-05",
        "555557.5",
    ]
    special = np.array([np.nan, np.inf, -np.inf, 0.1, 3.0], np.float32)
    assert rest_request.decimal_texts(special) == ["NaN", "Infinity", "-Infinity", "0.1", "3.0"]
    assert rest_request.decimal_texts(np.array([1 / 3])) == ["0.33333333333333331"]


def test_row_response_layout_is_rapidjson_pretty_writer() -> None:
    text = rest_request.predict_response_text(
        {"y": np.array([3.0, 3.5, 4.0], np.float32)}, row_format=True
    )
    assert text == '{\n    "predictions": [3.0, 3.5, 4.0\n    ]\n}'
    assert json.loads(text) == {"predictions": [3.0, 3.5, 4.0]}


def test_columnar_response_and_bytes_outputs() -> None:
    text = rest_request.predict_response_text(
        {"str_tensor_bytes": np.array([b"hello", b"world"], dtype=object)}, row_format=False
    )
    assert json.loads(text) == {"outputs": [{"b64": "aGVsbG8="}, {"b64": "d29ybGQ="}]}
    many = {"a": np.array([[1, 2]]), "b": np.array([True]), "s": np.array([b"x"], dtype=object)}
    assert json.loads(rest_request.predict_response_text(many, row_format=True)) == {
        "predictions": [{"a": [1, 2], "b": True, "s": "x"}]
    }


def test_row_response_errors() -> None:
    with pytest.raises(ServingRuleError, match="Tensor name: y has no shape information "):
        rest_request.predict_response_text({"y": np.array(3.0)}, row_format=True)
    arrays = {"a": np.zeros(2), "b": np.zeros(3)}
    with pytest.raises(ServingRuleError, match="Tensor name: b has inconsistent batch size: 3 exp"):
        rest_request.predict_response_text(arrays, row_format=True)
    with pytest.raises(ServingRuleError, match="Failed to write JSON value for tensor type: half"):
        rest_request.predict_response_text({"y": np.zeros(1, np.float16)}, row_format=False)
    assert json.loads(
        rest_request.predict_response_text({"y": np.zeros((0, 2))}, row_format=True)
    ) == {"predictions": []}


def test_classification_and_regression_results() -> None:
    text = rest_request.classify_response_text([["car", "bike", "bus"]], [[0.2, 0.7, 0.1]])
    assert json.loads(text) == {"results": [[["car", 0.2], ["bike", 0.7], ["bus", 0.1]]]}
    assert text == '{\n    "results": [[["car", 0.2], ["bike", 0.7], ["bus", 0.1]]\n    ]\n}'
    text = rest_request.regress_response_text(np.array([0.2, 0.9, 1.0], np.float32))
    assert text == '{\n    "results": [0.2, 0.9, 1.0]\n}'
    with pytest.raises(ServingRuleError, match="Cannot convert empty RegressionResults to JSON"):
        rest_request.regress_response_text(np.array([]))


def _re(text: str) -> str:
    import re

    return re.escape(text)
