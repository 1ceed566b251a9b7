"""TF Serving's gRPC API: a channel, the services' methods, deadlines, cancel, and errors.

Every RPC runs as a future with a gRPC deadline while the caller polls for a cancel, so no
call outlives its timeout. Status codes are sorted into TF Serving's *answers* (a
``ServingRuleError`` with its code: INVALID_ARGUMENT, FAILED_PRECONDITION, ... which the
caller turns into ``{"error": ...}``) and failures to reach it (a ``RemoteError``: refused,
deadline, TLS, NOT_FOUND, a port that is not gRPC). The messages themselves are built in
:mod:`explorer.codec.grpc_messages`.

The request and response classes are TF Serving's own (``tensorflow.serving.PredictRequest``
...) built by :mod:`explorer.model.protos` from the schemas ``tensorflow-serving-api`` installs,
without importing ``tensorflow_serving.apis``, which would import all of TensorFlow
(seconds). Each method is called by its gRPC path, as the generated stubs do.
"""

from __future__ import annotations

import os
import threading
import time
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from explorer.codec.grpc_messages import MESSAGES, messages
from explorer.constants import MethodKind
from explorer.errors import (
    DependencyError,
    MalformedReplyError,
    RemoteCancelledError,
    RemoteConnectionError,
    RemoteTimeoutError,
    RemoteTLSError,
    ServingRuleError,
)
from explorer.remote.address import ServerAddress, TlsOptions, unknown_model
from explorer.remote.rest_transport import MAX_REPLY_BYTES

_POLL_S = 0.05
# Past the gRPC deadline, how long to wait for the library to report it before giving up.
_DEADLINE_GRACE_S = 2.0
RPCS = {
    MethodKind.PREDICT: ("prediction", "Predict"),
    MethodKind.CLASSIFY: ("prediction", "Classify"),
    MethodKind.REGRESS: ("prediction", "Regress"),
    "metadata": ("prediction", "GetModelMetadata"),
    "status": ("model", "GetModelStatus"),
}
SERVICES = {
    "prediction": "tensorflow.serving.PredictionService",
    "model": "tensorflow.serving.ModelService",
}


@cache
def apis() -> SimpleNamespace:
    """grpc, json_format and TF Serving's message classes by short name
    (``apis().PredictRequest``), built once.

    Raises:
        DependencyError: grpcio or tensorflow-serving-api is not installed.
    """
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # gRPC's C++ logging off stderr
    try:  # here, not at the top: grpcio is needed (and paid for) by gRPC targets only
        import grpc
    except ImportError as exc:
        raise DependencyError(
            "grpcio (gRPC targets need it; a REST target on http:// does not)",
            "python3 -m pip install grpcio",
        ) from exc
    return SimpleNamespace(grpc=grpc, **vars(messages()))


def method_path(service: str, method: str) -> str:
    """The path a gRPC method is called at: "/tensorflow.serving.PredictionService/Predict"."""
    return f"/{SERVICES[service]}/{method}"


