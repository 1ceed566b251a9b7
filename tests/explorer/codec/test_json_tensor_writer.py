"""TF Serving's ``json_tensor_test.cc`` writer tests, ported (their tensors and expected
texts are facts; the expected layout is rapidjson's PrettyWriter, written out exactly where
the C++ test compares parsed JSON), and the dtypes the writer has no case for."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.codec.rest_response import (
    classify_response_text,
    predict_response_text,
    regress_response_text,
)
from explorer.errors import ServingRuleError
from tests.explorer.codec.test_response_writer import reference_predict


def test_from_json_single_tensor() -> None:
    # json_tensor_test.cc FromJsonSingleTensor (rapidjson layout written out exactly).
    tensor = {
        "int_tensor": np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2], np.int32).reshape(2, 3, 2)
    }
    row = predict_response_text(tensor, row_format=True)
    assert row == (
        '{\n    "predictions": [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 0], [1, 2]]\n    ]\n}'
    )
    columnar = predict_response_text(tensor, row_format=False)
    assert columnar.startswith('{\n    "outputs": [\n        [\n            [\n                1,')


def test_from_json_single_scalar_tensor() -> None:
    # json_tensor_test.cc FromJsonSingleScalarTensor.
    tensor = {"int_tensor": np.arange(1, 6, dtype=np.int32)}
    assert predict_response_text(tensor, row_format=True) == (
        '{\n    "predictions": [1, 2, 3, 4, 5\n    ]\n}'
    )
    expected = (
        '{\n    "outputs": [\n        1,\n        2,\n        3,\n        4,\n        5\n    ]\n}'
    )
    assert predict_response_text(tensor, row_format=False) == expected


def test_from_json_single_bytes_tensor() -> None:
    # json_tensor_test.cc FromJsonSingleBytesTensor: a "_bytes" alias writes {"b64": ...}.
    words = np.array([b"hello", b"world", b"tf", b"serving"], dtype=object).reshape(2, 2)
    text = predict_response_text({"str_tensor_bytes": words}, row_format=True)
    assert '[{\n                "b64": "aGVsbG8="\n            }, {' in text
    assert '"b64": "c2VydmluZw=="' in text


def test_from_json_single_float_tensor_six_digit_precision_and_non_finite() -> None:
    # json_tensor_test.cc FromJsonSingleFloatTensorSixDigitPrecision, ...NonFinite.
    values = np.array([9000000, 999999, 0.5, 0.0003, 0.00003, 555557.5], np.float32)
    text = predict_response_text({"float_tensor": values.reshape(2, 3)}, row_format=True)
    assert text == (
        '{\n    "predictions": [[9e+06, 999999.0, 0.5], [0.0003, 3e-05, 555557.5]\n    ]\n}'
    )
    special = np.array([np.nan, np.inf, 3, -np.inf], np.float32).reshape(2, 2)
    text = predict_response_text({"float_tensor": special}, row_format=True)
    assert text == '{\n    "predictions": [[NaN, Infinity], [3.0, -Infinity]\n    ]\n}'


@pytest.mark.parametrize(
    ("tensors", "message"),
    [
        # json_tensor_test.cc FromJsonSingleTensorErrors: empty map, complex64, no shape.
        ({}, "Cannot convert empty tensor map to JSON"),
        ({"tensor": np.array([1, 2], np.complex64)}, "tensor type: complex64"),
        ({"tensor": np.array(1, np.int32)}, "Tensor name: tensor has no shape information "),
        # ...MultipleNamedTensorsErrors and ...MultipleZeroBatchTensorsErrors.
        (
            {"int_tensor": np.zeros((2, 3), np.int32), "str_tensor": np.zeros((1, 3), object)},
            "Tensor name: str_tensor has inconsistent batch size: 1 expecting: 2",
        ),
        (
            {"int_tensor": np.zeros((0, 2), np.int32), "str_tensor": np.zeros((1, 2), object)},
            "inconsistent batch size",
        ),
    ],
)
def test_from_json_errors(tensors: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(ServingRuleError, match=message.replace("(", r"\(")) as raised:
        predict_response_text(tensors, row_format=True)
    assert raised.value.code == "INVALID_ARGUMENT"


def test_from_json_multiple_named_tensors() -> None:
    # json_tensor_test.cc FromJsonMultipleNamedTensors, compared as JSON there.
    tensors = {
        "int_tensor": np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2], np.int32).reshape(2, 3, 2),
        "str_tensor": np.array([b"foo", b"bar", b"baz", b"bat"], object).reshape(2, 2),
        "float_tensor": np.array([[1.0], [2.0]], np.float32),
        "double_scalar_tensor": np.array([8.0, 9.0]),
        "str_tensor_bytes": np.array([b"hello", b"world", b"tf", b"serving"], object).reshape(2, 2),
    }
    row = predict_response_text(tensors, row_format=True)
    assert row.startswith(
        '{\n    "predictions": [\n        {\n            "double_scalar_tensor": 8.0,\n'
        '            "float_tensor": [1.0],\n            "int_tensor": [[1, 2], [3, 4], [5, 6]],\n'
        '            "str_tensor": ["foo", "bar"],\n'
    )
    columnar = predict_response_text(tensors, row_format=False)
    assert '"double_scalar_tensor": [\n            8.0,\n            9.0\n        ],' in columnar
    assert row == reference_predict(tensors, True)
    assert columnar == reference_predict(tensors, False)


def test_from_json_zero_batch_tensors() -> None:
    # json_tensor_test.cc FromJsonSingleZeroBatchTensor, FromJsonMultipleZeroBatchTensors.
    single = {"int_tensor": np.zeros((0, 2), np.int32)}
    assert predict_response_text(single, row_format=True) == '{\n    "predictions": []\n}'
    multiple = {"str_tensor": np.zeros((0, 1, 2), object), "float_tensor": np.zeros((0, 3, 4))}
    assert predict_response_text(multiple, row_format=True) == '{\n    "predictions": []\n}'


def test_json_from_classification_and_regression_results() -> None:
    # json_tensor_test.cc JsonFromClassificationResult, JsonFromRegressionResult(+NonFinite).
    labels = [["car", "bike", "bus"], ["car", "bike", "bus"]]
    scores = [[0.2, 0.7, 0.1], [0.7, 0.1, 0.2]]
    assert classify_response_text(labels, scores) == (
        '{\n    "results": [[["car", 0.2], ["bike", 0.7], ["bus", 0.1]], '
        '[["car", 0.7], ["bike", 0.1], ["bus", 0.2]]\n    ]\n}'
    )
    assert regress_response_text(np.array([0.2, 0.9, 1.0])) == (
        '{\n    "results": [0.2, 0.9, 1.0]\n}'
    )
    special = np.array([0.2, np.inf, 1.0, -np.inf, np.nan])
    assert regress_response_text(special) == (
        '{\n    "results": [0.2, Infinity, 1.0, -Infinity, NaN]\n}'
    )


def test_json_from_result_errors() -> None:
    # json_tensor_test.cc JsonFromResultErrors.
    with pytest.raises(ServingRuleError, match="Cannot convert empty ClassificationResults"):
        classify_response_text([], [])
    with pytest.raises(ServingRuleError, match="Cannot convert empty RegressionResults"):
        regress_response_text(np.array([], np.float32))


# --- dtypes the writer has no case for --------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "name"),
    [("uint16", "uint16"), ("float16", "half"), ("complex128", "complex128")],
)
def test_dtypes_without_a_json_case_fail_as_tf_serving(dtype: str, name: str) -> None:
    # json_tensor.cc AddSingleValueAndAdvance: no case → "Failed to write JSON value for
    # tensor type: <DataTypeString>", INVALID_ARGUMENT, in both formats...
    values = np.ones((2, 2), dtype)
    for row_format in (False, True):
        with pytest.raises(ServingRuleError) as raised:
            predict_response_text({"y": values, "x": np.ones(2, np.float32)}, row_format=row_format)
        assert str(raised.value) == f"Failed to write JSON value for tensor type: {name}"
    # ...but only when a value is written: an empty one is "[]".
    empty = {"y": np.ones((2, 0), dtype)}
    assert (
        predict_response_text(empty, row_format=True) == '{\n    "predictions": [[], []\n    ]\n}'
    )
