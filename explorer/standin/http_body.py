"""A request's body as HTTP/1.1 frames it (RFC 9112, section 6): a ``Content-Length``, or
the ``chunked`` transfer coding, which TF Serving's HTTP server (libevent's) decodes too.

Framing the body one way only is what keeps a connection's requests apart: a body read
short or long leaves bytes that the next request would start with (request smuggling,
behind a proxy that frames it the other way). So a request whose framing is ambiguous is
refused and its connection closed: ``Content-Length`` headers that disagree, both
headers at once, or another transfer coding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

from explorer.model.locate import is_number

_HEX = frozenset(b"0123456789abcdefABCDEF")
_LINE_LIMIT = 8192  # a chunk-size line or a trailer line longer than this is refused


@dataclass(frozen=True, slots=True)
class Framing:
    """How a request's body is framed: ``chunked``, or ``length`` bytes; or why neither."""

    chunked: bool = False
    length: int = 0
    problem: str | None = None  # the request's fault: answered 400, connection closed


class BodyError(Exception):
    """A chunked body that breaks the coding's grammar, or grows past the limit."""


def framing(headers: Message, limit: int) -> Framing:
    """Read the framing headers.

    Args:
        headers: the request's headers.
        limit: the most bytes a body may have.
    """
    codings = headers.get_all("Transfer-Encoding") or []
    lengths = [v.strip() for v in headers.get_all("Content-Length") or []]
    if codings:
        if lengths:
            return Framing(problem="Both Transfer-Encoding and Content-Length frame the body.")
        if [c.strip().lower() for c in codings] != ["chunked"]:
            return Framing(problem=f"Unsupported Transfer-Encoding: {', '.join(codings)!r}")
        return Framing(chunked=True)
    if len(set(lengths)) > 1:
        return Framing(problem=f"Conflicting Content-Length headers: {', '.join(lengths)}")
    declared = lengths[0] if lengths else "0"
    if not is_number(declared):
        return Framing(problem=f"Malformed Content-Length: {declared!r}")
    length = int(declared)
    if length > limit:
        return Framing(problem=f"Request body of {length} bytes is too large.")
    return Framing(length=length)


def read_chunked(
    readline: Callable[[int], bytes], read: Callable[[int], bytes], limit: int
) -> bytes:
    """A chunked body's bytes, its chunks joined (chunk extensions and trailers dropped).

    Args:
        readline: the stream's ``readline(limit)``.
        read: the stream's ``read(n)``.
        limit: the most bytes the body may have.

    Raises:
        BodyError: a chunk-size line that is not hex, a chunk not followed by CRLF, a line
            past the line limit, or more than ``limit`` bytes.
        EOFError: the stream ended inside the body (the client hung up).
    """
    parts: list[bytes] = []
    total = 0
    while True:
        size_text = _line(readline).split(b";", 1)[0].strip()
        if not size_text or not set(size_text) <= _HEX or len(size_text) > 16:
            raise BodyError(f"Malformed chunk size: {size_text[:32]!r}")
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > limit:
            raise BodyError(f"Request body of more than {limit} bytes is too large.")
        data = read(size)
        if len(data) < size:
            raise EOFError
        parts.append(data)
        if _line(readline) != b"":
            raise BodyError("A chunk is not followed by CRLF.")
    while _line(readline) != b"":  # trailer fields, up to the empty line
        pass
    return b"".join(parts)


def _line(readline: Callable[[int], bytes]) -> bytes:
    """One line without its CRLF (or LF)."""
    line = readline(_LINE_LIMIT + 1)
    if not line:
        raise EOFError
    if len(line) > _LINE_LIMIT:
        raise BodyError("A line of the chunked body is too long.")
    if not line.endswith(b"\n"):
        raise EOFError  # the stream ended inside the line
    return line.rstrip(b"\r\n")
