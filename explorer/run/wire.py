"""The worker's wire format: length-prefixed frames of a small JSON header plus raw array
buffers, the same in both directions.

Arrays cross as their bytes (numeric dtypes, C order) or, for string tensors, as one
buffer of lengths and one of concatenated bytes: no JSON for values, and nothing is ever
unpickled. The worker runs code from a stranger's model, so everything it sends back is
read as data whose every field is checked: a compromised worker can lie about values, but
cannot make the parent run anything.

A frame is ``u32 header length | header JSON | for each array buffer: u64 length | bytes``.
The header is an object with ``"arrays"``: one ``{"dtype", "shape", "buffers"}`` entry per
array, in order.
"""

from __future__ import annotations

import functools
import json
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Far above anything legitimate (a 4 GiB output is already absurd for one call), so a
# corrupt length cannot make the reader allocate without bound.
MAX_HEADER_BYTES = 64 * 1024 * 1024
MAX_BUFFER_BYTES = 16 * 1024**3
MAX_RANK = 254  # TensorShape::kMaxDimensions
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_STRING = "string"
# Array buffers are received at this alignment (TensorFlow's EIGEN_MAX_ALIGN_BYTES on the
# x86 wheels is at most 64): a feed that is aligned becomes a tensor without a copy, where
# an unaligned one is copied by TensorFlow first.
_ALIGN = 64
# Frames smaller than this are joined and written at once; larger array buffers are written
# from the array's own memory, never copied into one joined frame first.
_JOIN_BYTES = 64 * 1024
# dtype.kind values a tensor can have (bool, ints, floats, complex); "V" only for the
# ml_dtypes extension types TensorFlow uses (bfloat16, float8), looked up by name.
_NUMERIC_KINDS = frozenset("biufc")


class WireError(Exception):
    """A frame that is not in this format (a bug, or a worker that lost its mind)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One message: its header fields and its arrays."""

    header: dict[str, Any]
    arrays: tuple[np.ndarray, ...] = ()


def send_frame(sock: socket.socket, frame: Frame) -> None:
    """Write one frame (the caller serialises writers)."""
    specs: list[dict[str, Any]] = []
    buffers: list[memoryview | bytes] = []
    for array in frame.arrays:
        spec, parts = _encode(array)
        specs.append(spec)
        buffers.extend(parts)
    header = json.dumps({**frame.header, "arrays": specs}, separators=(",", ":")).encode()
    pending: list[memoryview | bytes] = [_U32.pack(len(header)), header]
    for part in buffers:
        pending.append(_U64.pack(len(part)))
        if len(part) < _JOIN_BYTES:
            pending.append(part)
            continue
        sock.sendall(b"".join(pending))
        sock.sendall(part)
        pending = []
    if pending:
        sock.sendall(b"".join(pending))


