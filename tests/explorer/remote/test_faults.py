"""Faults talking to a TF Serving: server down, too slow, garbage, wrong port or protocol,
TLS. Each must be a clear RemoteError naming the server and what to check, and must leave
the target (and the next call) working."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import pytest

from explorer.errors import (
    MalformedReplyError,
    RemoteAddressError,
    RemoteCancelledError,
    RemoteConnectionError,
    RemoteTimeoutError,
    RemoteTLSError,
)
from explorer.remote.grpc_transport import SERVICES, apis
from explorer.remote.target import RemoteTarget, TlsOptions
from explorer.standin.grpc_server import GrpcServer
from explorer.standin.rest_server import RestServer
from tests.explorer.loopback import Servers, free_port, http_server, self_signed, serving

BODY = {"instances": [2.0]}
REGRESS = {"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with serving() as running:
        yield running


@pytest.fixture
def slow_grpc() -> Iterator[str]:
    """A gRPC PredictionService whose Regress never answers (until the test ends)."""
    api = apis()
    hold = threading.Event()

    def regress(request: object, context: object) -> object:
        hold.wait(30)
        return api.RegressionResponse()

    grpc = api.grpc
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    stalled = grpc.unary_unary_rpc_method_handler(
        regress,
        request_deserializer=api.RegressionRequest.FromString,
        response_serializer=api.RegressionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICES["prediction"], {"Regress": stalled}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"grpc://127.0.0.1:{port}"
    hold.set()
    server.stop(None)


@pytest.fixture
def garbage_grpc() -> Iterator[str]:
    """A gRPC server whose Predict/GetModelStatus answer bytes that are no proto message."""
    api = apis()
    grpc = api.grpc

    def garbage(request: bytes, context: object) -> bytes:
        return b"\xff\xff\xff\xff not a protobuf"

    handlers = [
        grpc.method_handlers_generic_handler(
            service, {method: grpc.unary_unary_rpc_method_handler(garbage)}
        )
        for service, method in (
            ("tensorflow.serving.PredictionService", "Predict"),
            ("tensorflow.serving.ModelService", "GetModelStatus"),
        )
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=handlers)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"grpc://127.0.0.1:{port}"
    server.stop(None)


@pytest.mark.parametrize("scheme", ["http", "grpc"])
def test_server_down_is_connection_refused_with_the_port_to_check(scheme: str) -> None:
    port = free_port()
    target = RemoteTarget(f"{scheme}://127.0.0.1:{port}", "default", timeout_s=5)
    with pytest.raises(RemoteConnectionError, match="Connection refused") as caught:
        target.status()
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert ("--rest_api_port" if scheme == "http" else "gRPC port (--port") in message


def test_rest_server_slower_than_the_timeout_times_out(servers: Servers) -> None:
    hold = threading.Event()
    with http_server(200, b'{"predictions": [3.0]}', "application/json", hold=hold) as url:
        with pytest.raises(RemoteTimeoutError, match=r"did not answer within 0\.3 s") as caught:
            RemoteTarget(url, "default", timeout_s=0.3).predict(BODY)
        assert caught.value.timeout_s == 0.3
        assert caught.value.server == url
    # Nothing is left stuck: the next call to a working server answers.
    assert RemoteTarget(servers.rest.url, "default").predict(BODY) == {"predictions": [3.0]}


def test_grpc_server_slower_than_the_deadline_times_out(slow_grpc: str, servers: Servers) -> None:
    with pytest.raises(RemoteTimeoutError, match="deadline exceeded"):
        RemoteTarget(slow_grpc, "default", timeout_s=0.3).regress(REGRESS)


def test_a_slow_call_can_be_cancelled(slow_grpc: str) -> None:
    hold = threading.Event()
    with http_server(200, b"{}", "application/json", hold=hold) as url:
        for target_url in (url, slow_grpc):
            cancel = threading.Event()
            threading.Timer(0.2, cancel.set).start()
            target = RemoteTarget(target_url, "default", timeout_s=60)
            with pytest.raises(RemoteCancelledError, match="Cancelled"):
                target.send("regress", REGRESS, cancel=cancel)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "match"),
    [
        (200, b"<html>oops</html>", "text/html", "HTTP 200 OK with text/html, not TF Serving's"),
        (502, b"<h1>Bad Gateway</h1>", "text/html", "HTTP 502"),
        (200, b'{"something": "else"}', "application/json", "without 'predictions' or 'outputs'"),
        (200, b"[1, 2]", "application/json", "not TF Serving's JSON"),
    ],
)
def test_a_reply_that_is_not_tf_servings_is_malformed(
    status: int, body: bytes, content_type: str, match: str
) -> None:
    with (
        http_server(status, body, content_type) as url,
        pytest.raises(MalformedReplyError, match=match),
    ):
        RemoteTarget(url, "default").predict(BODY)


def test_a_grpc_reply_that_is_no_proto_is_malformed(garbage_grpc: str) -> None:
    with pytest.raises(MalformedReplyError, match="not TF Serving's"):
        RemoteTarget(garbage_grpc, "default").status()


def test_grpc_url_on_the_rest_port_says_so(servers: Servers) -> None:
    target = RemoteTarget(servers.rest.url.replace("http://", "grpc://"), "default")
    with pytest.raises(MalformedReplyError, match=r"HTTP/2.*use http://"):
        target.status()


def test_http_url_on_the_grpc_port_says_so(servers: Servers) -> None:
    target = RemoteTarget(servers.grpc.url.replace("grpc://", "http://"), "default")
    with pytest.raises(MalformedReplyError, match="gRPC port"):
        target.status()


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_tls_to_a_plain_port_says_it_does_not_speak_tls(servers: Servers, protocol: str) -> None:
    url = servers.url(protocol).replace("http://", "https://").replace("grpc://", "grpcs://")
    with pytest.raises(RemoteTLSError, match="does not speak TLS"):
        RemoteTarget(url, "default").status()


def test_tls_with_the_servers_ca_works_and_without_it_is_refused(
    servers: Servers, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    rest = RestServer(servers.registry, ssl_context=context).start()
    grpc = GrpcServer(servers.registry, tls=(key.read_bytes(), cert.read_bytes())).start()
    try:
        for url in (rest.url.replace("127.0.0.1", "localhost"), grpc.url):
            trusted = RemoteTarget(url, "default", tls=TlsOptions(ca_cert=str(cert)))
            assert trusted.regress(REGRESS) == {"results": [3.0]}
            with pytest.raises(RemoteTLSError):
                RemoteTarget(url, "default", timeout_s=5).status()
    finally:
        rest.stop()
        grpc.stop()


def test_unreadable_tls_files_fail_before_any_call(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.pem")
    for url in ("https://127.0.0.1:1", "grpcs://127.0.0.1:1"):
        with pytest.raises(RemoteTLSError, match=r"nope\.pem"):
            RemoteTarget(url, "m", tls=TlsOptions(ca_cert=missing))
    with pytest.raises(RemoteTLSError, match="both a client certificate and its key"):
        RemoteTarget("grpcs://127.0.0.1:1", "m", tls=TlsOptions(client_cert=missing))


@pytest.mark.parametrize(
    ("url", "options", "match"),
    [
        ("ftp://host:1", {}, 'unknown scheme "ftp"'),
        ("http://host:1/v1/models/m", {}, "give only scheme, host and port"),
        ("http://host:99999", {}, "port is not a number"),
        ("", {}, "No server URL"),
        ("http://host:1", {"version": 1, "label": "x"}, r"Both model version \(1\) and model"),
        ("http://host:1", {"timeout_s": 0}, "Timeout 0 s"),
        ("http://host:1", {"tls": TlsOptions(ca_cert="x.pem")}, "use https://"),
    ],
)
def test_bad_target_settings_are_refused_up_front(url: str, options: dict, match: str) -> None:
    with pytest.raises(RemoteAddressError, match=match):
        RemoteTarget(url, "m", **options)


def test_a_target_without_model_name_is_refused() -> None:
    with pytest.raises(RemoteAddressError, match="No model name"):
        RemoteTarget("http://localhost:8501", " ")


def test_an_unresolvable_host_says_so() -> None:
    with pytest.raises(RemoteConnectionError, match='Cannot resolve the host "no-such-host'):
        RemoteTarget("http://no-such-host.invalid:8501", "m", timeout_s=5).status()
