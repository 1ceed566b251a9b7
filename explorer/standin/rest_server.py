"""A stand-in TF Serving on loopback: its REST routes over the explorer's in-process runner.

For tests, demos and trying the remote target without a model server: ``ModelRegistry``
maps model names to SavedModels (a TF Serving base folder gives every numeric version,
labels map to versions) and resolves model specs with TF Serving's NOT_FOUND texts;
``RestServer`` answers TF Serving's REST routes (``http_rest_api_util.cc``) through the
one dispatcher (``explorer.run.dispatch``), so bodies, errors and HTTP statuses are TF
Serving's. The gRPC face is ``explorer.standin.grpc_server``. Not for production: use
``tensorflow_model_server``.

Clients cannot hold the server: each request (its line, headers and body, and the wait
for it on a kept-alive connection) must arrive within ``read_timeout`` seconds in all,
not per read, so a client that declares more bytes than it sends, or trickles them, is
answered 408 and its thread freed; writing the answer has the same bound. A client that
hangs up is simply gone: no traceback.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Collection, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from explorer.codec.exchange import error_text
from explorer.codec.rest_request import parse_body, rest_status
from explorer.constants import MethodKind
from explorer.errors import ExplorerError, ServingRuleError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run import runner
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget
from explorer.serving.metadata import metadata_response
from explorer.standin.http_body import BodyError, framing, read_chunked

# TF Serving's route regexes (http_rest_api_util.cc), matched case-insensitively in full.
_PREDICTION = re.compile(
    r"/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)",
    re.IGNORECASE,
)
_STATUS = re.compile(
    r"/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?",
    re.IGNORECASE,
)
_INT64_MAX = 2**63 - 1
MAX_BODY_BYTES = 256 * 1024 * 1024
# Seconds a client has to send one whole request (and to take its answer).
DEFAULT_READ_TIMEOUT_S = 30.0
# A client that hangs up, resets or stalls: its connection ends, quietly.
_GONE = (ConnectionError, TimeoutError, ssl.SSLError)


class ModelRegistry:
    """The models a loopback server serves, by name, version and label.

    Args:
        models: model name → SavedModel folder or TF Serving base folder. An unversioned
            folder is served as version 1.
        labels: model name → {label: version} (TF Serving's ``version_labels``).
        allow_unsafe: run models that reach unsafe ops (only models you trust).
        served: model name → the versions to serve (what a model config's version policy
            picks, ``explorer.serving.model_config``); default every version.

    Raises:
        ExplorerError: a folder is not a readable SavedModel.
    """

    def __init__(
        self,
        models: Mapping[str, str | os.PathLike[str]],
        *,
        labels: Mapping[str, Mapping[str, int]] | None = None,
        allow_unsafe: bool = False,
        served: Mapping[str, Collection[int]] | None = None,
    ) -> None:
        self.allow_unsafe = allow_unsafe
        self._versions: dict[str, dict[int, ModelInfo]] = {}
        for name, path in models.items():
            latest = read_model(path)
            if latest.version is None:
                self._versions[name] = {1: dataclasses.replace(latest, name=name, version=1)}
                continue
            wanted = (served or {}).get(name)
            self._versions[name] = {
                v: dataclasses.replace(read_model(path, version=v), name=name)
                for v in latest.available_versions
                if wanted is None or v in wanted
            }
        self._labels = {name: dict(m) for name, m in (labels or {}).items()}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._versions)

    def versions(self, name: str) -> tuple[int, ...]:
        return tuple(sorted(self._versions.get(name, {})))

    def resolve(self, name: str, version: int | None, label: str | None) -> ModelInfo:
        """The servable a model spec names, with TF Serving's errors.

        Raises:
            ServingRuleError: version and label both, an unknown label (INVALID_ARGUMENT),
                or no such model/version (NOT_FOUND, ``Servable not found for request``).
        """
        version = self._version_for(name, version, label)
        versions = self._versions.get(name, {})
        if version is None and versions:
            version = max(versions)
        if version not in versions:
            request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
            raise ServingRuleError(f"Servable not found for request: {request}", code="NOT_FOUND")
        return versions[version]

    def status_json(self, name: str, version: int | None, label: str | None) -> dict[str, Any]:
        """``GetModelStatusResponse`` as TF Serving's JSON (newest version first).

        Raises:
            ServingRuleError: NOT_FOUND as ``get_model_status_impl.cc`` words it.
        """
        if not name:
            raise ServingRuleError("Missing model name in request.")
        version = self._version_for(name, version, label)
        versions = self._versions.get(name, {})
        if version is not None and version not in versions:
            raise ServingRuleError(
                f"Could not find version {version} of model {name}", code="NOT_FOUND"
            )
        if not versions:
            raise ServingRuleError(f"Could not find any versions of model {name}", code="NOT_FOUND")
        chosen = [version] if version is not None else sorted(versions, reverse=True)
        return {
            "model_version_status": [
                {
                    "version": str(v),
                    "state": "AVAILABLE",
                    "status": {"error_code": "OK", "error_message": ""},
                }
                for v in chosen
            ]
        }

    def warm(self) -> None:
        """Load every served model now (TF Serving loads at start), so calls are fast.

        Raises:
            ExplorerError: a model cannot be loaded, or reaches unsafe ops without opt-in.
        """
        for versions in self._versions.values():
            for model in versions.values():
                runner.load(model.path, model.meta_graph(), allow_unsafe=self.allow_unsafe)

    def _version_for(self, name: str, version: int | None, label: str | None) -> int | None:
        if version is not None and label is not None:
            raise ServingRuleError(
                f"Both model version ({version}) and model version label ({label}) cannot "
                "be supplied."
            )
        if label is None:
            return version
        found = self._labels.get(name, {}).get(label)
        if found is None:
            raise ServingRuleError(f"Unrecognized servable version label: {label}")
        return found


def handle_rest(
    registry: ModelRegistry, http_method: str, path: str, body: bytes
) -> tuple[int, str]:
    """Answer one TF Serving REST request: (HTTP status, body text).

    Args:
        registry: the models served.
        http_method: ``GET`` or ``POST``.
        path: the request path, e.g. ``/v1/models/default/versions/123:predict``.
        body: the request body.

    Returns:
        The status and the JSON body, errors as ``{"error": ...}`` with TF Serving's status.

    Raises:
        Nothing: every failure becomes TF Serving's error answer.
    """
    try:
        return _route(registry, http_method, path, body)
    except ServingRuleError as exc:
        return rest_status(exc.code), error_text(str(exc))
    except ExplorerError as exc:  # an unreadable folder: the server's fault
        return 500, error_text(str(exc))


def _route(registry: ModelRegistry, http_method: str, path: str, body: bytes) -> tuple[int, str]:
    malformed = ServingRuleError(f"Malformed request: {http_method} {path}")
    pattern = _PREDICTION if http_method == "POST" else _STATUS if http_method == "GET" else None
    match = pattern.fullmatch(path) if pattern is not None else None
    if match is None:
        raise malformed
    name, version_text, label = (_unquote(g) if g else None for g in match.groups()[:3])
    version = None
    if version_text is not None:
        version = int(version_text)
        if version > _INT64_MAX:
            raise ServingRuleError(f"Failed to convert version: {version_text} to numeric.")
    if http_method == "GET":
        if not name:
            raise ServingRuleError("Missing model name in request.")
        if match.group(4):
            return 200, _metadata_text(registry.resolve(name, version, label))
        return 200, json.dumps(registry.status_json(name, version, label), indent=1)
    try:
        model = registry.resolve(name or "", version, label)
    except ServingRuleError:
        parse_body(body)  # TF Serving parses the body before it looks the model up
        raise
    request = CallRequest(MethodKind(match.group(4).lower()), body=body)
    outcome = dispatch(LocalTarget(model, allow_unsafe=registry.allow_unsafe), request)
    # A model the server cannot run (unsafe, unloadable) is the server's fault: 500.
    return outcome.status or 500, outcome.response_text


def _metadata_text(model: ModelInfo) -> str:
    # http_rest_api_util.cc ToJsonString: two protobuf printouts pasted into one object.
    doc = metadata_response(model, model.meta_graph())
    spec = json.dumps(doc["model_spec"], indent=1)
    signature_defs = json.dumps(doc["metadata"]["signature_def"], indent=1, ensure_ascii=False)
    return f'{{\n"model_spec":{spec},\n"metadata": {{"signature_def": {signature_defs}}}\n}}\n'


def _unquote(text: str) -> str:
    return unquote(text)


class RestServer:
    """TF Serving's REST API on ``host:port`` (port 0: a free one), on a daemon thread.

    Args:
        registry: the models to serve.
        host: the interface; loopback by default.
        port: the port, or 0 for any free one (see ``.port``).
        ssl_context: a server-side context to answer over HTTPS.
        read_timeout: seconds a client has to send a whole request (its TLS handshake
            too), and to take the answer; past it the connection is closed.
    """

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT_S,
    ):
        if not read_timeout > 0:
            raise ValueError(f"read_timeout must be positive, not {read_timeout!r}")
        self.registry = registry
        self._server = _Server((host, port), _Handler)
        self._server.registry = registry
        self._server.read_timeout = read_timeout
        self._scheme = "http" if ssl_context is None else "https"
        if ssl_context is not None:  # HTTPS, for trying a client's TLS settings
            # The handshake happens in the connection's own thread, under its timeout: in
            # accept() it would let one silent client stop the whole serving loop.
            self._server.socket = ssl_context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        # A short poll interval: stop() waits for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="tf-serving-rest", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"{self._scheme}://{host}:{self.port}"

    def start(self) -> RestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    registry: ModelRegistry
    read_timeout: float

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up, reset or stalled is not the server's error: no traceback.
        # Anything else is a bug, and socketserver prints it as one.
        if not isinstance(sys.exc_info()[1], _GONE):
            super().handle_error(request, client_address)


class _DeadlineReader(io.RawIOBase):
    """The connection's bytes; every read before the deadline, or TimeoutError.

    A socket timeout bounds each read alone: a client sending a byte just before each
    one ran out would hold its thread for ever. One deadline per request does not.
    """

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._deadline = time.monotonic()

    def readable(self) -> bool:
        return True

    def start(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._connection.settimeout(left)
        return self._connection.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.read_timeout)  # bounds the TLS handshake
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()  # a failure ends the connection (handle_error)
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # The deadline covers waiting for the request and reading all of it.
        self._reader.start(self.server.read_timeout)
        try:
            super().handle_one_request()
        except _GONE:
            self.close_connection = True

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _refuse(self) -> None:
        # TF Serving's HTTP server answers any other method as a request it cannot route.
        self._send(400, error_text(f"Malformed request: {self.command} {self.path}"))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def _answer(self, http_method: str) -> None:
        path = self.path.split("?", 1)[0]
        frame = framing(self.headers, MAX_BODY_BYTES)
        if frame.problem is not None:  # its body's end is unknown: the connection ends too
            self.close_connection = True
            self._send(400, error_text(frame.problem))
            return
        try:
            if frame.chunked:
                body = read_chunked(self.rfile.readline, self.rfile.read, MAX_BODY_BYTES)
            else:
                body = self.rfile.read(frame.length) if frame.length else b""
                if len(body) < frame.length:
                    raise EOFError
        except TimeoutError:
            self._send_timeout(frame.length if not frame.chunked else None)
            return
        except EOFError:  # the client hung up mid-body: no one to answer
            self.close_connection = True
            return
        except BodyError as exc:
            self.close_connection = True
            self._send(400, error_text(str(exc)))
            return
        if not path.lower().startswith("/v1/"):
            status, text = 404, error_text(f"Not found: {path}")
        else:
            try:
                status, text = handle_rest(self.server.registry, http_method, path, body)
            except Exception as exc:
                # A bug: the client still gets an answer saying so, and the bug stays one
                # (raised again, socketserver prints its traceback in the server's log).
                self.close_connection = True
                message = (
                    f"internal error ({type(exc).__name__}: {exc}). This is a bug in "
                    "Signature Explorer; the server's log has the traceback."
                )
                self._send(500, error_text(message))
                raise
        self._send(status, text)

    def _send_timeout(self, length: int | None) -> None:
        self.close_connection = True
        seconds = self.server.read_timeout
        declared = "chunked" if length is None else f"{length} bytes declared"
        message = f"The request's body ({declared}) did not arrive within {seconds:g} s."
        self._send(408, error_text(message))

    def _send(self, status: int, text: str) -> None:
        data = text.encode("utf-8")
        self.connection.settimeout(self.server.read_timeout)  # a client that reads nothing
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and the serve command print their own lines
