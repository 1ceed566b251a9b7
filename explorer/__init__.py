"""Signature Explorer: read TensorFlow SavedModel signatures and call them like TF Serving.

Notebook use::

    import explorer
    model = explorer.read_model("sample_models/flowers_tf1")   # HTML table in Jupyter
    sig = model.meta_graph().signature("classify_images")        # TensorInfos + verdicts
    explorer.check_all(sig)                                      # TF Serving verdicts
    explorer.explore(model)          # a widget: verdicts, the graph, a run form (anywidget)
    explorer.classify(model, {"signature_name": "classify_images",
                              "examples": [{"image": [0.5] * 16}]}).response_json

Reading metadata never imports TensorFlow; only running a signature does.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from explorer.codec.image_request import ImageFileInput, image_request
    from explorer.compat.tap_drift import DriftReport, TapDrift, tap_drift
    from explorer.constants import MethodKind
    from explorer.deploy.warmup_check import check_warmup
    from explorer.deploy.warmup_file import read_warmup
    from explorer.deploy.warmup_replay import replay_warmup
    from explorer.errors import (
        ExecutionError,
        ExplorerError,
        InputError,
        InvalidSavedModelError,
        ModelConfigError,
        ModelSourceError,
        ServingRuleError,
        TapError,
        UnknownSignatureError,
        UnknownTagSetError,
        UnsafeModelError,
        WarmupFileError,
    )
    from explorer.graph.build import build_signature_graph
    from explorer.graph.dot import render_svg, to_dot
    from explorer.graph.elements import SignatureGraph
    from explorer.graph.example_features import ExampleFeature, example_template, expected_features
    from explorer.graph.inspector import describe_node, find_nodes
    from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo, TensorInfo
    from explorer.model.reader import read_model
    from explorer.present.widget import explore
    from explorer.run.calls import (
        CallResult,
        CallTiming,
        classify,
        classify_examples,
        predict,
        predict_arrays,
        regress,
        regress_examples,
        request_template,
    )
    from explorer.run.local import call_rest
    from explorer.run.tap_values import TapValue
    from explorer.safety.scan import (
        ScanResult,
        UnsafeOpFinding,
        require_safe,
        scan_meta_graph,
        scan_model,
    )
    from explorer.serving.metadata import metadata_response
    from explorer.serving.model_config import read_model_config
    from explorer.serving.rules import ServingVerdict, check_all, check_signature

# Public name → the module that defines it. Imported on first use (PEP 562), so
# `import explorer` stays cheap: the CLI's `show` must not pay for numpy or the runner.
_EXPORTS = {
    "CallResult": "explorer.run.calls",
    "CallTiming": "explorer.run.calls",
    "DriftReport": "explorer.compat.tap_drift",
    "ExampleFeature": "explorer.graph.example_features",
    "ExecutionError": "explorer.errors",
    "ExplorerError": "explorer.errors",
    "InputError": "explorer.errors",
    "ImageFileInput": "explorer.codec.image_request",
    "InvalidSavedModelError": "explorer.errors",
    "MetaGraphInfo": "explorer.model.info",
    "MethodKind": "explorer.constants",
    "ModelConfigError": "explorer.errors",
    "ModelInfo": "explorer.model.info",
    "ModelSourceError": "explorer.errors",
    "ScanResult": "explorer.safety.scan",
    "ServingRuleError": "explorer.errors",
    "ServingVerdict": "explorer.serving.rules",
    "SignatureGraph": "explorer.graph.build",
    "SignatureInfo": "explorer.model.info",
    "TapDrift": "explorer.compat.tap_drift",
    "TapError": "explorer.errors",
    "TapValue": "explorer.run.tap_values",
    "TensorInfo": "explorer.model.info",
    "UnknownSignatureError": "explorer.errors",
    "UnknownTagSetError": "explorer.errors",
    "UnsafeModelError": "explorer.errors",
    "UnsafeOpFinding": "explorer.safety.scan",
    "WarmupFileError": "explorer.errors",
    "build_signature_graph": "explorer.graph.build",
    "call_rest": "explorer.run.local",
    "check_all": "explorer.serving.rules",
    "check_signature": "explorer.serving.rules",
    "check_warmup": "explorer.deploy.warmup_check",
    "classify": "explorer.run.calls",
    "classify_examples": "explorer.run.calls",
    "describe_node": "explorer.graph.inspector",
    "example_template": "explorer.graph.example_features",
    "expected_features": "explorer.graph.example_features",
    "explore": "explorer.present.widget",
    "find_nodes": "explorer.graph.inspector",
    "image_request": "explorer.codec.image_request",
    "metadata_response": "explorer.serving.metadata",
    "predict": "explorer.run.calls",
    "predict_arrays": "explorer.run.calls",
    "read_model": "explorer.model.reader",
    "read_model_config": "explorer.serving.model_config",
    "read_warmup": "explorer.deploy.warmup_file",
    "regress": "explorer.run.calls",
    "regress_examples": "explorer.run.calls",
    "render_svg": "explorer.graph.dot",
    "replay_warmup": "explorer.deploy.warmup_replay",
    "request_template": "explorer.run.calls",
    "require_safe": "explorer.safety.scan",
    "scan_meta_graph": "explorer.safety.scan",
    "scan_model": "explorer.safety.scan",
    "tap_drift": "explorer.compat.tap_drift",
    "to_dot": "explorer.graph.dot",
}

__all__ = [
    "CallResult",
    "CallTiming",
    "DriftReport",
    "ExampleFeature",
    "ExecutionError",
    "ExplorerError",
    "ImageFileInput",
    "InputError",
    "InvalidSavedModelError",
    "MetaGraphInfo",
    "MethodKind",
    "ModelConfigError",
    "ModelInfo",
    "ModelSourceError",
    "ScanResult",
    "ServingRuleError",
    "ServingVerdict",
    "SignatureGraph",
    "SignatureInfo",
    "TapDrift",
    "TapError",
    "TapValue",
    "TensorInfo",
    "UnknownSignatureError",
    "UnknownTagSetError",
    "UnsafeModelError",
    "UnsafeOpFinding",
    "WarmupFileError",
    "build_signature_graph",
    "call_rest",
    "check_all",
    "check_signature",
    "check_warmup",
    "classify",
    "classify_examples",
    "describe_node",
    "example_template",
    "expected_features",
    "explore",
    "find_nodes",
    "image_request",
    "metadata_response",
    "predict",
    "predict_arrays",
    "read_model",
    "read_model_config",
    "read_warmup",
    "regress",
    "regress_examples",
    "render_svg",
    "replay_warmup",
    "request_template",
    "require_safe",
    "scan_meta_graph",
    "scan_model",
    "tap_drift",
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


# Classes with an HTML view in notebooks (explorer.present.html.HTML_VIEWS), by module and
# name: IPython looks them up by name, so nothing is imported until one is shown.
_HTML_VIEWS = (
    ("explorer.model.info", "ModelInfo"),
    ("explorer.model.info", "MetaGraphInfo"),
    ("explorer.model.info", "SignatureInfo"),
    ("explorer.graph.elements", "SignatureGraph"),
    ("explorer.run.result", "CallResult"),
)


def _html_view(value: Any) -> str:
    # Here, not at the top: the views import the graph and call layers, which `import
    # explorer` must not pay for (the CLI's show stays numpy-free).
    from explorer.present.html import html_view

    return html_view(value)


def _register_notebook_views() -> None:
    """Give the data classes their HTML views when running under IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    for module, name in _HTML_VIEWS:
        formatter.for_type_by_name(module, name, _html_view)


_register_notebook_views()
