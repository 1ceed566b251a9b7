"""One HTTP exchange with TF Serving's REST API, bounded in time and cancellable.

Standard library only (``http.client`` + ``ssl``). The exchange runs on a worker thread
while the caller waits on a deadline for the *whole* answer: a socket timeout alone bounds
each read, so a server that trickles bytes could otherwise hold the page for ever. On the
deadline or a cancel, the caller shuts the socket, which ends the worker's read at once.
Low-level failures become :mod:`explorer.errors` (RemoteError) with what to check.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

from explorer.errors import (
    MalformedReplyError,
    RemoteCancelledError,
    RemoteConnectionError,
    RemoteError,
    RemoteTimeoutError,
    RemoteTLSError,
)
from explorer.remote.address import ServerAddress, TlsOptions

# A reply larger than this is refused rather than held in memory (TF Serving has no limit).
MAX_REPLY_BYTES = 256 * 1024 * 1024
_POLL_S = 0.05
_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": "signature-explorer",
}


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What the server sent back."""

    status: int
    reason: str
    content_type: str
    body: bytes
    elapsed_ms: float


class RestTransport:
    """HTTP(S) to one server; a fresh connection per exchange (no state between calls)."""

    def __init__(self, address: ServerAddress, tls: TlsOptions | None) -> None:
        """Prepare the TLS context up front, so bad certificate files fail before a call.

        Raises:
            RemoteTLSError: a certificate or key file cannot be read.
        """
        self.address = address
        self._context = tls_context(tls, address.url) if address.secure else None
        self._server_name = (tls.server_name if tls else None) or address.host

    def exchange(
        self,
        method: str,
        path: str,
        body: bytes | None,
        *,
        timeout_s: float,
        cancel: threading.Event | None = None,
        model: str = "",
    ) -> HttpAnswer:
        """Send one request and read the whole answer within ``timeout_s``.

        Args:
            method: ``GET`` or ``POST``.
            path: e.g. ``/v1/models/default:predict``.
            body: the request body (POST).
            timeout_s: the bound on connecting, sending and reading the answer.
            cancel: set it (from another thread) to abandon the call.
            model: named in error messages.

        Returns:
            Status, content type and body, whatever the status.

        Raises:
            RemoteError: refused, unreachable, timed out, cancelled, TLS failed, or an
                answer that is not HTTP.
        """
        deadline = time.monotonic() + timeout_s
        box: dict[str, Any] = {}
        connections: list[http.client.HTTPConnection] = []

        def work() -> None:
            try:
                box["answer"] = self._blocking(method, path, body, timeout_s, connections)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=work, name="tf-serving-rest", daemon=True)
        worker.start()
        while worker.is_alive():
            remaining = deadline - time.monotonic()
            worker.join(max(0.0, min(_POLL_S, remaining)))
            if not worker.is_alive():
                break
            if cancel is not None and cancel.is_set():
                _abort(connections)
                raise RemoteCancelledError(
                    f"Cancelled: the call to {self.address.url} was abandoned before it answered.",
                    server=self.address.url,
                    model=model,
                )
            if remaining <= 0:
                _abort(connections)
                raise _timeout(self.address, timeout_s, model)
        if "error" in box:
            raise translate_error(box["error"], self.address, timeout_s, model) from box["error"]
        answer: HttpAnswer = box["answer"]
        return answer

    def _blocking(
        self,
        method: str,
        path: str,
        body: bytes | None,
        timeout_s: float,
        connections: list[http.client.HTTPConnection],
    ) -> HttpAnswer:
        host, port = self.address.host, self.address.port
        if self._context is not None:
            connection: http.client.HTTPConnection = _HTTPSConnection(
                host,
                port,
                timeout=timeout_s,
                context=self._context,
                server_name=self._server_name,
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
        connections.append(connection)
        start = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=_HEADERS)
            response = connection.getresponse()
            data = response.read(MAX_REPLY_BYTES + 1)
        finally:
            connection.close()
        if len(data) > MAX_REPLY_BYTES:
            raise MalformedReplyError(
                f"{self.address.url} answered with more than {MAX_REPLY_BYTES // 2**20} MB; "
                "refused. Ask for fewer examples or outputs per request.",
                server=self.address.url,
            )
        return HttpAnswer(
            status=response.status,
            reason=response.reason,
            content_type=response.getheader("Content-Type", "") or "",
            body=data,
            elapsed_ms=(time.perf_counter() - start) * 1000,
        )


