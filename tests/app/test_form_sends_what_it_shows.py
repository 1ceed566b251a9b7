"""AppTest: what the Run tab's form shows is what it sends, and what it shows as sent is
what got the answer.

- A photo kept while its drop zone was not drawn (Form → REST JSON → Form, a tab switch)
  is the photo the next run sends, and stays in the form after it; only the user's own
  removal drops it.
- The request, curl and HTML report of a form holding arrays (images, big tensors) are the
  REST body whose answer is shown: rows (``instances``, answered with ``predictions``) in
  row format, ``inputs`` in columnar format; replayed, that body gets the same answer.

Runs ``tests/app/run_panel_app.py``.
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
from components.present.presentation import report_html
from explorer.model.reader import read_model
from explorer.run import calls
from tests.app.run_panel_driver import open_run_panel, press_run
from tests.conftest import SAMPLES
from tests.markdown_text import shown


def _captions(at: AppTest) -> str:
    return "\n".join(shown(c.value) for c in at.caption)


def _photo() -> bytes:
    y, x = np.mgrid[0:120, 0:160]
    pixels = np.stack([x * 255 // 159, y * 255 // 119, (x + y) * 255 // 278], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def test_a_photo_kept_while_its_drop_zone_was_away_is_the_photo_sent(
    keras_applications: dict[str, Path],
) -> None:
    folder = keras_applications["MobileNetV2"]
    at, scope = open_run_panel(folder, "serving_default")
    (alias,) = [t.key for t in read_model(folder).meta_graph().signature("serving_default").inputs]
    drop = keys.run_key(scope, keys.RUN_INPUT, alias) + ".images"
    at.file_uploader(key=drop).set_value([("photo.jpg", _photo(), "image/jpeg")]).run()
    assert "1 image, 224×224 RGB" in _captions(at)

    # The drop zone is not drawn for a run (REST JSON mode), then drawn again, empty.
    mode = keys.run_key(scope, keys.RUN_MODE, "predict")
    at.radio(key=mode).set_value(keys.MODE_REST).run()
    at.radio(key=mode).set_value(keys.MODE_FORM).run()
    assert "1 image, 224×224 RGB" in _captions(at)
    assert any(b.label == "Stop using `photo.jpg`" for b in at.button)

    # The run after that redraw sends the photo, and the form still holds it.
    press_run(at, scope)
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.status == 200, outcome.error
    sent = outcome.result.request.payload[alias]
    assert sent.shape == (1, 224, 224, 3)
    assert sent.mean() > 0.2  # the photo, not a black image
    assert "No image yet" not in _captions(at)
    assert "1 image, 224×224 RGB" in _captions(at)
    assert not any("The form has changed" in w.value for w in at.warning)

    # The kept photo is dropped only when the user says so.
    at.button(key=drop + ".forget").click().run()
    assert "No image yet: the tensor holds zeros" in _captions(at)
    # A photo in the drop zone itself is dropped by removing it there.
    at.file_uploader(key=drop).set_value([("photo.jpg", _photo(), "image/jpeg")]).run()
    assert "1 image, 224×224 RGB" in _captions(at)
    at.file_uploader(key=drop).set_value([]).run()
    assert "No image yet: the tensor holds zeros" in _captions(at)


@pytest.mark.parametrize(
    ("body_format", "request_key", "answer_key"),
    [(keys.FORMAT_ROW, "instances", "predictions"), (keys.FORMAT_COLUMNAR, "inputs", "outputs")],
)
def test_the_request_shown_for_an_image_form_gets_the_answer_shown(
    body_format: str, request_key: str, answer_key: str
) -> None:
    folder = SAMPLES / "flowers_tf1"
    at, scope = open_run_panel(folder, "predict_images")
    at.radio(key=keys.run_key(scope, keys.RUN_BODY_FORMAT)).set_value(body_format).run()
    press_run(at, scope)
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.status == 200, outcome.error
    shown_request = json.loads(outcome.request_text)
    assert shown_request["signature_name"] == "predict_images"
    assert set(shown_request) == {"signature_name", request_key}
    assert set(outcome.response_json) == {answer_key}
    assert f'"{request_key}"' in outcome.curl
    # Replayed, the body shown gets the answer shown.
    replayed = calls.predict(folder, outcome.request_text)
    assert json.loads(replayed.response_text) == json.loads(outcome.response_text)
    # The HTML report carries the same request.
    model = read_model(folder)
    page = report_html(model, model.meta_graph(), "predict_images", outcome)
    assert f"&quot;{request_key}&quot;" in page or f'"{request_key}"' in page


def test_predict_arrays_in_row_format_reports_the_body_it_answers() -> None:
    images = np.full((2, 4, 4, 1), 0.5, np.float32)
    model = SAMPLES / "flowers_tf1"
    result = calls.predict_arrays(
        model, {"images": images}, row_format=True, signature="predict_images"
    )
    body = result.request_json
    assert "instances" in body
    assert "inputs" not in body
    replayed = calls.predict(model, body)
    assert replayed.response_json == result.response_json
