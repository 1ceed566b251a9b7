"""TF Serving's and TensorFlow's fixed names: method names, signature keys, tags."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

PREDICT_METHOD_NAME = "tensorflow/serving/predict"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"

DEFAULT_SERVING_SIGNATURE_KEY = "serving_default"
INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"

CLASSIFY_INPUTS = "inputs"
CLASSIFY_OUTPUT_CLASSES = "classes"
CLASSIFY_OUTPUT_SCORES = "scores"
REGRESS_INPUTS = "inputs"
REGRESS_OUTPUTS = "outputs"

SERVE_TAG = "serve"

SAVED_MODEL_PB = "saved_model.pb"
SAVED_MODEL_PBTXT = "saved_model.pbtxt"


class MethodKind(StrEnum):
    """The three TF Serving inference APIs."""

    CLASSIFY = "classify"
    REGRESS = "regress"
    PREDICT = "predict"

    @property
    def method_name(self) -> str:
        return {
            MethodKind.CLASSIFY: CLASSIFY_METHOD_NAME,
            MethodKind.REGRESS: REGRESS_METHOD_NAME,
            MethodKind.PREDICT: PREDICT_METHOD_NAME,
        }[self]


# Which TF Serving build's CPU kernels run a model: its standard build ("standard", no
# oneDNN, what the tensorflow/serving image runs) or its --config=mkl build ("mkl", with
# oneDNN, which TensorFlow's pip wheel turns on by default on x86).
Kernels = Literal["standard", "mkl"]
KERNEL_WORDS: dict[str, str] = {
    "standard": "TF Serving's standard CPU kernels",
    "mkl": "TF Serving's mkl build's oneDNN kernels",
}