class GrpcTransport:
    """One channel to one server, opened on first use and reused by every call."""

    def __init__(self, address: ServerAddress, tls: TlsOptions | None) -> None:
        """Read the TLS files up front, so a bad path fails before any call.

        Raises:
            RemoteTLSError: a certificate or key file cannot be read.
        """
        self.address = address
        self._tls = tls or TlsOptions()
        self._pem = _read_pems(self._tls, address.url) if address.secure else None
        self._channel: Any = None
        self._methods: dict[str | MethodKind, Any] = {}
        self._lock = threading.Lock()

    def endpoint(self, rpc: str | MethodKind) -> str:
        service, method = RPCS[rpc]
        return f"{self.address.url} {SERVICES[service]}/{method}"

    def invoke(
        self,
        rpc: str | MethodKind,
        request: Any,
        *,
        timeout_s: float,
        cancel: threading.Event | None = None,
        model: str = "",
    ) -> tuple[Any, float]:
        """Call one RPC with a deadline; returns the response and the milliseconds taken.

        Raises:
            ServingRuleError: TF Serving answered with an error status (its code).
            RemoteError: refused, timed out, cancelled, TLS, unknown model, or a reply
                that is not TF Serving's.
        """
        _, method = RPCS[rpc]
        call = self._method(rpc)
        start = time.perf_counter()
        done = threading.Event()
        future = call.future(request, timeout=timeout_s)
        future.add_done_callback(lambda _: done.set())
        hard_deadline = time.monotonic() + timeout_s + _DEADLINE_GRACE_S
        while not done.wait(_POLL_S):
            if cancel is not None and cancel.is_set():
                future.cancel()
                raise RemoteCancelledError(
                    f"Cancelled: the call to {self.address.url} was abandoned before it answered.",
                    server=self.address.url,
                    model=model,
                )
            if time.monotonic() > hard_deadline:
                future.cancel()
                raise _timeout(self.address, timeout_s, model)
        grpc = apis().grpc
        try:
            response = future.result()
        except grpc.RpcError as exc:
            raise self._translate(exc, method, timeout_s, model) from None
        return response, (time.perf_counter() - start) * 1000

    def close(self) -> None:
        with self._lock:
            if self._channel is not None:
                self._channel.close()
            self._channel = None
            self._methods.clear()

    def _method(self, rpc: str | MethodKind) -> Any:
        """The channel's callable for one RPC (opening the channel on first use)."""
        api = apis()
        with self._lock:
            if self._channel is None:
                options: list[tuple[str, int | str]] = [
                    ("grpc.max_receive_message_length", MAX_REPLY_BYTES),
                    ("grpc.max_send_message_length", MAX_REPLY_BYTES),
                ]
                if self._pem is None:
                    self._channel = api.grpc.insecure_channel(self.address.netloc, options)
                else:
                    if self._tls.server_name:
                        options.append(("grpc.ssl_target_name_override", self._tls.server_name))
                    credentials = api.grpc.ssl_channel_credentials(*self._pem)
                    self._channel = api.grpc.secure_channel(
                        self.address.netloc, credentials, options
                    )
            if rpc not in self._methods:
                service, method = RPCS[rpc]
                request_name, response_name = MESSAGES[method]
                self._methods[rpc] = self._channel.unary_unary(
                    method_path(service, method),
                    request_serializer=getattr(api, request_name).SerializeToString,
                    response_deserializer=getattr(api, response_name).FromString,
                )
            return self._methods[rpc]

    def _translate(self, exc: Any, method: str, timeout_s: float, model: str) -> Exception:
        code = exc.code().name
        details = exc.details() or ""
        server, host, port = self.address.url, self.address.host, self.address.port
        if code == "DEADLINE_EXCEEDED":
            return _timeout(self.address, timeout_s, model)
        if code == "CANCELLED":
            return RemoteCancelledError(
                f"The call to {server} was cancelled: {details}", server=server, model=model
            )
        if code == "NOT_FOUND":
            return unknown_model(details, server, model)
        lowered = details.lower()
        if code == "UNAVAILABLE" and ("ssl" in lowered or "tls" in lowered):
            plain = "wrong_version_number" in lowered or "wrong version number" in lowered
            hint = (
                f"{server} does not speak TLS on port {port}: use grpc:// (or http:// for a "
                "REST port)."
                if plain
                else "Check the CA certificate, the TLS server name and any client certificate."
            )
            return RemoteTLSError(
                f"TLS with {server} failed ({details}). {hint}", server=server, model=model
            )
        if code == "UNAVAILABLE" and "refused" in lowered:
            return RemoteConnectionError(
                f"Connection refused by {host}:{port}: nothing listens there. Check that TF "
                f"Serving runs on {host} and that {port} is its gRPC port (--port, usually "
                "8500; the REST port, usually 8501, needs http://).",
                server=server,
                model=model,
            )
        if code == "UNAVAILABLE" and ("http/2" in lowered or "settings frame" in lowered):
            return MalformedReplyError(
                f"{server} does not speak gRPC's HTTP/2 ({details}). It looks like an HTTP/1.1 "
                "(REST) port: use http://HOST:PORT, or TF Serving's gRPC --port (usually 8500).",
                server=server,
                model=model,
            )
        if code == "UNAVAILABLE" and ("resolv" in lowered or "domain name" in lowered):
            return RemoteConnectionError(
                f'Cannot resolve the host "{host}" ({details}). Check the server URL.',
                server=server,
                model=model,
            )
        if code == "UNAVAILABLE":
            return RemoteConnectionError(
                f"{server} is unavailable over gRPC ({details}). Check the host and port, "
                "and that it is TF Serving's gRPC port (a REST port needs http://).",
                server=server,
                model=model,
            )
        if code == "UNIMPLEMENTED" and "method not found" in lowered:
            return MalformedReplyError(
                f"{server} does not implement {method}: it is not a TF Serving gRPC port "
                f"({details}).",
                server=server,
                model=model,
            )
        if code == "INTERNAL" and ("deserializ" in lowered or "parse" in lowered):
            return MalformedReplyError(
                f"{server} answered {method} with a message that is not TF Serving's "
                f"({details}). Is this TF Serving's gRPC port?",
                server=server,
                model=model,
            )
        return ServingRuleError(details, code=code)


def _timeout(address: ServerAddress, timeout_s: float, model: str) -> RemoteTimeoutError:
    return RemoteTimeoutError(
        f"{address.url} did not answer within {timeout_s:g} s (gRPC deadline exceeded). The "
        "server may be busy or the model slow to run: raise the timeout, or check the "
        "server's load and logs.",
        timeout_s=timeout_s,
        server=address.url,
        model=model,
    )


def _read_pems(tls: TlsOptions, server: str) -> tuple[bytes | None, bytes | None, bytes | None]:
    if bool(tls.client_cert) != bool(tls.client_key):
        raise RemoteTLSError(
            "Mutual TLS needs both a client certificate and its key; only one was given.",
            server=server,
        )
    files = (tls.ca_cert, tls.client_key, tls.client_cert)
    pems: list[bytes | None] = []
    for path in files:
        try:
            pems.append(None if path is None else Path(path).read_bytes())
        except OSError as exc:
            raise RemoteTLSError(
                f"Cannot read the TLS file {path} for {server}: {exc.strerror or exc}.",
                server=server,
            ) from exc
    return pems[0], pems[1], pems[2]
