"""What the notebook widget shows, as JSON for its browser side: a model's signatures with
TF Serving's verdicts, one signature's TensorInfos, and a call's answer as tables and charts.

Every value a model or a server provides stays data here: the browser side sets it as text
(``textContent``), never as markup.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from explorer.constants import MethodKind
from explorer.errors import ExplorerError, ServingRuleError
from explorer.model.info import ModelInfo, SignatureInfo, TensorInfo, format_size
from explorer.present.readouts import is_score_output, top_k
from explorer.run.result import CallResult
from explorer.serving.listing import verdict_headline
from explorer.serving.rules import ServingVerdict, check_signature

# An answer's tables and charts stay small enough to read (and to send to the browser);
# the whole answer is always in ``widget.result`` and the response JSON.
MAX_ROWS = 200
MAX_COLUMNS = 64
MAX_CHART_ROWS = 8
TOP_K = 5


def overview(model: ModelInfo) -> dict[str, Any]:
    """The model, its MetaGraphs and every signature with TF Serving's verdicts."""
    return {
        "name": model.name,
        "version": model.version,
        "path": str(model.path),
        "variables": format_size(model.variables_size_bytes),
        "meta_graphs": [
            {
                "tag_set": mg.tag_set,
                "about": f"TensorFlow {mg.tensorflow_version or '?'} · {mg.node_count:,} nodes "
                f"· {mg.function_count} functions",
                "signatures": [_signature_row(s) for s in mg.signatures],
            }
            for mg in model.meta_graphs
        ],
    }


def signature_details(signature: SignatureInfo) -> dict[str, Any]:
    """One signature: TensorInfos, and each API's verdict with the method-name check off
    (TF Serving's default) and on."""
    return {
        "key": signature.key,
        "method_name": signature.method_name,
        "inputs": [_tensor_row(t) for t in signature.inputs],
        "outputs": [_tensor_row(t) for t in signature.outputs],
        "verdicts": [
            {
                "api": method.value,
                "default": _verdict(check_signature(signature, method)),
                "strict": _verdict(check_signature(signature, method, method_name_check=True)),
                "request_time": " • ".join(check_signature(signature, method).request_time_issues),
            }
            for method in MethodKind
        ],
    }


def answer(result: CallResult) -> dict[str, Any]:
    """A call's answer: timing, tables (one per result or output), charts (classes and
    scores), and TF Serving's response body."""
    timing = result.timing
    parts = [f"conversion {timing.conversion_ms:.1f} ms", f"execution {timing.execution_ms:.1f} ms"]
    if timing.load_ms:
        parts.append(f"model load {timing.load_ms:.0f} ms")
    return {
        "ok": True,
        "method": result.method.value,
        "signature": result.signature_key,
        "timing": " · ".join(parts),
        "tables": [_table(name, frame) for name, frame in result.to_dataframes().items()],
        "charts": _charts(result),
        "response": result.response_text,
        "request": json.dumps(result.request_json, indent=2),
    }


def failure(error: ExplorerError, request: dict[str, Any] | None) -> dict[str, Any]:
    """A refused call: TF Serving's error body (what its REST API answers) for a request it
    rejects, else the explorer's message; with the plain-words line when there is one."""
    serving = isinstance(error, ServingRuleError)
    return {
        "ok": False,
        "error": str(error),
        "code": getattr(error, "code", None) if serving else None,
        "explanation": getattr(error, "explanation", None) if serving else None,
        "response": json.dumps({"error": str(error)}, indent=2) if serving else "",
        "request": json.dumps(request, indent=2) if request is not None else "",
    }


def problems(found: tuple[str, ...]) -> dict[str, Any]:
    """Form fields that make no request (nothing was sent)."""
    return {"ok": False, "error": "Nothing was sent:", "problems": list(found), "response": ""}


def _signature_row(signature: SignatureInfo) -> dict[str, Any]:
    return {
        "key": signature.key,
        "method_name": signature.method_name,
        "inputs": ", ".join(t.key for t in signature.inputs),
        "outputs": ", ".join(t.key for t in signature.outputs),
        "init": signature.is_init_op,
        "verdicts": {m.value: _verdict(check_signature(signature, m)) for m in MethodKind},
    }


def _verdict(verdict: ServingVerdict) -> dict[str, Any]:
    reason = verdict.reason or ""
    return {"ok": verdict.accepted, "headline": verdict_headline(reason), "reason": reason}


def _tensor_row(info: TensorInfo) -> dict[str, str]:
    encoding = info.encoding if info.encoding != "composite_tensor" else str(info.composite_spec)
    return {
        "key": info.key,
        "tensor": info.name or ", ".join(info.tensor_names),
        "dtype": info.dtype,
        "shape": info.shape_text,
        "encoding": encoding,
    }


def _table(name: str, frame: Any) -> dict[str, Any]:
    rows, columns = frame.shape
    shown = frame.iloc[:MAX_ROWS, :MAX_COLUMNS]
    # pandas writes numpy scalars, NaN (null) and bytes columns as JSON itself.
    split = json.loads(shown.to_json(orient="split", default_handler=str))
    cut = []
    if rows > MAX_ROWS:
        cut.append(f"first {MAX_ROWS} of {rows:,} rows")
    if columns > MAX_COLUMNS:
        cut.append(f"first {MAX_COLUMNS} of {columns:,} columns")
    return {
        "name": name,
        "columns": [str(c) for c in split["columns"]],
        "index": split["index"],
        "rows": split["data"],
        "note": "; ".join(cut),
    }


def _charts(result: CallResult) -> list[dict[str, Any]]:
    """Bars people read at a glance: each example's classes (Classify), each row's top
    scores for outputs shaped like class scores (Predict), the values (Regress)."""
    charts: list[dict[str, Any]] = []
    response = result.response_json
    if result.method is MethodKind.CLASSIFY:
        rows = [
            {
                "label": f"example {i}",
                "bars": [{"label": str(label), "value": float(score)} for label, score in classes],
            }
            for i, classes in enumerate(list(response["results"])[:MAX_CHART_ROWS])
        ]
        charts.append({"title": "classes and scores", "rows": rows})
    elif result.method is MethodKind.REGRESS:
        values = list(response["results"])[: MAX_CHART_ROWS * TOP_K]
        bars = [{"label": f"example {i}", "value": float(v)} for i, v in enumerate(values)]
        charts.append({"title": "regression values", "rows": [{"label": "", "bars": bars}]})
    else:
        for alias, value in result.outputs.items():
            array = np.asarray(value)
            if not is_score_output(array):
                continue
            rows = [
                {
                    "label": f"row {i}",
                    "bars": [{"label": r.label, "value": r.score} for r in top_k(array[i], TOP_K)],
                }
                for i in range(min(array.shape[0], MAX_CHART_ROWS))
            ]
            charts.append({"title": f"{alias}: top {TOP_K} scores", "rows": rows})
    return charts
