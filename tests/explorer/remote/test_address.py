"""Server URLs and the app's allowed-servers policy."""

from __future__ import annotations

import pytest

from explorer.errors import RemoteAddressError
from explorer.remote.address import (
    AllowedServers,
    ServerAddress,
    check_server_allowed,
    parse_server_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8501", ServerAddress("rest", "localhost", 8501, False)),
        ("https://tf.example.com", ServerAddress("rest", "tf.example.com", 8501, True)),
        ("grpc://10.0.0.2", ServerAddress("grpc", "10.0.0.2", 8500, False)),
        ("GRPCS://h:9000/", ServerAddress("grpc", "h", 9000, True)),
        ("127.0.0.1:8601", ServerAddress("rest", "127.0.0.1", 8601, False)),
        ("http://[::1]:8501", ServerAddress("rest", "::1", 8501, False)),
    ],
)
def test_urls_give_protocol_host_port_and_tls(url: str, expected: ServerAddress) -> None:
    assert parse_server_url(url) == expected


def test_normalized_url_brackets_ipv6() -> None:
    assert parse_server_url("grpcs://[::1]:1").url == "grpcs://[::1]:1"


def test_by_default_only_this_machine_is_allowed() -> None:
    policy = AllowedServers.from_env(environ={})
    assert policy.allows(parse_server_url("http://localhost:8501"))
    assert policy.allows(parse_server_url("grpc://[::1]:8500"))
    with pytest.raises(RemoteAddressError, match="EXPLORER_ALLOWED_SERVERS=host:port"):
        check_server_allowed(parse_server_url("http://10.1.2.3:8501"), policy)


def test_configured_servers_replace_the_default() -> None:
    policy = AllowedServers.from_env(
        ["tf.internal:8500"], environ={"EXPLORER_ALLOWED_SERVERS": "models.example.com, [::1]:9"}
    )
    assert policy.allows(parse_server_url("grpc://tf.internal:8500"))
    assert not policy.allows(parse_server_url("http://tf.internal:8501"))  # the port counts
    assert policy.allows(parse_server_url("https://MODELS.example.com:443"))  # any port
    assert policy.allows(parse_server_url("http://[::1]:9"))
    assert not policy.allows(parse_server_url("http://localhost:8501"))
    assert AllowedServers.from_env(environ={"EXPLORER_ALLOWED_SERVERS": "*"}).allows(
        parse_server_url("http://anything:1")
    )
