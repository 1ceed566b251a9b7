"""The notebook widget's Python side: clicks on the drawing become the app's views, the run
form makes the requests the model answers (or says why not), and anywidget stays optional.

The browser side is driven in a real JupyterLab by tests/browser/test_jupyter.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import explorer
from explorer.constants import MethodKind
from explorer.model.reader import read_model
from explorer.present import widget_form
from explorer.present.widget_view import ExplorerWidget
from tests.conftest import REPO, SAMPLES


def _click(widget: ExplorerWidget, element_id: str, event: str = "clicked") -> None:
    widget._on_message(widget, {"type": "graph", "event": event, "id": element_id}, [])


def _boxes(widget: ExplorerWidget) -> dict[str, str]:
    return {b["id"]: b["kind"] for b in widget.graph["scene"]["boxes"]}


def test_clicks_open_and_close_groups_inspect_ops_and_follow_links() -> None:
    widget = explorer.explore(SAMPLES / "tabular_churn")
    assert widget.signature == "serving_default"
    first = _boxes(widget)
    call = next(i for i, kind in first.items() if kind == "function_call")
    _click(widget, call)
    opened = _boxes(widget)
    assert call not in opened  # drawn as a frame around its body now
    assert len(opened) > len(first)
    assert any(f["ids"][0] == call for f in widget.graph["scene"]["frames"])
    _click(widget, call)  # its frame's title: close it again
    assert _boxes(widget)[call] == "function_call"
    assert not any(f["ids"][0] == call for f in widget.graph["scene"]["frames"])

    op = next(i for i, kind in _boxes(widget).items() if kind == "op")
    _click(widget, op)
    inspector = widget.graph["inspector"]
    assert widget.graph["selected"] == op
    assert inspector["title"] == op.split("::")[-1]
    assert inspector["lines"][0].startswith("op ")
    link = inspector["sections"][0]["rows"][0]["target"]
    _click(widget, link, event="goto")  # a link in the inspector walks the graph
    assert widget.graph["selected"] == link
    assert widget.graph["focus"] == {"id": link, "nonce": 1}
    assert link in _boxes(widget)  # the groups around it opened

    _click(widget, "output:scores")  # a key highlights its path, a second click clears it
    assert widget.graph["highlight"] == "scores"
    _click(widget, "output:scores")
    assert widget.graph["highlight"] is None

    _click(widget, "no such box")
    assert "no such box" in widget.graph["problem"]


def test_choosing_a_signature_shows_its_tensors_graph_and_form() -> None:
    widget = explorer.explore(SAMPLES / "flowers_tf1", signature="classify_images")
    assert widget.form["method"] == "classify"
    assert [f["name"] for f in widget.form["features"]] == ["image"]
    widget.signature = "predict_images"
    assert widget.details["key"] == "predict_images"
    assert widget.form["method"] == "predict"
    assert widget.graph["key"].endswith(".predict_images")
    verdicts = {v["api"]: v["default"] for v in widget.details["verdicts"]}
    assert not verdicts["classify"]["ok"]
    # The cell's sentence, the SignatureDef dump only in the full message.
    assert verdicts["classify"]["headline"] == "No classification inputs found in SignatureDef …"
    assert "inputs {" in verdicts["classify"]["reason"]


def test_form_cells_a_feature_cannot_hold_send_nothing_and_say_why() -> None:
    meta_graph = read_model(SAMPLES / "tabular_churn").meta_graph()
    signature = meta_graph.signature("serving_default")
    made = widget_form.examples_body(meta_graph, signature, [["", "abc", "premium", "2.5"]])
    assert made.body is None
    assert made.problems == (
        'Example 0 · monthly_charges: "abc" is not a number: a float32 cell holds numbers '
        "such as 0.5",
        'Example 0 · tenure_months: "2.5" is not a whole number: an int64 cell holds whole '
        "numbers such as 42",
    )
    made = widget_form.examples_body(meta_graph, signature, [["", "95", "", "2"]])
    # Typed by the feature: 95 goes as a float; an empty cell leaves the feature out.
    assert made.body == {
        "signature_name": "serving_default",
        "examples": [{"monthly_charges": 95.0, "tenure_months": 2}],
    }
    made = widget_form.predict_body(meta_graph, signature, {"inputs": "[{"})
    assert made.body is None
    assert made.problems[0].startswith("input inputs: not JSON")


@pytest.mark.parametrize("sample", ["flowers_tf1", "keras_multi_io", "sparse_ragged_tf1"])
def test_every_prefilled_form_runs_as_it_opens(sample: str) -> None:
    widget = explorer.explore(SAMPLES / sample)
    for signature in widget.meta_graph.signatures:
        if signature.is_init_op:
            continue
        widget.signature = signature.key
        form = widget.form
        message = {
            "type": "run",
            "method": form["method"],
            "mode": "form",
            "rows": form["rows"],
            "inputs": {i["key"]: i["text"] for i in form["inputs"]},
        }
        widget._on_message(widget, message, [])
        assert widget.answer["ok"], (signature.key, widget.answer)
        assert widget.result is not None
        assert widget.result.method is MethodKind(form["method"])
        assert widget.request == widget.result.request_json
    widget._on_message(
        widget, {"type": "run", "method": "predict", "mode": "json", "text": "{nope"}, []
    )
    assert not widget.answer["ok"]
    assert widget.answer["problems"][0].startswith("The REST JSON is not JSON")


def test_a_request_tf_serving_rejects_is_its_error_body() -> None:
    widget = explorer.explore(SAMPLES / "flowers_tf1", signature="predict_images")
    assert widget.run({"instances": ["not a number"]}) is None
    assert widget.result is None
    assert widget.answer["code"] == "INVALID_ARGUMENT"
    assert '"error": "Failed to process element: 0' in widget.answer["response"]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_explore_without_anywidget_says_what_to_install() -> None:
    done = _python(
        "import sys\n"
        "sys.modules['anywidget'] = None  # as if it were not installed\n"
        "import explorer\n"
        "try:\n"
        "    explorer.explore('sample_models/flowers_tf1')\n"
        "except explorer.ExplorerError as err:\n"
        "    print(type(err).__name__, err)\n"
    )
    assert done.stdout.strip() == (
        "DependencyError The notebook widget (anywidget) is not available. Install it with: "
        'python3 -m pip install "signature-explorer[notebook]"'
    ), done.stderr


def test_import_explorer_and_show_load_neither_anywidget_nor_tensorflow() -> None:
    done = _python(
        "import sys, explorer\n"
        "from explorer.cli import main\n"
        "code = main(['show', 'sample_models/flowers_tf1'])\n"
        "loaded = [m for m in ('anywidget', 'ipywidgets', 'tensorflow') if m in sys.modules]\n"
        "print(code, loaded, file=sys.stderr)\n"
    )
    assert done.stderr.strip().splitlines()[-1] == "0 []"
