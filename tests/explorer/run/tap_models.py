"""Models whose intermediate values are known analytically, for the tap tests (built in
the test session, never committed).

``nested`` (TF2, ``tf.saved_model.save``): serving_default(x [-1, 3]) →
  a = inner(x) = 2x                       inner's ``double`` op, first call
  b = inner(a + 1) = 2(2x + 1)           the same op, second call
  c = b·3 if Σx > 0 else b − 3            If branches ``cond/pos`` / ``cond/neg``
  w = loop 3 times: sq = acc², acc = sq/2 While body ``while/sq``
  outputs: out = a + 1, c, w
``drifted``: ``nested`` with inner(x) = 2.5x (a "retrained" version).
``unsafe_unreachable`` (TF1): y = 2x, plus a ReadFile no output depends on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class TapModels:
    nested: Path
    drifted: Path
    unsafe_unreachable: Path
    secret: Path


def build(root: Path) -> TapModels:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    class Nested(tf.Module):
        def __init__(self, factor: float) -> None:
            super().__init__()
            self.factor = factor

        @tf.function
        def inner(self, x):  # type: ignore[no-untyped-def]
            return tf.multiply(x, self.factor, name="double")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def serve(self, x):  # type: ignore[no-untyped-def]
            a = self.inner(x)
            b = self.inner(a + 1.0)
            c = tf.cond(
                tf.reduce_sum(x) > 0,
                lambda: tf.identity(b * 3.0, name="pos"),
                lambda: tf.identity(b - 3.0, name="neg"),
            )

            def body(i, acc):  # type: ignore[no-untyped-def]
                sq = tf.square(acc, name="sq")
                return i + 1, sq * 0.5

            _, w = tf.while_loop(lambda i, acc: i < 3, body, [tf.constant(0), c])
            return {"out": a + 1.0, "c": c, "w": w}

    paths = {}
    for name, factor in (("nested", 2.0), ("drifted", 2.5)):
        module = Nested(factor)
        paths[name] = root / name
        tf.saved_model.save(module, str(paths[name]), signatures={"serving_default": module.serve})

    secret = root / "outside" / "secret.txt"
    secret.parent.mkdir(parents=True)
    secret.write_text("tap secret 91c2")
    unsafe = root / "unsafe_unreachable"
    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        x = v1.placeholder(tf.float32, [None], name="x")
        y = tf.identity(x * 2.0, name="y")
        tf.io.read_file(str(secret), name="steal")
        builder = v1.saved_model.Builder(str(unsafe))
        signature = v1.saved_model.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(
            session, ["serve"], signature_def_map={"serving_default": signature}
        )
        builder.save()
    return TapModels(paths["nested"], paths["drifted"], unsafe, secret)


def expected(x: np.ndarray) -> dict[str, np.ndarray]:
    """What each tapped op holds for input ``x``, computed here by hand."""
    a = 2 * x
    b = 2 * (a + 1)
    c = b * 3 if x.sum() > 0 else b - 3
    acc = c
    for _ in range(3):
        sq = acc**2
        acc = sq / 2
    return {"double_1": a, "double_2": b, "c": c, "last_sq": sq, "w": acc}
