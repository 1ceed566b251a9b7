"""The one error tree: every failure a user, a model or a server can cause, and nothing else.

    ExplorerError                    base: the message says what is wrong and how to fix it
    ├── UsageError                   a command-line argument or option value that cannot be used
    ├── DependencyError              a package or program the feature needs is not installed
    ├── WorkerStartError             the model worker could not start (sandbox, crash, time)
    ├── ModelSourceError             path missing or not allowed, bad archive, no version folders
    │   └── UnsafeArchiveError       an archive member breaks a safety rule
    ├── InvalidSavedModelError       saved_model.pb(.txt) unreadable; wraps the parser's cause
    ├── UnknownTagSetError           no MetaGraph with those tags; lists the tag-sets there are
    ├── UnknownSignatureError        no SignatureDef with that key; lists the keys there are
    ├── UnsafeModelError             unsafe ops reachable and not opted in; lists them
    ├── ModelLimitError              past a limit that protects the server (size, nodes, depth)
    ├── ModelLoadError               TensorFlow could not load the SavedModel (TF Serving neither)
    ├── ServingRuleError             TF Serving's answer to a request it rejects; its text verbatim
    │   ├── InputError               bad request JSON, missing/extra key, wrong dtype or shape
    │   └── ExecutionError           TensorFlow failed while running; the runtime's text
    │       └── WorkerEndedError     the model's worker ended mid-call (crash, memory, time limit)
    ├── GraphError                   a graph view, click or search names nothing in the graph
    │   ├── GraphOptionError         an option (key, group, budget) that does not fit the graph
    │   ├── UnknownGraphElementError a click on something the drawn graph does not hold
    │   ├── UnknownNodeError         no op or function with that name
    │   └── TapError                 a tap names no op the signature runs, or cannot be fetched
    ├── GraphvizError                Graphviz's dot is missing, failed or took too long
    ├── CasesFileError               a test-cases file that cannot be read
    ├── WarmupFileError              a warmup file that cannot be read, built or written
    ├── ModelConfigError             a TF Serving model config file that cannot be read or parsed
    ├── DeepLinkError                a link parameter that cannot describe a view
    └── RemoteError                  a TF Serving could not be asked, or did not answer as one
        ├── RemoteAddressError       the URL cannot be used (scheme, host, port, version+label)
        ├── RemoteConnectionError    refused, unreachable, unknown host, connection dropped
        ├── RemoteTimeoutError       no complete answer within the timeout
        ├── RemoteTLSError           TLS handshake or certificate failure, unreadable cert files
        ├── UnknownModelError        the server has no such model, version or label
        ├── MalformedReplyError      the reply is not TF Serving's (wrong port, proxy page)
        └── RemoteCancelledError     the user cancelled the call

The app shows ``str(err)`` in an error box and keeps its session; the CLI prints it on
one stderr line and exits 2, except a ServingRuleError, which is TF Serving's answer: it
prints ``{"error": ...}`` and exits 1, as TF Serving's REST API answers. Anything that is
not an ExplorerError is a bug and is reported as one, never turned into an answer.

A request the server *answers* with an error is a ServingRuleError, not a RemoteError,
so local and remote answers compare as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal


class ExplorerError(Exception):
    """Base class of every error a user can cause: the message says what to fix."""


class UsageError(ExplorerError):
    """A command-line argument or option value that cannot be used as given."""


class DependencyError(ExplorerError):
    """A package (or program) the feature needs is not installed; says what to install."""

    def __init__(self, what: str, install: str, *, detail: str = "") -> None:
        self.install = install
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{what} is not available{extra}. Install it with: {install}")


class WorkerStartError(ExplorerError):
    """The model worker (TensorFlow in a child process) could not start for a reason other
    than a missing package: its sandbox does not show it what it needs, bubblewrap refused
    to start it, or it crashed or took too long while starting."""


class ModelSourceError(ExplorerError):
    """The path, archive or versioned base folder does not lead to a SavedModel."""


class UnsafeArchiveError(ModelSourceError):
    """An archive member breaks a safety rule; nothing from the archive is kept."""

    def __init__(self, archive: str, member: str, rule: str) -> None:
        self.archive = archive
        self.member = member
        self.rule = rule
        super().__init__(f"Refusing archive {archive}: member {member!r} {rule}.")


class InvalidSavedModelError(ExplorerError):
    """A saved_model.pb / saved_model.pbtxt that cannot be parsed."""

    def __init__(self, path: str, cause: str) -> None:
        self.path = path
        self.cause = cause
        super().__init__(f"File is not a valid SavedModel: {path} ({cause}).")


class UnknownTagSetError(ExplorerError):
    """No MetaGraph carries the requested tag-set."""

    def __init__(
        self, requested: Iterable[str], available: Iterable[Iterable[str]], hint: str = ""
    ) -> None:
        self.requested = tuple(sorted(requested))
        self.available = tuple(tuple(sorted(tags)) for tags in available)
        choices = "; ".join(",".join(tags) or "(no tags)" for tags in self.available)
        super().__init__(
            f"No MetaGraph with tag-set '{','.join(self.requested)}'. "
            f"Available tag-sets: {choices or '(none)'}." + (f" {hint}" if hint else "")
        )


class UnknownSignatureError(ExplorerError):
    """No SignatureDef has the requested key."""

    def __init__(self, key: str, available: Iterable[str]) -> None:
        self.key = key
        self.available = tuple(available)
        super().__init__(
            f'No signature "{key}" in this MetaGraph. '
            f"Choose one of: {', '.join(self.available) or '(none)'}."
        )


class UnsafeModelError(ExplorerError):
    """The model holds ops that reach outside TensorFlow and the user has not opted in."""

    def __init__(self, ops: Iterable[str], *, reached_by: Iterable[str] = ()) -> None:
        self.ops = tuple(sorted(set(ops)))
        # The extra fetches of the call that reach them; empty: the model's own roots.
        self.reached_by = tuple(reached_by)
        fetches = ", ".join(repr(name) for name in self.reached_by)
        what = (
            "the model contains"
            if not self.reached_by
            else f"the extra fetch {fetches} reaches"
            if len(self.reached_by) == 1
            else f"the extra fetches {fetches} reach"
        )
        super().__init__(
            f"Refusing to run: {what} unsafe ops ({', '.join(self.ops)}). "
            "Opt in with 'I trust this model' in the app or --allow-unsafe-ops on the CLI."
        )


class ModelLimitError(ExplorerError):
    """The model is past a limit that protects the server; the message names the limit,
    its value, and the environment variable that raises it."""

    def __init__(self, message: str, *, limit: str) -> None:
        # The environment variable (or option) that sets the limit.
        self.limit = limit
        super().__init__(message)


class ModelLoadError(ExplorerError):
    """TensorFlow could not load the SavedModel: TF Serving could not serve it either."""


class ServingRuleError(ExplorerError):
    """TF Serving would reject this call; the message is TF Serving's own text.

    ``code`` is the canonical gRPC status name TF Serving would return
    (``INVALID_ARGUMENT``, ``FAILED_PRECONDITION``, ...); the REST status follows from it.
    ``explanation`` is a plain line for a person, set where the explorer knows more than
    TF Serving says (what a request sent against what the signature declares); it is never
    part of the message, which stays TF Serving's text.
    """

    explanation: str | None = None

    def __init__(self, message: str, *, code: str = "INVALID_ARGUMENT") -> None:
        self.code = code
        super().__init__(message)


class InputError(ServingRuleError):
    """A request TF Serving would refuse: bad JSON, a missing key, a wrong dtype or shape.

    ``key`` names the input (or request member) at fault when there is one, so a form
    can show the message at that input.
    """

    def __init__(
        self, message: str, *, key: str | None = None, code: str = "INVALID_ARGUMENT"
    ) -> None:
        self.key = key
        super().__init__(message, code=code)


class ExecutionError(ServingRuleError):
    """TensorFlow failed while running a signature; the message is the runtime's.

    ``sandbox_note`` is set when the run happened inside the sandbox for a model the scan
    flagged (opted in): an op reaching outside fails there where TF Serving would run it,
    so the failure may be the sandbox's. Like ``explanation``, never part of the message.
    """

    sandbox_note: str | None = None


class WorkerEndedError(ExecutionError):
    """The worker process running the model ended during the call: TensorFlow crashed or
    aborted, the worker outgrew its memory limit, or the call outlived its time limit.

    TF Serving runs the same kernels in its own process, so there such a request takes the
    whole server down; ``note`` says so in words for the person reading the answer.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: Literal["crashed", "memory", "timeout"],
        note: str,
        code: str = "INTERNAL",
    ) -> None:
        self.reason = reason
        self.note = note
        super().__init__(message, code=code)


