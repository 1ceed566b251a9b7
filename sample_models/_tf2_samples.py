"""TF2-style sample SavedModels: ``tf.Module`` / Keras 3 and ``tf.saved_model.save``.

TF2 writes every signature with method_name ``tensorflow/serving/predict``, names its
inputs ``<signature key>_<argument>:0`` and its outputs ``StatefulPartitionedCall*:i``
(or ``PartitionedCall*`` when nothing stateful is captured), and adds the
``__saved_model_init_op`` signature. The maths is in ``build.py``'s docstring.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20240611

CHURN_LABELS = ("stay", "churn")
PLAN_VOCAB = ("basic", "standard", "premium")
PLAN_VOCAB_FILE = "plan_vocab.txt"
# Weights over [monthly_charges/100, age/100, tenure_months/12, one_hot(plan)].
CHURN_WEIGHTS = np.array([1.5, -1.0, -0.8, 0.5, 0.0, -0.5], dtype=np.float32)
CHURN_BIAS = np.float32(-0.5)
LIFETIME_MONTHS = np.float32(24.0)

COUNTRY_BUCKETS = 8
EMBEDDING_SIZE = 4

LINEAR_SLOPE = np.float32(0.5)
LINEAR_INTERCEPT = np.float32(2.0)
# portable_linear v3 reads two features per row: y = 0.5·x0 + 0.25·x1 + 2.
LINEAR_V3_WEIGHTS = np.array([[0.5], [0.25]], dtype=np.float32)


def _tf() -> Any:
    # Imported lazily so build.py's SAMPLES can be read without TensorFlow.
    import tensorflow as tf

    return tf


# --- tabular_churn -----------------------------------------------------------------


def build_churn(path: Path) -> None:
    """tf.Example features → churn classify + lifetime-value regress, vocab as asset."""
    tf = _tf()
    target = path.resolve()
    # The vocabulary must exist while tracing; save() copies it into assets/. TF names
    # the table after the file path as given, so a relative path (from a temporary
    # working folder) keeps build machine paths out of saved_model.pb.
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        vocab = Path(PLAN_VOCAB_FILE)
        vocab.write_text("\n".join(PLAN_VOCAB) + "\n", encoding="utf-8")
        module = _churn_module(tf, vocab)
        tf.saved_model.save(
            module,
            str(target),
            signatures={
                "serving_default": module.classify,
                "regress_lifetime_value": module.regress,
            },
        )


def _churn_module(tf: Any, vocab: Path) -> Any:
    examples = tf.TensorSpec([None], tf.string)

    class ChurnModel(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            initializer = tf.lookup.TextFileInitializer(
                str(vocab),
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            # An unknown plan maps to -1, whose one-hot is all zeros.
            self.plans = tf.lookup.StaticHashTable(initializer, default_value=-1)
            self.weights = tf.Variable(CHURN_WEIGHTS, name="weights")
            self.bias = tf.Variable(CHURN_BIAS, name="bias")

        def _churn_probability(self, inputs: Any) -> tuple[Any, Any]:
            spec = {
                # Required: parse_example fails on an Example without them.
                "monthly_charges": tf.io.FixedLenFeature([1], tf.float32),
                "tenure_months": tf.io.FixedLenFeature([1], tf.int64),
                # Optional: filled in when the Example leaves them out.
                "age": tf.io.FixedLenFeature([1], tf.float32, default_value=[40.0]),
                "plan": tf.io.FixedLenFeature([1], tf.string, default_value=["basic"]),
            }
            f = tf.io.parse_example(inputs, spec)
            plan = tf.one_hot(self.plans.lookup(f["plan"][:, 0]), len(PLAN_VOCAB))
            x = tf.concat(
                [
                    f["monthly_charges"] / 100.0,
                    f["age"] / 100.0,
                    tf.cast(f["tenure_months"], tf.float32) / 12.0,
                    plan,
                ],
                axis=1,
            )
            logit = tf.linalg.matvec(x, self.weights) + self.bias
            return tf.sigmoid(logit)[:, None], f["monthly_charges"]

        @tf.function(input_signature=[examples])
        def classify(self, inputs: Any) -> dict[str, Any]:
            churn, _ = self._churn_probability(inputs)
            labels = tf.constant([CHURN_LABELS])
            return {
                "classes": tf.tile(labels, [tf.shape(inputs)[0], 1]),
                "scores": tf.concat([1.0 - churn, churn], axis=1),
            }

        @tf.function(input_signature=[examples])
        def regress(self, inputs: Any) -> dict[str, Any]:
            churn, charges = self._churn_probability(inputs)
            return {"outputs": charges * LIFETIME_MONTHS * (1.0 - churn)}

    return ChurnModel()


# --- keras_multi_io ----------------------------------------------------------------


def build_keras_multi_io(path: Path) -> None:
    """A Keras 3 functional model with named inputs/outputs, via ExportArchive."""
    tf = _tf()
    import keras

    model = _keras_model(keras)
    archive = keras.export.ExportArchive()
    archive.track(model)
    features = [
        tf.TensorSpec([None, 1], tf.float32, name="age"),
        tf.TensorSpec([None, 1], tf.int64, name="clicks"),
        tf.TensorSpec([None, 1], tf.string, name="country"),
    ]

    def model_inputs(age: Any, clicks: Any, country: Any) -> dict[str, Any]:
        # Strings and int64 never reach Keras: hashing and casting happen in TF here;
        # scaling keeps raw ages and click counts from saturating the tanh layer.
        bucket = tf.strings.to_hash_bucket_fast(country, COUNTRY_BUCKETS)
        clicks = tf.math.log1p(tf.cast(clicks, tf.float32))
        return {"age": age / 100.0, "clicks": clicks, "country": bucket}

    def serve(age: Any, clicks: Any, country: Any) -> dict[str, Any]:
        return model(model_inputs(age, clicks, country))

    def embed_only(country: Any) -> dict[str, Any]:
        zeros = tf.zeros_like(country, dtype=tf.float32)
        out = model(model_inputs(zeros, tf.cast(zeros, tf.int64), country))
        return {"embedding": out["embedding"]}

    # A Tensor default (not a Python float) makes TF write a PlaceholderWithDefault
    # and a SignatureDef.defaults entry for ``threshold``.
    default_threshold = tf.constant(0.5)

    def flag(
        age: Any, clicks: Any, country: Any, threshold: Any = default_threshold
    ) -> dict[str, Any]:
        probability = model(model_inputs(age, clicks, country))["probability"]
        return {"flagged": probability >= threshold, "probability": probability}

    archive.add_endpoint("serving_default", serve, features)
    archive.add_endpoint("embed_only", embed_only, features[2:])
    archive.add_endpoint("flag", flag, [*features, tf.TensorSpec([], tf.float32, name="threshold")])
    archive.write_out(str(path), verbose=False)


def _keras_model(keras: Any) -> Any:
    age = keras.Input((1,), name="age")
    clicks = keras.Input((1,), name="clicks")
    country = keras.Input((1,), name="country", dtype="int64")
    embedded = keras.layers.Flatten()(
        keras.layers.Embedding(COUNTRY_BUCKETS, EMBEDDING_SIZE, name="country_table")(country)
    )
    joined = keras.layers.Concatenate()([age, clicks, embedded])
    embedding = keras.layers.Dense(EMBEDDING_SIZE, activation="tanh", name="embed")(joined)
    probability = keras.layers.Dense(1, activation="sigmoid", name="head")(embedding)
    model = keras.Model(
        {"age": age, "clicks": clicks, "country": country},
        {"probability": probability, "embedding": embedding},
    )
    # Keras initialises randomly; overwrite every weight from a seeded generator,
    # rounded so the numbers read well in a debugger.
    rng = np.random.default_rng(SEED)
    model.set_weights(
        [np.round(rng.normal(0.0, 0.5, w.shape), 2).astype(np.float32) for w in model.weights]
    )
    return model


# --- unsafe_read_file --------------------------------------------------------------


def build_unsafe_read_file(path: Path) -> None:
    """A ReadFile op behind ``read_file``; ``serving_default`` never reaches it."""
    tf = _tf()

    class FileReader(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
        def read_file(self, path: Any) -> dict[str, Any]:
            return {"contents": tf.io.read_file(path)}

        @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32)])
        def double(self, x: Any) -> dict[str, Any]:
            return {"y": 2.0 * x}

    module = FileReader()
    signatures = {"serving_default": module.double, "read_file": module.read_file}
    tf.saved_model.save(module, str(path), signatures=signatures)


# --- portable_linear v2 and v3 -----------------------------------------------------


def build_linear(path: Path) -> None:
    """y = 0.5x + 2 saved the TF2 way (portable_linear v2)."""
    tf = _tf()

    class Linear(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.slope = tf.Variable(LINEAR_SLOPE, name="slope")
            self.intercept = tf.Variable(LINEAR_INTERCEPT, name="intercept")

        @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32)])
        def serve(self, x: Any) -> dict[str, Any]:
            return {"y": self.slope * x + self.intercept}

    module = Linear()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})


def build_linear_v3(path: Path) -> None:
    """y = 0.5·x0 + 0.25·x1 + 2 (portable_linear v3): input ``x`` is now (-1, 2).

    Same signature key, input and output keys as v2, but a request shaped for v2
    (one value per row) no longer fits: the breaking change ``diff`` must catch.
    """
    tf = _tf()

    class TwoFeatureLinear(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weights = tf.Variable(LINEAR_V3_WEIGHTS, name="weights")
            self.intercept = tf.Variable(LINEAR_INTERCEPT, name="intercept")

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def serve(self, x: Any) -> dict[str, Any]:
            return {"y": tf.matmul(x, self.weights) + self.intercept}

    module = TwoFeatureLinear()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
