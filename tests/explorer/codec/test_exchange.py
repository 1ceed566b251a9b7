"""The REST exchange as text: URL, curl command, request and error bodies."""

from __future__ import annotations

import json
import shlex

import pytest

from explorer.codec.exchange import (
    body_text,
    compact_text,
    curl_command,
    error_text,
    serving_url,
)
from explorer.constants import MethodKind


def test_serving_url_names_model_version_and_verb() -> None:
    assert serving_url("flowers", MethodKind.CLASSIFY) == (
        "http://localhost:8501/v1/models/flowers:classify"
    )
    assert serving_url("half_plus_two", "predict", version=123, port=9000) == (
        "http://localhost:9000/v1/models/half_plus_two/versions/123:predict"
    )


def test_serving_url_rejects_unknown_verb() -> None:
    with pytest.raises(ValueError, match="metadata"):
        serving_url("m", "metadata")


def test_curl_command_quotes_body_for_the_shell() -> None:
    body = compact_text({"instances": ["it's", 'a "quote"']})
    command = curl_command("http://localhost:8501/v1/models/m:predict", body)
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["curl", "-X", "POST"]
    assert words[words.index("-d") + 1] == body
    assert "Content-Type: application/json" in words


def test_curl_command_reads_big_bodies_from_file() -> None:
    command = curl_command("http://h/v1/models/m:predict", "x" * 100, inline_limit=10)
    assert command.endswith("-d @request.json")


def test_body_text_keeps_numeric_lists_on_one_line_and_round_trips() -> None:
    body = {
        "signature_name": "classify_images",
        "context": {"plan": "basic"},
        "examples": [{"image": [0.0, 1.5], "n": 3, "raw": {"b64": "aGVsbG8="}}],
    }
    text = body_text(body)
    assert json.loads(text) == body
    assert '"image": [0.0, 1.5]' in text
    assert '"raw": {"b64": "aGVsbG8="}' in text
    assert "2.0" in body_text({"x": 2.0})  # a float stays a float for TF Serving


def test_error_text_is_tf_serving_error_body() -> None:
    assert error_text("Input is empty.") == '{\n    "error": "Input is empty."\n}'
    assert json.loads(error_text('bad "x"')) == {"error": 'bad "x"'}
