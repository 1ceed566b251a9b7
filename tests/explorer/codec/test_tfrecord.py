"""TFRecord framing without TensorFlow: TensorFlow's checksums and its reader's words.

The expected messages are TensorFlow's ``record_reader.cc`` (``corrupted record at``,
``truncated record at ...' failed with``, the ``(Is this even a TFRecord file?)`` reminder at
offset 0) over Posix's short read ("Read less bytes than requested"); the round trip with
TensorFlow's own reader and writer is ``tests/explorer/deploy/test_warmup_tensorflow.py``.
"""

from __future__ import annotations

import struct

import pytest

from explorer.codec.tfrecord import masked_crc32c, scan_tfrecords, tfrecord_bytes

RECORDS = [b"hello", b"", b"x" * 300]


def test_crc32c_is_castagnoli_and_masked_as_tensorflow_masks_it() -> None:
    # crc32c("123456789") = 0xE3069283 (RFC 3720's check value); Mask() rotates right by
    # 15 bits and adds 0xa282ead8.
    crc = 0xE3069283
    assert masked_crc32c(b"123456789") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) % 2**32


def test_records_are_length_crc_data_crc() -> None:
    data = tfrecord_bytes([b"abc"])
    assert data[:8] == struct.pack("<Q", 3)
    assert struct.unpack("<I", data[8:12])[0] == masked_crc32c(data[:8])
    assert data[12:15] == b"abc"
    assert struct.unpack("<I", data[15:19])[0] == masked_crc32c(b"abc")
    assert len(data) == 19


def test_a_written_file_reads_back_record_by_record() -> None:
    scan = scan_tfrecords(tfrecord_bytes(RECORDS))
    assert [r.data for r in scan.records] == RECORDS
    assert [r.offset for r in scan.records] == [0, 21, 37]
    assert scan.error is None
    assert scan.ignored_tail == 0


def test_an_empty_file_has_no_records_and_no_error() -> None:
    assert scan_tfrecords(b"") == scan_tfrecords(tfrecord_bytes([]))
    assert scan_tfrecords(b"").records == ()


@pytest.mark.parametrize(
    ("damage", "message", "kept"),
    [
        (lambda d: b"\x00" + d[1:], "corrupted record at 0 (Is this even a TFRecord file?)", 0),
        (lambda d: d[:12] + b"j" + d[13:], "corrupted record at 12", 0),
        (lambda d: d[:21] + b"\x09" + d[22:], "corrupted record at 21", 1),
        (lambda d: d[:-3], "truncated record at 37' failed with Read less bytes than requested", 2),
        (
            lambda d: d[:8] + struct.pack("<I", masked_crc32c(d[:8])) + b"hel",
            "truncated record at 0' failed with Read less bytes than requested",
            0,
        ),
    ],
    ids=["header-crc-at-0", "data-crc", "later-header", "truncated-data", "short-first"],
)
def test_damage_is_reported_in_tensorflows_words(damage, message: str, kept: int) -> None:  # type: ignore[no-untyped-def]
    scan = scan_tfrecords(damage(tfrecord_bytes(RECORDS)))
    assert scan.error == message
    assert len(scan.records) == kept


def test_a_partial_header_at_the_end_is_taken_for_the_end() -> None:
    # RandomAccessInputStream returns OUT_OF_RANGE for the short read, which the warmup
    # (and tf.data) take for the end of the file: the bytes are ignored, not an error.
    scan = scan_tfrecords(tfrecord_bytes(RECORDS) + b"abc")
    assert scan.error is None
    assert scan.ignored_tail == 3
    assert len(scan.records) == 3


def test_a_huge_length_is_a_truncation_not_an_allocation() -> None:
    header = struct.pack("<Q", 2**40)
    scan = scan_tfrecords(header + struct.pack("<I", masked_crc32c(header)) + b"tiny")
    assert scan.error == "truncated record at 0' failed with Read less bytes than requested"


def test_a_length_near_two_to_the_64_is_too_large() -> None:
    header = struct.pack("<Q", 2**64 - 2)
    scan = scan_tfrecords(header + struct.pack("<I", masked_crc32c(header)))
    assert scan.error == "record size too large"
