"""SavedModels that misbehave in TensorFlow, built in the test session (never committed):
one that aborts the process, one that writes a file and reads another, one that grows
without bound, one that runs for ever, and a small convolution that oneDNN's kernels
crash on when a request misses the batch dimension."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkerModels:
    abort: Path  # serving_default(x) runs the Abort op
    files: Path  # serving_default(x) writes `written` and returns the bytes of `secret`
    hog: Path  # serving_default(n) draws n random float32s
    spin: Path  # serving_default(n) loops n times
    conv: Path  # serving_default(x [-1, 4, 4, 3]) convolves
    written: Path  # where the files model writes (must never appear on the host)
    secret: Path  # what the files model reads (must never appear in an answer)
    secret_text: str


def build(root: Path) -> WorkerModels:
    """Build every model under ``root``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    v1 = tf.compat.v1
    root.mkdir(parents=True, exist_ok=True)
    written = root / "outside" / "written-by-the-model.txt"
    secret = root / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret_text = "the host's secret 7f3a"
    secret.write_text(secret_text)

    def tf1_model(name: str, build_graph) -> Path:  # type: ignore[no-untyped-def]
        path = root / name
        with tf.Graph().as_default(), v1.Session() as session:
            inputs, outputs = build_graph()
            builder = v1.saved_model.Builder(str(path))
            signature = v1.saved_model.predict_signature_def(inputs, outputs)
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map={"serving_default": signature}
            )
            builder.save()
        return path

    def abort_graph():  # type: ignore[no-untyped-def]
        x = v1.placeholder(tf.float32, [None], name="x")
        stop = tf.raw_ops.Abort(error_msg="the model asked to abort")
        with tf.control_dependencies([stop]):
            y = tf.identity(x * 2.0, name="y")
        return {"x": x}, {"y": y}

    def files_graph():  # type: ignore[no-untyped-def]
        x = v1.placeholder(tf.float32, [None], name="x")
        write = tf.io.write_file(str(written), "pwned")
        with tf.control_dependencies([write]):
            content = tf.io.read_file(str(secret))
        return {"x": x}, {"y": tf.identity(x, name="y"), "secret": content}

    def hog_graph():  # type: ignore[no-untyped-def]
        n = v1.placeholder(tf.int64, [], name="n")
        # Random values (nothing Grappler can fold away), concatenated: all are held.
        values = tf.random.uniform(tf.reshape(n, [1]))
        total = tf.reduce_sum(tf.concat([values, values], 0), name="total")
        return {"n": n}, {"total": total}

    def spin_graph():  # type: ignore[no-untyped-def]
        n = v1.placeholder(tf.int64, [], name="n")
        _, total = tf.while_loop(
            lambda i, acc: i < n, lambda i, acc: (i + 1, acc + 1.0), [tf.constant(0, tf.int64), 0.0]
        )
        return {"n": n}, {"total": tf.identity(total, name="total")}

    def conv_graph():  # type: ignore[no-untyped-def]
        x = v1.placeholder(tf.float32, [None, 4, 4, 3], name="x")
        kernel = tf.constant(1.0, shape=[2, 2, 3, 4])
        return {"x": x}, {"y": tf.nn.conv2d(x, kernel, 1, "SAME", name="y")}

    return WorkerModels(
        abort=tf1_model("abort", abort_graph),
        files=tf1_model("files", files_graph),
        hog=tf1_model("hog", hog_graph),
        spin=tf1_model("spin", spin_graph),
        conv=tf1_model("conv", conv_graph),
        written=written,
        secret=secret,
        secret_text=secret_text,
    )
