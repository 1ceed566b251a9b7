"""A running TF Serving as the explorer's target: its metadata, status and Classify/Regress/Predict.

``RemoteTarget("http://host:8501", "my_model")`` talks to TF Serving's REST API
(``/v1/models/NAME[/versions/N|/labels/L]:predict|classify|regress``, ``GET /v1/models/NAME``
and ``/metadata``); ``grpc://host:8500`` to its gRPC API (``PredictionService``,
``ModelService``) with ``tensorflow-serving-api``'s message schemas. Either way a call
takes the REST body the in-process calls take and answers with the REST JSON TF Serving
writes (``{"error": ...}`` for a request it rejects), so local and remote answers compare
as they are. Failures to *reach* TF Serving raise :mod:`explorer.errors` (RemoteError).

Without TensorFlow: REST needs only the standard library; gRPC needs grpcio and TF
Serving's message classes, which :mod:`explorer.model.protos` builds from the schemas
``tensorflow-serving-api`` installs without importing it (that would import TensorFlow).
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from explorer.codec import grpc_messages
from explorer.codec.exchange import curl_command
from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY, MethodKind
from explorer.errors import InputError, RemoteError, ServingRuleError
from explorer.model.info import ModelInfo
from explorer.remote.address import (
    ServerAddress,
    TlsOptions,
    check_settings,
    parse_server_url,
    unknown_model,
)
from explorer.remote.grpc_transport import GrpcTransport
from explorer.remote.metadata import decode_outputs, model_info_from_metadata
from explorer.remote.reply import (
    HTTP_CODES,
    RemoteReply,
    answer_json,
    checked_status,
    error_of,
    grpc_reply,
    is_unknown_model,
    request_body,
    rest_reply,
)
from explorer.remote.rest_transport import RestTransport
from explorer.run.dispatch import GRPC_ONLY, CallRequest
from explorer.run.result import CallResult, CallTiming

__all__ = ["RemoteReply", "RemoteTarget", "TlsOptions", "model_info_from_metadata"]

DEFAULT_TIMEOUT_S = 10.0
_PROTOCOL_WORDS = {"rest": "REST", "grpc": "gRPC"}


class RemoteTarget:
    """One model on one TF Serving, over REST or gRPC.

    Args:
        url: ``http(s)://HOST:PORT`` (REST) or ``grpc(s)://HOST:PORT`` (gRPC).
        model: the model name (TF Serving's ``--model_name`` or model config entry).
        version: a version number; None addresses the latest (or ``label``).
        label: a version label from the model config; not with ``version``.
        timeout_s: the bound on every call, connect to last byte.
        tls: CA, client certificate and server name for https/grpcs.

    Raises:
        RemoteAddressError: a bad URL, no model name, version with label, a bad timeout, or
            TLS options for a plain-text URL.
        RemoteTLSError: a TLS file cannot be read.
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        version: int | None = None,
        label: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        tls: TlsOptions | None = None,
    ) -> None:
        self.address: ServerAddress = parse_server_url(url)
        self.model = (model or "").strip()
        self.version = version
        self.label = (label or "").strip() or None
        self.timeout_s = float(timeout_s)
        self.tls = tls
        check_settings(self.address, self.model, version, self.label, self.timeout_s, tls)
        self._rest = RestTransport(self.address, tls) if self.protocol == "rest" else None
        self._grpc = GrpcTransport(self.address, tls) if self.protocol == "grpc" else None
        self._lock = threading.Lock()
        self._model_info: ModelInfo | None = None

    @property
    def protocol(self) -> str:
        return self.address.protocol

    @property
    def url(self) -> str:
        return self.address.url

    @property
    def key(self) -> tuple[Any, ...]:
        """Everything that identifies this target (for caches and widget keys)."""
        return (self.url, self.model, self.version, self.label, self.timeout_s, self.tls)

    def describe(self) -> str:
        """E.g. ``TF Serving at http://127.0.0.1:8501 (REST), model "default" version 123``."""
        return f"{self.server()}, {self.which()}"

    def server(self) -> str:
        """E.g. ``TF Serving at grpc://10.0.0.2:8500 (gRPC)``."""
        return f"TF Serving at {self.url} ({_PROTOCOL_WORDS[self.protocol]})"

    def which(self) -> str:
        """The servable addressed: ``model "m" version 3``, ``... label "stable"`` or latest."""
        if self.version is not None:
            return f'model "{self.model}" version {self.version}'
        if self.label is not None:
            return f'model "{self.model}" label "{self.label}"'
        return f'model "{self.model}" (latest version)'

    def __repr__(self) -> str:
        return f"RemoteTarget({self.describe()})"

    def endpoint(self, method: MethodKind | str | None = None) -> str:
        """The URL (REST) or gRPC method a call goes to; None: the model status."""
        if self._grpc is not None:
            return self._grpc.endpoint(MethodKind(method) if method else "status")
        return self.url + self._path(f":{MethodKind(method).value}" if method else "")

    def replay_command(self, method: MethodKind | str, body_text: str) -> str:
        """A shell command replaying a call: curl for REST; for gRPC, curl to the REST port."""
        if self._grpc is None:
            return curl_command(self.endpoint(method), body_text)
        rest = f"http://{self.address.netloc.rsplit(':', 1)[0]}:8501"
        return (
            f"# Sent over gRPC: {self.endpoint(method)}\n"
            "# The same request to the server's REST port (8501 if it has the default):\n"
            + curl_command(rest + self._path(f":{MethodKind(method).value}"), body_text)
        )

    def status(self, *, cancel: threading.Event | None = None) -> dict[str, Any]:
        """``GET /v1/models/NAME`` / ``ModelService.GetModelStatus`` as TF Serving's JSON.

        Returns:
            ``{"model_version_status": [{"version", "state", "status"}, ...]}``.

        Raises:
            RemoteError: unreachable, unknown model/version, or not TF Serving's answer.
        """
        return checked_status(self._get("status", cancel), self.endpoint(), self.url, self.model)

    def metadata_json(self, *, cancel: threading.Event | None = None) -> dict[str, Any]:
        """``GET /v1/models/NAME/metadata`` / ``GetModelMetadata`` as TF Serving's JSON.

        Returns:
            ``{"model_spec": ..., "metadata": {"signature_def": {"signature_def": ...}}}``.

        Raises:
            RemoteError: unreachable, unknown model/version, or not TF Serving's answer.
        """
        return self._get("metadata", cancel)

    def metadata(
        self, *, refresh: bool = False, cancel: threading.Event | None = None
    ) -> ModelInfo:
        """The server's signatures as a ModelInfo (fetched once, then kept).

        Args:
            refresh: ask the server again (after it loaded a new version).
            cancel: set it from another thread to abandon the call.

        Returns:
            One MetaGraph (tags ``serve``) holding only the SignatureDefs: no graph, no
            folder (``model_dir`` is ""); ``path`` is the model's URL.

        Raises:
            RemoteError: as :meth:`metadata_json`, or metadata that does not parse.
        """
        with self._lock:
            if self._model_info is not None and not refresh:
                return self._model_info
        doc = self.metadata_json(cancel=cancel)
        info = model_info_from_metadata(doc, source=self.endpoint_base())
        with self._lock:
            self._model_info = info
        return info

    def endpoint_base(self) -> str:
        """The model's address: ``http://h:p/v1/models/NAME[/versions/N]`` or ``grpc://h:p/NAME``."""
        if self._grpc is not None:
            return f"{self.url}/{self.model}" + (
                f"/versions/{self.version}"
                if self.version is not None
                else f"/labels/{self.label}"
                if self.label
                else ""
            )
        return self.url + self._path("")

    def send(
        self,
        method: MethodKind | str,
        body: str | bytes | Mapping[str, Any],
        *,
        signature: str | None = None,
        output_filter: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> RemoteReply:
        """Send a REST body to Classify, Regress or Predict; TF Serving's answer.

        Args:
            method: ``predict``, ``classify`` or ``regress``.
            body: the REST body (text is sent as typed, so the server judges it).
            signature: overrides the body's ``signature_name``.
            output_filter: gRPC Predict's output_filter (REST always returns every output).
            cancel: set it from another thread to abandon the call.

        Returns:
            The reply; ``reply.error`` is TF Serving's message when it rejected the request.

        Raises:
            RemoteError: TF Serving could not be reached or did not answer as TF Serving.
            InputError: an output_filter for a REST target.
        """
        method = MethodKind(method)
        text, doc = request_body(body, signature)
        if self._rest is not None:
            if output_filter:
                raise InputError(
                    "output_filter is a gRPC Predict option: TF Serving's REST API always "
                    "returns every output. Use a grpc:// target, or no filter.",
                    key="output_filter",
                )
            answer = self._rest.exchange(
                "POST",
                self._path(f":{method.value}"),
                text.encode("utf-8"),
                timeout_s=self.timeout_s,
                cancel=cancel,
                model=self.model,
            )
            return rest_reply(method, answer, text, self.endpoint(method), self.url, self.model)
        assert self._grpc is not None
        return grpc_reply(
            self._grpc,
            method,
            text,
            doc,
            target=self._spec(),
            meta_graph=lambda: self.metadata().meta_graphs[0],
            output_filter=output_filter,
            timeout_s=self.timeout_s,
            cancel=cancel,
        )

    def predict(self, body: str | bytes | Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """TF Serving's Predict answer (``{"predictions"|"outputs": ...}`` or ``{"error": ...}``).

        Raises:
            RemoteError: as :meth:`send` (``options`` too).
        """
        return dict(self.send(MethodKind.PREDICT, body, **options).response_json)

    def classify(self, body: str | bytes | Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """TF Serving's Classify answer (``{"results": ...}`` or ``{"error": ...}``).

        Raises:
            RemoteError: as :meth:`send`.
        """
        return dict(self.send(MethodKind.CLASSIFY, body, **options).response_json)

    def regress(self, body: str | bytes | Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """TF Serving's Regress answer (``{"results": ...}`` or ``{"error": ...}``).

        Raises:
            RemoteError: as :meth:`send`.
        """
        return dict(self.send(MethodKind.REGRESS, body, **options).response_json)

    def call(self, request: CallRequest, *, cancel: threading.Event | None = None) -> CallResult:
        """A call shaped like an in-process one (the dispatcher's :class:`CallTarget`).

        The REST body is sent (``request.arrays`` cannot cross a REST server as they are:
        give a body). Over REST an ``output_filter`` is not sent (TF Serving's REST API
        answers every output; :meth:`notes` says so); extra fetches never are.

        Returns:
            A CallResult: the response text and JSON as received, predict outputs as arrays,
            ``timing.execution_ms`` = the round trip.

        Raises:
            ServingRuleError: TF Serving rejected the request (its message and code).
            RemoteError: as :meth:`send`.
        """
        start = time.perf_counter()
        body = request.body if request.body is not None else request.arrays_body()
        output_filter = request.output_filter if self.protocol == "grpc" else ()
        reply = self.send(
            request.verb,
            body,
            signature=request.signature,
            output_filter=output_filter,
            cancel=cancel,
        )
        if reply.error is not None:
            raise ServingRuleError(reply.error, code=reply.code)
        _, parsed = request_body(body, request.signature)
        doc = parsed or {}
        key = str(doc.get("signature_name") or DEFAULT_SERVING_SIGNATURE_KEY)
        outputs = reply.outputs
        if reply.method is MethodKind.PREDICT and not outputs:
            outputs = decode_outputs(reply.response_json, self.metadata(), key)
        total_ms = (time.perf_counter() - start) * 1000
        return CallResult(
            method=reply.method,
            signature_key=key,
            response_text=reply.response_text,
            response_json=reply.response_json,
            outputs=MappingProxyType(dict(outputs)),
            extra=MappingProxyType({}),
            timing=CallTiming(max(total_ms - reply.elapsed_ms, 0.0), reply.elapsed_ms, 0.0),
            request=doc,
        )

    def notes(self, request: CallRequest, *, answered: bool) -> tuple[str, ...]:
        """What the answer means: a round trip, and options the server ignored."""
        notes = []
        if answered:
            notes.append(f"Sent to {self.describe()}; execution time is the round trip.")
        if request.output_filter and self.protocol != "grpc":
            notes.append(
                "output_filter is a gRPC option: over REST, TF Serving returned every output."
            )
        if request.extra_fetches:
            notes.append(
                "Extra tensors can only be fetched in this process: TF Serving ignored them."
            )
        if request.taps or request.profile:
            notes.append(
                "Taps and the per-op profile look inside a local run only: TF Serving was "
                "asked without them."
            )
        return tuple(notes)

    def unsaveable(self, request: CallRequest) -> str | None:
        """Why the answer cannot be a test case: gRPC-only features were used."""
        if request.extra_fetches or (request.output_filter and self.protocol == "grpc"):
            return GRPC_ONLY
        return None

    def close(self) -> None:
        """Close the gRPC channel (REST keeps no connection open)."""
        if self._grpc is not None:
            self._grpc.close()

    def _path(self, suffix: str) -> str:
        path = "/v1/models/" + urllib.parse.quote(self.model, safe="")
        if self.version is not None:
            path += f"/versions/{self.version}"
        elif self.label is not None:
            path += "/labels/" + urllib.parse.quote(self.label, safe="")
        return path + suffix

    def _spec(self) -> tuple[str, int | None, str | None]:
        return self.model, self.version, self.label

    def _get(self, what: str, cancel: threading.Event | None) -> dict[str, Any]:
        if self._grpc is not None:
            request = (
                grpc_messages.metadata_request(self._spec())
                if what == "metadata"
                else grpc_messages.status_request(self._spec())
            )
            try:
                response, _ = self._grpc.invoke(
                    what, request, timeout_s=self.timeout_s, cancel=cancel, model=self.model
                )
            except ServingRuleError as status:
                raise self._refused(what, status.code, str(status)) from None
            if what == "metadata":
                return grpc_messages.metadata_json(response, self.url)
            return grpc_messages.status_json(response)
        assert self._rest is not None
        answer = self._rest.exchange(
            "GET",
            self._path("/metadata" if what == "metadata" else ""),
            None,
            timeout_s=self.timeout_s,
            cancel=cancel,
            model=self.model,
        )
        doc = answer_json(answer, self.url + self._path(""), self.url, self.model)
        if answer.status != 200:
            raise self._refused(what, HTTP_CODES.get(answer.status, "UNKNOWN"), error_of(doc))
        return doc

    def _refused(self, what: str, code: str, message: str) -> RemoteError:
        if is_unknown_model(code, message):
            return unknown_model(message, self.url, self.model)
        return RemoteError(
            f'{self.url} refused the {what} request for model "{self.model}" ({code}): {message}',
            server=self.url,
            model=self.model,
        )
