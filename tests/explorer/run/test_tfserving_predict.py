"""TF Serving's ``predict_util_test.cc`` and the response side of
``http_rest_api_handler_test.cc``, ported.

Both run on TensorFlow's ``cc/saved_model/testdata/half_plus_two`` (version 123), which is
``saved_model_half_plus_two_2_versions/00000123`` in the anchors: y = 0.5·x + 2, plus
``regress_x2_to_y3`` and ``classify_x2_to_y3`` (y = 0.5·x + 3). The gRPC-level
predict tests use ``predict_arrays`` (TensorProtos keep their dtype); the REST handler's
use the REST body, and their answers are compared as JSON (as the C++ test's CompareJson
does) and byte for byte against rapidjson's PrettyWriter layout.

Not ported: ``MissingOrEmptyModelSpec`` and ``ThreadPoolOptions`` (a server's model spec
and thread pools; no model here has them), ``ModelMissingSignatures`` (skipped in TF
Serving's open-source build), ``PredictionWithCustomizedSignatures`` (in test_warmup.py).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explorer.constants import MethodKind
from explorer.errors import ServingRuleError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.local import call_rest
from explorer.serving.rules import require_accepted


@pytest.fixture(scope="module")
def half_plus_two(half_plus_two_2_versions: Path) -> ModelInfo:
    return read_model(half_plus_two_2_versions, version=123)


def rejected(call: Any, *args: Any, **options: Any) -> ServingRuleError:
    with pytest.raises(ServingRuleError) as raised:
        call(*args, **options)
    return raised.value


# --- predict_util_test.cc ------------------------------------------------------------------


def test_empty_input_list(half_plus_two: ModelInfo) -> None:
    # EmptyInputList.
    error = rejected(calls.predict_arrays, half_plus_two, {})
    assert error.code == "INVALID_ARGUMENT"
    assert str(error) == (
        "input size does not match signature: 0!=1 len({}) != len({x}). Sent extra: {}. "
        "Missing but required: {x}."
    )


def test_input_tensors_dont_match_model_spec_inputs(half_plus_two: ModelInfo) -> None:
    # InputTensorsDontMatchModelSpecInputs.
    inputs = {
        "unknown_key1": np.array([b"any_value"], object),
        "unknown_key2": np.ones(1, np.float32),
    }
    error = rejected(calls.predict_arrays, half_plus_two, inputs)
    assert error.code == "INVALID_ARGUMENT"
    assert "Sent extra: {unknown_key1,unknown_key2}" in str(error)
    assert "Missing but required: {x}" in str(error)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # PredictionInvalidTensor: a DT_BOOL TensorProto for a float input.
        (np.array(True), "Expects arg[0] to be float but bool is provided"),
        # InputTensorsHaveWrongType: a DT_STRING one (with output_filter y).
        (np.array([b"any_value"], object), "Expects arg[0] to be float but string is provided"),
    ],
)
def test_inputs_of_the_wrong_type(half_plus_two: ModelInfo, value: Any, message: str) -> None:
    error = rejected(calls.predict_arrays, half_plus_two, {"x": value}, output_filter=["y"])
    assert (error.code, str(error)) == ("INVALID_ARGUMENT", message)


def test_output_filters_dont_match_model_spec_outputs(half_plus_two: ModelInfo) -> None:
    # OutputFiltersDontMatchModelSpecOutputs.
    x = {"x": np.array([2.0], np.float32)}
    error = rejected(calls.predict_arrays, half_plus_two, x, output_filter=["output_filter"])
    assert error.code == "INVALID_ARGUMENT"
    assert str(error).startswith("output tensor alias not found in signature: output_filter")
    assert calls.predict_arrays(half_plus_two, x, output_filter=["y"]).outputs["y"].tolist() == [
        3.0
    ]
    error = rejected(calls.predict_arrays, half_plus_two, x, output_filter=["y", "y"])
    assert (error.code, str(error)) == ("INVALID_ARGUMENT", "duplicate output tensor alias: y")


def test_predictions_on_predict_regress_and_classify_signatures(half_plus_two: ModelInfo) -> None:
    # PredictionSuccess, PredictionWithNamedRegressionSignature,
    # PredictionWithNamedClassificationSignature: a float_val 2.0 of no shape (a scalar).
    two = np.array(2.0, np.float32)
    success = calls.predict_arrays(half_plus_two, {"x": two})
    assert (success.outputs["y"].dtype, success.outputs["y"].shape) == (np.float32, ())
    assert float(success.outputs["y"]) == 3.0
    regress = calls.predict_arrays(half_plus_two, {"inputs": two}, signature="regress_x2_to_y3")
    assert float(regress.outputs["outputs"]) == 4.0
    classify = calls.predict_arrays(half_plus_two, {"inputs": two}, signature="classify_x2_to_y3")
    assert float(classify.outputs["scores"]) == 4.0


def test_method_name_check(half_plus_two: ModelInfo) -> None:
    # MethodNameCheck: with the check, a predict method name passes and another fails
    # (INTERNAL); without it, both pass.
    signature = half_plus_two.meta_graph().signature("serving_default")
    other = dataclasses.replace(signature, method_name="not/supported/method")
    require_accepted(signature, MethodKind.PREDICT, method_name_check=True)
    require_accepted(other, MethodKind.PREDICT, method_name_check=False)
    with pytest.raises(ServingRuleError) as raised:
        require_accepted(other, MethodKind.PREDICT, method_name_check=True)
    assert raised.value.code == "INTERNAL"
    assert str(raised.value).endswith("Was: not/supported/method")


# --- http_rest_api_handler_test.cc: responses ----------------------------------------------


REST_ANSWERS = [
    # Predict: latest version, the version, its label, signature_name, columnar inputs.
    (
        "predict",
        '{"instances": [[1.0, 2.0], [3.0, 4.0]]}',
        {"predictions": [[2.5, 3.0], [3.5, 4.0]]},
        '{\n    "predictions": [[2.5, 3.0], [3.5, 4.0]\n    ]\n}',
    ),
    (
        "predict",
        '{"instances": [1.0, 2.0]}',
        {"predictions": [2.5, 3.0]},
        '{\n    "predictions": [2.5, 3.0\n    ]\n}',
    ),
    (
        "predict",
        '{"signature_name": "serving_default", "instances": [3.0, 4.0]}',
        {"predictions": [3.5, 4.0]},
        '{\n    "predictions": [3.5, 4.0\n    ]\n}',
    ),
    (
        "predict",
        '{"signature_name": "serving_default", "inputs": [3.0, 4.0]}',
        {"outputs": [3.5, 4.0]},
        '{\n    "outputs": [\n        3.5,\n        4.0\n    ]\n}',
    ),
    # Regress: {"results": [42]} (CompareJson takes 42.0 as 42).
    (
        "regress",
        '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }',
        {"results": [42.0]},
        '{\n    "results": [42.0]\n}',
    ),
    # Classify: [[["", 12]]], and [[["", 7]]] for x = 10 (the label's query).
    (
        "classify",
        '{"signature_name": "classify_x_to_y", "examples": [ { "x": 20.0 } ] }',
        {"results": [[["", 12.0]]]},
        '{\n    "results": [[["", 12.0]]\n    ]\n}',
    ),
    (
        "classify",
        '{"signature_name": "classify_x_to_y", "examples": [ { "x": 10.0 } ] }',
        {"results": [[["", 7.0]]]},
        '{\n    "results": [[["", 7.0]]\n    ]\n}',
    ),
]


@pytest.mark.parametrize(("method", "body", "answer", "text"), REST_ANSWERS)
def test_rest_answers(
    half_plus_two: ModelInfo, method: str, body: str, answer: Any, text: str
) -> None:
    # HttpRestApiHandlerTest Predict, Regress, Classify.
    call = {"predict": calls.predict, "regress": calls.regress, "classify": calls.classify}[method]
    result = call(half_plus_two, body)
    assert json.loads(result.response_text) == answer
    assert result.response_text == text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # PredictRequestErrors: an empty document, badly formatted JSON, the wrong type,
        # a signature_name that is not a string.
        ("", "JSON Parse error: The document is empty"),
        ("instances = [1, 2]", "JSON Parse error: Invalid value."),
        ('{ "instances": ["x", "y"] }', "not of expected type: float"),
        ('{ "signature_name": 100 }', "'signature_name' key must be a string value."),
    ],
)
def test_rest_predict_request_errors(half_plus_two: ModelInfo, body: str, message: str) -> None:
    answer = call_rest(half_plus_two, "predict", body)
    assert set(answer) == {"error"}
    assert message in answer["error"]
