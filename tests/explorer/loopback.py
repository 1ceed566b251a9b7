"""Loopback servers for the remote-target tests: the explorer's stand-in TF Serving (REST and
gRPC over real sockets), and misbehaving servers (slow, garbage) for the fault tests."""

from __future__ import annotations

import datetime
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from explorer.standin.grpc_server import GrpcServer
from explorer.standin.rest_server import ModelRegistry, RestServer
from tests.conftest import HALF_PLUS_TWO_2_VERSIONS, HALF_PLUS_TWO_CPU

# Model names as TF Serving's tests serve them (reference §6.2).
MODELS = {"default": HALF_PLUS_TWO_CPU, "two": HALF_PLUS_TWO_2_VERSIONS}
LABELS = {"two": {"stable": 123, "canary": 124}}


@dataclass
class Servers:
    registry: ModelRegistry
    rest: RestServer
    grpc: GrpcServer

    def url(self, protocol: str) -> str:
        return self.rest.url if protocol == "rest" else self.grpc.url


@contextmanager
def serving() -> Iterator[Servers]:
    """REST and gRPC servers on free loopback ports for the anchor models, loaded."""
    if not HALF_PLUS_TWO_CPU.is_dir():
        pytest.fail(f"TF Serving anchor models missing: expected them at {HALF_PLUS_TWO_CPU}")
    registry = ModelRegistry(MODELS, labels=LABELS)
    registry.warm()
    rest = RestServer(registry).start()
    grpc = GrpcServer(registry).start()
    try:
        yield Servers(registry, rest, grpc)
    finally:
        rest.stop()
        grpc.stop()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def http_server(
    status: int, body: bytes, content_type: str, *, hold: threading.Event | None = None
):
    """A plain HTTP server answering every request alike; ``hold`` makes it wait first."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            if hold is not None:
                hold.wait(30)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        if hold is not None:
            hold.set()
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for "localhost" and 127.0.0.1 and its key, as PEM files."""
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file