class GraphError(ExplorerError):
    """A graph view, click or search that names nothing in the graph."""


class GraphOptionError(GraphError):
    """A graph option names nothing in this signature's graph (a key, scope or function)."""

    def __init__(
        self, what: str, value: str, choices: Iterable[str], message: str | None = None
    ) -> None:
        self.what = what
        self.value = value
        self.choices = tuple(choices)
        super().__init__(
            message
            or f'No {what} "{value}" in this signature\'s graph. '
            f"Choose one of: {', '.join(self.choices) or '(none)'}."
        )


class UnknownGraphElementError(GraphError):
    """A click named no box and no open cluster of the graph it was made on."""

    def __init__(self, element_id: str, signature_key: str) -> None:
        self.element_id = element_id
        super().__init__(
            f'Nothing called "{element_id}" is drawn in the graph of signature '
            f'"{signature_key}"; the drawing may be older than the graph. Draw it again.'
        )


class UnknownNodeError(GraphError):
    """No op (or no function) with the requested name."""

    def __init__(self, name: str, where: str, similar: tuple[str, ...]) -> None:
        self.name = name
        self.where = where
        self.similar = similar
        hint = f" Similar names: {', '.join(similar)}." if similar else ""
        super().__init__(f'No node "{name}" in {where}.{hint}')


