"""The one dispatcher: a target, a verb and a request in, one :class:`RunOutcome` out.

The app's Run tab, the CLI's ``predict|classify|regress``, the stand-in servers of
``serve`` and ``call_rest`` all send a call through :func:`dispatch`, to a model run
here (:class:`explorer.run.local.LocalTarget`, which also gives :func:`call_rest`) or to
a running TF Serving (:class:`explorer.remote.target.RemoteTarget`); both implement
:class:`CallTarget`.

Every failure a user, a model or a server can cause becomes the outcome: TF Serving's
answer to a request it rejects (``status`` is its HTTP status), or why the explorer
refused to run (``status`` is None: unsafe ops, an unreadable model, an unreachable
server). Anything else is a bug and propagates.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from explorer.codec.exchange import INLINE_BODY_LIMIT, body_text, compact_text, error_text
from explorer.codec.rest_response import rest_status
from explorer.constants import MethodKind
from explorer.errors import ExecutionError, ExplorerError, ServingRuleError, WorkerEndedError
from explorer.run.result import ArrayRequest, CallResult, request_json_for

Body = str | bytes | Mapping[str, Any]

# Why a run that used gRPC-only features cannot be kept as a test case.
GRPC_ONLY = "this run used gRPC-only features, so its REST request would not get the same answer"


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One call as a caller asks for it: a REST body, or values the gRPC way."""

    verb: MethodKind
    # The REST body: text (sent as typed, so the server judges it), bytes, or a parsed dict.
    body: Body | None = None
    # gRPC's view instead: predict inputs (alias → array, dtype kept; inputs left out take
    # the signature's defaults) or classify/regress examples. When given, these are fed and
    # ``body`` (if any) is only what the user is shown.
    arrays: Mapping[str, Any] | Sequence[Any] | None = None
    # Classify/regress with ``arrays``: features merged under every example.
    context: Any = None
    # Overrides the body's "signature_name" (default serving_default).
    signature: str | None = None
    # gRPC Predict's output_filter (REST itself always answers every output).
    output_filter: tuple[str, ...] = ()
    # Graph tensors fetched beside the outputs, for debugging (never by TF Serving).
    extra_fetches: tuple[str, ...] = ()
    # Op outputs returned beside the answer (``explorer.run.taps``), and a per-op profile:
    # both look inside the call without changing its answer (this explorer only).
    taps: tuple[str, ...] = ()
    profile: bool = False
    # Predict with ``arrays``: answer {"predictions": ...} rather than {"outputs": ...}.
    row_format: bool = False
    # Inputs the caller left out of the REST body on purpose (their defaults are fed).
    left_out: tuple[str, ...] = ()

    def shown_text(self) -> str:
        """The request as a person reads it: the text as typed, or the body indented."""
        if isinstance(self.body, str):
            return self.body
        if isinstance(self.body, bytes):
            return self.body.decode("utf-8", errors="replace")
        if self.body is not None:
            return body_text(self.body)
        return body_text(self.arrays_body())

    def wire_text(self) -> str:
        """The request as it goes over the wire (one line for a body built by a form)."""
        if isinstance(self.body, (str, bytes)):
            return self.shown_text()
        return compact_text(self.body if self.body is not None else self.arrays_body())

    def arrays_body(self) -> dict[str, Any]:
        """A REST body standing for ``arrays`` (shown when no body was given): the body whose
        answer is this call's, so ``{"instances": [...]}`` rows for a row-format Predict
        (answered with "predictions"), ``{"inputs": ...}`` otherwise."""
        if self.verb is MethodKind.PREDICT:
            request = ArrayRequest(
                self.signature,
                "inputs",
                dict(self.arrays or {}),
                rows=self.row_format,
                whole=not self.left_out,
            )
        else:
            examples = (list(self.arrays or ()), self.context)
            request = ArrayRequest(self.signature, "examples", examples)
        return request_json_for(self.verb, self.signature or "", request)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """One call: what was sent, what TF Serving's REST API would answer, the arrays."""

    method: MethodKind
    request_text: str
    url: str
    curl: str
    response_text: str
    # HTTP status TF Serving would answer with (200, or 400/404/500/501 for an error);
    # None when the explorer refused to run (unsafe ops, unreadable model, no server).
    status: int | None
    # The error message ({"error": ...}); None on success.
    error: str | None
    result: CallResult | None
    # The canonical status name of a rejected request (INVALID_ARGUMENT, ...), else None.
    code: str | None = None
    # Where this run differs from replaying the curl command (gRPC-only features used).
    notes: tuple[str, ...] = ()
    big_request: bool = False
    # Extra graph tensors fetched in the same run (an error may come from them).
    extra_fetches: tuple[str, ...] = ()
    # When the run happened (local time with its UTC offset), for the HTML report.
    created: datetime | None = field(default=None, compare=False)
    # Why this answer cannot be kept as a test case (its REST request would not get it).
    unsaveable: str | None = None
    # How the model's worker ended during this call, when it did (the error says more).
    ended: Literal["crashed", "memory", "timeout"] | None = None
    # A plain line beside TF Serving's error: what was sent against what the signature
    # declares (for a local Predict the runtime refused); None otherwise.
    explanation: str | None = None
    # Set when the run failed inside the sandbox for a model the scan flagged (opted in):
    # the failure may be the sandbox's, not TF Serving's answer. Also the last of ``notes``.
    sandbox_note: str | None = None

    @property
    def response_json(self) -> dict[str, Any]:
        """The answer as JSON: the response, or ``{"error": message}``."""
        if self.result is not None:
            return dict(self.result.response_json)
        return {"error": self.error} if self.error is not None else json.loads(self.response_text)


