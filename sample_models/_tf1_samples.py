"""TF1-style sample SavedModels: graph mode, a Session and ``SavedModelBuilder``.

Every builder makes its own ``tf.Graph`` so tensor names start fresh (``x:0``, not
``x_1:0``) and the written signatures do not depend on build order. The maths is in
``build.py``'s docstring; the constants below are the whole model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

SERVE_TAGS = ["serve"]

FLOWER_LABELS = ("daisy", "rose", "tulip")
# Rows: the 4x4 image's quadrant means [top-left, top-right, bottom-left, bottom-right].
# Columns: daisy (bright top half), rose (bright left half), tulip (bright bottom).
FLOWER_WEIGHTS = np.array(
    [
        [2.0, 1.0, -1.0],
        [2.0, -1.0, -1.0],
        [-1.0, 1.0, 2.0],
        [-1.0, -1.0, 2.0],
    ],
    dtype=np.float32,
)
FLOWER_BIAS = np.array([0.1, 0.0, -0.1], dtype=np.float32)

LINEAR_SLOPE = np.float32(0.5)
LINEAR_INTERCEPT = np.float32(2.0)


def _tf() -> Any:
    # Imported lazily so build.py's SAMPLES can be read without TensorFlow.
    import tensorflow as tf

    return tf


def _save(path: Path, signatures: dict[str, Any], sess: Any) -> None:
    tf = _tf()
    builder = tf.compat.v1.saved_model.Builder(str(path))
    builder.add_meta_graph_and_variables(sess, SERVE_TAGS, signature_def_map=signatures)
    builder.save()


def _flower_scores(images: Any, weights: Any, bias: Any) -> Any:
    """images [-1, 4, 4, 1] → softmax scores [-1, 3], via a 2x2 mean-pool ``pool``."""
    tf = _tf()
    pool = tf.nn.avg_pool2d(images, ksize=2, strides=2, padding="VALID", name="pool")
    features = tf.reshape(pool, [-1, 4], name="features")
    logits = tf.nn.bias_add(tf.matmul(features, weights), bias, name="logits")
    return tf.nn.softmax(logits, name="scores")


def _parse_flower_examples(serialized: Any) -> Any:
    """Serialized tf.Examples (float feature ``image``, 16 values) → [-1, 4, 4, 1]."""
    tf = _tf()
    spec = {"image": tf.io.FixedLenFeature([16], tf.float32)}
    parsed = tf.io.parse_example(serialized, spec)
    return tf.reshape(parsed["image"], [-1, 4, 4, 1], name="images")


def build_flowers(path: Path) -> None:
    """One model behind TF Serving's three classic signature kinds."""
    tf = _tf()
    v1 = tf.compat.v1
    sm = v1.saved_model
    graph = tf.Graph()
    with graph.as_default():
        weights = v1.get_variable("weights", initializer=FLOWER_WEIGHTS)
        bias = v1.get_variable("bias", initializer=FLOWER_BIAS)
        # The predict path is built first so its nodes get the plain names
        # (``pool``, ``scores``) a user would type to fetch them.
        images = v1.placeholder(tf.float32, [None, 4, 4, 1], name="images")
        scores = _flower_scores(images, weights, bias)
        with tf.name_scope("from_examples"):
            examples = v1.placeholder(tf.string, [None], name="tf_examples")
            parsed_images = _parse_flower_examples(examples)
            example_scores = _flower_scores(parsed_images, weights, bias)
            brightness = tf.reduce_mean(parsed_images, axis=[1, 2], name="brightness")
            classes = tf.tile(
                tf.constant([FLOWER_LABELS]), [tf.shape(examples)[0], 1], name="classes"
            )
        predict = sm.predict_signature_def({"images": images}, {"scores": scores})
        signatures = {
            "classify_images": sm.classification_signature_def(
                examples, classes, example_scores
            ),
            "regress_brightness": sm.regression_signature_def(examples, brightness),
            "predict_images": predict,
            "serving_default": predict,
        }
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            _save(path, signatures, sess)


def build_sparse_ragged(path: Path) -> None:
    """A sparse (``coo_sparse``) and a ragged (``composite_tensor``) input, row sums."""
    tf = _tf()
    v1 = tf.compat.v1
    sm = v1.saved_model
    info = sm.build_tensor_info
    predict = sm.PREDICT_METHOD_NAME
    graph = tf.Graph()
    with graph.as_default():
        item_ids = v1.sparse_placeholder(tf.int64, [None, None], name="item_ids")
        ratings = v1.ragged.placeholder(
            tf.float32, ragged_rank=1, value_shape=[], name="ratings"
        )
        # SparseReduceSum cannot know the output rank while dense_shape is a fed
        # tensor, so TF writes this output with unknown rank: kept on purpose.
        item_id_sum = tf.sparse.reduce_sum(item_ids, axis=1, name="item_id_sum")
        rating_sum = tf.identity(tf.reduce_sum(ratings, axis=1), name="rating_sum")
        ids_in, ratings_in = info(item_ids), info(ratings)
        ids_out, ratings_out = info(item_id_sum), info(rating_sum)
        signatures = {
            "serving_default": sm.build_signature_def(
                {"item_ids": ids_in, "ratings": ratings_in},
                {"item_id_sum": ids_out, "rating_sum": ratings_out},
                predict,
            ),
            "sum_item_ids": sm.build_signature_def(
                {"item_ids": ids_in}, {"item_id_sum": ids_out}, predict
            ),
            "sum_ratings": sm.build_signature_def(
                {"ratings": ratings_in}, {"rating_sum": ratings_out}, predict
            ),
        }
        with v1.Session(graph=graph) as sess:
            _save(path, signatures, sess)


def build_linear(path: Path) -> None:
    """y = 0.5x + 2 with plain tensor names ``x:0`` → ``y:0`` (portable_linear v1)."""
    tf = _tf()
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        slope = v1.get_variable("slope", initializer=LINEAR_SLOPE)
        intercept = v1.get_variable("intercept", initializer=LINEAR_INTERCEPT)
        y = tf.identity(slope * x + intercept, name="y")
        signatures = {
            "serving_default": v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        }
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            _save(path, signatures, sess)
