"""Request-time verdicts judge the graph's own tensors; a mis-declared TensorInfo is a note.

Each verdict is checked against what actually happens when the call runs (through the
model's worker), so a verdict cannot claim a failure the run does not show, or miss one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.constants import MethodKind
from explorer.errors import ExecutionError, ServingRuleError
from explorer.model.info import ModelInfo, SignatureInfo
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.serving.graph_tensors import graph_dtype
from explorer.serving.rules import check_signature
from tests.explorer.serving.declared_models import DeclaredModels, build

REGRESS_KEY = "tensorflow/serving/regress"


@pytest.fixture(scope="module")
def declared(tmp_path_factory: pytest.TempPathFactory) -> DeclaredModels:
    return build(tmp_path_factory.mktemp("declared"))


@pytest.fixture(scope="module")
def half_plus_three(declared: DeclaredModels) -> ModelInfo:
    return read_model(declared.half_plus_three)


def test_the_graph_dtype_is_read_from_the_placeholder(half_plus_three: ModelInfo) -> None:
    signature = half_plus_three.meta_graph().signature(REGRESS_KEY)
    tensor = signature.inputs[0]
    assert (tensor.name, tensor.dtype) == ("tf_example:0", "DT_FLOAT")
    assert graph_dtype(signature, tensor) == "DT_STRING"
    assert graph_dtype(signature, signature.outputs[0]) == "DT_FLOAT"  # an Identity's T


def test_regress_on_a_misdeclared_string_input_is_accepted_and_works(
    half_plus_three: ModelInfo,
) -> None:
    signature = half_plus_three.meta_graph().signature(REGRESS_KEY)
    verdict = check_signature(signature, MethodKind.REGRESS)
    # The false "every request fails at Session::Run" is gone ...
    assert verdict.accepted
    assert verdict.request_time_issues == ()
    # ... and the mis-declared TensorInfo is said.
    assert len(verdict.notes) == 1
    assert 'input "inputs" declares DT_FLOAT' in verdict.notes[0]
    assert "tf_example:0 is DT_STRING" in verdict.notes[0]
    # TF Serving feeds by name: the regress call runs (y = 0.5·x + 3).
    result = calls.regress(
        half_plus_three, {"signature_name": REGRESS_KEY, "examples": [{"x": 2.0}, {"x": 4.0}]}
    )
    assert result.response_json["results"] == [4.0, 5.0]


def test_rest_predict_on_the_misdeclared_input_fails_as_the_verdict_says(
    half_plus_three: ModelInfo,
) -> None:
    signature = half_plus_three.meta_graph().signature(REGRESS_KEY)
    issues = check_signature(signature, MethodKind.PREDICT).request_time_issues
    assert len(issues) == 1
    assert "converts JSON to the declared DT_FLOAT" in issues[0]
    assert "a gRPC request must send DT_STRING" in issues[0]
    with pytest.raises(ExecutionError, match="string"):
        calls.predict(half_plus_three, {"signature_name": REGRESS_KEY, "instances": [2.0]})
    # The predict signature beside it has no finding at all.
    plain = check_signature(
        half_plus_three.meta_graph().signature("serving_default"), MethodKind.PREDICT
    )
    assert plain.request_time_issues == ()
    assert plain.notes == ()


def test_a_misdeclared_output_is_judged_by_the_graph_tensor(declared: DeclaredModels) -> None:
    model = read_model(declared.double_scores)
    signature = model.meta_graph().signature("serving_default")
    verdict = check_signature(signature, MethodKind.CLASSIFY)
    assert "Expected scores Tensor of DT_FLOAT. Got: DT_DOUBLE" in verdict.request_time_issues
    assert any('output "scores" declares DT_FLOAT' in note for note in verdict.notes)
    # classifier.cc checks the fetched tensor: the run fails with the verdict's words.
    with pytest.raises(
        ServingRuleError, match=r"Expected scores Tensor of DT_FLOAT\. Got: DT_DOUBLE"
    ):
        calls.classify(model, {"examples": [{"x": [1.0, 2.0]}]})


def test_a_uint16_output_is_flagged_and_fails_as_tf_serving(declared: DeclaredModels) -> None:
    model = read_model(declared.uint16_out)
    signature = model.meta_graph().signature("serving_default")
    issues = check_signature(signature, MethodKind.PREDICT).request_time_issues
    expected = "Failed to write JSON value for tensor type: uint16"
    assert any(expected in issue for issue in issues)
    with pytest.raises(ServingRuleError) as raised:
        calls.predict(model, {"instances": [1.0, 2.0]})
    assert str(raised.value) == expected
    assert raised.value.code == "INVALID_ARGUMENT"


def test_without_the_graph_the_declared_dtype_stands(half_plus_three: ModelInfo) -> None:
    # Signatures from a server's metadata carry no graph: the TensorInfo is all there is.
    read = half_plus_three.meta_graph().signature(REGRESS_KEY)
    bare = SignatureInfo(read.key, read.method_name, read.inputs, read.outputs, proto=read.proto)
    issues = check_signature(bare, MethodKind.REGRESS).request_time_issues
    assert len(issues) == 1
    assert "every request fails at Session::Run" in issues[0]


def test_show_prints_the_note(declared: DeclaredModels, capsys: pytest.CaptureFixture[str]) -> None:
    from explorer.cli import main

    assert main(["show", str(declared.half_plus_three)]) == 0
    out = capsys.readouterr().out
    assert 'note: The TensorInfo of input "inputs" declares DT_FLOAT' in out
    assert "every request fails at Session::Run" not in out


def test_real_anchor_models_get_no_notes(half_plus_two_cpu: Path) -> None:
    for signature in read_model(half_plus_two_cpu).meta_graph().callable_signatures:
        for method in MethodKind:
            assert check_signature(signature, method).notes == ()


def _verdicts_page(path: str) -> None:
    from components.model.signature_panel import render_verdicts
    from explorer.model.reader import read_model

    render_verdicts(read_model(path).meta_graph().signature("tensorflow/serving/regress"))


def test_the_app_and_the_notebook_show_the_note(declared: DeclaredModels) -> None:
    from streamlit.testing.v1 import AppTest

    from explorer.present.html import signature_html
    from tests.markdown_text import shown

    app = AppTest.from_function(
        _verdicts_page, args=(str(declared.half_plus_three),), default_timeout=60
    ).run()
    assert not app.exception
    captions = [shown(c.value) for c in app.caption]
    assert any(c.startswith('The TensorInfo of input "inputs" declares DT_FLOAT') for c in captions)
    signature = read_model(declared.half_plus_three).meta_graph().signature(REGRESS_KEY)
    assert "tf_example:0 is DT_STRING" in signature_html(signature)
