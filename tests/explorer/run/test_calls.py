"""Classify / Regress / Predict in-process against TF Serving's goldens (reference §6).

Every request/response pair of §6 that applies in-process is replayed on the real TF
Serving test models in ../shared/anchors; every documented error text is produced; and
each sample model answers a template request for each method its signatures accept.
TensorFlow is imported once (the runner keeps loaded models for the whole session).
"""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explorer.codec import tf_example
from explorer.constants import MethodKind
from explorer.errors import (
    ExecutionError,
    InputError,
    ModelSourceError,
    ServingRuleError,
)
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.present.html import call_result_html
from explorer.present.text import html_text
from explorer.run import calls
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget, call_rest
from explorer.run.steps import classification, regression

SAMPLES = Path(__file__).resolve().parents[3] / "sample_models"
C, R, P = MethodKind.CLASSIFY, MethodKind.REGRESS, MethodKind.PREDICT


@pytest.fixture(scope="session")
def cpu(half_plus_two_cpu: Path) -> ModelInfo:
    return read_model(half_plus_two_cpu)


@pytest.fixture(scope="session")
def two(half_plus_two_2_versions: Path) -> ModelInfo:
    return read_model(half_plus_two_2_versions, version=123)


def assert_json_close(actual: Any, expected: Any) -> None:
    """JSON equality with floats compared within 1e-6."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict)
        assert actual.keys() == expected.keys()
        for key in expected:
            assert_json_close(actual[key], expected[key])
    elif isinstance(expected, list):
        assert isinstance(actual, list)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_json_close(a, e)
    elif isinstance(expected, float):
        assert isinstance(actual, float)
        assert (math.isnan(actual) and math.isnan(expected)) or abs(actual - expected) <= 1e-6
    else:
        assert actual == expected


# --- §6.2 and §6.3: REST request/response pairs ----------------------------------------------

REST_GOLDENS = [
    # §6.2 saved_model_half_plus_two_cpu (tensorflow_model_server_test.py)
    (
        "cpu",
        C,
        '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}',
        {"results": [[["", 3.0]]]},
    ),
    (
        "cpu",
        R,
        '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}',
        {"results": [3.0]},
    ),
    ("cpu", P, '{"instances": [2.0, 3.0, 4.0]}', {"predictions": [3.0, 3.5, 4.0]}),
    ("cpu", P, '{"inputs": [2.0, 3.0, 4.0]}', {"outputs": [3.0, 3.5, 4.0]}),
    # §6.3 half_plus_two v123 (http_rest_api_handler_test.cc)
    (
        "two",
        P,
        '{"instances": [[1.0, 2.0], [3.0, 4.0]]}',
        {"predictions": [[2.5, 3.0], [3.5, 4.0]]},
    ),
    ("two", P, '{"instances": [1.0, 2.0]}', {"predictions": [2.5, 3.0]}),
    (
        "two",
        P,
        '{"signature_name": "serving_default", "instances": [3.0, 4.0]}',
        {"predictions": [3.5, 4.0]},
    ),
    (
        "two",
        P,
        '{"signature_name": "serving_default", "inputs": [3.0, 4.0]}',
        {"outputs": [3.5, 4.0]},
    ),
    (
        "two",
        R,
        '{"signature_name": "regress_x_to_y", "examples": [ { "x": 80.0 } ] }',
        {"results": [42.0]},
    ),
    (
        "two",
        C,
        '{"signature_name": "classify_x_to_y", "examples": [ { "x": 20.0 } ] }',
        {"results": [[["", 12.0]]]},
    ),
    (
        "two",
        C,
        '{"signature_name": "classify_x_to_y", "examples": [ { "x": 10.0 } ] }',
        {"results": [[["", 7.0]]]},
    ),
    # §1.3 context merging: the example's feature wins over the context's.
    (
        "two",
        R,
        '{"signature_name": "regress_x_to_y", "context": {"x": 10.0}, "examples": [{}]}',
        {"results": [7.0]},
    ),
    (
        "two",
        R,
        '{"signature_name": "regress_x_to_y", "context": {"x": 10.0}, "examples": [{"x": 4.0}]}',
        {"results": [4.0]},
    ),
]


@pytest.mark.parametrize(("model", "method", "body", "expected"), REST_GOLDENS)
def test_rest_goldens(request, model, method, body, expected) -> None:
    target = request.getfixturevalue(model)
    result = {C: calls.classify, R: calls.regress, P: calls.predict}[method](target, body)
    assert_json_close(dict(result.response_json), expected)
    assert json.loads(result.response_text) == result.response_json
    assert call_rest(target, method, body) == result.response_json


def test_response_text_is_tf_servings_byte_for_byte(cpu: ModelInfo) -> None:
    result = calls.predict(cpu, '{"instances": [2.0, 3.0, 4.0]}')
    assert result.response_text == '{\n    "predictions": [3.0, 3.5, 4.0\n    ]\n}'
    assert result.outputs["y"].dtype == np.float32


# --- §6.2 gRPC and §6.4 predict_util_test goldens -----------------------------------------------


def test_grpc_predict_with_and_without_output_filter(cpu: ModelInfo) -> None:
    x = np.array([2.0], np.float32)
    for output_filter in (None, ["y"]):
        result = calls.predict_arrays(cpu, {"x": x}, output_filter=output_filter)
        assert result.outputs["y"].tolist() == [3.0]
        assert result.signature_key == "serving_default"


def test_grpc_classify_and_regress_take_example_messages(cpu: ModelInfo) -> None:
    example = tf_example.example_from_json({"x": 2.0})
    scores = calls.classify_examples(cpu, [example], signature="classify_x_to_y")
    assert scores.response_json == {"results": [[["", 3.0]]]}
    value = calls.regress_examples(cpu, [example.SerializeToString()], signature="regress_x_to_y")
    assert value.response_json == {"results": [3.0]}


def test_scalar_input_gives_a_scalar_output(two: ModelInfo) -> None:
    result = calls.predict_arrays(two, {"x": np.array(2.0, np.float32)})
    assert result.outputs["y"].shape == ()
    assert result.response_json == {"outputs": 3.0}


@pytest.mark.parametrize(
    ("key", "output"), [("regress_x2_to_y3", "outputs"), ("classify_x2_to_y3", "scores")]
)
def test_predict_runs_classify_and_regress_signatures_on_raw_tensors(two, key, output) -> None:
    result = calls.predict_arrays(two, {"inputs": np.array(2.0, np.float32)}, signature=key)
    assert result.outputs[output].tolist() == 4.0


# --- documented error texts ---------------------------------------------------------------------


def _raises(error: type[Exception], call, *args, **kwargs) -> Exception:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    return info.value


def test_rest_body_errors(two: ModelInfo) -> None:
    for body, message in [
        ('{ "instances": ["x", "y"] }', "not of expected type: float"),
        ("", "JSON Parse error: The document is empty"),
        ("instances = [1, 2]", "JSON Parse error: Invalid value"),
        ('{ "signature_name": 100 }', "'signature_name' key must be a string value."),
    ]:
        assert message in str(_raises(InputError, calls.predict, two, body))
        assert message in call_rest(two, P, body)["error"]


def test_an_answer_to_inputs_of_an_undeclared_shape_says_so(cpu: ModelInfo) -> None:
    # x is declared (-1, 1); x * 0.5 + 2 takes any shape, so TF Serving answers (1, 2) too.
    result = calls.predict(cpu, {"instances": [[1.0, 2.0]]})
    assert result.response_json == {"predictions": [[2.5, 3.0]]}
    assert result.shape_misfit == (
        "Sent x as DT_FLOAT (1, 2); the signature declares x as DT_FLOAT (-1, 1): x has 2 in "
        "dimension 1 where 1 is declared. TF Serving answers it too (it checks no shapes), "
        "but the model was built for the declared shape: check that its answer makes sense."
    )
    assert html_text(result.shape_misfit) in call_result_html(result)  # notebooks show it
    outcome = dispatch(LocalTarget(cpu), CallRequest(MethodKind.PREDICT, body='{"inputs": [1.0]}'))
    assert outcome.error is None
    assert outcome.result is not None
    assert outcome.result.shape_misfit is not None  # rank 1 where 2 are declared
    assert outcome.notes[-1] == outcome.result.shape_misfit  # the CLI and the app show it
    assert calls.predict(cpu, {"instances": [[1.0], [2.0]]}).shape_misfit is None


def test_unknown_signature_is_worded_per_api(two: ModelInfo) -> None:
    body = '{"signature_name": "nope", "instances": [1.0], "examples": [{}]}'
    for method in (C, R):
        assert call_rest(two, method, body) == {
            "error": "No signature was found with the name: nope"
        }
    assert call_rest(two, P, body) == {
        "error": 'Serving signature name: "nope" not found in signature def'
    }
    error = _raises(ServingRuleError, calls.predict_arrays, two, {"x": 1.0}, signature="nope")
    assert (str(error), error.code) == (
        'Serving signature key "nope" not found.',
        "FAILED_PRECONDITION",
    )


def test_predict_request_errors(two: ModelInfo) -> None:
    both = {"unknown_key1": np.ones(1), "unknown_key2": np.ones(1)}
    error = _raises(InputError, calls.predict_arrays, two, both)
    assert "Sent extra: {unknown_key1,unknown_key2}" in str(error)
    assert "Missing but required: {x}" in str(error)
    x = np.array([2.0], np.float32)
    assert str(
        _raises(InputError, calls.predict_arrays, two, {"x": x}, output_filter=["output_filter"])
    ).startswith("output tensor alias not found in signature: output_filter")
    assert str(
        _raises(InputError, calls.predict_arrays, two, {"x": x}, output_filter=["y", "y"])
    ) == ("duplicate output tensor alias: y")


@pytest.mark.parametrize(
    ("value", "kind"), [(np.array([True]), "bool"), (np.array([b"a"], dtype=object), "string")]
)
def test_wrong_dtype_fails_in_the_runtime_with_its_text(two, value, kind) -> None:
    error = _raises(ExecutionError, calls.predict_arrays, two, {"x": value})
    assert str(error) == f"Expects arg[0] to be float but {kind} is provided"
    assert error.code == "INVALID_ARGUMENT"


def test_parse_example_errors_propagate_unchanged(two: ModelInfo) -> None:
    missing = '{"signature_name": "regress_x_to_y", "examples": [{"y": 1.0}]}'
    assert call_rest(two, R, missing)["error"].startswith(
        "Name: <unknown>, Feature: x (data type: float) is required but could not be found."
    )
    as_int = '{"signature_name": "classify_x_to_y", "examples": [{"x": 2}]}'
    assert call_rest(two, C, as_int)["error"].startswith(
        "Name: <unknown>, Key: x, Index: 0.  Data types don't match. Data type: int64 but "
        "expected type: float"
    )


def test_classify_and_regress_rule_errors(two: ModelInfo) -> None:
    checked = '{"signature_name": "regress_x_to_y", "examples": [{"x": 1.0}]}'
    assert call_rest(two, C, checked, method_name_check=True) == {
        "error": "Expected classification signature method_name to be "
        "tensorflow/serving/classify. Was: tensorflow/serving/regress"
    }
    default = '{"examples": [{"x": 1.0}]}'
    assert call_rest(two, C, default)["error"].startswith(
        "No classification inputs found in SignatureDef: inputs {"
    )
    error = _raises(InputError, calls.classify_examples, two, [], signature="classify_x_to_y")
    assert str(error) == "Input is empty."
    # A float-input classify signature passes the rules and fails at Session::Run.
    floats = '{"signature_name": "classify_x2_to_y3", "examples": [{"x": 1.0}]}'
    assert call_rest(two, C, floats) == {
        "error": "Expects arg[0] to be float but string is provided"
    }


def test_classification_output_checks() -> None:
    classes = np.array([[b"a", b"b"], [b"c", b"d"]], dtype=object)
    labels, scores = classification({"classes": classes}, 2)
    assert (labels, scores) == ([["a", "b"], ["c", "d"]], [[0.0, 0.0], [0.0, 0.0]])
    labels, scores = classification({"scores": np.array([[0.0, 1.0]], np.float32)}, 1)
    assert (labels, scores) == ([["", ""]], [[0.0, 1.0]])
    for fetched, message in [
        (
            {"scores": np.zeros(2, np.float32)},
            "Expected Tensor shape: [batch_size num_classes] but got [2]",
        ),
        ({"scores": np.zeros((2, 1))}, "Expected scores Tensor of DT_FLOAT. Got: DT_DOUBLE"),
        (
            {"classes": np.zeros((2, 1), np.int64)},
            "Expected classes Tensor of DT_STRING. Got: DT_INT64",
        ),
        (
            {"scores": np.zeros((3, 1), np.float32)},
            "Expected scores output batch size of 2. Got: 3",
        ),
        (
            {"classes": classes, "scores": np.zeros((2, 3), np.float32)},
            "Tensors class and score should match in dim_size(1). Got 2 vs. 3",
        ),
    ]:
        assert str(_raises(ServingRuleError, classification, fetched, 2)) == message


def test_regression_output_checks() -> None:
    assert regression(np.array([[1.5], [2.5]], np.float32), 2).tolist() == [1.5, 2.5]
    for array, message in [
        (
            np.zeros((2, 2), np.float32),
            "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] "
            "but got [2,2]",
        ),
        (np.zeros(3, np.float32), "Input batch size did not match output batch size: 2 vs. 3"),
        (np.zeros(2, np.int64), "Expected output Tensor of DT_FLOAT.  Got: DT_INT64"),
    ]:
        assert str(_raises(ServingRuleError, regression, array, 2)) == message


# --- the model stays usable; results carry arrays, timings, frames -----------------------------


def test_errors_leave_the_model_usable_and_extra_fetches_work(two: ModelInfo) -> None:
    assert "error" in call_rest(two, P, '{"instances": [[true]]}')
    result = calls.predict(two, '{"instances": [[2.0]]}', extra_fetches=["a:0", "x:0"])
    assert result.response_json == {"predictions": [[3.0]]}
    assert result.extra["a:0"].tolist() == 0.5
    assert result.extra["x:0"].tolist() == [[2.0]]
    assert result.timing.execution_ms >= 0
    assert result.timing.conversion_ms >= 0
    error = _raises(
        InputError, calls.predict, two, '{"instances": [[2.0]]}', extra_fetches=["no:0"]
    )
    assert 'extra_fetches: "no:0" is not a tensor' in str(error)


def test_meta_graph_targets_and_frames(two: ModelInfo) -> None:
    result = calls.predict(two.meta_graph(), {"inputs": {"x": [[1.0], [2.0]]}})
    assert result.response_json == {"outputs": [[2.5], [3.0]]}
    frames = result.to_dataframes()
    assert frames["y"].shape == (2, 1)
    arrays = calls.predict_arrays(str(two.path), {"x": [[1.0]]})
    assert arrays.request_json == {"signature_name": "serving_default", "inputs": {"x": [[1.0]]}}
    frame = calls.classify(two, '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}')
    assert frame.to_dataframes()["results"].to_dict("records") == [
        {"example": 0, "class": 0, "label": "", "score": 3.0}
    ]


def test_concurrent_calls_share_one_session(two: ModelInfo) -> None:
    def call(i: int) -> Any:
        return calls.predict(two, {"instances": [[float(i)]]}).response_json["predictions"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(32)))
    assert results == [[[0.5 * i + 2.0]] for i in range(32)]


def test_a_target_must_be_a_model() -> None:
    assert "Not a model" in call_rest(42, P, "{}")["error"]  # type: ignore[arg-type]
    with pytest.raises(ModelSourceError):
        calls.predict("/no/such/model", "{}")
