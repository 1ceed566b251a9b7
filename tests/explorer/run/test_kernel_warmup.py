"""The worker's kernel warm-up (``explorer.run.kernel_warmup``) runs with both kernel sets
a worker can have, and runs the kernels image models spend their time in."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

_RUN = """
import tensorflow as tf
from explorer.run.kernel_warmup import warm_kernels
print(" ".join(warm_kernels(tf)))
"""


def test_the_warm_up_graph_runs_with_standard_and_onednn_kernels() -> None:
    # Started together: each pays TensorFlow's import.
    started = {
        onednn: subprocess.Popen(
            [sys.executable, "-c", _RUN],
            cwd=REPO,
            env={
                **os.environ,
                "PYTHONPATH": str(REPO),
                "TF_ENABLE_ONEDNN_OPTS": onednn,
                "TF_CPU_ALLOCATOR_USE_BFC": "true",
                "TF_CPP_MIN_LOG_LEVEL": "3",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for onednn in ("0", "1")
    }
    for onednn, process in started.items():
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, (onednn, err[-2000:])
        ran = set(out.split())
        assert {
            "Conv2D",
            "DepthwiseConv2dNative",
            "FusedBatchNormV3",
            "Relu6",
            "Sigmoid",
            "MaxPool",
            "MatMul",
            "Softmax",
            "Fill",
        } <= ran, (onednn, ran)
