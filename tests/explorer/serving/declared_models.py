"""SavedModels whose TensorInfos declare other dtypes than their graph tensors have, built in
the test session (never committed).

``half_plus_three`` is built like TF Serving's own ``saved_model_half_plus_three``
(``servables/tensorflow/testdata``): ``serving_default`` predicts ``y = 0.5·x + 3`` from a
float ``x``, and ``tensorflow/serving/regress`` feeds the DT_STRING placeholder
``tf_example`` (serialized tf.Examples with a float feature ``x``) while its TensorInfo
declares DT_FLOAT. ``double_scores`` classifies with a ``scores`` TensorInfo declared
DT_FLOAT over a DT_DOUBLE tensor, and ``uint16_out`` predicts a uint16 output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DeclaredModels:
    half_plus_three: Path
    double_scores: Path
    uint16_out: Path


def build(root: Path) -> DeclaredModels:
    """Build every model under ``root``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from tensorflow.core.protobuf import meta_graph_pb2

    v1 = tf.compat.v1

    def info(name: str, dtype: Any) -> Any:
        return meta_graph_pb2.TensorInfo(name=name, dtype=dtype.as_datatype_enum)

    def save(path: Path, signatures: dict[str, Any]) -> Path:
        with v1.Session() as session:
            builder = v1.saved_model.Builder(str(path))
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
            builder.save()
        return path

    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None], name="x")
        y = tf.identity(0.5 * x + 3.0, name="y")
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        parsed = v1.parse_example(serialized, {"x": v1.FixedLenFeature([1], tf.float32)})
        regressed = tf.identity(0.5 * parsed["x"] + 3.0, name="Identity")
        predict = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        regress = meta_graph_pb2.SignatureDef(
            inputs={"inputs": info(serialized.name, tf.float32)},  # declared: wrong
            outputs={"outputs": info(regressed.name, tf.float32)},
            method_name="tensorflow/serving/regress",
        )
        half_plus_three = save(
            root / "half_plus_three",
            {"serving_default": predict, "tensorflow/serving/regress": regress},
        )

    with tf.Graph().as_default():
        serialized = v1.placeholder(tf.string, [None], name="examples")
        parsed = v1.parse_example(serialized, {"x": v1.FixedLenFeature([2], tf.float32)})
        scores = tf.identity(tf.cast(parsed["x"], tf.float64), name="scores")
        classify = meta_graph_pb2.SignatureDef(
            inputs={"inputs": info(serialized.name, tf.string)},
            outputs={"scores": info(scores.name, tf.float32)},  # declared: wrong
            method_name="tensorflow/serving/classify",
        )
        double_scores = save(root / "double_scores", {"serving_default": classify})

    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None], name="x")
        counts = tf.identity(tf.cast(x, tf.uint16), name="counts")
        predict = v1.saved_model.predict_signature_def({"x": x}, {"counts": counts})
        uint16_out = save(root / "uint16_out", {"serving_default": predict})

    return DeclaredModels(half_plus_three, double_scores, uint16_out)
