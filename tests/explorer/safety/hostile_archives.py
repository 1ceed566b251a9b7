"""Archives that expand far past their size, built in memory in milliseconds (never
committed): a tar whose GNU-sparse member is mostly a hole, and a zip of many members
written from one deflated block."""

from __future__ import annotations

import io
import struct
import tarfile
import zlib

from tests.conftest import HALF_PLUS_TWO_CPU

MODEL_PB = (HALF_PLUS_TWO_CPU / "00000123" / "saved_model.pb").read_bytes()
MiB = 1 << 20


def _octal(value: int, width: int) -> bytes:
    return b"%0*o" % (width - 1, value) + b"\0"


def sparse_member(name: str, real_size: int, data: bytes = b"x" * 512) -> bytes:
    """An old-GNU sparse member (type 'S'): ``data`` stored at the end of a file of
    ``real_size`` bytes; the rest is a hole that reads back as zeros."""
    header = bytearray(512)
    header[0 : len(name)] = name.encode()
    header[100:108] = _octal(0o644, 8)
    header[108:116] = _octal(0, 8)
    header[116:124] = _octal(0, 8)
    header[124:136] = _octal(len(data), 12)  # the bytes stored
    header[136:148] = _octal(0, 12)
    header[156:157] = b"S"
    header[257:265] = b"ustar  \0"  # GNU magic
    header[386:398] = _octal(real_size - len(data), 12)  # sparse map: (offset, size)
    header[398:410] = _octal(len(data), 12)
    header[483:495] = _octal(real_size, 12)  # the file's real size
    header[148:156] = b" " * 8
    header[148:156] = _octal(sum(header), 7) + b" "
    return bytes(header) + data + b"\0" * (-len(data) % 512)


def sparse_tar(real_size: int) -> bytes:
    """A SavedModel whose variables file is sparse: ``real_size`` bytes from 1 KB."""
    info = tarfile.TarInfo("model/saved_model.pb")
    info.size = len(MODEL_PB)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tf:
        tf.addfile(info, io.BytesIO(MODEL_PB))
    head = buffer.getvalue()[: 512 + len(MODEL_PB) + (-len(MODEL_PB) % 512)]
    sparse = sparse_member("model/variables/variables.data-00000-of-00001", real_size)
    return head + sparse + b"\0" * 1024


def zip_of_zeros(count: int, size: int) -> bytes:
    """A zip of ``count`` members of ``size`` zero bytes, deflated once and written
    ``count`` times (building it costs one compression, not ``count``)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = compressor.compress(bytes(size)) + compressor.flush()
    crc = zlib.crc32(bytes(size))
    out, central = io.BytesIO(), io.BytesIO()
    for i in range(count):
        name = f"model/variables/zeros{i:05d}".encode()
        offset = out.tell()
        fields = (20, 0, 8, 0, 0, crc, len(packed), size, len(name), 0)
        out.write(b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + name + packed)
        entry = (20, 20, 0, 8, 0, 0, crc, len(packed), size, len(name), 0, 0, 0, 0, 0, offset)
        central.write(b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", *entry) + name)
    start, directory = out.tell(), central.getvalue()
    end = struct.pack("<HHHHIIH", 0, 0, count, count, len(directory), start, 0)
    return out.getvalue() + directory + b"PK\x05\x06" + end