class TapError(GraphError):
    """A tap (an op output to return beside the answer) that names no op the signature
    runs, has no such output, or cannot be fetched; says how to name one that can."""


class GraphvizError(ExplorerError):
    """Graphviz's ``dot`` program is missing, failed, or took too long."""


class CasesFileError(ExplorerError):
    """A cases file that cannot be read: not JSON lines, or a line is not a valid case."""


class WarmupFileError(ExplorerError):
    """A warmup requests file that cannot be read or written, or a request that cannot go
    into one. What TF Serving would make of a readable file is a finding, not this error."""


class ModelConfigError(ExplorerError):
    """A ``--model_config_file`` that cannot be read, or is not a text ModelServerConfig."""


class DeepLinkError(ExplorerError):
    """A link parameter that cannot describe a view; ``param`` names it."""

    def __init__(self, message: str, *, param: str) -> None:
        self.param = param
        super().__init__(message)


class RemoteError(ExplorerError):
    """The server could not be asked, or did not answer as TF Serving does.

    Every message names the server, the model and what to check, because the user's next
    step is usually a flag or a port, not the request.
    """

    def __init__(self, message: str, *, server: str = "", model: str = "") -> None:
        self.server = server
        self.model = model
        super().__init__(message)


class RemoteAddressError(RemoteError):
    """The server URL or model spec cannot be used as given."""


class RemoteConnectionError(RemoteError):
    """No connection: refused, unreachable, unknown host, or dropped mid-call."""


class RemoteTimeoutError(RemoteError):
    """The server did not answer completely within the timeout."""

    def __init__(
        self, message: str, *, timeout_s: float, server: str = "", model: str = ""
    ) -> None:
        self.timeout_s = timeout_s
        super().__init__(message, server=server, model=model)


class RemoteTLSError(RemoteError):
    """TLS failed: handshake, certificate verification, or the certificate files."""


class UnknownModelError(RemoteError):
    """The server does not serve that model, version or label (TF Serving's NOT_FOUND)."""

    def __init__(
        self, message: str, *, server_message: str, server: str = "", model: str = ""
    ) -> None:
        # TF Serving's own text, e.g. "Servable not found for request: Latest(foo)".
        self.server_message = server_message
        super().__init__(message, server=server, model=model)


class MalformedReplyError(RemoteError):
    """The reply is not what TF Serving sends: not its JSON, or a proto that does not parse."""


class RemoteCancelledError(RemoteError):
    """The call was cancelled before the server answered."""
