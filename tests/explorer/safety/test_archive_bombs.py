"""Archive limits on the whole archive, for every format: a plain .tar's GNU-sparse member
(1 KB that expands to 2.1 GB of holes), a zip of 2,000 members each just under the
per-member ratio grace, and member paths the system cannot hold. Each archive is built in
memory (``hostile_archives``); each refusal comes after at most a few MiB written, leaves nothing
behind, and names the limit and its variable."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explorer.errors import ModelSourceError, UnsafeArchiveError
from explorer.safety.archive_limits import ENV_MAX_RATIO, RATIO_GRACE_BYTES, ArchiveLimits
from explorer.safety.archives import extract_archive
from tests.explorer.safety.hostile_archives import MODEL_PB, MiB, sparse_tar, zip_of_zeros


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
        ("m/" + "/".join(["n" * 250] * 20), "has a path too long to extract here"),
        ("/".join(["a"] * 1500) + "/x", "is nested 1,500 folders deep (at most 64)"),
    ],
    ids=["1000-byte name", "5000-byte path", "1500 folders deep"],
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
