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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from explorer.dot import render_svg, to_dot
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
    from explorer.node_inspector import describe_node, find_nodes
    from explorer.reader import read_model
    from explorer.safety import (
        ScanResult,
        UnsafeOpFinding,
        require_safe,
        scan_meta_graph,
        scan_model,
    )
    from explorer.serving_rules import ServingVerdict, check_all, check_signature
    from explorer.signature_graph import SignatureGraph, build_signature_graph

# Public name → the module that defines it. Imported on first use (PEP 562), so
# `import explorer` stays cheap: the CLI's `show` must not pay for numpy or the runner.
_EXPORTS = {
    "CallResult": "explorer.calls",
    "CallTiming": "explorer.calls",
    "ExampleFeature": "explorer.example_features",
    "ExecutionError": "explorer.errors",
    "ExplorerError": "explorer.errors",
    "InputError": "explorer.errors",
    "InvalidSavedModelError": "explorer.errors",
    "MetaGraphInfo": "explorer.model_info",
    "MethodKind": "explorer.constants",
    "ModelInfo": "explorer.model_info",
    "ModelSourceError": "explorer.errors",
    "ScanResult": "explorer.safety",
    "ServingRuleError": "explorer.errors",
    "ServingVerdict": "explorer.serving_rules",
    "SignatureGraph": "explorer.signature_graph",
    "SignatureInfo": "explorer.model_info",
    "TensorInfo": "explorer.model_info",
    "UnknownSignatureError": "explorer.errors",
    "UnknownTagSetError": "explorer.errors",
    "UnsafeModelError": "explorer.errors",
    "UnsafeOpFinding": "explorer.safety",
    "build_signature_graph": "explorer.signature_graph",
    "call_rest": "explorer.calls",
    "check_all": "explorer.serving_rules",
    "check_signature": "explorer.serving_rules",
    "classify": "explorer.calls",
    "classify_examples": "explorer.calls",
    "describe_node": "explorer.node_inspector",
    "example_template": "explorer.example_features",
    "expected_features": "explorer.example_features",
    "find_nodes": "explorer.node_inspector",
    "metadata_response": "explorer.metadata_json",
    "predict": "explorer.calls",
    "predict_arrays": "explorer.calls",
    "read_model": "explorer.reader",
    "regress": "explorer.calls",
    "regress_examples": "explorer.calls",
    "render_svg": "explorer.dot",
    "request_template": "explorer.calls",
    "require_safe": "explorer.safety",
    "scan_meta_graph": "explorer.safety",
    "scan_model": "explorer.safety",
    "to_dot": "explorer.dot",
}

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
    "SignatureGraph",
    "SignatureInfo",
    "TensorInfo",
    "UnknownSignatureError",
    "UnknownTagSetError",
    "UnsafeModelError",
    "UnsafeOpFinding",
    "build_signature_graph",
    "call_rest",
    "check_all",
    "check_signature",
    "classify",
    "classify_examples",
    "describe_node",
    "example_template",
    "expected_features",
    "find_nodes",
    "metadata_response",
    "predict",
    "predict_arrays",
    "read_model",
    "regress",
    "regress_examples",
    "render_svg",
    "request_template",
    "require_safe",
    "scan_meta_graph",
    "scan_model",
    "to_dot",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
