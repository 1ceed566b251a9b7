"""AppTest: real inputs and readable outputs in the Run panel — a photo dropped on a Keras
application becomes the tensor the model expects and runs, its top classes carry the
names of a labels file, a vocabulary feature offers the model's words, a cell that cannot
hold what was typed stops the request, and an answer says when the form has changed.

Runs ``tests/app/run_panel_app.py``; the Keras model is exported once per session.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import keys
from components.run.output_views import labels_key
from explorer.model.reader import read_model
from tests.app.run_panel_driver import open_run_panel, press_run
from tests.conftest import SAMPLES
from tests.markdown_text import shown


def _photo() -> bytes:
    # A 300×200 photo-like picture: gradients in every channel, so resizing shows.
    y, x = np.mgrid[0:200, 0:300]
    pixels = np.stack([x * 255 // 299, y * 255 // 199, (x + y) * 255 // 498], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _bars(at: AppTest) -> str:
    return "".join(h.value for h in at.get("html"))


@pytest.fixture(scope="module")
def mobilenet(keras_applications: dict[str, Path]) -> Path:
    return keras_applications["MobileNetV2"]


def test_a_photo_becomes_the_tensor_a_keras_application_expects_and_runs(
    mobilenet: Path,
) -> None:
    at, scope = open_run_panel(mobilenet, "serving_default")
    (alias,) = [
        t.key for t in read_model(mobilenet).meta_graph().signature("serving_default").inputs
    ]
    base = keys.run_key(scope, keys.RUN_INPUT, alias)
    assert not at.text_area  # 150,528 numbers are never prefilled as text
    assert any("shape [1, 224, 224, 3] · DT_FLOAT" in c.value for c in at.caption)
    photo = _photo()
    at.file_uploader(key=base + ".images").set_value([("photo.jpg", photo, "image/jpeg")]).run()
    at.selectbox(key=base + ".preset").set_value("-1-1").run()  # MobileNet's own range
    assert not at.error
    assert at.get("image")  # the preview of what the tensor holds
    press_run(at, scope, "predict")
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.status == 200, outcome.error
    sent = outcome.result.request.payload[alias]
    assert (sent.shape, sent.dtype) == ((1, 224, 224, 3), np.float32)
    expected = np.asarray(
        Image.open(io.BytesIO(photo)).convert("RGB").resize((224, 224), Image.Resampling.BILINEAR),
        np.float32,
    )
    assert sent[0] == pytest.approx(expected / 127.5 - 1.0, abs=1e-5)
    assert sent.min() >= -1.0
    assert sent.max() <= 1.0
    (scores,) = outcome.result.response_json["predictions"]
    assert len(scores) == 1000
    # The request is megabytes of JSON: downloadable, never shown in the page.
    assert all(len(c.value) < 100_000 for c in at.code)

    # Top-k with the names of a labels file.
    names = [f"label-{i:04d}" for i in range(1000)]
    output = next(iter(outcome.result.outputs))
    at.file_uploader(key=labels_key(scope, output)).set_value(
        [("labels.txt", "\n".join(names).encode(), "text/plain")]
    ).run()
    bars = _bars(at)
    top = np.argsort(-np.asarray(scores), kind="stable")[:5]
    positions = [bars.index(names[i]) for i in top]
    assert positions == sorted(positions)  # highest first
    assert any("Labels from labels.txt" in shown(c.value) for c in at.caption)


@pytest.mark.parametrize(
    ("application", "preset", "said", "values"),
    [
        # Its graph starts with Rescaling(1/255): it takes pixel values as they are.
        ("EfficientNetB0", "0-255", "The graph scales its input itself (× 1/255 in", "0 to 255"),
        # Its graph starts with a convolution: the training preprocessing decides.
        ("MobileNetV2", "0-1", "The graph does not scale its input", "0 to 1"),
    ],
)
def test_the_pixel_preset_starts_where_the_graph_says(
    keras_applications: dict[str, Path], application: str, preset: str, said: str, values: str
) -> None:
    folder = keras_applications[application]
    at, scope = open_run_panel(folder, "serving_default")
    (alias,) = [t.key for t in read_model(folder).meta_graph().signature("serving_default").inputs]
    base = keys.run_key(scope, keys.RUN_INPUT, alias)
    assert at.selectbox(key=base + ".preset").value == preset
    assert any(said in shown(c.value) for c in at.caption)
    at.file_uploader(key=base + ".images").set_value([("photo.jpg", _photo(), "image/jpeg")]).run()
    assert any(f"224×224 RGB, values {values}" in c.value for c in at.caption)


def test_the_vocabulary_choice_lists_the_models_vocabulary() -> None:
    at, scope = open_run_panel(SAMPLES / "tabular_churn", "serving_default")
    (editor,) = at.data_editor
    columns = json.loads(editor.proto.columns)
    plan = columns["plan"]
    # A scalar feature takes exactly one value: a choice of one, not a multi-select.
    assert plan["type_config"]["type"] == "selectbox"
    assert plan["type_config"]["options"] == ["basic", "standard", "premium"]
    text = "\n".join(shown(m.value) for m in at.markdown)
    assert "vocabulary basic, standard, premium from the asset" in text
    # A word the model does not know is offered once given, sent, and marked out of
    # vocabulary.
    (other,) = [t for t in at.text_input if t.key and t.key.endswith(".other.plan")]
    other.input("gold").run()
    (editor,) = at.data_editor
    options = json.loads(editor.proto.columns)["plan"]["type_config"]["options"]
    assert options == ["basic", "standard", "premium", "gold"]
    at.session_state[editor.key] = {
        "edited_rows": {0: {"plan": "gold"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert any('"gold" is not in the vocabulary' in shown(w.value) for w in at.warning)
    press_run(at, scope, "classify")
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "classify")]
    assert outcome.status == 200
    assert json.loads(outcome.request_text)["examples"][0]["plan"] == "gold"


def test_new_example_rows_start_from_defaults_and_messages_number_them_as_shown() -> None:
    at, scope = open_run_panel(SAMPLES / "tabular_churn", "serving_default")
    (editor,) = at.data_editor
    columns = json.loads(editor.proto.columns)
    # A row added at the table's edge starts with the defaults, or empty: never "None".
    assert {name: columns[name].get("default") for name in columns if name != "_index"} == {
        "age": "40.0",
        "monthly_charges": "",
        "plan": "basic",
        "tenure_months": "",
    }
    # The table shows no index of its own (a row just added would show "None" there):
    # messages count rows from 1 down the table, as the answer numbers its examples.
    assert editor.proto.editing_mode == editor.proto.EditingMode.DYNAMIC
    assert "_index" in json.loads(editor.proto.columns)
    assert json.loads(editor.proto.columns)["_index"]["hidden"] is True
    at.session_state[editor.key] = {
        "edited_rows": {},
        "added_rows": [{"age": "40.0", "monthly_charges": "", "plan": "basic"}],
        "deleted_rows": [],
    }
    at.run()
    # Required features left empty are named before anything is sent.
    assert [shown(e.value) for e in at.error] == [
        "Example 2 · monthly_charges: required (the model has no default for it): give a value",
        "Example 2 · tenure_months: required (the model has no default for it): give a value",
    ]
    assert at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "classify")).disabled


def test_letters_in_an_int_cell_stop_the_request_with_a_message() -> None:
    at, scope = open_run_panel(SAMPLES / "tabular_churn", "serving_default")
    (editor,) = at.data_editor
    at.session_state[editor.key] = {
        "edited_rows": {0: {"tenure_months": "twelve"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    (error,) = [shown(e.value) for e in at.error]
    assert error == (
        'Example 1 · tenure_months: "twelve" is not a whole number: an int64 cell holds '
        "whole numbers such as 42"
    )
    # Nothing can be sent: the Run button is off, and no outcome was made.
    assert at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "classify")).disabled
    assert keys.run_key(scope, keys.RUN_OUTCOME, "classify") not in at.session_state


def test_an_answer_says_when_the_form_changed_since_it_ran() -> None:
    at, scope = open_run_panel(SAMPLES / "keras_multi_io", "serving_default")
    press_run(at, scope, "predict")
    assert not at.warning
    age = keys.run_key(scope, keys.RUN_INPUT, "age") + ".table"
    (editor,) = [e for e in at.data_editor if e.key and e.key.startswith(age)]
    at.session_state[editor.key] = {
        "edited_rows": {0: {"value": "61"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert any("The form has changed since this answer" in w.value for w in at.warning)
    press_run(at, scope, "predict")
    assert not any("The form has changed" in w.value for w in at.warning)
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert json.loads(outcome.request_text)["instances"][0]["age"] == [61.0]


def test_sparse_and_ragged_inputs_open_labelled_and_run() -> None:
    at, scope = open_run_panel(SAMPLES / "sparse_ragged_tf1", "serving_default")
    labels = [t.label for t in at.text_input]
    assert {"dense shape", "values", "row splits"} <= set(labels)
    assert at.text_input(key=keys.run_key(scope, keys.RUN_INPUT, "item_ids") + ".dense_shape")
    press_run(at, scope, "predict")
    assert at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")].status == 200
    splits = keys.run_key(scope, keys.RUN_INPUT, "ratings") + ".row_splits"
    at.text_input(key=splits).input("0, 3").run()
    assert any("the splits end at 3" in shown(e.value) for e in at.error)
