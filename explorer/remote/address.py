"""Where a TF Serving deployment is: its URL, protocol and TLS settings.

``http://HOST:PORT`` and ``https://`` reach TF Serving's REST API (``--rest_api_port``,
8501 by convention); ``grpc://HOST:PORT`` and ``grpcs://`` its gRPC API (``--port``, 8500).
A bare ``HOST:PORT`` is taken as REST. Paths, queries and credentials in the URL are
refused rather than silently dropped: TF Serving's routes are built from the model spec.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from explorer.errors import RemoteAddressError, UnknownModelError
from explorer.model.locate import is_number

REST_DEFAULT_PORT = 8501
GRPC_DEFAULT_PORT = 8500
# scheme → (protocol, TLS)
_SCHEMES: dict[str, tuple[Literal["rest", "grpc"], bool]] = {
    "http": ("rest", False),
    "https": ("rest", True),
    "grpc": ("grpc", False),
    "grpcs": ("grpc", True),
}


@dataclass(frozen=True, slots=True)
class TlsOptions:
    """TLS settings for ``https://`` and ``grpcs://`` servers (files on this machine)."""

    # PEM file of the CA(s) to trust; None trusts the system's roots.
    ca_cert: str | None = None
    # PEM certificate and key for mutual TLS; both or neither.
    client_cert: str | None = None
    client_key: str | None = None
    # The name the server's certificate must carry when it differs from the URL's host
    # (gRPC's ssl_target_name_override; REST sends it as SNI and checks it).
    server_name: str | None = None


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """A parsed server URL."""

    protocol: Literal["rest", "grpc"]
    host: str
    port: int
    secure: bool

    @property
    def scheme(self) -> str:
        return ("http" if self.protocol == "rest" else "grpc") + ("s" if self.secure else "")

    @property
    def url(self) -> str:
        """The normalized URL, e.g. ``http://127.0.0.1:8501`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def netloc(self) -> str:
        """``HOST:PORT`` as gRPC channels and HTTP connections take it."""
        return self.url.split("://", 1)[1]


def parse_server_url(url: str) -> ServerAddress:
    """Parse ``http(s)://HOST:PORT`` (REST) or ``grpc(s)://HOST:PORT`` (gRPC).

    Args:
        url: the server URL; a bare ``HOST:PORT`` means REST over plain HTTP. Without a
            port, REST uses 8501 (80/443 for an explicit http/https would surprise TF
            Serving users) and gRPC 8500, TF Serving's conventional ports.

    Returns:
        The address.

    Raises:
        RemoteAddressError: empty URL, unknown scheme, a path/query/user part, or a bad port.
    """
    text = url.strip()
    if not text:
        raise RemoteAddressError(
            "No server URL given: expected http://HOST:PORT (REST) or grpc://HOST:PORT (gRPC)."
        )
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError as exc:  # "Invalid IPv6 URL": an unclosed [
        raise RemoteAddressError(f'Server URL "{url}" cannot be read: {exc}.') from exc
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise RemoteAddressError(
            f'Server URL "{url}": unknown scheme "{parts.scheme}". Use http:// or https:// '
            "for TF Serving's REST API, grpc:// or grpcs:// for its gRPC API."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise RemoteAddressError(
            f'Server URL "{url}": give only scheme, host and port (e.g. http://localhost:8501); '
            "the model, version and label are separate settings, and the /v1/models/... path "
            "is built from them."
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise RemoteAddressError(
            f'Server URL "{url}": the port is not a number from 1 to 65535.'
        ) from exc
    if not parts.hostname:
        raise RemoteAddressError(f'Server URL "{url}" names no host.')
    protocol, secure = _SCHEMES[scheme]
    if port is None:
        port = REST_DEFAULT_PORT if protocol == "rest" else GRPC_DEFAULT_PORT
    if port == 0:
        raise RemoteAddressError(f'Server URL "{url}": port 0 cannot be connected to.')
    return ServerAddress(protocol, parts.hostname, port, secure)


ENV_ALLOWED_SERVERS = "EXPLORER_ALLOWED_SERVERS"
SECRETS_ALLOWED_SERVERS = "allowed_servers"
# With nothing configured the app may only reach servers on its own machine.
DEFAULT_ALLOWED_SERVERS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class AllowedServers:
    """Which servers the app may call: ``host``, ``host:port`` or ``*`` entries.

    The app runs on a server and lets users type a URL, so a URL makes that server send
    requests on the user's behalf. The policy comes from ``EXPLORER_ALLOWED_SERVERS``
    (comma-separated) and/or ``allowed_servers`` in ``.streamlit/secrets.toml``; with
    neither, only this machine's loopback. The CLI and the library are not limited: their
    user runs them.
    """

    entries: tuple[str, ...]

    @classmethod
    def from_env(
        cls, extra: Sequence[str] = (), *, environ: Mapping[str, str] | None = None
    ) -> AllowedServers:
        """The configured entries, or the loopback default.

        Args:
            extra: more entries (the app's secrets).
            environ: the environment to read (default ``os.environ``).

        Returns:
            The policy.

        Raises:
            Nothing.
        """
        env = os.environ if environ is None else environ
        configured = [e.strip() for e in env.get(ENV_ALLOWED_SERVERS, "").split(",")]
        configured += [str(e).strip() for e in extra]
        entries = tuple(e.lower() for e in configured if e)
        return cls(entries or DEFAULT_ALLOWED_SERVERS)

    def allows(self, address: ServerAddress) -> bool:
        host = address.host.lower()
        for entry in self.entries:
            if entry == "*":
                return True
            entry_host, port = _split_entry(entry)
            if entry_host == host and (port is None or port == address.port):
                return True
        return False


def check_server_allowed(address: ServerAddress, allowed: AllowedServers) -> None:
    """Refuse a server outside the app's allowed servers.

    Raises:
        RemoteAddressError: the server is not allowed; names the setting that allows it.
    """
    if not allowed.allows(address):
        raise RemoteAddressError(
            f"{address.url} is not among the servers this app may call "
            f"({', '.join(allowed.entries)}). Its operator can allow it with "
            f"{ENV_ALLOWED_SERVERS}=host:port (comma-separated; * for any) or "
            f"{SECRETS_ALLOWED_SERVERS} in .streamlit/secrets.toml.",
            server=address.url,
        )


def _split_entry(entry: str) -> tuple[str, int | None]:
    # "host", "host:port", "[::1]:8501", "::1" (an IPv6 literal without a port).
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and is_number(rest[1:]) else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, int(port) if is_number(port) else None
    return entry, None


MAX_TIMEOUT_S = 3600.0


def check_settings(
    address: ServerAddress,
    model: str,
    version: int | None,
    label: str | None,
    timeout_s: float,
    tls: TlsOptions | None,
) -> None:
    """A target's settings, checked before anything is sent.

    Raises:
        RemoteAddressError: no model name, a version with a label, a bad version or timeout,
            or TLS options for a plain-text URL.
    """
    if not model:
        raise RemoteAddressError(
            f"No model name given for {address.url}: TF Serving addresses every call by "
            "model name (its --model_name, or the name in its model config)."
        )
    if version is not None and label is not None:
        raise RemoteAddressError(  # TF Serving's own words for this request
            f"Both model version ({version}) and model version label ({label}) cannot be supplied."
        )
    if version is not None and (type(version) is not int or version < 0):
        raise RemoteAddressError(f"Version {version!r}: expected a whole number ≥ 0.")
    if version is not None and address.protocol == "grpc" and version >= 2**63:
        # Over REST the number goes in the URL and TF Serving answers for itself.
        raise RemoteAddressError(
            f"Version {version} does not fit gRPC's ModelSpec.version (an int64, at most "
            f"{2**63 - 1})."
        )
    if not 0 < timeout_s <= MAX_TIMEOUT_S:
        raise RemoteAddressError(
            f"Timeout {timeout_s:g} s: expected more than 0 and at most {MAX_TIMEOUT_S:g} s."
        )
    if tls is not None and tls != TlsOptions() and not address.secure:
        scheme = "https://" if address.protocol == "rest" else "grpcs://"
        raise RemoteAddressError(
            f"TLS options were given but {address.url} is plain text: use {scheme}."
        )


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
