"""TF Serving's ``classifier_test.cc`` and ``regressor_test.cc``, ported.

Each test names the C++ test it ports. Their requests, results and error texts are facts;
the FakeSession they run on is rebuilt as a SavedModel (``fake_session_models``), and the
MockSession cases that hand Classify/Regress wrong tensors check the post-processing
directly (``steps.classification`` / ``steps.regression`` are ``PostProcessClassification
Result`` / ``PostProcessRegressionResult``). Like the C++ suites (``TEST_P`` over
``::testing::Bool()``), each runs with the method-name check off and on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from explorer.errors import ServingRuleError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.steps import classification, regression
from tests.explorer.run.fake_session_models import FakeSessionModels, build

CHECK = [False, True]


@pytest.fixture(scope="module")
def fakes(tmp_path_factory: pytest.TempPathFactory) -> FakeSessionModels:
    return build(tmp_path_factory.mktemp("fake_sessions"))


@pytest.fixture(scope="module")
def classifier(fakes: FakeSessionModels) -> ModelInfo:
    return read_model(fakes.classifier)


@pytest.fixture(scope="module")
def regressor(fakes: FakeSessionModels) -> ModelInfo:
    return read_model(fakes.regressor)


def example(*class_scores: tuple[str, float]) -> dict[str, Any]:
    """classifier_test.cc's example(): the "class" bytes and "score" floats features."""
    return {
        "class": [c.encode() for c, _ in class_scores],
        "score": [float(s) for _, s in class_scores],
    }


def classify(model: ModelInfo, examples: list[Any], **options: Any) -> Any:
    return calls.classify_examples(model, examples, **options).response_json["results"]


def regress(model: ModelInfo, examples: list[Any], **options: Any) -> Any:
    return calls.regress_examples(model, examples, **options).response_json["results"]


def rejected(call: Any, *args: Any, **options: Any) -> ServingRuleError:
    with pytest.raises(ServingRuleError) as raised:
        call(*args, **options)
    return raised.value


TWO = [example(("dos", 2), ("uno", 1)), example(("cuatro", 4), ("tres", 3))]


# --- classifier_test.cc --------------------------------------------------------------------


@pytest.mark.parametrize("check", CHECK)
def test_classifier_example_lists(classifier: ModelInfo, check: bool) -> None:
    # ExampleList, ExampleListWithContext, ExampleListWithContext_DuplicateFeatures.
    expected = [[["dos", 2.0], ["uno", 1.0]], [["cuatro", 4.0], ["tres", 3.0]]]
    assert classify(classifier, TWO, method_name_check=check) == expected
    context = example(("dos", 2), ("uno", 1))
    assert classify(classifier, [{}, {}], context=context, method_name_check=check) == [
        [["dos", 2.0], ["uno", 1.0]],
        [["dos", 2.0], ["uno", 1.0]],
    ]
    # The example's features win over the context's (a later map entry wins the merge).
    duplicate = [{}, example(("tres", 3), ("cuatro", 4))]
    context = example(("uno", 1), ("dos", 2))
    assert classify(classifier, duplicate, context=context, method_name_check=check) == [
        [["uno", 1.0], ["dos", 2.0]],
        [["tres", 3.0], ["cuatro", 4.0]],
    ]


@pytest.mark.parametrize("check", CHECK)
def test_classifier_classes_or_scores_only(classifier: ModelInfo, check: bool) -> None:
    # ClassesOnly (scores left 0.0), ScoresOnly (labels ""), ZeroScoresArePresent.
    options = {"method_name_check": check}
    assert classify(classifier, TWO, signature="classes_only", **options) == [
        [["dos", 0.0], ["uno", 0.0]],
        [["cuatro", 0.0], ["tres", 0.0]],
    ]
    assert classify(classifier, TWO, signature="scores_only", **options) == [
        [["", 2.0], ["", 1.0]],
        [["", 4.0], ["", 3.0]],
    ]
    zero = [example(("minus", -1), ("zero", 0), ("one", 1))]
    assert classify(classifier, zero, signature="scores_only", **options) == [
        [["", -1.0], ["", 0.0], ["", 1.0]]
    ]


