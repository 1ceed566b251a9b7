"""AppTest: the Run panel calls samples through Classify, Regress and Predict from its forms.

Runs in process, so TensorFlow is imported once for the whole session and each model is
loaded once (explorer.run.runner keeps it).
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from tests.app.run_panel_driver import open_run_panel, press_run
from tests.markdown_text import shown


def _response(at: AppTest, scope: str, api: str) -> dict:
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, api)]
    shown = [c.value for c in at.code]
    assert outcome.response_text in shown  # the Response tab shows it as is
    return json.loads(outcome.response_text)


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def _text(at: AppTest) -> str:  # as the reader sees it (Markdown rendered)
    return "\n".join(shown(str(e.value)) for e in [*at.markdown, *at.caption])


def test_predict_serving_default_from_prefilled_form() -> None:
    at, scope = open_run_panel("flowers_tf1", "serving_default", timeout_s=120)
    assert at.radio(key=keys.run_key(scope, keys.RUN_API)).value == "predict"
    press_run(at, scope, "predict")
    assert not at.error
    response = _response(at, scope, "predict")
    assert len(response["predictions"]) == 1
    assert len(response["predictions"][0]) == 3
    # Scores over 3 classes: ranked bars, and every score one click away.
    scores = next(f for f in _frames(at) if f.shape == (3, 1))
    assert scores.to_numpy().sum() == pytest.approx(1.0, abs=1e-5)
    assert "Output scores · DT_FLOAT · shape [1, 3]" in _text(at)
    bars = "".join(h.value for h in at.get("html"))
    assert all(f"class {i}" in bars for i in range(3))
    assert "execution" in _text(at)
    curl = next(c.value for c in at.code if c.value.startswith("curl"))
    assert "http://localhost:8501/v1/models/flowers_tf1:predict" in curl


def test_predict_fetches_extra_tensor_and_filters_outputs() -> None:
    at, scope = open_run_panel("flowers_tf1", "predict_images", timeout_s=120)
    at.session_state[keys.run_key(scope, keys.RUN_DEBUG_OPEN)] = True  # a lazy expander
    at.run()
    at.multiselect(key=keys.run_key(scope, keys.RUN_EXTRA_FETCHES, "predict")).set_value(
        ["pool:0"]
    ).run()
    at.multiselect(key=keys.run_key(scope, keys.RUN_OUTPUT_FILTER)).set_value(["scores"]).run()
    press_run(at, scope, "predict")
    assert not at.error
    assert "Extra tensor pool:0 · DT_FLOAT · shape [1, 2, 2, 1]" in _text(at)
    assert at.get("image")  # [batch, H, W, C] in a pixel range: drawn as an image
    assert "output_filter is a gRPC option" in _text(at)
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert set(outcome.result.extra) == {"pool:0"}


def test_predict_uses_uploaded_npy_batch() -> None:
    import io

    import numpy as np

    at, scope = open_run_panel("flowers_tf1", "predict_images", timeout_s=120)
    base = keys.run_key(scope, keys.RUN_INPUT, "images")
    at.radio(key=base + ".source").set_value(".npy / .json file").run()
    buffer = io.BytesIO()
    np.save(buffer, np.full((2, 4, 4, 1), 0.5, dtype=np.float32))
    uploader = at.file_uploader(key=base + ".file")
    uploader.set_value(("batch.npy", buffer.getvalue(), "application/octet-stream")).run()
    assert "Holds: shape [2, 4, 4, 1] · DT_FLOAT · 32 values · min 0.5" in _text(at)
    press_run(at, scope, "predict")
    assert not at.error
    predictions = _response(at, scope, "predict")["predictions"]
    assert len(predictions) == 2
    assert predictions[0] == predictions[1]


def test_classify_from_prefilled_example_builder() -> None:
    at, scope = open_run_panel("flowers_tf1", "classify_images", timeout_s=120)
    assert at.radio(key=keys.run_key(scope, keys.RUN_API)).value == "classify"
    assert "This model expects features: image float shape (16,) (required)" in _text(at)
    press_run(at, scope, "classify")
    assert not at.error
    (result,) = _response(at, scope, "classify")["results"]
    assert sorted(label for label, _ in result) == ["daisy", "rose", "tulip"]
    assert sum(score for _, score in result) == pytest.approx(1.0, abs=1e-5)
    table = next(f for f in _frames(at) if list(f.columns) == ["label", "score"])
    assert list(table["score"]) == sorted(table["score"], reverse=True)


def test_bad_rest_body_shows_tf_serving_error_then_good_run_works() -> None:
    at, scope = open_run_panel("flowers_tf1", "classify_images", timeout_s=120)
    at.radio(key=keys.run_key(scope, keys.RUN_MODE, "classify")).set_value(keys.MODE_REST).run()
    body = at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, "classify"))
    assert json.loads(body.value)["signature_name"] == "classify_images"  # prefilled
    good = body.value
    body.set_value('{"examples": [').run()
    press_run(at, scope, "classify")
    assert "JSON Parse error" in at.error[0].value
    assert "HTTP 400" in at.error[0].value
    assert "JSON Parse error" in _response(at, scope, "classify")["error"]
    assert "The request's line 1, column 15:" in next(c.value for c in at.code)
    at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, "classify")).set_value(good).run()
    press_run(at, scope, "classify")
    assert not at.error
    assert len(_response(at, scope, "classify")["results"][0]) == 3


def test_rejected_api_shows_reason_and_forced_run_returns_the_error() -> None:
    at, scope = open_run_panel("flowers_tf1", "classify_images", timeout_s=120)
    at.radio(key=keys.run_key(scope, keys.RUN_API)).set_value("regress").run()
    assert "Expected one output Tensor." in at.warning[0].value
    assert not [b for b in at.button if b.label.startswith("Run")]
    at.checkbox(key=keys.run_key(scope, keys.RUN_FORCE, "regress")).check().run()
    press_run(at, scope, "regress")
    assert _response(at, scope, "regress") == {"error": "Expected one output Tensor."}


def test_tabular_churn_classify_returns_vocabulary_labels() -> None:
    at, scope = open_run_panel("tabular_churn", "serving_default", timeout_s=120)
    assert at.radio(key=keys.run_key(scope, keys.RUN_API)).value == "classify"
    text = _text(at)
    assert "monthly_charges float scalar (required)" in text
    assert (
        'plan bytes scalar (default basic; vocabulary basic, standard, premium from the asset "'
        'plan_vocab.txt")' in text
    )
    press_run(at, scope, "classify")
    assert not at.error
    (result,) = _response(at, scope, "classify")["results"]
    assert [label for label, _ in result] == ["stay", "churn"]


def test_tabular_churn_regress() -> None:
    at, scope = open_run_panel("tabular_churn", "regress_lifetime_value", timeout_s=120)
    assert at.radio(key=keys.run_key(scope, keys.RUN_API)).value == "regress"
    press_run(at, scope, "regress")
    assert not at.error
    (value,) = _response(at, scope, "regress")["results"]
    assert isinstance(value, float)
    assert any(list(f.columns) == ["example", "value"] for f in _frames(at))


def test_inputs_survive_switching_signature_and_back() -> None:
    at, scope = open_run_panel("flowers_tf1", "classify_images", timeout_s=120)
    at.radio(key=keys.run_key(scope, keys.RUN_MODE, "classify")).set_value(keys.MODE_REST).run()
    key = keys.run_key(scope, keys.RUN_REST_BODY, "classify")
    at.text_area(key=key).set_value('{"examples": [{"image": [1.0]}]}').run()
    at.selectbox(key="test.signature").set_value("serving_default").run()
    at.selectbox(key="test.signature").set_value("classify_images").run()
    assert at.radio(key=keys.run_key(scope, keys.RUN_MODE, "classify")).value == keys.MODE_REST
    assert at.text_area(key=key).value == '{"examples": [{"image": [1.0]}]}'


def test_left_out_default_input_uses_signature_default() -> None:
    at, scope = open_run_panel("keras_multi_io", "flag", timeout_s=120)
    press_run(at, scope, "predict")
    assert not at.error
    response = _response(at, scope, "predict")
    assert set(response["predictions"][0]) == {"flagged", "probability"}
    assert "Left out threshold" in _text(at)


def test_unsafe_model_cannot_run_without_opt_in() -> None:
    at, scope = open_run_panel("unsafe_read_file", "serving_default", timeout_s=120)
    run = at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "predict"))
    assert run.disabled
    assert "I trust this model" in at.warning[0].value
    at.checkbox(key="test.allow_unsafe").check().run()
    assert not at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "predict")).disabled


def test_tensor_files_are_read_without_pickle(tmp_path) -> None:
    import io

    import numpy as np

    from components.run.run_state import read_tensor_file
    from explorer.errors import InputError

    buffer = io.BytesIO()
    np.save(buffer, np.arange(6, dtype=np.float32).reshape(2, 3))
    assert read_tensor_file("x.npy", buffer.getvalue()) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="holds Python objects, which would need unpickling"):
        read_tensor_file("evil.npy", pickled.getvalue())
    assert read_tensor_file("x.json", b"[[1, 2]]") == [[1, 2]]
    with pytest.raises(InputError, match="JSON object"):
        read_tensor_file("x.json", b'{"x": 1}')