def receive_frame(sock: socket.socket) -> Frame | None:
    """Read one frame; None when the other end closed cleanly between frames.

    Raises:
        WireError: a malformed frame, or the connection ended inside one.
    """
    head = _receive(sock, _U32.size, allow_eof=True)
    if head is None:
        return None
    (size,) = _U32.unpack(head)
    if size > MAX_HEADER_BYTES:
        raise WireError(f"header of {size} bytes")
    try:
        header = json.loads(_need(sock, size))
    except ValueError as exc:
        raise WireError(f"header is not JSON: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), list):
        raise WireError("header is not an object with an arrays list")
    arrays = tuple(_decode(spec, sock) for spec in header.pop("arrays"))
    return Frame(header, arrays)


def _encode(array: np.ndarray) -> tuple[dict[str, Any], list[memoryview | bytes]]:
    array = np.asarray(array)
    shape = list(array.shape)
    if array.dtype.kind in "OSU":
        items = [_as_bytes(v) for v in array.reshape(-1).tolist()]
        lengths = np.fromiter((len(v) for v in items), dtype="<u8", count=len(items))
        return {"dtype": _STRING, "shape": shape, "buffers": 2}, [
            lengths.tobytes(),
            b"".join(items),
        ]
    data = np.ascontiguousarray(array)
    # Its bytes as they lie in memory, by a uint8 view: a memoryview of a bfloat16 or
    # float8 array (ml_dtypes) cannot be cast to bytes itself.
    return (
        {"dtype": _dtype_name(data.dtype), "shape": shape, "buffers": 1},
        [data.reshape(-1).view(np.uint8).data if data.size else b""],
    )


def _decode(spec: Any, sock: socket.socket) -> np.ndarray:
    if not isinstance(spec, dict):
        raise WireError("array spec is not an object")
    shape = spec.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_RANK
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise WireError(f"bad shape {shape!r}")
    count = 1
    for d in shape:
        count *= d
    name = spec.get("dtype")
    if name == _STRING:
        lengths = np.frombuffer(_buffer(sock), dtype="<u8")
        data = bytes(_buffer(sock))
        if lengths.size != count or int(lengths.sum()) != len(data):
            raise WireError("string lengths do not match the data")
        ends = np.cumsum(lengths)
        starts = ends - lengths
        items = [data[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
        out = np.empty(count, dtype=object)
        out[:] = items
        return out.reshape(shape)
    dtype = _dtype(name)
    size = _buffer_size(sock)
    if size != count * dtype.itemsize:
        raise WireError(f"{size} bytes for {count} values of {dtype}")
    raw, offset = _receive_aligned(sock, size)
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape)


def _dtype_name(dtype: np.dtype[Any]) -> str:
    # ml_dtypes' types by name: numpy says bfloat16's kind is "V" and a float8's "f", and
    # neither one's dtype.str ("<V2", "<f1") reads back as it.
    if dtype.name in _EXTENSION_NAMES and dtype.name in _extension_dtypes():
        return dtype.name
    if dtype.kind in _NUMERIC_KINDS:
        return dtype.str
    raise WireError(f"arrays of {dtype} cannot cross to the worker")


def _dtype(name: Any) -> np.dtype[Any]:
    if not isinstance(name, str):
        raise WireError(f"bad dtype {name!r}")
    # Only these names need ml_dtypes: importing it costs half a second, which a process's
    # first answer of plain floats would otherwise pay.
    extension = _extension_dtypes().get(name) if name in _EXTENSION_NAMES else None
    if extension is not None:
        return extension
    try:
        dtype = np.dtype(name)
    except TypeError as exc:
        raise WireError(f"unknown dtype {name!r}") from exc
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
        raise WireError(f"dtype {name!r} is not a tensor's")
    return dtype


_EXTENSION_NAMES = ("bfloat16", "float8_e4m3fn", "float8_e5m2", "int4", "uint4")


@functools.cache
def _extension_dtypes() -> dict[str, np.dtype[Any]]:
    # TensorFlow's bfloat16 and float8 types come from ml_dtypes (installed with it).
    try:
        import ml_dtypes
    except ImportError:  # without TensorFlow's helpers no worker sends such arrays
        return {}
    return {n: np.dtype(getattr(ml_dtypes, n)) for n in _EXTENSION_NAMES if hasattr(ml_dtypes, n)}


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    raise WireError(f"a {type(value).__name__} in a string tensor")


def _buffer(sock: socket.socket) -> bytearray:
    return _need(sock, _buffer_size(sock))


def _buffer_size(sock: socket.socket) -> int:
    (size,) = _U64.unpack(_need(sock, _U64.size))
    if size > MAX_BUFFER_BYTES:
        raise WireError(f"buffer of {size} bytes")
    return int(size)


def _receive_aligned(sock: socket.socket, size: int) -> tuple[bytearray, int]:
    """``size`` bytes read into a fresh buffer at an address aligned to ``_ALIGN``: the
    buffer and where in it they start."""
    buffer = bytearray(size + _ALIGN)
    address = np.frombuffer(buffer, dtype=np.uint8).ctypes.data
    offset = -address % _ALIGN
    _fill(sock, memoryview(buffer)[offset : offset + size])
    return buffer, offset


def _need(sock: socket.socket, size: int) -> bytearray:
    data = _receive(sock, size, allow_eof=False)
    assert data is not None
    return data


def _receive(sock: socket.socket, size: int, *, allow_eof: bool) -> bytearray | None:
    # A bytearray, not bytes: arrays made on it are writable and nothing is copied again.
    buffer = bytearray(size)
    if not _fill(sock, memoryview(buffer), allow_eof=allow_eof):
        return None
    return buffer


def _fill(sock: socket.socket, view: memoryview, *, allow_eof: bool = False) -> bool:
    """Read exactly ``len(view)`` bytes into ``view``; False if the other end closed before
    the first byte and ``allow_eof``."""
    size = len(view)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            if got == 0 and allow_eof:
                return False
            raise WireError("the connection ended inside a frame")
        got += n
    return True


def arrays_of(values: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """Feeds or fetches as arrays for a frame."""
    return tuple(np.asarray(v) for v in values)