@pytest.mark.parametrize("check", CHECK)
def test_classifier_named_signatures(classifier: ModelInfo, check: bool) -> None:
    # ValidNamedSignature, InvalidNamedSignature, MalformedScores, MissingClassificationSignature.
    options = {"method_name_check": check}
    assert classify(classifier, TWO, signature="output_plus_one", **options) == [
        [["dos", 3.0], ["uno", 2.0]],
        [["cuatro", 5.0], ["tres", 4.0]],
    ]
    invalid = rejected(
        calls.classify_examples,
        classifier,
        TWO,
        signature="invalid_regression_signature",
        **options,
    )
    assert invalid.code == "INVALID_ARGUMENT"
    assert str(invalid).startswith(
        "Expected classification signature method_name to be tensorflow/serving/classify. "
        "Was: tensorflow/serving/regress"
        if check
        else 'Expected classification signature outputs to contain at least one of "classes" '
        'or "scores". Signature was: '
    )
    malformed = rejected(
        calls.classify_examples,
        classifier,
        TWO,
        signature="ImproperlySizedScoresSignature",
        **options,
    )
    assert malformed.code == "INVALID_ARGUMENT"
    assert str(malformed) == "Expected Tensor shape: [batch_size num_classes] but got [2,2,10]"
    missing = rejected(calls.classify_examples, classifier, TWO[:1], signature="empty", **options)
    assert missing.code == "INVALID_ARGUMENT"
    assert str(missing) == (
        "Expected classification signature method_name to be tensorflow/serving/classify. Was: "
        if check
        else "Expected one input Tensor."
    )


@pytest.mark.parametrize("check", CHECK)
def test_classifier_empty_inputs_and_failed_runs(classifier: ModelInfo, check: bool) -> None:
    # EmptyInput, EmptyExampleList, EmptyExampleListWithContext, RunsFails.
    for context in (None, example(("dos", 2))):
        error = rejected(
            calls.classify_examples, classifier, [], context=context, method_name_check=check
        )
        assert (error.code, str(error)) == ("INVALID_ARGUMENT", "Input is empty.")
    error = rejected(calls.classify_examples, classifier, TWO, signature="run_fails")
    assert "Run totally failed" in str(error)


def test_classifier_wrong_output_tensors() -> None:
    # ClassesIncorrectTensorBatchSize, ClassesIncorrectTensorType,
    # ScoresIncorrectTensorBatchSize, ScoresIncorrectTensorType,
    # MismatchedNumberOfTensorClasses (the MockSession's tensors, two examples sent).
    strings = lambda *shape: np.full(shape, b"", dtype=object)  # noqa: E731
    floats = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
    cases = [
        (strings(1, 2), floats(2, 2), "Expected classes output batch size of 2. Got: 1"),
        (floats(2, 2), floats(2, 2), "Expected classes Tensor of DT_STRING. Got: DT_FLOAT"),
        (strings(2, 2), floats(1, 2), "Expected scores output batch size of 2. Got: 1"),
        (strings(2, 2), strings(2, 2), "Expected scores Tensor of DT_FLOAT. Got: DT_STRING"),
        (
            strings(2, 2),
            floats(2, 3),
            "Tensors class and score should match in dim_size(1). Got 2 vs. 3",
        ),
    ]
    for classes, scores, message in cases:
        with pytest.raises(ServingRuleError) as raised:
            classification({"classes": classes, "scores": scores}, 2)
        assert str(raised.value) == message


