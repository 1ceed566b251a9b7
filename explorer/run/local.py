"""A SavedModel run by this explorer, as a :class:`~explorer.run.dispatch.CallTarget`, and
:func:`call_rest`, TF Serving's REST answer for a local model in one call."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from explorer.codec.exchange import curl_command, serving_url
from explorer.codec.limits import parse_body
from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY, Kernels, MethodKind
from explorer.errors import ExplorerError
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.dispatch import GRPC_ONLY, Body, CallRequest, dispatch
from explorer.run.result import CallResult
from explorer.run.target import ModelTarget, resolve_target
from explorer.serving import rules


class LocalTarget:
    """One model run by the explorer's runner with TF Serving's semantics.

    Args:
        model: a ModelInfo, one of its MetaGraphInfos, or a model path.
        tags: the MetaGraph's tag-set (default: the one TF Serving loads, exactly "serve").
        allow_unsafe: run even if the model reaches unsafe ops.
        method_name_check: TF Serving's ``--enable_signature_method_name_check``.
        max_request_elements: the element budget of a request (see ``explorer.run.calls``).
        kernels: TF Serving's "standard" CPU kernels or its "mkl" build's; default
            ``EXPLORER_KERNELS``, else "standard".
    """

    protocol = "local"

    def __init__(
        self,
        model: ModelTarget,
        *,
        tags: str | None = None,
        allow_unsafe: bool = False,
        method_name_check: bool = False,
        max_request_elements: int | None = None,
        kernels: Kernels | None = None,
    ) -> None:
        self.model = model
        self.kernels = kernels
        self.tags = tags
        self.allow_unsafe = allow_unsafe
        self.method_name_check = method_name_check
        self.max_request_elements = max_request_elements
        self._lock = threading.Lock()

    def call(self, request: CallRequest, *, cancel: threading.Event | None = None) -> CallResult:
        """Run the request in the runner (``cancel`` is not needed: calls are bounded there).

        Raises:
            ServingRuleError: TF Serving's rejection; ExplorerError: the explorer refused.
        """
        options: dict[str, Any] = {
            "signature": request.signature,
            "method_name_check": self.method_name_check,
            "allow_unsafe": self.allow_unsafe,
            "kernels": self.kernels,
            "extra_fetches": request.extra_fetches,
            "taps": request.taps,
            "profile": request.profile,
            "tags": self.tags,
            "max_request_elements": self.max_request_elements,
        }
        model = self._resolved()
        if request.verb is MethodKind.PREDICT and request.arrays is not None:
            return calls.predict_arrays(
                model,
                request.arrays,  # type: ignore[arg-type]
                output_filter=request.output_filter,
                row_format=request.row_format,
                **options,
            )
        if request.verb is MethodKind.PREDICT:
            return calls.predict(
                model, _body(request), output_filter=request.output_filter, **options
            )
        if request.arrays is not None:
            return calls.classify_examples(
                model,
                list(request.arrays),
                context=request.context,
                method=request.verb,
                **options,
            )
        call = calls.classify if request.verb is MethodKind.CLASSIFY else calls.regress
        return call(model, _body(request), **options)

    def endpoint(self, verb: MethodKind) -> str:
        """The REST URL TF Serving would route this call to (on its default port)."""
        name, version = self._model_name()
        return serving_url(name, verb, version=version)

    def replay_command(self, verb: MethodKind, body_text: str) -> str:
        """``curl`` sending the same body to that URL."""
        return curl_command(self.endpoint(verb), body_text)

    def describe(self) -> str:
        name, version = self._model_name()
        return f'model "{name}"' + (f" version {version}" if version is not None else "")

    def notes(self, request: CallRequest, *, answered: bool) -> tuple[str, ...]:
        """Where the answer differs from what the curl command would get from TF Serving."""
        notes = []
        if request.left_out:
            notes.append(
                f"Left out {', '.join(request.left_out)}: the signature's default was fed, as "
                "gRPC Predict does. TF Serving's REST API needs every input: replayed with "
                "curl, this body is rejected."
            )
        if request.output_filter:
            notes.append(
                "output_filter is a gRPC option: over REST, TF Serving returns every output."
            )
        if request.extra_fetches:
            notes.append("Extra tensors are fetched by Signature Explorer only, not by TF Serving.")
        fed = self._component_fed_note(request)
        if fed is not None:
            notes.append(fed)
        return tuple(notes)

    def unsaveable(self, request: CallRequest) -> str | None:
        """Why this run's answer cannot be a test case (replayed over REST it would differ)."""
        if self._component_fed_note(request) is not None:
            return "TF Serving cannot answer it (inputs fed through their components)"
        if request.left_out or request.output_filter or request.extra_fetches:
            return GRPC_ONLY
        return None

    def _component_fed_note(self, request: CallRequest) -> str | None:
        if request.verb is not MethodKind.PREDICT:
            return None
        try:
            meta_graph, _ = resolve_target(self._resolved(), self.tags)
            # Most models have no sparse or ragged input: then the body is not read again.
            if not any(rules.component_fed_note(s) for s in meta_graph.signatures):
                return None
            signature = meta_graph.signature(_signature_key(request))
        except ExplorerError:  # the call itself says what is wrong
            return None
        return rules.component_fed_note(signature)

    def _resolved(self) -> ModelInfo | MetaGraphInfo:
        # A path is read once, on first need (a call, or the URL it goes to).
        with self._lock:
            if isinstance(self.model, (str, os.PathLike)):
                self.model = read_model(self.model)
            return self.model

    def _model_name(self) -> tuple[str, int | None]:
        # The name TF Serving would serve the model under.
        try:
            model = self._resolved()
        except ExplorerError:  # the call says why; the URL still names the folder
            return Path(self.model).name, None  # type: ignore[arg-type]
        if isinstance(model, ModelInfo):
            return model.name, model.version
        try:
            _, directory = resolve_target(model, self.tags)
        except ExplorerError:
            return "model", None
        return Path(directory).name, None


