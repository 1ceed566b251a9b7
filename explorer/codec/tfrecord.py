"""TFRecord framing, both ways, without TensorFlow: the file format of TF Serving's warmup
requests (and of ``tf.io.TFRecordWriter``).

Each record is ``uint64 length``, ``uint32 masked_crc32c(length)``, ``length`` bytes of
data, ``uint32 masked_crc32c(data)``, little-endian (TensorFlow's ``record_writer.cc``).
:func:`scan_tfrecords` reads a file the way TF Serving's warmup does — a
``SequentialRecordReader`` over a ``RandomAccessInputStream`` (``record_reader.cc``) — and
stops where that reader stops, with its words:

- a clean end, or fewer than 12 bytes left where a header should start: the reader gets
  OUT_OF_RANGE from the file and the warmup takes it for the end of the file (so a
  truncated header is silently ignored: :attr:`TFRecordScan.ignored_tail` says how many
  bytes);
- a header whose checksum is wrong: ``corrupted record at OFFSET``, with `` (Is this even
  a TFRecord file?)`` when OFFSET is 0;
- data shorter than its length: ``truncated record at OFFSET' failed with Read less bytes
  than requested`` (TensorFlow's own stray quote included);
- data whose checksum is wrong: ``corrupted record at OFFSET+12``.

All of these are DATA_LOSS. (A length near 2**64 is ``record size too large``; TensorFlow
first tries to allocate any other length, so a huge length in a short file can make the
real reader run out of memory where this one reports the truncation.)
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

import google_crc32c

HEADER_BYTES = 12  # uint64 length + uint32 masked crc of the length
FOOTER_BYTES = 4  # uint32 masked crc of the data
_MASK_DELTA = 0xA282EAD8
_SIZE_MAX = 2**64 - 1
# What Posix RandomAccessFile::Read says when the file ends early (posix_file_system.cc).
_SHORT_READ = "Read less bytes than requested"


@dataclass(frozen=True, slots=True)
class TFRecord:
    """One record's data and where its header starts in the file."""

    offset: int
    data: bytes


@dataclass(frozen=True, slots=True)
class TFRecordScan:
    """The records TF's reader returns from a file, in order, and why it stopped."""

    records: tuple[TFRecord, ...]
    # TF's RecordReader message when it stopped on DATA_LOSS, else None (a clean end).
    error: str | None = None
    # Where the record it failed on starts.
    error_offset: int | None = None
    # Bytes after the last record too few for a header: the reader ends there quietly.
    ignored_tail: int = 0


def masked_crc32c(data: bytes) -> int:
    """CRC32C of ``data``, masked as TFRecord stores it (``crc32c::Mask``)."""
    crc = int(google_crc32c.value(data))
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def tfrecord_bytes(records: Iterable[bytes]) -> bytes:
    """The TFRecord file holding ``records`` (no compression), as TensorFlow writes it."""
    parts = []
    for data in records:
        length = struct.pack("<Q", len(data))
        parts += [
            length,
            struct.pack("<I", masked_crc32c(length)),
            data,
            struct.pack("<I", masked_crc32c(data)),
        ]
    return b"".join(parts)


def scan_tfrecords(data: bytes) -> TFRecordScan:
    """Read every record TF's ``SequentialRecordReader`` would, and where it stops.

    Args:
        data: the file's bytes.

    Returns:
        The records before the first problem, and the problem in TensorFlow's words.
    """
    records: list[TFRecord] = []
    offset = 0
    while True:
        left = len(data) - offset
        if left < HEADER_BYTES:  # 0: the end; 1..11: OUT_OF_RANGE, taken for the end too
            return TFRecordScan(tuple(records), ignored_tail=left)
        header = data[offset : offset + 8]
        (stored,) = struct.unpack_from("<I", data, offset + 8)
        if stored != masked_crc32c(header):
            return _stop(records, f"corrupted record at {offset}{_suffix(offset)}", offset)
        (length,) = struct.unpack("<Q", header)
        if length >= _SIZE_MAX - FOOTER_BYTES:
            return _stop(records, "record size too large", offset)
        start = offset + HEADER_BYTES
        end = start + length
        if end + FOOTER_BYTES > len(data):
            return _stop(
                records, f"truncated record at {offset}' failed with {_SHORT_READ}", offset
            )
        payload = data[start:end]
        (stored,) = struct.unpack_from("<I", data, end)
        if stored != masked_crc32c(payload):
            return _stop(records, f"corrupted record at {start}{_suffix(start)}", offset)
        records.append(TFRecord(offset, payload))
        offset = end + FOOTER_BYTES


def _suffix(offset: int) -> str:
    # TFRecord files carry no format marker: at offset 0 TensorFlow adds a reminder.
    return " (Is this even a TFRecord file?)" if offset == 0 else ""


def _stop(records: list[TFRecord], message: str, offset: int) -> TFRecordScan:
    return TFRecordScan(tuple(records), error=message, error_offset=offset)
