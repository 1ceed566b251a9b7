"""Signature Explorer: read TensorFlow SavedModel signatures and call them like TF Serving.

Notebook use::

    import explorer
    model = explorer.read_model("sample_models/flowers_tf1")   # HTML table in Jupyter
    sig = model.meta_graph().signature("classify_images")        # TensorInfos + verdicts
    explorer.check_all(sig)                                      # TF Serving verdicts
    explorer.classify(model, {"signature_name": "classify_images",
                              "examples": [{"image": [0.5] * 16}]}).response_json

Reading metadata never imports TensorFlow; only running a signature does.
"""

from __future__ import annotations

from explorer.calls import (
    CallResult,
    CallTiming,
    call_rest,
    classify,
    classify_examples,
    predict,
    predict_arrays,
    regress,
    regress_examples,
    request_template,
)
from explorer.constants import MethodKind
from explorer.errors import (
    ExecutionError,
    ExplorerError,
    InputError,
    InvalidSavedModelError,
    ModelSourceError,
    ServingRuleError,
    UnknownSignatureError,
    UnknownTagSetError,
    UnsafeModelError,
)
from explorer.example_features import ExampleFeature, example_template, expected_features
from explorer.metadata_json import metadata_response
from explorer.model_info import MetaGraphInfo, ModelInfo, SignatureInfo, TensorInfo
from explorer.reader import read_model
from explorer.safety import ScanResult, UnsafeOpFinding, require_safe, scan_meta_graph, scan_model
from explorer.serving_rules import ServingVerdict, check_all, check_signature

__all__ = [
    "CallResult",
    "CallTiming",
    "ExampleFeature",
    "ExecutionError",
    "ExplorerError",
    "InputError",
    "InvalidSavedModelError",
    "MetaGraphInfo",
    "MethodKind",
    "ModelInfo",
    "ModelSourceError",
    "ScanResult",
    "ServingRuleError",
    "ServingVerdict",
    "SignatureInfo",
    "TensorInfo",
    "UnknownSignatureError",
    "UnknownTagSetError",
    "UnsafeModelError",
    "UnsafeOpFinding",
    "call_rest",
    "check_all",
    "check_signature",
    "classify",
    "classify_examples",
    "example_template",
    "expected_features",
    "metadata_response",
    "predict",
    "predict_arrays",
    "read_model",
    "regress",
    "regress_examples",
    "request_template",
    "require_safe",
    "scan_meta_graph",
    "scan_model",
]
