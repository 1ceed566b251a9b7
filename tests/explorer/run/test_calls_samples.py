"""Every sample answers its template requests; defaults, sparse/ragged, init op, unsafe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from explorer.constants import MethodKind
from explorer.errors import (
    InputError,
    ServingRuleError,
    UnsafeModelError,
)
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.local import call_rest
from explorer.serving import rules

SAMPLES = Path(__file__).resolve().parents[3] / "sample_models"
C, R, P = MethodKind.CLASSIFY, MethodKind.REGRESS, MethodKind.PREDICT


def _raises(error: type[Exception], call, *args, **kwargs) -> Exception:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    return info.value


# --- sample models -------------------------------------------------------------------------------


def _sample_calls() -> list[tuple[str, str, MethodKind]]:
    cases = []
    for name in (
        "flowers_tf1",
        "tabular_churn",
        "keras_multi_io",
        "sparse_ragged_tf1",
        "portable_linear",
    ):
        if not (SAMPLES / name).is_dir():
            continue
        meta_graph = read_model(SAMPLES / name).meta_graph()
        for sig in meta_graph.callable_signatures:
            cases += [
                (name, sig.key, m) for m in MethodKind if rules.check_signature(sig, m).accepted
            ]
    return cases


@pytest.mark.parametrize(("sample", "key", "method"), _sample_calls())
def test_samples_answer_their_template_requests(sample: str, key: str, method: MethodKind) -> None:
    model = read_model(SAMPLES / sample)
    body = calls.request_template(model.meta_graph(), model.meta_graph().signature(key), method)
    response = call_rest(model, method, json.dumps(body))
    assert "error" not in response, response
    (key,) = response
    assert key in ({"predictions", "outputs"} if method is P else {"results"})


def test_tabular_churn_classifies_with_its_vocabulary_labels() -> None:
    body = {"examples": [{"age": 30.0, "monthly_charges": 70.0, "plan": "pro", "tenure_months": 3}]}
    result = calls.classify(SAMPLES / "tabular_churn", body)
    assert {label for label, _ in result.response_json["results"][0]} == {"stay", "churn"}
    assert abs(sum(score for _, score in result.response_json["results"][0]) - 1.0) < 1e-5


def test_sparse_and_ragged_inputs_are_fed_through_their_components() -> None:
    sample = SAMPLES / "sparse_ragged_tf1"
    ragged = calls.predict(
        sample, {"signature_name": "sum_ratings", "instances": [[1.0, 2.0], [3.0]]}
    )
    assert ragged.response_json == {"predictions": [3.0, 3.0]}
    sparse = {"indices": [[0, 0], [0, 1], [1, 0]], "values": [1, 2, 3], "dense_shape": [2, 2]}
    summed = calls.predict(sample, {"signature_name": "sum_item_ids", "inputs": sparse})
    assert summed.outputs["item_id_sum"].tolist() == [3, 3]


def test_signature_defaults_fill_inputs_left_out() -> None:
    model = read_model(SAMPLES / "keras_multi_io")
    inputs = {"age": np.array([[30.0]], np.float32), "clicks": np.array([[3]]), "country": [["fr"]]}
    high = calls.predict_arrays(model, {**inputs, "threshold": 1.0}, signature="flag")
    default = calls.predict_arrays(model, inputs, signature="flag")
    assert high.outputs["flagged"].tolist() == [[False]]
    assert default.outputs["probability"].tolist() == high.outputs["probability"].tolist()
    wrong = {**inputs, "bogus": 1.0}
    assert str(_raises(InputError, calls.predict_arrays, model, wrong, signature="flag")) == (
        "Inputs contains invalid name. Used request inputs: age,clicks,country, "
        "request input: age,bogus,clicks,country"
    )
    error = _raises(InputError, calls.predict_arrays, model, {"threshold": 0.5}, signature="flag")
    assert str(error).startswith(
        "Signature input alias: age(feed name: flag_age:0) not found in request and no default "
        "value provided. Inputs expected to be in the request {threshold}, or default input "
        "alias set: threshold"
    )


def test_the_init_op_signature_is_not_callable() -> None:
    model = read_model(SAMPLES / "portable_linear")
    body = '{"signature_name": "__saved_model_init_op", "inputs": {}}'
    assert call_rest(model, P, body) == {
        "error": "Failed to get input map for signature: __saved_model_init_op"
    }
    error = _raises(
        ServingRuleError,
        calls.predict_arrays,
        model,
        {},
        signature="__saved_model_init_op",
        method_name_check=True,
    )
    assert error.code == "INTERNAL"
    assert str(error).startswith("Expected prediction signature method_name to be one of {")


def test_unsafe_models_run_only_when_allowed() -> None:
    sample = SAMPLES / "unsafe_read_file"
    with pytest.raises(UnsafeModelError):
        calls.predict(sample, '{"instances": [[1.0]]}')
    assert "error" in call_rest(sample, P, '{"instances": [[1.0]]}')
    assert calls.predict(sample, '{"instances": [[1.0]]}', allow_unsafe=True).response_json
