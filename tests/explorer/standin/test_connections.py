"""The stand-in servers against rude clients: hang-ups are quiet, slow requests time out and
free their thread, and every malformed TensorProto is gRPC's INVALID_ARGUMENT.

Nothing here runs a model: the REST requests are status and metadata (and bodies that
never finish), and every gRPC request fails in the codec, before the model is asked.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.codec.tensor_proto import tensor_proto_to_array
from explorer.remote.grpc_transport import apis, method_path
from explorer.standin.grpc_server import GrpcServer
from explorer.standin.rest_server import ModelRegistry, RestServer
from tests.conftest import HALF_PLUS_TWO_CPU
from tests.explorer.loopback import self_signed

_TIMEOUT_S = 0.5


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return ModelRegistry({"default": HALF_PLUS_TWO_CPU})


@pytest.fixture
def rest(registry: ModelRegistry) -> Iterator[RestServer]:
    server = RestServer(registry, read_timeout=_TIMEOUT_S).start()
    yield server
    server.stop()


def _connect(server: RestServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _handler_threads() -> int:
    # ThreadingHTTPServer's thread per connection: "Thread-N (process_request_thread)".
    return sum("process_request_thread" in t.name for t in threading.enumerate())


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _reset(sock: socket.socket) -> None:
    # Close with RST (linger 0): the server's next write meets a reset connection.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_clients_that_hang_up_leave_no_traceback(
    rest: RestServer, capfd: pytest.CaptureFixture[str]
) -> None:
    request = b"GET /v1/models/default/metadata HTTP/1.1\r\nHost: x\r\n\r\n"
    for _ in range(30):  # the answer is written after the reset: BrokenPipe / ConnectionReset
        sock = _connect(rest)
        sock.sendall(request * 20)
        _reset(sock)
    for partial in (b"GET /v1/models/def", b"POST /v1/models/default:predict HTTP/1.1\r\n"):
        sock = _connect(rest)
        sock.sendall(partial)
        _reset(sock)
    sock = _connect(rest)  # a body cut short by the client closing its side
    sock.sendall(b"POST /v1/models/default:predict HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
    sock.shutdown(socket.SHUT_WR)
    assert _read_all(sock) == b""  # no one to answer: the connection just ends
    sock.close()
    # The server still answers, and said nothing on stderr.
    with _connect(rest) as sock:
        sock.sendall(b"GET /v1/models/default HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert b'"state": "AVAILABLE"' in _read_all(sock)
    assert _wait(lambda: _handler_threads() == 0, 5)
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "Exception occurred" not in err


@pytest.mark.parametrize(
    ("sent", "answer"),
    [
        pytest.param(b"", b"", id="connects-and-says-nothing"),
        pytest.param(
            b"GET /v1/models/default HTTP/1.1\r\nHost: x\r\n", b"", id="headers-never-end"
        ),
        pytest.param(
            b'POST /v1/models/default:predict HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"inst',
            b"HTTP/1.1 408 ",
            id="declares-more-than-it-sends",
        ),
    ],
)  # fmt: skip
def test_a_slow_client_times_out_and_frees_its_thread(
    rest: RestServer, sent: bytes, answer: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    sock = _connect(rest)
    sock.sendall(sent)
    assert _wait(lambda: _handler_threads() == 1, 2)  # the connection holds a thread ...
    start = time.monotonic()
    got = _read_all(sock)  # returns when the server closes the connection
    waited = time.monotonic() - start
    sock.close()
    assert waited < _TIMEOUT_S + 2
    assert got.startswith(answer)
    assert _wait(lambda: _handler_threads() == 0, 2)  # ... and lets it go
    assert "Traceback" not in capfd.readouterr().err


def test_a_short_body_is_answered_408(rest: RestServer) -> None:
    with _connect(rest) as sock:
        sock.sendall(b"POST /v1/models/default:predict HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"error": "The request\'s body (100 bytes declared) did not arrive within 0.5 s."' in (
        answer
    )


def test_a_trickling_client_is_cut_off_at_the_deadline_not_per_byte(rest: RestServer) -> None:
    # One byte every 0.2 s never lets a single read wait 0.5 s: the deadline still ends it.
    body = b"POST /v1/models/default:predict HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + b" " * 40
    sock = _connect(rest)
    start = time.monotonic()
    closed = False
    for byte in body:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.2)
        if time.monotonic() - start > 4:
            break
    if not closed:
        sock.settimeout(3)
        answer = _read_all(sock)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - start < 4
    sock.close()
    assert _wait(lambda: _handler_threads() == 0, 2)


def test_a_silent_tls_client_does_not_stop_the_server(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    # The TLS handshake runs in the connection's thread, under the timeout: in the
    # serving loop's accept(), one client that never says hello would stop every other.
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = RestServer(registry, ssl_context=context, read_timeout=_TIMEOUT_S).start()
    try:
        silent = _connect(server)  # connects, never starts the handshake
        client = ssl.create_default_context(cafile=str(cert))
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
            client.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
        ):
            sock.sendall(b"GET /v1/models/default HTTP/1.1\r\nConnection: close\r\n\r\n")
            assert b'"state": "AVAILABLE"' in _read_all(sock)
        assert _read_all(silent) == b""  # dropped at the timeout
        silent.close()
    finally:
        server.stop()


def test_read_timeout_is_checked() -> None:
    with pytest.raises(ValueError, match="read_timeout must be positive"):
        RestServer(ModelRegistry({}), read_timeout=0)


# --- gRPC ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grpc_predict(registry: ModelRegistry) -> Iterator[Callable[[Any], Any]]:
    api = apis()
    server = GrpcServer(registry).start()
    channel = api.grpc.insecure_channel(f"127.0.0.1:{server.port}")
    call = channel.unary_unary(
        method_path("prediction", "Predict"),
        request_serializer=api.PredictRequest.SerializeToString,
        response_deserializer=api.PredictResponse.FromString,
    )

    def predict(tensor: Any) -> Any:
        request = api.PredictRequest()
        request.model_spec.name = "default"
        request.inputs["x"].CopyFrom(tensor)
        try:
            call(request, timeout=30)
        except api.grpc.RpcError as error:
            return error
        raise AssertionError("the malformed TensorProto was answered")

    yield predict
    channel.close()
    server.stop()


def _tensor(dtype: int, dims: list[int], **values: Any) -> Any:
    # tensorflow-serving-api's own TensorProto class (another pool's would not CopyFrom).
    tensor = type(apis().PredictRequest().inputs["x"])(dtype=dtype)
    for size in dims:
        tensor.tensor_shape.dim.add().size = size
    for field, items in values.items():
        if field == "tensor_content":
            tensor.tensor_content = items
        else:
            getattr(tensor, field).extend(items)
    return tensor


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (lambda: _tensor(1, [1] * 300, float_val=[1.0]), "300 dimensions; TensorFlow allows"),
        (lambda: _tensor(1, [1] * 65, float_val=[1.0]), "65 dimensions"),
        (lambda: _tensor(1, [-1, 2], float_val=[1.0]), "unknown (-1) dimension"),
        (lambda: _tensor(1, [2**62, 2**62]), "overflows int64"),
        (lambda: _tensor(19, [2**62, 0], half_val=[1]), "overflows int64"),
        (lambda: _tensor(3, [2**40, 2**40, 0]), "overflows int64"),
        (lambda: _tensor(1, [2**31]), "more than the"),  # filled by repetition: too many
        (lambda: _tensor(1, [2], float_val=[1.0, 2.0, 3.0]), "more than its shape"),
        (lambda: _tensor(1, [3], tensor_content=b"\x00" * 5), "tensor_content holds 5 bytes"),
        (lambda: _tensor(20, [1]), "DT_RESOURCE cannot be converted"),
        (lambda: _tensor(999, [1]), "DT_UNKNOWN_999"),
    ],
)
def test_every_malformed_tensor_proto_is_invalid_argument(
    grpc_predict: Callable[[Any], Any],
    tensor: Callable[[], Any],
    message: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    error = grpc_predict(tensor())
    assert error.code() == apis().grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert message in error.details()
    assert "Traceback" not in capfd.readouterr().err


def test_odd_complex_values_read_as_tensorflow_reads_them() -> None:
    # ProtoHelper counts (real, imaginary) pairs: the odd last value is no element, and
    # the shape is filled by repeating the last whole one.
    array = tensor_proto_to_array(_tensor(8, [2], scomplex_val=[1.0, 2.0, 3.0]))
    assert array.tolist() == [1 + 2j, 1 + 2j]
