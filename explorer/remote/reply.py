"""One call's answer from TF Serving, as REST JSON, over either protocol.

:class:`RemoteReply` is what :meth:`explorer.remote.target.RemoteTarget.send` returns. This module
reads a REST answer (checking that it is TF Serving's JSON, and sorting NOT_FOUND out as an
unknown model) and runs a gRPC call from a REST body (converted as TF Serving's REST
handler would, answered as its REST API would write it), so both give the same reply.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from explorer.codec import grpc_messages, limits, rest_request
from explorer.codec.exchange import error_text
from explorer.constants import MethodKind
from explorer.errors import InputError, MalformedReplyError, ServingRuleError
from explorer.model.info import MetaGraphInfo
from explorer.remote.address import unknown_model
from explorer.remote.grpc_transport import GrpcTransport
from explorer.remote.rest_transport import HttpAnswer

# HTTP status → canonical code (the inverse of rest_request.rest_status, for REST errors).
HTTP_CODES = {
    200: "OK", 400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
    404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED",
    500: "INTERNAL", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}  # fmt: skip
_UNKNOWN_MODEL_TEXTS = (
    "Servable not found",
    "Unrecognized servable version label",
    "Could not find",
)
_RESULT_KEYS = {
    MethodKind.PREDICT: ("predictions", "outputs"),
    MethodKind.CLASSIFY: ("results",),
    MethodKind.REGRESS: ("results",),
}


@dataclass(frozen=True, slots=True)
class RemoteReply:
    """One call to TF Serving: what was sent and what it answered, as REST JSON."""

    method: MethodKind
    protocol: str  # "rest" or "grpc"
    # The URL (REST) or "grpc://host:port service/Method" called.
    endpoint: str
    # The HTTP status TF Serving's REST API answers with (for gRPC: the one it would).
    status: int
    # "OK", or the canonical error code (INVALID_ARGUMENT, FAILED_PRECONDITION, ...).
    code: str
    # REST: the body as received. gRPC: the body TF Serving's REST API would write.
    response_text: str
    response_json: Mapping[str, Any]
    # The REST body sent (for gRPC: the body the request was built from).
    request_text: str
    # Round trip in milliseconds (0.0 if the request never left).
    elapsed_ms: float
    # gRPC Predict: the output tensors as received (alias → array); else empty.
    outputs: Mapping[str, Any] = field(default_factory=dict)
    # False when the explorer refused the body before sending (gRPC converts it locally).
    sent: bool = True

    @property
    def error(self) -> str | None:
        """TF Serving's error message, or None for an answer."""
        return None if self.code == "OK" else str(self.response_json.get("error", ""))


def request_body(
    body: str | bytes | Mapping[str, Any], signature: str | None
) -> tuple[str, dict[str, Any] | None]:
    """The text to send and, when it parses as an object, the parsed body.

    Text is sent as typed (the server words any parse error) unless ``signature``
    overrides its ``signature_name``; a dict is written as JSON.
    """
    if isinstance(body, Mapping):
        doc: Any = dict(body)
    else:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:  # as TF Serving's REST handler reads it (rapidjson), for gRPC's conversion
            doc = limits.parse_body(text)
        except InputError:
            return text, None
        if signature is None:
            return text, doc
    if signature is not None:
        doc["signature_name"] = signature
    return json.dumps(doc, ensure_ascii=False), doc


def answer_json(answer: HttpAnswer, endpoint: str, server: str, model: str) -> dict[str, Any]:
    """The answer's JSON object, whatever its status.

    Raises:
        MalformedReplyError: not JSON, or not an object (a proxy page, another service).
    """
    try:
        doc = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        snippet = answer.body[:160].decode("utf-8", "replace")
        raise MalformedReplyError(
            f"{endpoint} answered HTTP {answer.status} {answer.reason} with "
            f"{answer.content_type or 'no content type'}, not TF Serving's JSON: {snippet!r}. "
            "Is this TF Serving's REST API (and not a proxy or another service on that port)?",
            server=server,
            model=model,
        )
    return doc


def error_of(doc: Mapping[str, Any]) -> str:
    """The ``error`` message of an error answer (or the answer itself, shortened)."""
    error = doc.get("error")
    return error if isinstance(error, str) else json.dumps(doc)[:300]


def is_unknown_model(code: str, message: str) -> bool:
    """NOT_FOUND, or TF Serving's unknown-label text (which it sends as INVALID_ARGUMENT)."""
    return code == "NOT_FOUND" or message.startswith(_UNKNOWN_MODEL_TEXTS)


