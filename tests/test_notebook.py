"""The tour notebook runs top to bottom on the samples, and says what it should."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOK = REPO / "notebooks" / "tour.ipynb"


def _text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html"))
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
    assert all(not any(o.get("output_type") == "error" for o in c.outputs) for c in code)
    (
        model_html,
        signature_html,
        verdicts,
        check,
        graph,
        features,
        classify,
        frame,
        predict,
        error,
    ) = (_text(c) for c in code)
    assert "flowers_tf1" in model_html
    assert "classify_images" in model_html
    assert "se-ok" in signature_html  # HTML verdict table
    assert "('classify', False, True)" in verdicts
    assert "method-name check off: accepted" in check
    assert "Expected classification signature method_name" in check
    assert "<svg" in graph or "Graphviz" in graph
    assert "monthly_charges" in features
    assert "plan" in features
    assert "se-t" in classify  # the result's HTML tables
    assert "churn" in classify
    assert "stay" in classify
    assert "'results'" in frame
    assert "predictions" in predict
    assert "not of expected type: float" in error
