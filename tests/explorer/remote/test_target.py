"""The TF Serving target against real loopback servers, over REST and gRPC.

The servers are the explorer's stand-in TF Serving (``explorer.standin.rest_server`` /
``serving_grpc``: TF Serving's routes and the official gRPC servicers over the in-process
runner), serving TF Serving's own test model as model "default" version 123, as its
``tensorflow_model_server_test.py`` does. Answers must equal the goldens of reference §6
and, byte for byte, what the in-process calls write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from explorer.constants import MethodKind
from explorer.errors import InputError, ServingRuleError, UnknownModelError
from explorer.model.reader import read_model
from explorer.remote.metadata import decode_outputs, model_info_from_metadata
from explorer.remote.target import RemoteTarget
from explorer.run import calls
from explorer.run.dispatch import CallRequest
from explorer.run.local import call_rest
from tests.conftest import ANCHORS, HALF_PLUS_TWO_CPU
from tests.explorer.loopback import Servers, serving

PROTOCOLS = ["rest", "grpc"]
CLASSIFY = {"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}
REGRESS = {"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}
# Reference §6.2: (method, request, response).
GOLDENS = [
    ("classify", CLASSIFY, {"results": [[["", 3.0]]]}),
    ("regress", REGRESS, {"results": [3.0]}),
    ("predict", {"instances": [2.0, 3.0, 4.0]}, {"predictions": [3.0, 3.5, 4.0]}),
    ("predict", {"inputs": [2.0, 3.0, 4.0]}, {"outputs": [3.0, 3.5, 4.0]}),
]
STATUS = {
    "model_version_status": [
        {
            "version": "123",
            "state": "AVAILABLE",
            "status": {"error_code": "OK", "error_message": ""},
        }
    ]
}


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with serving() as running:
        yield running


@pytest.fixture(params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _target(servers: Servers, protocol: str, model: str = "default", **options) -> RemoteTarget:
    return RemoteTarget(servers.url(protocol), model, **options)


@pytest.mark.parametrize(("method", "body", "expected"), GOLDENS, ids=lambda v: str(v)[:30])
def test_goldens_answer_as_tf_serving_and_byte_for_byte_as_in_process(
    servers: Servers, protocol: str, method: str, body: dict, expected: dict
) -> None:
    reply = _target(servers, protocol).send(method, body)
    assert reply.status == 200
    assert reply.code == "OK"
    assert reply.error is None
    assert json.loads(reply.response_text) == expected
    assert dict(reply.response_json) == expected
    in_process = getattr(calls, method)(read_model(HALF_PLUS_TWO_CPU), body)
    assert reply.response_text == in_process.response_text


def test_the_same_body_as_text_dict_or_bytes_gives_the_same_answer(
    servers: Servers, protocol: str
) -> None:
    target = _target(servers, protocol)
    text = json.dumps(CLASSIFY)
    answers = {target.send("classify", b).response_text for b in (CLASSIFY, text, text.encode())}
    assert len(answers) == 1


def test_status_is_tf_servings_json(servers: Servers, protocol: str) -> None:
    assert _target(servers, protocol).status() == STATUS


def test_metadata_is_tf_servings_json_for_its_test_model(servers: Servers, protocol: str) -> None:
    golden = json.loads((ANCHORS / "saved_model_half_plus_two_cpu.metadata.json").read_text())
    assert _target(servers, protocol).metadata_json() == golden


def test_metadata_gives_the_signatures_read_from_disk(servers: Servers, protocol: str) -> None:
    remote = _target(servers, protocol).metadata()
    local = read_model(HALF_PLUS_TWO_CPU).meta_graph()
    meta_graph = remote.meta_graph()
    assert (remote.name, remote.version) == ("default", 123)
    assert meta_graph.tags == ("serve",)
    assert meta_graph.model_dir == ""
    assert meta_graph.signatures == local.signatures  # keys, method names, TensorInfos
    assert dict(meta_graph.proto.signature_def) == dict(local.proto.signature_def)
    assert not meta_graph.proto.graph_def.node  # no graph: only signatures cross the wire


def test_metadata_is_fetched_once_and_refreshed_on_request(servers: Servers, protocol: str) -> None:
    target = _target(servers, protocol)
    first = target.metadata()
    assert target.metadata() is first
    assert target.metadata(refresh=True) is not first


def test_versions_and_labels_address_the_right_servable(servers: Servers, protocol: str) -> None:
    url = servers.url(protocol)
    by_version = RemoteTarget(url, "two", version=123)
    by_label = RemoteTarget(url, "two", label="canary")
    latest = RemoteTarget(url, "two")
    assert by_version.metadata().version == 123
    assert by_label.metadata().version == 124
    assert latest.metadata().version == 124
    assert [s["version"] for s in latest.status()["model_version_status"]] == ["124", "123"]
    # http_rest_api_handler_test.cc: predict /versions/123 {"instances": [1.0, 2.0]}.
    assert by_version.predict({"instances": [1.0, 2.0]}) == {"predictions": [2.5, 3.0]}


def test_rest_urls_carry_version_or_label(servers: Servers) -> None:
    url = servers.rest.url
    assert RemoteTarget(url, "two", version=123).endpoint("predict") == (
        f"{url}/v1/models/two/versions/123:predict"
    )
    assert RemoteTarget(url, "two", label="canary").endpoint("classify") == (
        f"{url}/v1/models/two/labels/canary:classify"
    )
    assert RemoteTarget(url, "a b").endpoint() == f"{url}/v1/models/a%20b"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{ "instances": ["x", "y"] }', "not of expected type: float"),
        ("", "JSON Parse error: The document is empty"),
        ("instances = [1, 2]", "JSON Parse error: Invalid value"),
        ('{ "signature_name": 100 }', "'signature_name' key must be a string value."),
        ('{"signature_name": "nope", "instances": [1.0]}', '"nope" not found in signature def'),
    ],
)
def test_rejected_requests_answer_tf_servings_error(
    servers: Servers, protocol: str, body: str, message: str
) -> None:
    reply = _target(servers, protocol).send("predict", body)
    assert reply.status == 400
    assert reply.code == "INVALID_ARGUMENT"
    assert message in (reply.error or "")
    assert json.loads(reply.response_text) == {"error": reply.error}
    in_process = call_rest(read_model(HALF_PLUS_TWO_CPU), "predict", body)
    assert reply.error == in_process["error"]


def test_runtime_errors_keep_tf_servings_words(servers: Servers, protocol: str) -> None:
    body = {"signature_name": "regress_x_to_y", "examples": [{"x": 2}]}  # an int64 feature
    answer = _target(servers, protocol).regress(body)
    assert "Data types don't match. Data type: int64 but expected type: float" in answer["error"]


def test_unknown_model_names_the_servable(servers: Servers, protocol: str) -> None:
    with pytest.raises(UnknownModelError, match=r"Latest\(foo\)") as caught:
        _target(servers, protocol, "foo").predict({"instances": [1.0]})
    assert caught.value.server_message == "Servable not found for request: Latest(foo)"
    assert "--model_name" in str(caught.value)


def test_unknown_version_or_label_names_it(servers: Servers, protocol: str) -> None:
    with pytest.raises(UnknownModelError, match=r"Specific\(default, 7\)"):
        _target(servers, protocol, version=7).classify(CLASSIFY)
    with pytest.raises(UnknownModelError, match="Could not find version 7 of model default"):
        _target(servers, protocol, version=7).status()
    with pytest.raises(UnknownModelError, match="Unrecognized servable version label: nope"):
        _target(servers, protocol, "two", label="nope").metadata()


def test_signature_override_replaces_the_bodys_name(servers: Servers, protocol: str) -> None:
    body = {"signature_name": "nope", "examples": [{"x": 2.0}]}
    reply = _target(servers, protocol).send("regress", body, signature="regress_x_to_y")
    assert reply.response_json == {"results": [3.0]}
    assert json.loads(reply.request_text)["signature_name"] == "regress_x_to_y"


def test_grpc_predict_returns_tensors_and_applies_output_filter(servers: Servers) -> None:
    target = _target(servers, "grpc")
    reply = target.send("predict", {"inputs": [[2.0]]}, output_filter=["y"])
    assert reply.outputs["y"].dtype == np.float32
    assert reply.outputs["y"].tolist() == [[3.0]]
    bad = target.send("predict", {"inputs": [[2.0]]}, output_filter=["nope"])
    assert "output tensor alias not found in signature: nope" in (bad.error or "")


def test_rest_refuses_output_filter_with_a_reason(servers: Servers) -> None:
    with pytest.raises(InputError, match="gRPC Predict option"):
        _target(servers, "rest").send("predict", {"inputs": [2.0]}, output_filter=["y"])


def test_a_remote_call_looks_like_an_in_process_call(servers: Servers, protocol: str) -> None:
    request = CallRequest(MethodKind.PREDICT, body={"instances": [[2.0], [4.0]]})
    result = _target(servers, protocol).call(request)
    assert result.signature_key == "serving_default"
    assert result.response_json == {"predictions": [[3.0], [4.0]]}
    assert result.outputs["y"].tolist() == [[3.0], [4.0]]
    assert result.timing.execution_ms > 0
    with pytest.raises(ServingRuleError, match="not of expected type") as caught:
        _target(servers, protocol).call(CallRequest(MethodKind.PREDICT, body={"instances": ["x"]}))
    assert caught.value.code == "INVALID_ARGUMENT"


def test_decode_outputs_maps_unnamed_and_row_outputs_to_the_signature() -> None:
    doc = json.loads((ANCHORS / "saved_model_half_plus_two_cpu.metadata.json").read_text())
    model = model_info_from_metadata(doc, source="test")
    assert decode_outputs({"outputs": [[1.5]]}, model, "serving_default")["y"].dtype == np.float32
    assert decode_outputs({"predictions": [1.5, 2.0]}, model, "serving_default")["y"].shape == (2,)
    assert decode_outputs({"outputs": [1.0]}, model, "no_such_signature") == {}
