"""TF Serving's classifier and regressor test fixtures as real SavedModels, built in the test
session (never committed).

``classifier_test.cc`` and ``regressor_test.cc`` run TF Serving's Classify/Regress on a
``FakeSession`` that copies features of the fed tf.Examples into its outputs: the
``class`` bytes and ``score`` floats (classifier), the ``output`` float (regressor). These
graphs do the same with ParseExample, under the tests' tensor names (``input:0``,
``output:0``, ``score:0``, ``outputPlusOne:0``, ``ImproperlySized…:0``) and signatures;
``run_fails`` stands for the ``MockSession`` whose Run fails with "Run totally failed", and
``not_supported``/``no_method`` carry the method names ``MethodNameCheck`` tries.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"


@dataclass(frozen=True)
class FakeSessionModels:
    classifier: Path
    regressor: Path


def build(root: Path) -> FakeSessionModels:
    """Build both models under ``root``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from tensorflow.core.protobuf import meta_graph_pb2

    v1 = tf.compat.v1

    def info(tensor: Any) -> Any:
        return meta_graph_pb2.TensorInfo(name=tensor.name, dtype=tensor.dtype.as_datatype_enum)

    def signature(method: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> Any:
        return meta_graph_pb2.SignatureDef(
            inputs={k: info(v) for k, v in inputs.items()},
            outputs={k: info(v) for k, v in outputs.items()},
            method_name=method,
        )

    def save(path: Path, signatures: dict[str, Any]) -> Path:
        with v1.Session() as session:
            builder = v1.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
            builder.save()
        return path

    def failing(tensor: Any) -> Any:
        check = tf.debugging.Assert(tf.constant(False), ["Run totally failed"])
        with tf.control_dependencies([check]):
            return tf.identity(tensor)

    with tf.Graph().as_default():
        serialized = v1.placeholder(tf.string, [None], name="input")
        features = {"class": v1.VarLenFeature(tf.string), "score": v1.VarLenFeature(tf.float32)}
        parsed = v1.parse_example(serialized, features)
        classes = tf.identity(tf.sparse.to_dense(parsed["class"], ""), name="output")
        scores = tf.identity(tf.sparse.to_dense(parsed["score"]), name="score")
        plus_one = tf.identity(scores + 1.0, name="outputPlusOne")
        improper = tf.zeros(tf.concat([tf.shape(scores), [10]], 0), name="ImproperlySizedScores")
        inputs = {"inputs": serialized}
        both = {"classes": classes, "scores": scores}
        classifier = save(
            root / "classifier",
            {
                "serving_default": signature(CLASSIFY, inputs, both),
                "output_plus_one": signature(
                    CLASSIFY, inputs, {"classes": classes, "scores": plus_one}
                ),
                "invalid_regression_signature": signature(REGRESS, inputs, {"outputs": plus_one}),
                "ImproperlySizedScoresSignature": signature(
                    CLASSIFY, inputs, {"classes": classes, "scores": improper}
                ),
                "classes_only": signature(CLASSIFY, inputs, {"classes": classes}),
                "scores_only": signature(CLASSIFY, inputs, {"scores": scores}),
                "empty": meta_graph_pb2.SignatureDef(),
                "run_fails": signature(
                    CLASSIFY, inputs, {"classes": classes, "scores": failing(scores)}
                ),
                "not_supported": signature("not/supported/method", inputs, both),
                "no_method": signature("", inputs, both),
            },
        )

    with tf.Graph().as_default():
        serialized = v1.placeholder(tf.string, [None], name="input")
        parsed = v1.parse_example(serialized, {"output": v1.FixedLenFeature([1], tf.float32)})
        output = tf.reshape(parsed["output"], [-1], name="output")  # [batch]
        plus_one = tf.identity(parsed["output"] + 1.0, name="outputPlusOne")  # [batch, 1]
        improper = tf.zeros(tf.stack([tf.shape(output)[0], 1, 10]), name="ImproperlySizedOutput")
        inputs = {"inputs": serialized}
        regressor = save(
            root / "regressor",
            {
                "serving_default": signature(REGRESS, inputs, {"outputs": output}),
                "output_plus_one": signature(REGRESS, inputs, {"outputs": plus_one}),
                "invalid_classification_signature": signature(
                    CLASSIFY, inputs, {"classes": plus_one}
                ),
                "ImproperlySizedOutputSignature": signature(REGRESS, inputs, {"outputs": improper}),
                "empty": meta_graph_pb2.SignatureDef(),
                "run_fails": signature(REGRESS, inputs, {"outputs": failing(output)}),
                "not_supported": signature("not/supported/method", inputs, {"outputs": output}),
                "no_method": signature("", inputs, {"outputs": output}),
            },
        )
    return FakeSessionModels(classifier, regressor)
