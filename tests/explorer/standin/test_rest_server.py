"""The stand-in TF Serving's REST routes: TF Serving's paths, statuses and error texts
(``http_rest_api_util.cc``, ``get_model_status_impl.cc``), without sockets."""

from __future__ import annotations

import json

import pytest

from explorer.standin.rest_server import ModelRegistry, handle_rest
from tests.conftest import HALF_PLUS_TWO_2_VERSIONS, HALF_PLUS_TWO_CPU, SAMPLES


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return ModelRegistry(
        {"default": HALF_PLUS_TWO_CPU, "two": HALF_PLUS_TWO_2_VERSIONS},
        labels={"two": {"stable": 123}},
    )


def _call(registry: ModelRegistry, method: str, path: str, body: str = "") -> tuple[int, dict]:
    status, text = handle_rest(registry, method, path, body.encode())
    return status, json.loads(text)


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("POST", "/v1/models/default:explain", 400,
         "Malformed request: POST /v1/models/default:explain"),
        ("PUT", "/v1/models/default", 400, "Malformed request: PUT /v1/models/default"),
        ("GET", "/v1/models", 400, "Missing model name in request."),
        ("GET", "/v1/models/default/versions/99999999999999999999", 400,
         "Failed to convert version: 99999999999999999999 to numeric."),
        ("GET", "/v1/models/foo", 404, "Could not find any versions of model foo"),
        ("GET", "/v1/models/default/versions/7", 404, "Could not find version 7 of model default"),
        ("GET", "/v1/models/foo/metadata", 404, "Servable not found for request: Latest(foo)"),
        ("GET", "/v1/models/two/labels/beta/metadata", 400,
         "Unrecognized servable version label: beta"),
        ("POST", "/v1/models/foo:predict", 404, "Servable not found for request: Latest(foo)"),
    ],
)  # fmt: skip
def test_routes_answer_tf_servings_errors(
    registry: ModelRegistry, method: str, path: str, status: int, error: str
) -> None:
    assert _call(registry, method, path, '{"instances": [1.0]}') == (status, {"error": error})


def test_a_bad_body_is_reported_before_an_unknown_model(registry: ModelRegistry) -> None:
    # TF Serving parses the JSON first, then looks the servable up.
    status, answer = _call(registry, "POST", "/v1/models/foo:predict", "")
    assert (status, answer) == (400, {"error": "JSON Parse error: The document is empty"})


def test_routes_are_case_insensitive_and_labels_resolve(registry: ModelRegistry) -> None:
    status, answer = _call(registry, "GET", "/V1/Models/two/labels/stable")
    assert status == 200
    assert [s["version"] for s in answer["model_version_status"]] == ["123"]
    status, answer = _call(registry, "GET", "/v1/models/two/labels/stable/metadata")
    assert answer["model_spec"] == {"name": "two", "signature_name": "", "version": "123"}


def test_a_folder_without_versions_is_served_as_version_1() -> None:
    registry = ModelRegistry({"plain": SAMPLES / "flowers_tf1"})
    assert registry.versions("plain") == (1,)
    assert registry.resolve("plain", None, None).version == 1
