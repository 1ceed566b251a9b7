"""Archive limits on the whole archive, for every format: a plain .tar's GNU-sparse member
(1 KB that expands to 2.1 GB of holes), a zip of 2,000 members each just under the
per-member ratio grace, and member paths the system cannot hold. Each archive is built
here, in memory; each refusal comes after at most a few MiB written, leaves nothing
behind, and names the limit and its variable."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explorer.errors import ModelSourceError, UnsafeArchiveError
from explorer.safety.archive_limits import ENV_MAX_RATIO, RATIO_GRACE_BYTES, ArchiveLimits
from explorer.safety.archives import extract_archive
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


@pytest.fixture
def refused(tmp_path: Path) -> Callable[..., UnsafeArchiveError]:
    """Extract, expect an UnsafeArchiveError, prove nothing was left behind."""

    def check(data: bytes, filename: str, **limits: Any) -> UnsafeArchiveError:
        scratch = tmp_path / "scratch"
        scratch.mkdir(exist_ok=True)
        with pytest.raises(UnsafeArchiveError) as info:
            extract_archive(data, filename, limits=ArchiveLimits(**limits), temp_dir=scratch)
        assert list(scratch.iterdir()) == []
        return info.value

    return check


def test_the_sparse_builder_makes_what_tar_reads_as_a_sparse_file() -> None:
    data = sparse_tar(3 * MiB)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tf:
        members = {m.name: m for m in tf}
    variables = members["model/variables/variables.data-00000-of-00001"]
    assert variables.issparse()
    assert variables.size == 3 * MiB
    assert len(data) < len(MODEL_PB) + 4096  # the model file, and 2.5 KB for the rest


def test_a_sparse_tar_is_refused_on_the_archive_ratio(
    refused: Callable[..., UnsafeArchiveError],
) -> None:
    data = sparse_tar(2_100_000_000)  # 2.1 GB of holes, under the 2 GiB total
    err = refused(data, "sparse.tar")
    assert err.member == "model/variables/variables.data-00000-of-00001"
    message = str(err)
    assert "expands the archive more than 200×" in message
    assert "sparse file's holes" in message
    assert ENV_MAX_RATIO in message
    written = int(message.split("(")[1].split(" bytes")[0].replace(",", ""))
    # Stopped within a chunk of 200× what was read (tar reads ahead: all 15 KB of it).
    assert written <= max(RATIO_GRACE_BYTES, 200 * len(data)) + MiB


def test_a_sparse_tar_under_the_ratio_extracts(tmp_path: Path) -> None:
    with extract_archive(sparse_tar(600 * 1024), "small.tar", temp_dir=tmp_path) as extracted:
        data = extracted.model_dir / "variables" / "variables.data-00000-of-00001"
        assert data.stat().st_size == 600 * 1024  # under the grace: holes are fine


def test_many_members_just_under_the_member_grace_are_refused_on_the_total(
    refused: Callable[..., UnsafeArchiveError],
) -> None:
    data = zip_of_zeros(2000, RATIO_GRACE_BYTES)  # 2,000 MiB from ~2 MB
    assert len(data) < 3 * MiB
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # a real zip, to Python's own reader
        assert len(zf.infolist()) == 2000
        assert zf.read(zf.infolist()[-1]) == bytes(RATIO_GRACE_BYTES)
    err = refused(data, "many.zip")
    assert "expands the archive more than 200×" in str(err)
    assert err.member == "model/variables/zeros00001"  # the second member: 2 MiB written


def test_one_member_past_the_member_grace_is_refused_on_its_own_ratio(
    refused: Callable[..., UnsafeArchiveError],
) -> None:
    err = refused(zip_of_zeros(1, 4 * MiB), "one.zip")
    assert "member 'model/variables/zeros00000' expands more than 200×" in str(err)


def test_a_raised_ratio_leaves_the_total_limit(
    refused: Callable[..., UnsafeArchiveError],
) -> None:
    limits = {"max_compression_ratio": 1e6, "max_total_bytes": 8 * MiB}
    err = refused(zip_of_zeros(20, MiB), "many.zip", **limits)
    assert "takes the archive past 8388608 uncompressed bytes" in str(err)
    assert err.member == "model/variables/zeros00008"


def _one_member(name: str, filename: str) -> bytes:
    buffer = io.BytesIO()
    if filename.endswith(".zip"):
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr(name, b"x")
    else:
        info = tarfile.TarInfo(name)
        info.size = 1
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tf:
            tf.addfile(info, io.BytesIO(b"x"))
    return buffer.getvalue()


@pytest.mark.parametrize("filename", ["long.zip", "long.tar"])
@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("m/" + "a" * 1000, "has a name longer than 255 bytes"),
        ("m/" + "/".join(["abcdefgh"] * 600), "has a path too long to extract here"),
    ],
    ids=["1000-byte name", "600 folders deep"],
)
def test_member_paths_the_system_cannot_hold_are_one_message(
    refused: Callable[..., UnsafeArchiveError], filename: str, name: str, rule: str
) -> None:
    err = refused(_one_member(name, filename), filename)
    assert err.member == name
    assert rule in str(err)


def test_limits_are_read_from_the_environment() -> None:
    assert ArchiveLimits.from_env({ENV_MAX_RATIO: "50"}).max_compression_ratio == 50.0
    with pytest.raises(ModelSourceError, match=ENV_MAX_RATIO):
        ArchiveLimits.from_env({ENV_MAX_RATIO: "lots"})
