"""A worker's first run, paid before any model's: TensorFlow's common kernels run once on a
graph of our own.

A process's first run of a model costs about twice a warm one even when its executors are
built already (``explorer.run.warmup`` prepares them): TensorFlow's kernels' code and
buffers are touched for the first time. That cost belongs to the process, not to the
model's Session, so the worker pays it as it starts, by running once a small image network
it builds itself from the kernels image and tabular models spend their time in
(convolutions, depthwise convolutions, batch norms, activations, pooling, a dense layer,
softmax) on a 224×224 image, and then fills and frees one 64 MB tensor, so that the
worker's allocator (TensorFlow's BFC allocator, ``explorer.run.supervisor``) holds that
memory already. No model's own code runs before the user presses Run: the graph here is
fixed, and its weights are made from a fixed seed.

Measured in process on a 2-CPU machine, a model's first run after its executors were
built: MobileNetV2 1.2× a warm run (2.3× without this), ResNet50 1.3× (1.65×),
EfficientNetB0 1.3× (2.2×); the warm-up itself takes ~70 ms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_SIDE = 224  # an image's side, as Keras applications take it
_CHANNELS = 32
# Memory the allocator holds from the start (a batch-1 image network's activations fit;
# a bigger batch grows it on its first run).
ARENA_BYTES = 64 << 20


def warm_kernels(tf: Any) -> tuple[str, ...]:
    """Build and run the warm-up graph once in a Session of its own; returns the op types
    it ran (for tests).

    Raises:
        tf.errors.OpError: TensorFlow's kernels refused the graph (the worker notes it in
            its log and serves on: a model's first run is then merely slower).
    """
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(0)
        image = v1.placeholder(tf.float32, [1, _SIDE, _SIDE, 3], name="image")
        padded = tf.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]])
        x = tf.nn.conv2d(padded, v1.random_normal([3, 3, 3, _CHANNELS]), 2, "VALID")
        x, _, _ = v1.nn.fused_batch_norm(
            x,
            tf.ones([_CHANNELS]),
            tf.zeros([_CHANNELS]),
            tf.zeros([_CHANNELS]),
            tf.ones([_CHANNELS]),
            is_training=False,
        )
        x = tf.nn.relu6(x)
        y = tf.nn.depthwise_conv2d(x, v1.random_normal([3, 3, _CHANNELS, 1]), [1, 1, 1, 1], "SAME")
        y = tf.nn.bias_add(y, tf.zeros([_CHANNELS]))
        y = y * tf.sigmoid(y) + tf.nn.relu(x)  # swish, and a residual add
        y = tf.nn.max_pool2d(y, 3, 2, "SAME")
        y = tf.nn.conv2d(y, v1.random_normal([1, 1, _CHANNELS, 2 * _CHANNELS]), 1, "SAME")
        pooled = tf.concat([tf.reduce_mean(y, [1, 2]), tf.reduce_max(y, [1, 2])], 1)
        flat = tf.reshape(pooled, [1, -1])
        logits = tf.matmul(flat, v1.random_normal([4 * _CHANNELS, 10]))
        scores = tf.nn.softmax(logits, name="scores")
        # One big tensor, written and freed: the worker's BFC allocator keeps its memory
        # for the runs to come (fed, so Grappler cannot fold it into a constant).
        size = v1.placeholder(tf.int32, [1], name="size")
        filled = tf.reduce_sum(tf.fill(size, 1.0))
    with v1.Session(graph=graph) as session:
        pixels = np.random.default_rng(0).random((1, _SIDE, _SIDE, 3), dtype=np.float32)
        session.run(scores, {image: pixels})
        session.run(filled, {size: [ARENA_BYTES // 4]})
    return tuple(sorted({op.type for op in graph.get_operations()}))
