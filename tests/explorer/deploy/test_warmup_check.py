"""A warmup file judged as TF Serving's load judges it, in TF Serving's words.

The cases follow TF Serving's ``saved_model_warmup_util_test.cc`` (no file, an empty file,
serialized protos without TFRecord framing, too many records, an unparsable record) and
``saved_model_warmup_test.cc`` (each log type; predict_streamed and session_run are
UNIMPLEMENTED), plus a signature the model does not have, which TF Serving's
``RunPredict``/``RunClassify`` refuse at load.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from explorer.codec.tfrecord import tfrecord_bytes
from explorer.deploy.warmup_check import check_warmup
from explorer.deploy.warmup_file import (
    MAX_RECORDS,
    parse_warmup,
    prediction_log_class,
    read_warmup,
    warmup_path,
)
from explorer.deploy.warmup_write import logs_bytes, prediction_log, save_warmup
from explorer.errors import WarmupFileError
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from tests.conftest import SAMPLES

FLOWERS = SAMPLES / "flowers_tf1"
LINEAR = SAMPLES / "portable_linear"


@pytest.fixture(scope="module")
def flowers() -> MetaGraphInfo:
    return read_model(FLOWERS).meta_graph()


def _predict(meta_graph: MetaGraphInfo, signature: str = "predict_images") -> Any:
    image = [[[[0.5]] * 4] * 4]
    return prediction_log(
        "predict", {"signature_name": signature, "instances": image}, meta_graph, "flowers"
    )


def _classify(meta_graph: MetaGraphInfo, signature: str = "classify_images") -> Any:
    body = {"signature_name": signature, "examples": [{"image": [0.5] * 16}] * 3}
    return prediction_log("classify", body, meta_graph, "flowers")


def _check(meta_graph: MetaGraphInfo, data: bytes, tmp_path: Path):  # type: ignore[no-untyped-def]
    save_warmup(warmup_path(tmp_path), data)
    return check_warmup(meta_graph, str(tmp_path))


def test_no_warmup_file_loads_without_warmup(flowers: MetaGraphInfo) -> None:
    # NoWarmupDataFile: having warmup data is optional.
    check = check_warmup(flowers, str(FLOWERS))
    assert check.file is None
    assert check.loads
    assert check.verdict.startswith("No warmup data file found at ")


def test_an_empty_file_loads(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    # WarmupDataFileEmpty.
    check = _check(flowers, b"", tmp_path)
    assert check.loads
    assert check.file is not None
    assert check.file.records == ()


def test_good_records_are_listed(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    # RunSuccess, with every log type TF Serving replays that the model can serve.
    check = _check(flowers, logs_bytes([_predict(flowers), _classify(flowers)]), tmp_path)
    assert check.loads
    assert check.findings == ()
    assert check.file is not None
    rows = [(r.verb, r.signature, r.inputs_text, r.batch_size) for r in check.file.records]
    assert rows == [
        ("predict", "predict_images", "images float32[1,4,4,1]", 1),
        ("classify", "classify_images", "examples tf.Example[3]", 3),
    ]
    assert check.verdict == "TF Serving loads the model and replays 2 warmup records first."


def test_protos_without_tfrecord_framing_are_data_loss(
    flowers: MetaGraphInfo, tmp_path: Path
) -> None:
    # UnsupportedFileFormat: serialized PredictionLogs written back to back.
    data = _predict(flowers).SerializeToString() * 10
    check = _check(flowers, data, tmp_path)
    error = check.first_error
    assert error is not None
    assert error.code == "DATA_LOSS"
    assert error.message.endswith(". Please verify your warmup data is in TFRecord format.")
    assert error.message.startswith("corrupted record at 0 (Is this even a TFRecord file?)")


def test_an_unparsable_record(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    # UnparsableRecord: "malformed_record" in TFRecord framing.
    data = logs_bytes([_predict(flowers)]) + tfrecord_bytes([b"malformed_record"])
    check = _check(flowers, data, tmp_path)
    error = check.first_error
    assert error is not None
    assert (error.record, error.code) == (2, "INVALID_ARGUMENT")
    path = warmup_path(tmp_path)
    assert error.message == f"Failed to parse warmup record: malformed_record from {path}"
    assert check.verdict == (
        f"TF Serving fails to load the model (record 2): INVALID_ARGUMENT: {error.message}"
    )


def test_too_many_records(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    # TooManyWarmupRecords: kMaxNumRecords + 1.
    record = _predict(flowers).SerializeToString()
    check = _check(flowers, tfrecord_bytes([record] * (MAX_RECORDS + 1)), tmp_path)
    error = check.first_error
    assert error is not None
    assert (error.record, error.code) == (MAX_RECORDS + 1, "INVALID_ARGUMENT")
    path = warmup_path(tmp_path)
    assert error.message == f"Number of warmup records exceeds the maximum (1000) at {path}"
    assert _check(flowers, tfrecord_bytes([record] * MAX_RECORDS), tmp_path).loads


@pytest.mark.parametrize(
    ("log_type", "number"), [("predict_streamed_log", 7), ("session_run_log", 5)]
)
def test_log_types_tf_serving_does_not_replay(
    flowers: MetaGraphInfo, tmp_path: Path, log_type: str, number: int
) -> None:
    log = prediction_log_class()()
    getattr(log, log_type).SetInParent()
    check = _check(flowers, logs_bytes([log]), tmp_path)
    error = check.first_error
    assert error is not None
    assert (error.code, error.message) == (
        "UNIMPLEMENTED",
        f"Unsupported log_type for warmup: {number}",
    )


def test_an_unknown_predict_signature(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    log = _predict(flowers)
    log.predict_log.request.model_spec.signature_name = "no_such_signature"
    error = _check(flowers, logs_bytes([log]), tmp_path).first_error
    assert error is not None
    # gRPC Predict's words (predict_util.cc), not REST's.
    assert (error.code, error.message) == (
        "FAILED_PRECONDITION",
        'Serving signature key "no_such_signature" not found.',
    )


def test_an_unknown_classify_signature(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    log = _classify(flowers)
    log.classify_log.request.model_spec.signature_name = "gone"
    error = _check(flowers, logs_bytes([log]), tmp_path).first_error
    assert error is not None
    assert error.message == "No signature was found with the name: gone"


def test_a_signature_the_api_refuses(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    log = _classify(flowers)
    log.classify_log.request.model_spec.signature_name = "predict_images"
    error = _check(flowers, logs_bytes([log]), tmp_path).first_error
    assert error is not None
    assert error.message.startswith("No classification inputs found in SignatureDef")


def test_inputs_that_do_not_match(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    log = _predict(flowers)
    inputs = log.predict_log.request.inputs
    inputs["extra"].CopyFrom(inputs["images"])
    error = _check(flowers, logs_bytes([log]), tmp_path).first_error
    assert error is not None
    assert error.message.startswith("input size does not match signature: 2!=1")


def test_empty_examples(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    log = _classify(flowers)
    del log.classify_log.request.input.example_list.examples[:]
    error = _check(flowers, logs_bytes([log]), tmp_path).first_error
    assert error is not None
    assert error.message == "Input is empty."


def test_a_multi_inference_record_is_checked(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    log = prediction_log_class()()
    request = log.multi_inference_log.request
    request.input.example_list.examples.add()
    for name, method in (("classify_images", "classify"), ("nope", "regress")):
        task = request.tasks.add()
        task.model_spec.name = "flowers"
        task.model_spec.signature_name = name
        task.method_name = f"tensorflow/serving/{method}"
    error = _check(flowers, logs_bytes([log]), tmp_path).first_error
    assert error is not None
    assert error.message == "Requested signature not found in model graph: nope"


def test_a_record_with_no_request_is_skipped_with_a_warning(
    flowers: MetaGraphInfo, tmp_path: Path
) -> None:
    check = _check(flowers, tfrecord_bytes([b""]), tmp_path)
    assert check.loads
    (finding,) = check.findings
    assert finding.severity == "warning"


def test_the_first_error_is_the_one_tf_serving_stops_at(
    flowers: MetaGraphInfo, tmp_path: Path
) -> None:
    bad = _predict(flowers)
    bad.predict_log.request.model_spec.signature_name = "missing"
    data = logs_bytes([_predict(flowers), bad]) + b"\x00" * 30
    check = _check(flowers, data, tmp_path)
    assert [(f.record, f.severity) for f in check.findings] == [(2, "error"), (3, "error")]
    assert check.first_error is not None
    assert check.first_error.record == 2


def test_a_directory_in_place_of_the_file(tmp_path: Path) -> None:
    warmup_path(tmp_path).mkdir(parents=True)
    with pytest.raises(WarmupFileError, match="Cannot read the warmup file"):
        read_warmup(warmup_path(tmp_path))


def test_parse_keeps_offsets(flowers: MetaGraphInfo) -> None:
    data = logs_bytes([_predict(flowers), _predict(flowers)])
    file = parse_warmup(data, "mem")
    assert [r.offset for r in file.records] == [0, len(data) // 2]


def test_a_quick_look_checks_signatures_not_inputs(flowers: MetaGraphInfo, tmp_path: Path) -> None:
    log = _predict(flowers)
    inputs = log.predict_log.request.inputs
    inputs["extra"].CopyFrom(inputs["images"])
    save_warmup(warmup_path(tmp_path), logs_bytes([log]))
    quick = check_warmup(flowers, str(tmp_path), inputs=False)
    assert quick.loads
    assert "also matches their input names" in quick.verdict
    assert not check_warmup(flowers, str(tmp_path)).loads
    missing = _predict(flowers)
    missing.predict_log.request.model_spec.signature_name = "gone"
    save_warmup(warmup_path(tmp_path), logs_bytes([missing]))
    assert not check_warmup(flowers, str(tmp_path), inputs=False).loads


def test_records_of_another_version_do_not_fit_and_fail_the_load(tmp_path: Path) -> None:
    # Version 1's records (x as float32[N,1]) in version 3, which declares x (-1, 2): TF
    # Serving checks no shapes, and its run of record 1 fails in MatMul (--replay shows it).
    version3 = read_model(LINEAR, version=3)
    shutil.copytree(version3.path, tmp_path / "3")
    shutil.copy(warmup_path(LINEAR / "1"), warmup_path(tmp_path / "3"))
    for quick in (False, True):  # show's quick look matches dtypes and shapes too
        check = check_warmup(version3.meta_graph(), str(tmp_path / "3"), inputs=not quick)
        assert not check.loads
        assert [(f.record, f.severity, f.predicted) for f in check.findings] == [
            (1, "error", True),
            (2, "error", True),
        ]
        error = check.first_error
        assert error is not None
        assert error.code is None  # the explorer's words: no check of TF Serving says this
        assert error.message == (
            "Input x is sent as float32[2,1] where the signature declares DT_FLOAT (-1, 2): "
            "x has 1 in dimension 1 where 2 is declared."
        )
        assert "TF Serving checks no shapes" in error.note
        assert check.verdict == (
            "TF Serving would fail to load the model (record 1), unless its graph takes a "
            "shape the signature does not declare (replaying the records settles it): "
            f"{error.message}"
        )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([1.0, 2.0], "x has 1 dimensions where 2 are declared"),
        ([[[1.0, 2.0]]], "x has 3 dimensions where 2 are declared"),
        ([[1.0, 2.0, 3.0]], "x has 3 in dimension 1 where 2 is declared"),
    ],
)
def test_a_shape_the_signature_does_not_declare(
    value: list[Any], problem: str, tmp_path: Path
) -> None:
    meta_graph = read_model(LINEAR, version=3).meta_graph()
    log = prediction_log("predict", {"inputs": {"x": value}}, meta_graph, "linear")
    error = _check(meta_graph, logs_bytes([log]), tmp_path).first_error
    assert error is not None
    assert error.predicted
    assert error.message.endswith(f": {problem}.")


def test_records_that_fit_the_signature_load(tmp_path: Path) -> None:
    # Any batch size fits a -1 dimension.
    meta_graph = read_model(LINEAR, version=3).meta_graph()
    logs = [
        prediction_log("predict", {"inputs": {"x": [[1.0, 2.0]] * n}}, meta_graph, "linear")
        for n in (1, 5)
    ]
    assert _check(meta_graph, logs_bytes(logs), tmp_path).findings == ()
