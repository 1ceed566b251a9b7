"""TF Serving's signature rules: verdicts on the anchors and on crafted signatures."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.constants import MethodKind
from explorer.errors import ServingRuleError
from explorer.model.info import SignatureInfo, TensorInfo
from explorer.model.reader import read_model
from explorer.serving.rules import check_signature, require_accepted, resolve_signature

C, R, P = MethodKind.CLASSIFY, MethodKind.REGRESS, MethodKind.PREDICT

# (signature, method, check on?) -> None if accepted, else the start of TF Serving's message.
ANCHOR_VERDICTS = [
    ("classify_x_to_y", C, False, None),
    ("classify_x_to_y", C, True, None),
    ("classify_x_to_y", R, False, "No regression outputs found in SignatureDef: inputs {"),
    (
        "classify_x_to_y",
        R,
        True,
        "Expected regression signature method_name to be "
        "tensorflow/serving/regress. Was: tensorflow/serving/classify",
    ),
    (
        "regress_x_to_y",
        C,
        False,
        "Expected classification signature outputs to contain at "
        'least one of "classes" or "scores". Signature was: inputs {',
    ),
    ("regress_x_to_y", R, True, None),
    ("serving_default", C, False, "No classification inputs found in SignatureDef: inputs {"),
    ("serving_default", R, False, "No regression inputs found in SignatureDef: inputs {"),
    (
        "serving_default",
        C,
        True,
        "Expected classification signature method_name to be "
        "tensorflow/serving/classify. Was: tensorflow/serving/predict",
    ),
    ("serving_default", P, False, None),
    ("serving_default", P, True, None),
    ("regress_x2_to_y3", P, True, None),  # Predict also runs classify/regress signatures
]


@pytest.mark.parametrize(("key", "method", "check", "reason"), ANCHOR_VERDICTS)
def test_anchor_verdicts(
    half_plus_two_cpu: Path, key: str, method: MethodKind, check: bool, reason: str | None
) -> None:
    sig = read_model(half_plus_two_cpu).meta_graph().signature(key)
    verdict = check_signature(sig, method, method_name_check=check)
    if reason is None:
        assert verdict.accepted, verdict.reason
        assert verdict.reason is None
    else:
        assert not verdict.accepted
        assert verdict.reason is not None
        assert verdict.reason.startswith(reason)


def test_debug_string_is_quoted_like_cpp(half_plus_two_cpu: Path) -> None:
    sig = read_model(half_plus_two_cpu).meta_graph().signature("serving_default")
    verdict = check_signature(sig, C)
    assert verdict.reason is not None
    assert 'key: "x"' in verdict.reason
    assert 'name: "x:0"' in verdict.reason
    assert "dtype: DT_FLOAT" in verdict.reason
    assert 'method_name: "tensorflow/serving/predict"' in verdict.reason


def test_float_classify_input_is_a_request_time_issue(half_plus_two_2_versions: Path) -> None:
    sig = read_model(half_plus_two_2_versions).meta_graph().signature("classify_x2_to_y3")
    verdict = check_signature(sig, C)
    assert verdict.accepted
    assert any(
        "DT_FLOAT" in issue and "serialized tf.Examples" in issue
        for issue in verdict.request_time_issues
    )


def _tensor(key: str, dtype: str = "DT_FLOAT", shape=(None, 1)) -> TensorInfo:
    return TensorInfo(key=key, encoding="name", name=f"{key}:0", dtype=dtype, shape=shape)


def _sig(inputs, outputs, method_name="tensorflow/serving/predict") -> SignatureInfo:
    return SignatureInfo("s", method_name, tuple(inputs), tuple(outputs))


@pytest.mark.parametrize(
    ("sig", "method", "message"),
    [
        (
            _sig([_tensor("inputs"), _tensor("b")], [_tensor("scores")]),
            C,
            "Expected one input Tensor.",
        ),
        (_sig([_tensor("inputs")], []), C, "Expected one or two output Tensors, found 0"),
        (
            _sig([_tensor("inputs")], [_tensor("classes"), _tensor("scores"), _tensor("c")]),
            C,
            "Expected one or two output Tensors, found 3",
        ),
        (_sig([_tensor("inputs")], [_tensor("a"), _tensor("b")]), R, "Expected one output Tensor."),
        (_sig([], [_tensor("outputs")]), R, "Expected one input Tensor."),
    ],
)
def test_structural_rejections(sig: SignatureInfo, method: MethodKind, message: str) -> None:
    with pytest.raises(ServingRuleError) as info:
        require_accepted(sig, method)
    assert str(info.value).startswith(message)


def test_tf2_signature_serves_classify_only_without_method_check() -> None:
    sig = _sig(
        [_tensor("inputs", "DT_STRING", (None,))],
        [_tensor("classes", "DT_STRING", (None, 2)), _tensor("scores", "DT_FLOAT", (None, 2))],
    )
    assert check_signature(sig, C).accepted
    strict = check_signature(sig, C, method_name_check=True)
    assert not strict.accepted
    assert strict.reason == (
        "Expected classification signature method_name to be tensorflow/serving/classify. "
        "Was: tensorflow/serving/predict"
    )


def test_classify_output_problems_flagged_for_request_time() -> None:
    sig = _sig(
        [_tensor("inputs", "DT_STRING", (None,))],
        [_tensor("classes", "DT_INT64", (None, 3)), _tensor("scores", "DT_DOUBLE", (None,))],
    )
    issues = check_signature(sig, C).request_time_issues
    assert "Expected classes Tensor of DT_STRING. Got: DT_INT64" in issues
    assert "Expected scores Tensor of DT_FLOAT. Got: DT_DOUBLE" in issues
    assert any(
        i.startswith("Expected Tensor shape: [batch_size num_classes] but got [?]") for i in issues
    )


def test_regress_output_problems_flagged_for_request_time() -> None:
    sig = _sig(
        [_tensor("inputs", "DT_STRING", (None,))], [_tensor("outputs", "DT_INT32", (None, 3))]
    )
    issues = check_signature(sig, R).request_time_issues
    assert any(
        i.startswith(
            "Expected output Tensor shape to be either [batch_size] or "
            "[batch_size, 1] but got [?,3]"
        )
        for i in issues
    )
    assert "Expected output Tensor of DT_FLOAT.  Got: DT_INT32" in issues


def test_predict_method_check_rejects_other_method_names() -> None:
    sig = _sig([_tensor("x")], [_tensor("y")], method_name="my/method")
    assert check_signature(sig, P).accepted
    strict = check_signature(sig, P, method_name_check=True)
    assert strict.code == "INTERNAL"
    assert strict.reason == (
        "Expected prediction signature method_name to be one of {tensorflow/serving/predict, "
        "tensorflow/serving/classify, tensorflow/serving/regress}. Was: my/method"
    )


def test_a_signature_not_found_is_explained_with_the_keys_there_are(
    half_plus_two_cpu: Path,
) -> None:
    meta_graph = read_model(half_plus_two_cpu).meta_graph()
    with pytest.raises(ServingRuleError) as info:
        resolve_signature(meta_graph, "serving_defualt", P)
    assert str(info.value) == 'Serving signature name: "serving_defualt" not found in signature def'
    explanation = info.value.explanation or ""
    assert explanation.startswith('The signatures of this MetaGraph: "classify_x_to_y", ')
    assert explanation.endswith('. Did you mean "serving_default"?')
    with pytest.raises(ServingRuleError) as info:
        resolve_signature(meta_graph, "zzz", C)
    assert "Did you mean" not in (info.value.explanation or "")


def test_resolve_signature_words_not_found_per_api(half_plus_two_cpu: Path) -> None:
    meta_graph = read_model(half_plus_two_cpu).meta_graph()
    assert resolve_signature(meta_graph, "", P).key == "serving_default"
    with pytest.raises(ServingRuleError, match=r"^No signature was found with the name: nope$"):
        resolve_signature(meta_graph, "nope", C)
    with pytest.raises(ServingRuleError, match=r'^Serving signature name: "nope" not found in '):
        resolve_signature(meta_graph, "nope", P)
    with pytest.raises(
        ServingRuleError, match=r'^Serving signature key "nope" not found.$'
    ) as info:
        resolve_signature(meta_graph, "nope", P, rest=False)
    assert info.value.code == "FAILED_PRECONDITION"
