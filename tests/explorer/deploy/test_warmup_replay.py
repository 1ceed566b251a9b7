"""Warmup records replayed with gRPC's view, as TF Serving replays them at load, and kept as
test cases that replay over REST with the same answers."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.codec.tensor_proto import fill_tensor_proto
from explorer.compat.replay import replay_cases
from explorer.deploy.warmup_check import check_warmup, load_verdict
from explorer.deploy.warmup_file import parse_warmup, read_warmup
from explorer.deploy.warmup_replay import record_case, replay_warmup
from explorer.deploy.warmup_write import logs_bytes, prediction_log
from explorer.errors import WarmupFileError
from explorer.model.reader import read_model
from tests.conftest import SAMPLES

LINEAR = SAMPLES / "portable_linear"


def test_records_replay_and_become_cases_that_replay_over_rest() -> None:
    model = read_model(LINEAR, version=2)
    file = read_warmup(model.path)
    assert file is not None
    replay = replay_warmup(model, file.records)
    assert [r.passed for r in replay.runs] == [True, True]
    assert replay.runs[0].outcome is not None
    assert replay.runs[0].outcome.response_json == {"outputs": [[2.5], [3.0]]}
    cases = [record_case(run, model.meta_graph()) for run in replay.runs]
    assert cases[0].request == {
        "signature_name": "serving_default",
        "inputs": {"x": [[1.0], [2.0]]},
    }
    report = replay_cases(model, cases)
    assert report.all_passed, report.as_dict()
    # Version 1 (TF1, other tensor names) answers them the same; version 3 does not.
    assert replay_cases(read_model(LINEAR, version=1), cases).all_passed
    assert not replay_cases(read_model(LINEAR, version=3), cases).all_passed


def test_a_record_of_another_dtype_fails_as_grpc_fails_and_is_no_case() -> None:
    model = read_model(LINEAR, version=2)
    log = prediction_log("predict", {"instances": [[1.0]]}, model.meta_graph(), model.name)
    x = log.predict_log.request.inputs["x"]
    x.Clear()
    fill_tensor_proto(x, np.array([[1.0]], dtype=np.float64))
    (record,) = parse_warmup(logs_bytes([log]), "mem").records
    assert record.inputs_text == "x float64[1,1]"
    # The signature and alias are right, but TF Serving feeds the TensorProto's own dtype:
    # the check says the run fails without running it...
    check = check_warmup(model.meta_graph(), model.path, file=parse_warmup(logs_bytes([log]), "m"))
    error = check.first_error
    assert error is not None
    assert (error.record, error.code, error.predicted) == (1, "INVALID_ARGUMENT", False)
    assert error.message.startswith("Input x is sent as float64[1,1] (DT_DOUBLE) where")
    assert check.verdict.startswith("TF Serving fails to load the model (record 1)")
    # ...and the run does fail; its own words are the verdict then.
    replay = replay_warmup(model, [record])
    (run,) = replay.runs
    assert not run.passed
    assert run.outcome is not None
    assert run.outcome.code == "INVALID_ARGUMENT"
    assert run.outcome.error is not None
    assert load_verdict(check, replay) == (
        f"TF Serving fails to load the model (record 1): INVALID_ARGUMENT: {run.outcome.error}"
    )
    with pytest.raises(
        WarmupFileError, match="sent as DT_DOUBLE where the signature declares DT_FLOAT"
    ):
        record_case(run, model.meta_graph())
