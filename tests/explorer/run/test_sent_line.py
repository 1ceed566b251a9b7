"""A plain line beside TF Serving's error: what was sent against what the signature
declares. TF Serving's text stays exactly as it is (the response, the CLI's stdout); the
line goes beside it (the outcome, the CLI's stderr, the app's result panel)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from explorer.cli import main
from explorer.constants import MethodKind
from explorer.errors import ExecutionError
from explorer.model.info import SignatureInfo, TensorInfo
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget
from explorer.serving.sent_line import sent_against_declared

POOL_NODE = "{{node pool}}"  # the runtime's text names the node, not the input


def build_pool(path: Path) -> Path:
    """serving_default: x (-1, 4, 4, 1) float → y, a 2×2 max pool (node "pool")."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(tf.float32, [None, 4, 4, 1], name="x")
        y = tf.nn.max_pool2d(x, 2, 2, "VALID", name="pool")
        builder = v1.saved_model.Builder(str(path))
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(
            session, ["serve"], signature_def_map={"serving_default": signature}
        )
        builder.save()
    return path


@pytest.fixture(scope="module")
def pool_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pool(tmp_path_factory.mktemp("pool") / "pool")


def _signature(*inputs: TensorInfo) -> SignatureInfo:
    return SignatureInfo("serving_default", "tensorflow/serving/predict", inputs, ())


def test_the_line_says_where_sent_and_declared_differ() -> None:
    x = TensorInfo("x", "name", "x:0", "DT_FLOAT", (None, 4, 4, 1))
    ids = TensorInfo("ids", "name", "ids:0", "DT_INT64", (None, 3))
    assert sent_against_declared(_signature(x), {"x": np.zeros((1, 3), np.float32)}) == (
        "Sent x as DT_FLOAT (1, 3); the signature declares x as DT_FLOAT (-1, 4, 4, 1): "
        "x has 2 dimensions where 4 are declared."
    )
    line = sent_against_declared(
        _signature(x, ids),
        {"x": np.zeros((2, 4, 5, 1), np.float64), "ids": np.zeros((2, 3), np.int64)},
    )
    assert line == (
        "Sent x as DT_DOUBLE (2, 4, 5, 1) and ids as DT_INT64 (2, 3); the signature declares "
        "x as DT_FLOAT (-1, 4, 4, 1) and ids as DT_INT64 (-1, 3): x is DT_DOUBLE where "
        "DT_FLOAT is declared; x has 5 in dimension 2 where 4 is declared."
    )
    fits = sent_against_declared(_signature(x), {"x": np.zeros((3, 4, 4, 1), np.float32)})
    assert fits.endswith(": the request fits the declaration, so the failure is the model's own.")
    missing = sent_against_declared(_signature(x, ids), {"x": np.zeros((1, 4, 4, 1), np.float32)})
    assert missing.endswith("ids was not sent (its default was fed).")


def test_a_runtime_error_keeps_tf_servings_text_and_gets_the_line(pool_model: Path) -> None:
    model = read_model(pool_model)
    body = '{"instances": [[1.0, 2.0, 3.0]]}'
    with pytest.raises(ExecutionError) as raised:
        calls.predict(model, body)
    assert POOL_NODE in str(raised.value)
    outcome = dispatch(LocalTarget(model), CallRequest(MethodKind.PREDICT, body=body))
    assert outcome.status == 400
    assert outcome.error == str(raised.value)  # TF Serving's words, untouched
    assert json.loads(outcome.response_text) == {"error": outcome.error}
    assert outcome.explanation == (
        "Sent x as DT_FLOAT (1, 3); the signature declares x as DT_FLOAT (-1, 4, 4, 1): "
        "x has 2 dimensions where 4 are declared."
    )
    # gRPC's view: a float64 array keeps its dtype and meets TF Serving's dtype check.
    arrays = CallRequest(MethodKind.PREDICT, arrays={"x": np.zeros((1, 4, 4, 1))})
    outcome = dispatch(LocalTarget(model), arrays)
    assert outcome.error == "Expects arg[0] to be float but double is provided"
    assert outcome.explanation is not None
    assert outcome.explanation.endswith("x is DT_DOUBLE where DT_FLOAT is declared.")
    # A good request has no line.
    image = json.dumps({"instances": np.ones((1, 4, 4, 1)).tolist()})
    good = dispatch(LocalTarget(model), CallRequest(MethodKind.PREDICT, body=image))
    assert good.error is None
    assert good.explanation is None


def test_the_cli_prints_the_line_on_stderr_only(
    pool_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["predict", str(pool_model), "--request", '{"instances": [[1.0, 2.0, 3.0]]}'])
    assert code == 1
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert POOL_NODE in answer["error"]  # stdout: TF Serving's body, exactly
    assert "Sent x" not in captured.out
    assert (
        "note: Sent x as DT_FLOAT (1, 3); the signature declares x as DT_FLOAT (-1, 4, 4, 1): "
        "x has 2 dimensions where 4 are declared.\n"
    ) in captured.err
