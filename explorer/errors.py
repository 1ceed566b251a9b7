"""The one error hierarchy for every failure a user can cause.

    ExplorerError                  base: anything a user can cause and fix
    ├── ModelSourceError           path missing, not a directory, bad archive, no version folders
    ├── InvalidSavedModelError     saved_model.pb(.txt) unreadable; wraps the parser's cause
    ├── UnknownTagSetError         no MetaGraph with those tags; lists the tag-sets there are
    ├── UnknownSignatureError      no SignatureDef with that key; lists the keys there are
    ├── ServingRuleError           TF Serving would reject the call; its sentence verbatim
    ├── InputError                 bad request JSON, missing/extra key, wrong dtype or shape
    ├── UnsafeModelError           unsafe ops found and not opted in; lists them
    └── ExecutionError             TensorFlow raised while running; the cause kept as __cause__

The app shows ``str(err)`` in an error box and keeps its session; the CLI prints it on
one stderr line and exits 2 (or, for a rejected request, prints ``{"error": ...}``
and exits 1, as TF Serving's REST API answers).
"""

from __future__ import annotations

from collections.abc import Iterable


class ExplorerError(Exception):
    """Base class of every error a user can cause: the message says what to fix."""


class ModelSourceError(ExplorerError):
    """The path, archive or versioned base folder does not lead to a SavedModel."""


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


class ServingRuleError(ExplorerError):
    """TF Serving would reject this call; the message is TF Serving's own text.

    ``code`` is the canonical gRPC status name TF Serving would return
    (``INVALID_ARGUMENT``, ``FAILED_PRECONDITION``, ...); the REST status follows from it.
    """

    def __init__(self, message: str, *, code: str = "INVALID_ARGUMENT") -> None:
        self.code = code
        super().__init__(message)


class InputError(ServingRuleError):
    """A request TF Serving would refuse: bad JSON, a missing key, a wrong dtype or shape."""

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        expected: str | None = None,
        got: str | None = None,
        code: str = "INVALID_ARGUMENT",
    ) -> None:
        self.key = key
        self.expected = expected
        self.got = got
        super().__init__(message, code=code)


class UnsafeModelError(ExplorerError):
    """The model holds ops that reach outside TensorFlow and the user has not opted in."""

    def __init__(self, findings: Iterable[object]) -> None:
        self.findings = tuple(findings)
        names = sorted({getattr(f, "op", str(f)) for f in self.findings})
        super().__init__(
            f"Refusing to run: the model contains unsafe ops ({', '.join(names)}). "
            "Opt in with 'I trust this model' in the app or --allow-unsafe-ops on the CLI."
        )


class ExecutionError(ServingRuleError):
    """TensorFlow raised while running a signature; the message is the runtime's."""
