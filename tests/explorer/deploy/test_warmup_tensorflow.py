"""Warmup files both ways with TensorFlow's own code: what the explorer writes, TensorFlow's
``tf.data.TFRecordDataset`` and TF Serving's ``prediction_log_pb2`` read; what TensorFlow
writes (as TF Serving's ``example/resnet_warmup.py`` does), the explorer reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer.compat.cases import make_case
from explorer.deploy.warmup_check import check_warmup
from explorer.deploy.warmup_file import read_warmup, warmup_path
from explorer.deploy.warmup_write import export_cases, save_warmup
from explorer.model.reader import read_model
from tests.conftest import SAMPLES

LINEAR = SAMPLES / "portable_linear"


@pytest.fixture(scope="module")
def tf() -> Any:
    # Imported here: only this module's tests pay TensorFlow's start-up.
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def serving_apis() -> Any:
    from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    return prediction_log_pb2, predict_pb2


def test_tensorflow_reads_what_the_explorer_writes(
    tmp_path: Path, tf: Any, serving_apis: Any
) -> None:
    prediction_log_pb2, _ = serving_apis
    model = read_model(LINEAR, version=2)
    cases = [
        make_case(
            "rows", "predict", {"instances": [[1.0], [2.0]]}, {"predictions": [[2.5], [3.0]]}
        ),
        make_case("columns", "predict", {"inputs": {"x": [[4]]}}, {"outputs": [[4.0]]}),
    ]
    export = export_cases(cases, model.meta_graph(), model.name)
    file = save_warmup(tmp_path / "assets.extra" / "tf_serving_warmup_requests", export.data)
    records = [r.numpy() for r in tf.data.TFRecordDataset(str(file))]
    assert len(records) == 2
    logs = [prediction_log_pb2.PredictionLog.FromString(r) for r in records]
    first, second = (log.predict_log.request for log in logs)
    assert all(log.WhichOneof("log_type") == "predict_log" for log in logs)
    assert first.model_spec.name == "portable_linear"
    assert first.model_spec.signature_name == "serving_default"
    assert tf.make_ndarray(first.inputs["x"]).tolist() == [[1.0], [2.0]]
    # The REST handler's conversion: an int in JSON becomes the signature's DT_FLOAT.
    x = second.inputs["x"]
    assert x.dtype == tf.float32.as_datatype_enum
    assert tf.make_ndarray(x).tolist() == [[4.0]]


def test_the_explorer_reads_what_tensorflow_writes(
    tmp_path: Path, tf: Any, serving_apis: Any
) -> None:
    prediction_log_pb2, predict_pb2 = serving_apis
    version = tmp_path / "1"
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "portable_linear"
    request.model_spec.signature_name = "serving_default"
    request.inputs["x"].CopyFrom(tf.make_tensor_proto([[1.0], [2.0], [3.0]], dtype=tf.float32))
    log = prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    )
    warmup = warmup_path(version)
    warmup.parent.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(warmup)) as writer:
        for _ in range(3):
            writer.write(log.SerializeToString())
    file = read_warmup(version)
    assert file is not None
    assert file.stop is None
    assert [(r.verb, r.signature, r.inputs_text, r.batch_size) for r in file.records] == [
        ("predict", "serving_default", "x float32[3,1]", 3)
    ] * 3
    model = read_model(LINEAR, version=2)
    check = check_warmup(model.meta_graph(), str(version), file=file)
    assert check.loads, check.findings
    # The same records against version 3, whose x takes two features: the signature is
    # there, but x does not fit it, and the run of record 1 would fail (see the replay tests).
    other = check_warmup(read_model(LINEAR, version=3).meta_graph(), str(version), file=file)
    assert other.first_error is not None
    assert other.first_error.predicted
    assert "x has 1 in dimension 1 where 2 is declared" in other.first_error.message


def test_a_file_of_tf_examples_is_read_as_empty_logs(tmp_path: Path, tf: Any) -> None:
    # The common mistake (tensorflow/serving#1562): writing tf.Examples, not PredictionLogs.
    example = tf.train.Example(
        features=tf.train.Features(
            feature={"x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))}
        )
    )
    warmup = warmup_path(tmp_path)
    warmup.parent.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(warmup)) as writer:
        writer.write(example.SerializeToString())
    check = check_warmup(read_model(LINEAR, version=2).meta_graph(), str(tmp_path))
    assert check.loads  # TF Serving skips a record with no request...
    (finding,) = check.findings
    assert finding.severity == "warning"
    assert "holds no request" in finding.message
