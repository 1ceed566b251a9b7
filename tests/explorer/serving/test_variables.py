"""Variables a signature reads that loading never sets: found before any request, and
the run then fails exactly as the finding says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.constants import MethodKind
from explorer.errors import ExecutionError
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.serving.rules import check_signature
from explorer.serving.variables import unset_variables
from tests.conftest import ANCHORS, SAMPLES


@pytest.fixture(scope="module")
def keras_exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small Keras model written both ways: tf.saved_model.save and model.export."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    root = tmp_path_factory.mktemp("keras_exports")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    paths = {"saved": root / "saved", "exported": root / "exported"}
    tf.saved_model.save(model, str(paths["saved"]))
    model.export(str(paths["exported"]), format="tf_saved_model", verbose=False)
    return paths


def test_a_keras_model_given_to_tf_saved_model_save_fails_every_request(
    keras_exports: dict[str, Path],
) -> None:
    meta_graph = read_model(keras_exports["saved"]).meta_graph()
    signature = meta_graph.signature("serving_default")
    unset = unset_variables(signature)
    assert unset is not None
    assert unset.resource
    assert sorted(unset.names) == ["sequential/dense/bias", "sequential/dense/kernel"]
    message = unset.message()
    assert message.startswith('Every request to "serving_default" fails at Session::Run')
    assert 'model.export(path, format="tf_saved_model")' in message
    # Every API that accepts the signature says so before any request; `show` prints it.
    verdicts = [check_signature(signature, method) for method in MethodKind]
    assert [v.method for v in verdicts if v.accepted] == [MethodKind.PREDICT]
    assert all(message in v.request_time_issues for v in verdicts if v.accepted)
    shown = subprocess.run(
        [sys.executable, "-m", "explorer", "show", str(keras_exports["saved"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'at request time: Every request to "serving_default" fails at Session::Run' in shown
    # The run fails as the finding says, with the variable it names.
    key = signature.inputs[0].key
    with pytest.raises(ExecutionError, match="Could not find variable sequential/dense/"):
        calls.predict_arrays(meta_graph, {key: np.ones((1, 3), np.float32)})


def test_models_that_set_their_variables_have_no_finding(keras_exports: dict[str, Path]) -> None:
    paths = [
        keras_exports["exported"],
        *(p for p in SAMPLES.iterdir() if (p / "saved_model.pb").is_file()),
        *(p for p in (SAMPLES / "portable_linear").iterdir() if p.name.isdigit()),
        ANCHORS / "saved_model_half_plus_two_cpu" / "00000123",
    ]
    for path in paths:
        meta_graph = read_model(path).meta_graph()
        for signature in meta_graph.callable_signatures:
            assert unset_variables(signature) is None, (path, signature.key)