def call_rest(
    target: ModelTarget, method: MethodKind | str, body: Body, **options: Any
) -> dict[str, Any]:
    """What TF Serving's REST API answers: the response JSON, or ``{"error": message}``.

    Args:
        target: a ModelInfo, one of its MetaGraphInfos, or a model path.
        method: ``classify``, ``regress`` or ``predict``.
        body: the REST request body (text, bytes or a parsed dict).
        **options: the request's ``signature``, ``output_filter``, ``extra_fetches``,
            ``taps`` and ``profile``, and the target's ``tags``, ``allow_unsafe``,
            ``method_name_check`` and ``max_request_elements``, as
            :func:`explorer.run.calls.predict` takes them.

    Returns:
        The response JSON, or ``{"error": message}`` for anything TF Serving (or this
        explorer, e.g. an unsafe model) refuses.

    Raises:
        ValueError: ``method`` is not a verb. TypeError: an option that does not exist.
    """
    request = CallRequest(
        MethodKind(method),
        body=body,
        signature=options.pop("signature", None),
        output_filter=tuple(options.pop("output_filter", None) or ()),
        extra_fetches=tuple(options.pop("extra_fetches", ())),
        taps=tuple(options.pop("taps", ())),
        profile=bool(options.pop("profile", False)),
    )
    return dispatch(LocalTarget(target, **options), request).response_json


def _body(request: CallRequest) -> Body:
    if request.body is None:
        raise ValueError("A CallRequest needs a body or arrays.")  # a caller's bug
    return request.body


def _signature_key(request: CallRequest) -> str:
    """The signature a request names, read as the call read it (TF Serving's reader, with
    its limits: a hostile body costs here what it cost the call).

    Raises:
        InputError: the body is not a JSON object TF Serving reads (the call said so too).
    """
    if request.signature:
        return request.signature
    body = request.body
    if isinstance(body, (str, bytes)):
        body = parse_body(body)
    name = body.get("signature_name") if isinstance(body, dict) else None
    return name if isinstance(name, str) and name else DEFAULT_SERVING_SIGNATURE_KEY
