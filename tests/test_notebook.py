"""The tour notebook runs top to bottom on the samples, says what it should, and stays clean:
no error, nothing on stderr, no TensorFlow log line in any output."""

from __future__ import annotations

import json
import re

import nbformat
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOK = REPO / "notebooks" / "tour.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# TensorFlow's C++ log lines start with severity, date and time; its start-up words.
TF_LOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|cuInit|oneDNN custom operations|TF-TRT", re.M)


def _text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html"))
        if "application/json" in data:
            parts.append(json.dumps(data["application/json"]))
    return "\n".join(parts)


def test_tour_notebook_runs_and_shows_results() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert not [o.get("text") for o in outputs if o.get("name") == "stderr"]
    everything = "\n".join(_text(c) for c in code)
    assert not TF_LOG.search(everything), TF_LOG.search(everything)
    (
        model_html,
        widget,
        widget_run,
        widget_request,
        frame,
        signature_html,
        verdicts,
        check,
        features,
        predict,
        error,
    ) = code
    text = _text(model_html)
    assert "flowers_tf1" in text
    assert "classify_images" in text
    # A rejection's cell is its sentence, the SignatureDef dump folded under it.
    assert "No classification inputs found in SignatureDef …</span><details>" in text
    assert not re.search(r"inputs \{</span>", text)

    (shown,) = widget.outputs
    assert WIDGET_MIME in shown["data"]  # the live widget where widgets run
    assert "serving_default" in shown["data"]["text/html"]  # static tables elsewhere
    assert "se-ok" in shown["data"]["text/html"]
    assert "churn" in _text(widget_run)
    assert "stay" in _text(widget_run)
    assert "'monthly_charges': 95.0" in _text(widget_request)
    assert "'signature_name': 'serving_default'" in _text(widget_request)
    assert "churn" in _text(frame)

    assert "se-ok" in _text(signature_html)
    assert "('classify', False, True)" in _text(verdicts)
    assert "method-name check off: accepted" in _text(check)
    assert "Expected classification signature method_name" in _text(check)
    assert "monthly_charges" in _text(features)
    assert "default 'basic'" in _text(features)

    (answer,) = predict.outputs
    assert "predictions" in answer["data"]["application/json"]  # a JSON tree in JupyterLab
    plain = answer["data"]["text/plain"]
    assert json.loads(plain)["predictions"]  # JSON as text elsewhere, not mappingproxy(...)
    assert "not of expected type: float" in _text(error)