def tls_context(tls: TlsOptions | None, server: str) -> ssl.SSLContext:
    """A verifying client context: the system's roots or ``tls.ca_cert``, and a client
    certificate for mutual TLS.

    Raises:
        RemoteTLSError: a file cannot be read or is not PEM.
    """
    tls = tls or TlsOptions()
    files = [f for f in (tls.ca_cert, tls.client_cert, tls.client_key) if f]
    for path in files:
        if not os.path.isfile(path):
            raise RemoteTLSError(f"Cannot read the TLS file {path} for {server}: no such file.",
                                 server=server)  # fmt: skip
    try:
        context = ssl.create_default_context(cafile=tls.ca_cert)
        if tls.client_cert or tls.client_key:
            if not (tls.client_cert and tls.client_key):
                raise RemoteTLSError(
                    "Mutual TLS needs both a client certificate and its key; only one was given.",
                    server=server,
                )
            context.load_cert_chain(tls.client_cert, tls.client_key)
    except (OSError, ssl.SSLError) as exc:
        raise RemoteTLSError(
            f"Cannot use the TLS files {', '.join(files)} for {server} ({_reason(exc)}). Check "
            "that the CA certificate, client certificate and key are readable PEM files.",
            server=server,
        ) from exc
    return context


def translate_error(
    exc: BaseException, address: ServerAddress, timeout_s: float, model: str
) -> BaseException:
    """A socket/ssl/http.client exception as the RemoteError that says what to check."""
    server = address.url
    if isinstance(exc, RemoteError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return RemoteTLSError(
            f"TLS: the certificate of {server} is not trusted ({exc.verify_message}). Give "
            "the CA certificate that signed it, or the name it was issued for (TLS server "
            "name) if it differs from the URL's host.",
            server=server,
            model=model,
        )
    if isinstance(exc, ssl.SSLError):
        hint = (
            f" {server} does not speak TLS on port {address.port}: use http:// (or grpc:// "
            "for a gRPC port)."
            if "WRONG_VERSION_NUMBER" in str(exc) or "record layer" in str(exc)
            else " Check that the server expects TLS on this port and accepts this client."
        )
        return RemoteTLSError(
            f"TLS handshake with {server} failed ({_reason(exc)}).{hint}",
            server=server,
            model=model,
        )
    if isinstance(exc, ConnectionRefusedError):
        return RemoteConnectionError(
            f"Connection refused by {address.host}:{address.port}: nothing listens there. "
            f"Check that TF Serving runs on {address.host} and that {address.port} is its REST "
            "port (--rest_api_port, usually 8501; its gRPC --port, usually 8500, needs "
            "grpc://).",
            server=server,
            model=model,
        )
    if isinstance(exc, socket.gaierror):
        return RemoteConnectionError(
            f'Cannot resolve the host "{address.host}" ({exc.strerror}). Check the server URL.',
            server=server,
            model=model,
        )
    if isinstance(exc, TimeoutError):
        return _timeout(address, timeout_s, model)
    if isinstance(exc, (http.client.HTTPException, ConnectionResetError)):
        line = str(exc)
        if line.startswith("\x00") or "\x00\x00" in line:  # an HTTP/2 SETTINGS frame
            return MalformedReplyError(
                f"{server} answered with an HTTP/2 frame: it is a gRPC port, so use "
                f"grpc://{address.netloc} (TF Serving's REST API is on its --rest_api_port, "
                "usually 8501).",
                server=server,
                model=model,
            )
        what = f"{type(exc).__name__}: {line[:80]!r}" if line else "no reply"
        return MalformedReplyError(
            f"{server} did not answer with HTTP/1.1 ({what}). Is this TF Serving's REST port "
            "(--rest_api_port)? A gRPC port needs grpc://, a TLS port https://.",
            server=server,
            model=model,
        )
    if isinstance(exc, OSError):
        return RemoteConnectionError(
            f"Cannot reach {server}: {exc.strerror or exc}. Check the host, the port and any "
            "firewall between this machine and the server.",
            server=server,
            model=model,
        )
    return exc


class _HTTPSConnection(http.client.HTTPSConnection):
    """HTTPS whose certificate is checked against ``server_name`` (SNI too), which may
    differ from the host connected to (a server reached by IP or through a tunnel)."""

    def __init__(self, *args: Any, server_name: str, context: ssl.SSLContext, **kwargs: Any):
        super().__init__(*args, context=context, **kwargs)
        self._tls_context = context
        self._server_name = server_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_name)


def _timeout(address: ServerAddress, timeout_s: float, model: str) -> RemoteTimeoutError:
    return RemoteTimeoutError(
        f"{address.url} did not answer within {timeout_s:g} s. The server may be busy or "
        "the model slow to run: raise the timeout, or check the server's load and logs.",
        timeout_s=timeout_s,
        server=address.url,
        model=model,
    )


def _abort(connections: list[http.client.HTTPConnection]) -> None:
    # Shutting the socket ends a blocked read in the worker thread immediately.
    for connection in connections:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        connection.close()


def _reason(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