class CallTarget(Protocol):
    """Where a call runs: this explorer's runner, or a TF Serving."""

    @property
    def protocol(self) -> str:
        """ "local", "rest" or "grpc"."""
        ...

    def call(self, request: CallRequest, *, cancel: threading.Event | None = None) -> CallResult:
        """Run the request; raise ServingRuleError for TF Serving's rejection."""
        ...

    def endpoint(self, verb: MethodKind) -> str:
        """The URL (or gRPC method) the call goes to."""
        ...

    def replay_command(self, verb: MethodKind, body_text: str) -> str:
        """A shell command a user can run to send the same call to TF Serving."""
        ...

    def notes(self, request: CallRequest, *, answered: bool) -> tuple[str, ...]:
        """Where this call differs from what its curl command would get."""
        ...

    def unsaveable(self, request: CallRequest) -> str | None:
        """Why the answer cannot be kept as a test case, or None."""
        ...


def dispatch(
    target: CallTarget, request: CallRequest, *, cancel: threading.Event | None = None
) -> RunOutcome:
    """Run one call on ``target``; every user-, model- or server-caused failure is the outcome.

    Args:
        target: a LocalTarget or a RemoteTarget.
        request: the verb and the request.
        cancel: set it from another thread to abandon a remote call.

    Returns:
        The outcome: TF Serving's answer (or rejection) and what was sent.

    Raises:
        Nothing a user can cause: only bugs propagate.
    """
    wire = request.wire_text()
    result: CallResult | None = None
    error: str | None = None
    status: int | None = 200
    code: str | None = None
    ended: WorkerEndedError | None = None
    explanation: str | None = None
    sandbox_note: str | None = None
    try:
        result = target.call(request, cancel=cancel)
    except WorkerEndedError as err:  # TF Serving would have gone down with it
        error, status, code, ended = str(err), rest_status(err.code), err.code, err
        explanation = err.explanation
    except ServingRuleError as err:
        error, status, code = str(err), rest_status(err.code), err.code
        explanation = err.explanation
        if isinstance(err, ExecutionError):
            sandbox_note = err.sandbox_note
    except ExplorerError as err:  # not TF Serving's answer: the explorer refused, or no server
        error, status = str(err), None
    notes = target.notes(request, answered=status is not None)
    if result is not None and result.shape_misfit is not None:
        notes = (*notes, result.shape_misfit)
    if sandbox_note is not None:
        notes = (*notes, sandbox_note)
    return RunOutcome(
        method=request.verb,
        request_text=request.shown_text(),
        url=target.endpoint(request.verb),
        curl=target.replay_command(request.verb, wire),
        response_text=result.response_text if result is not None else error_text(error or ""),
        status=status,
        error=error,
        result=result,
        code=code,
        notes=(*notes, ended.note) if ended is not None else notes,
        big_request=len(wire) > INLINE_BODY_LIMIT,
        extra_fetches=request.extra_fetches,
        created=datetime.now().astimezone(),
        unsaveable=(
            "its worker ended: TF Serving would give no answer to keep"
            if ended is not None
            else "it failed inside the sandbox: TF Serving may answer otherwise"
            if sandbox_note is not None
            else target.unsaveable(request)
        ),
        ended=ended.reason if ended is not None else None,
        explanation=explanation,
        sandbox_note=sandbox_note,
    )
