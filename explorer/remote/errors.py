"""What can go wrong talking to a TF Serving deployment, each with what to check.

    ExplorerError
    └── RemoteError              base: the server could not give TF Serving's answer
        ├── RemoteAddressError   the URL cannot be used (scheme, host, port, version+label)
        ├── RemoteConnectionError  refused, unreachable, unknown host, connection dropped
        ├── RemoteTimeoutError   no complete answer within the timeout
        ├── RemoteTLSError       TLS handshake or certificate failure, unreadable cert files
        ├── UnknownModelError    the server has no such model, version or label
        ├── MalformedReplyError  the reply is not TF Serving's (wrong port, proxy page, bad proto)
        └── RemoteCancelledError the user cancelled the call

A request the server *answers* with an error (a bad body, a signature TF Serving rejects)
is not a RemoteError: it is TF Serving's answer, returned as ``{"error": ...}`` like the
in-process calls return it. Every message names the server, the model and what to check,
because the user's next step is usually a flag or a port, not the request.
"""

from __future__ import annotations

from explorer.errors import ExplorerError


class RemoteError(ExplorerError):
    """The server could not be asked, or did not answer as TF Serving does."""

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


def unknown_model(details: str, server: str, model: str) -> UnknownModelError:
    """NOT_FOUND (or an unknown label) as the error that says what to check."""
    return UnknownModelError(
        f'{server} does not serve that model: "{details}". Check the model name ("{model}", '
        "TF Serving's --model_name or model_config_list), the version (a loaded version "
        "folder) and the label (version_labels in the model config).",
        server_message=details,
        server=server,
        model=model,
    )
