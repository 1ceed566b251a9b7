"""TF Serving's REST handler request errors, ported:
``tensorflow_serving/model_servers/http_rest_api_handler_test.cc``,
``TEST_F(HttpRestApiHandlerTest, PredictRequestErrors)``, on the model that test serves
(``saved_model_half_plus_two_2_versions``, from the shared anchors). These requests fail
while the body is read, before any model runs. (That test's version-label case is about
the server's routing, not the body, so it is not here.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.errors import InputError
from explorer.model.reader import read_model
from explorer.run import calls
from tests.explorer.codec.request_paths import error


@pytest.fixture(scope="module")
def half_plus_two(half_plus_two_2_versions: Path):  # type: ignore[no-untyped-def]
    return read_model(half_plus_two_2_versions)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "JSON Parse error: The document is empty"),  # Empty document.
        ("instances = [1, 2]", "JSON Parse error: Invalid value"),  # Badly formatted JSON.
        ('{ "instances": ["x", "y"] }', "not of expected type: float"),  # Incorrect type.
        # Incorrect signature_name type.
        ('{ "signature_name": 100 }', "'signature_name' key must be a string value."),
    ],
)
def test_predict_request_errors(half_plus_two, body: str, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        calls.predict(half_plus_two, body)
    assert words in str(info.value)
    assert info.value.code == "INVALID_ARGUMENT"


def test_predict_request_errors_on_both_paths(half_plus_two) -> None:  # type: ignore[no-untyped-def]
    signature = half_plus_two.meta_graph().signature("serving_default")
    assert "not of expected type: float" in error('{ "instances": ["x", "y"] }', signature)
    assert "Invalid value" in error("instances = [1, 2]", signature)
