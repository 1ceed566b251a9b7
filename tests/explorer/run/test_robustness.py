"""Inputs found by sweeping the CLI with unusual files, URLs, numbers and HTTP requests:
each is a clear error of the right kind, never a traceback."""

from __future__ import annotations

import http.client
import socket
import sys
from collections.abc import Iterator

import pytest

from explorer import cli
from explorer.codec import grpc_messages
from explorer.compat.cases import parse_cases
from explorer.errors import CasesFileError, InputError, MalformedReplyError, RemoteAddressError
from explorer.model.locate import is_number
from explorer.model.reader import read_model
from explorer.remote.reply import checked_status
from explorer.remote.target import RemoteTarget
from explorer.standin.rest_server import ModelRegistry, RestServer
from tests.conftest import HALF_PLUS_TWO_CPU, SAMPLES

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("text", "number"), [("12", True), ("²", False), ("-1", False), ("", False)]
)
def test_only_ascii_digits_are_numbers(text: str, number: bool) -> None:
    assert is_number(text) is number


def test_a_cases_line_nested_too_deeply_is_a_cases_file_error() -> None:
    line = '{"name": "deep", "method": "predict", "request": ' + DEEP + ', "response": {}}'
    with pytest.raises(CasesFileError, match=r"line 1 .* nests arrays or objects too deeply"):
        parse_cases(line)


def test_an_unclosed_ipv6_host_is_an_address_error() -> None:
    with pytest.raises(RemoteAddressError, match="cannot be read: Invalid IPv6 URL"):
        RemoteTarget("http://[::1", "m")


def test_a_version_beyond_int64_cannot_go_over_grpc() -> None:
    with pytest.raises(RemoteAddressError, match=r"does not fit gRPC's ModelSpec\.version"):
        RemoteTarget("grpc://127.0.0.1:1", "m", version=2**63)
    RemoteTarget("http://127.0.0.1:1", "m", version=2**63)  # REST: the server answers


@pytest.mark.parametrize("doc", [{"model_version_status": {}}, {"model_version_status": [1]}, {}])
def test_a_status_without_a_version_list_is_a_malformed_reply(doc: dict) -> None:
    with pytest.raises(MalformedReplyError, match="without a model_version_status list"):
        checked_status(doc, "http://h:1/v1/models/m", "http://h:1", "m")


def test_grpc_predict_on_a_signature_without_inputs_is_tf_servings_error() -> None:
    meta_graph = read_model(SAMPLES / "tabular_churn").meta_graph()
    doc = {"signature_name": "__saved_model_init_op", "instances": [1]}
    with pytest.raises(InputError, match=r"^Failed to get input map for signature: __saved"):
        grpc_messages.predict_request(doc, meta_graph, ("m", None, None))


@pytest.fixture(scope="module")
def rest_port() -> Iterator[int]:
    server = RestServer(ModelRegistry({"default": HALF_PLUS_TWO_CPU})).start()
    try:
        yield int(server.url.rsplit(":", 1)[1])
    finally:
        server.stop()