@pytest.mark.parametrize("signature", ["not_supported", "no_method"])
def test_classifier_method_name_check(classifier: ModelInfo, signature: str) -> None:
    # MethodNameCheck: a legit method name always works; another or none only without
    # the check.
    assert classify(classifier, TWO[:1], method_name_check=True)
    assert classify(classifier, TWO[:1], signature=signature)
    error = rejected(
        calls.classify_examples, classifier, TWO[:1], signature=signature, method_name_check=True
    )
    assert str(error).startswith("Expected classification signature method_name to be")


# --- regressor_test.cc ---------------------------------------------------------------------


def output(value: float) -> dict[str, Any]:
    """regressor_test.cc's example_with_output(): the "output" float feature."""
    return {"output": [value]}


@pytest.mark.parametrize("check", CHECK)
def test_regressor_example_lists_and_named_signatures(regressor: ModelInfo, check: bool) -> None:
    # BasicExampleList, BasicExampleListWithContext, ValidNamedSignature,
    # InvalidNamedSignature, MalformedOutputs, MissingRegressionSignature.
    options = {"method_name_check": check}
    examples = [output(2.0), output(3.0)]
    assert regress(regressor, examples, **options) == [2.0, 3.0]
    assert regress(regressor, [{}, {}], context=output(3.0), **options) == [3.0, 3.0]
    assert regress(regressor, examples, signature="output_plus_one", **options) == [3.0, 4.0]
    invalid = rejected(
        calls.regress_examples,
        regressor,
        examples,
        signature="invalid_classification_signature",
        **options,
    )
    assert invalid.code == "INVALID_ARGUMENT"
    assert str(invalid).startswith(
        "Expected regression signature method_name to be tensorflow/serving/regress. "
        "Was: tensorflow/serving/classify"
        if check
        else "No regression outputs found in SignatureDef: "
    )
    malformed = rejected(
        calls.regress_examples,
        regressor,
        examples,
        signature="ImproperlySizedOutputSignature",
        **options,
    )
    assert malformed.code == "INVALID_ARGUMENT"
    assert str(malformed) == (
        "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got [2,1,10]"
    )
    missing = rejected(
        calls.regress_examples, regressor, examples[:1], signature="empty", **options
    )
    assert missing.code == "INVALID_ARGUMENT"


@pytest.mark.parametrize("check", CHECK)
def test_regressor_empty_inputs_and_failed_runs(regressor: ModelInfo, check: bool) -> None:
    # EmptyInput, EmptyExampleList, EmptyExampleListWithContext, RunsFails.
    for context in (None, output(2.0)):
        error = rejected(
            calls.regress_examples, regressor, [], context=context, method_name_check=check
        )
        assert (error.code, str(error)) == ("INVALID_ARGUMENT", "Input is empty.")
    error = rejected(calls.regress_examples, regressor, [output(2.0)], signature="run_fails")
    assert "Run totally failed" in str(error)


def test_regressor_wrong_output_tensors() -> None:
    # UnexpectedOutputTensorSize, UnexpectedOutputTensorType (one example sent).
    with pytest.raises(ServingRuleError, match="output batch size") as raised:
        regression(np.zeros(2, np.float32), 1)
    assert str(raised.value) == "Input batch size did not match output batch size: 1 vs. 2"
    with pytest.raises(ServingRuleError) as raised:
        regression(np.full(1, b"", dtype=object), 1)
    assert str(raised.value) == "Expected output Tensor of DT_FLOAT.  Got: DT_STRING"


@pytest.mark.parametrize("signature", ["not_supported", "no_method"])
def test_regressor_method_name_check(regressor: ModelInfo, signature: str) -> None:
    # MethodNameCheck.
    assert regress(regressor, [output(2.0)], method_name_check=True) == [2.0]
    assert regress(regressor, [output(2.0)], signature=signature) == [2.0]
    error = rejected(
        calls.regress_examples,
        regressor,
        [output(2.0)],
        signature=signature,
        method_name_check=True,
    )
    assert str(error).startswith("Expected regression signature method_name to be")