def rest_reply(
    method: MethodKind, answer: HttpAnswer, text: str, endpoint: str, server: str, model: str
) -> RemoteReply:
    """A REST answer as a reply: TF Serving's answer, or its ``{"error"}``.

    Raises:
        UnknownModelError: HTTP 404 / an unknown label.
        MalformedReplyError: not TF Serving's JSON, or a 200 without the method's result key.
    """
    doc = answer_json(answer, endpoint, server, model)
    code = "OK" if answer.status == 200 else HTTP_CODES.get(answer.status, "UNKNOWN")
    if code == "OK" and not any(k in doc for k in _RESULT_KEYS[method]):
        raise MalformedReplyError(
            f"{endpoint} answered HTTP 200 without "
            f"{' or '.join(repr(k) for k in _RESULT_KEYS[method])}: {sorted(doc)[:5]}. "
            "Is this TF Serving's REST API?",
            server=server,
            model=model,
        )
    if code != "OK":
        message = error_of(doc)
        if is_unknown_model(code, message):
            raise unknown_model(message, server, model)
        doc = {"error": message}
    return RemoteReply(
        method=method,
        protocol="rest",
        endpoint=endpoint,
        status=answer.status,
        code=code,
        response_text=answer.body.decode("utf-8"),
        response_json=MappingProxyType(doc),
        request_text=text,
        elapsed_ms=answer.elapsed_ms,
    )


def grpc_reply(
    transport: GrpcTransport,
    method: MethodKind,
    text: str,
    doc: dict[str, Any] | None,
    *,
    target: grpc_messages.Target,
    meta_graph: Callable[[], MetaGraphInfo],
    output_filter: Sequence[str],
    timeout_s: float,
    cancel: threading.Event | None,
) -> RemoteReply:
    """Call Classify/Regress/Predict over gRPC with a REST body; the REST answer.

    Args:
        transport: the channel.
        method: the API.
        text: the REST body as text (shown as the request).
        doc: the parsed body, or None to parse ``text`` (rapidjson's errors).
        target: (model, version, label).
        meta_graph: the server's signatures (Predict converts values to their dtypes).
        output_filter: Predict's output_filter.
        timeout_s: the deadline.
        cancel: set to abandon the call.

    Returns:
        The reply; a body TF Serving's REST layer would refuse is refused here, unsent.

    Raises:
        RemoteError: as :meth:`GrpcTransport.invoke`.
    """
    endpoint, row_format = transport.endpoint(method), False
    server, model = transport.address.url, target[0]
    try:
        doc = doc if doc is not None else limits.parse_body(text)
        if method is MethodKind.PREDICT:
            request, row_format = grpc_messages.predict_request(
                doc, meta_graph(), target, output_filter
            )
        else:
            request = grpc_messages.examples_request(method, doc, target)
    except ServingRuleError as exc:  # TF Serving's REST layer would refuse it the same way
        return _rejected(method, endpoint, exc.code, str(exc), text, 0.0, sent=False)
    try:
        response, elapsed = transport.invoke(
            method, request, timeout_s=timeout_s, cancel=cancel, model=model
        )
    except ServingRuleError as status:
        if is_unknown_model(status.code, str(status)):
            raise unknown_model(str(status), server, model) from None
        return _rejected(method, endpoint, status.code, str(status), text, 0.0)
    outputs: dict[str, Any] = {}
    try:
        if method is MethodKind.PREDICT:
            body, outputs = grpc_messages.predict_answer(response, row_format=row_format)
        elif method is MethodKind.CLASSIFY:
            body = grpc_messages.classify_answer(response)
        else:
            body = grpc_messages.regress_answer(response)
    except ServingRuleError as exc:  # e.g. outputs REST cannot write, in TF Serving's words
        return _rejected(method, endpoint, exc.code, str(exc), text, elapsed)
    return RemoteReply(
        method=method,
        protocol="grpc",
        endpoint=endpoint,
        status=200,
        code="OK",
        response_text=body,
        response_json=MappingProxyType(json.loads(body)),
        request_text=text,
        elapsed_ms=elapsed,
        outputs=MappingProxyType(outputs),
    )


def _rejected(
    method: MethodKind,
    endpoint: str,
    code: str,
    message: str,
    text: str,
    elapsed_ms: float,
    *,
    sent: bool = True,
) -> RemoteReply:
    return RemoteReply(
        method=method,
        protocol="grpc",
        endpoint=endpoint,
        status=rest_request.rest_status(code),
        code=code,
        response_text=error_text(message),
        response_json=MappingProxyType({"error": message}),
        request_text=text,
        elapsed_ms=elapsed_ms,
        sent=sent,
    )


def checked_status(doc: dict[str, Any], endpoint: str, server: str, model: str) -> dict[str, Any]:
    """A status answer whose ``model_version_status`` is a list of version objects.

    Raises:
        MalformedReplyError: anything else (not TF Serving's GetModelStatus answer).
    """
    versions = doc.get("model_version_status")
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise MalformedReplyError(
            f"{endpoint} answered without a model_version_status list of versions: not TF "
            "Serving's GetModelStatus answer.",
            server=server,
            model=model,
        )
    return doc