def _ask(port: int, method: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, "/v1/models/default:predict", skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_stand_in_server_answers_other_http_methods_as_malformed(rest_port, method: str) -> None:
    status, text = _ask(rest_port, method)
    assert status == 400
    assert f"Malformed request: {method} /v1/models/default:predict" in text


@pytest.mark.parametrize("length", ["-5", "abc"])
def test_stand_in_server_refuses_a_bad_content_length(rest_port, length: str) -> None:
    status, text = _ask(rest_port, "POST", {"Content-Length": length})
    assert status == 400
    assert "Malformed Content-Length" in text


def _exchange(port: int, data: bytes) -> bytes:
    """Raw bytes to the server on one connection; everything it sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _post(headers: str, body: bytes) -> bytes:
    head = f"POST /v1/models/default:predict HTTP/1.1\r\nHost: x\r\n{headers}\r\n"
    return head.encode() + body


GOOD = b'{"instances": [1.0, 2.0]}'
ANSWER = b'"predictions": [2.5, 3.0'


def test_a_chunked_body_is_decoded_and_the_next_request_read_after_it(rest_port) -> None:
    # Chunk extensions and a trailer too; before, the body was read as empty and the chunks
    # were taken for a second request (answered in HTML: two answers to one request).
    chunked = b"5;ext=1\r\n" + GOOD[:5] + b"\r\n" + b"%x\r\n" % (len(GOOD) - 5) + GOOD[5:]
    chunked += b"\r\n0\r\nTrailer: t\r\n\r\n"
    second = _post(f"Content-Length: {len(GOOD)}\r\nConnection: close\r\n", GOOD)
    reply = _exchange(rest_port, _post("Transfer-Encoding: chunked\r\n", chunked) + second)
    assert reply.count(b"HTTP/1.1 200") == 2, reply
    assert reply.count(ANSWER) == 2
    assert b"<html" not in reply.lower()


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ("Content-Length: 25\r\nContent-Length: 2\r\n", GOOD,
         "Conflicting Content-Length headers: 25, 2"),
        (f"Content-Length: {len(GOOD)}\r\nTransfer-Encoding: chunked\r\n", GOOD,
         "Both Transfer-Encoding and Content-Length frame the body."),
        ("Transfer-Encoding: gzip, chunked\r\n", GOOD, "Unsupported Transfer-Encoding"),
        ("Transfer-Encoding: chunked\r\n", b"zz\r\n" + GOOD, "Malformed chunk size: b'zz'"),
        ("Transfer-Encoding: chunked\r\n", b"2\r\nabc\r\n0\r\n\r\n",
         "A chunk is not followed by CRLF."),
    ],
)  # fmt: skip
def test_a_body_framed_ambiguously_is_refused_and_its_connection_closed(
    rest_port, headers: str, body: bytes, message: str
) -> None:
    # Whatever follows could be read as the next request (smuggling): nothing more is read.
    follow = _post(f"Content-Length: {len(GOOD)}\r\n", GOOD)
    reply = _exchange(rest_port, _post(headers, body) + follow)
    assert reply.startswith(b"HTTP/1.1 400"), reply
    assert message.encode() in reply
    assert b"Connection: close" in reply
    assert reply.count(b"HTTP/1.1") == 1


def test_a_bug_behind_a_route_is_answered_500_and_the_server_goes_on(
    rest_port, monkeypatch: pytest.MonkeyPatch
) -> None:
    from explorer.standin import rest_server

    def broken(*args: object) -> tuple[int, str]:
        raise RuntimeError("boom")

    with monkeypatch.context() as patched:
        patched.setattr(rest_server, "handle_rest", broken)
        patched.setattr(rest_server._Server, "handle_error", lambda *a: None)  # quiet log
        reply = _exchange(rest_port, _post(f"Content-Length: {len(GOOD)}\r\n", GOOD))
    assert reply.startswith(b"HTTP/1.1 500"), reply  # before: no answer at all
    assert b"internal error (RuntimeError: boom). This is a bug in Signature Explorer" in reply
    follow = _post(f"Content-Length: {len(GOOD)}\r\nConnection: close\r\n", GOOD)
    assert ANSWER in _exchange(rest_port, follow)


def test_a_bug_in_a_command_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import explorer.cli.show as show

    def broken(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(show, "run", broken)
    monkeypatch.delenv("EXPLORER_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["explorer"])
    assert cli.main(["show", str(SAMPLES / "flowers_tf1")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: internal error (RuntimeError: boom)")


@pytest.mark.parametrize(
    ("dims", "message"),
    [([2**40, 2**40], "overflows int64"), ([100_000, 1_000], "asks for 100,000,000 elements")],
)
def test_a_tensor_proto_too_big_to_fill_is_a_parsing_error(dims: list[int], message: str) -> None:
    from explorer.codec.tensor_proto import tensor_proto_to_array
    from explorer.model import protos

    proto = protos.message_class("tensorflow.TensorProto")(dtype=1)
    for size in dims:
        proto.tensor_shape.dim.add(size=size)
    proto.float_val.append(1.0)  # one value to repeat over the whole shape
    with pytest.raises(InputError, match=message):
        tensor_proto_to_array(proto)
