"""Safe archive extraction: hostile archives are refused and leave nothing behind."""

from __future__ import annotations

import gc
import io
import os
import re
import stat
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from explorer.errors import ModelSourceError
from explorer.model.reader import read_model
from explorer.safety.archives import (
    ENV_MAX_BYTES,
    ENV_MAX_MEMBERS,
    ENV_MAX_RATIO,
    ArchiveLimits,
    UnsafeArchiveError,
    extract_archive,
    is_archive_name,
)
from tests.conftest import HALF_PLUS_TWO_2_VERSIONS, HALF_PLUS_TWO_CPU

MODEL = HALF_PLUS_TWO_CPU / "00000123"


# --- archive builders -----------------------------------------------------------------------


def _zip(entries: list[tuple[str, bytes]], *, mode: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None and name.endswith("link"):
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def _tar(members: list[tarfile.TarInfo | tuple[str, bytes]], *, gz: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w") as tf:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tf.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def _tree(folder: Path, prefix: str) -> list[tuple[str, bytes]]:
    return [
        (f"{prefix}{p.relative_to(folder).as_posix()}", p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The temp parent for extractions; ``refused`` watches the folder around it."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


@pytest.fixture
def refused(scratch: Path) -> Callable[..., ModelSourceError]:
    """Extract, expect a refusal, and prove nothing was left anywhere near the folder."""

    def check(data: bytes, filename: str, **limits: Any) -> ModelSourceError:
        watched = scratch.parent
        before = sorted(watched.rglob("*"))
        with pytest.raises(ModelSourceError) as info:
            extract_archive(data, filename, limits=ArchiveLimits(**limits), temp_dir=scratch)
        assert sorted(watched.rglob("*")) == before, "something was written or left behind"
        assert list(scratch.iterdir()) == []
        return info.value

    return check


# --- hostile archives -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["/etc/evil.txt", "C:/evil.txt", "\\evil.txt"])
def test_absolute_paths_are_refused(refused: Callable[..., ModelSourceError], name: str) -> None:
    err = refused(_zip([("ok.txt", b"fine"), (name, b"x")]), "model.zip")
    assert isinstance(err, UnsafeArchiveError)
    assert err.member == name
    assert "has an absolute path" in str(err)


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "a\\..\\..\\evil.txt"])
def test_traversal_is_refused_in_zip_and_tar(
    refused: Callable[..., ModelSourceError], name: str
) -> None:
    for data, filename in ((_zip([(name, b"x")]), "m.zip"), (_tar([(name, b"x")]), "m.tar.gz")):
        err = refused(data, filename)
        assert f"member {name!r} has a '..' path component (path traversal)" in str(err)


def test_tar_absolute_path_is_refused(refused: Callable[..., ModelSourceError]) -> None:
    err = refused(_tar([("/tmp/evil.txt", b"x")], gz=False), "m.tar")
    assert "member '/tmp/evil.txt' has an absolute path" in str(err)


@pytest.mark.parametrize(
    ("member", "rule"),
    [
        (_special("link", tarfile.SYMTYPE, "/etc/passwd"), "is a symbolic link (to '/etc/passwd')"),
        (_special("inner", tarfile.SYMTYPE, "saved_model.pb"), "is a symbolic link"),
        (_special("hard", tarfile.LNKTYPE, "../outside"), "is a hard link (to '../outside')"),
        (_special("dev", tarfile.CHRTYPE), "is a device, FIFO or other special file"),
        (_special("blk", tarfile.BLKTYPE), "is a device, FIFO or other special file"),
        (_special("pipe", tarfile.FIFOTYPE), "is a device, FIFO or other special file"),
    ],
)
def test_tar_links_and_special_files_are_refused(
    refused: Callable[..., ModelSourceError], member: tarfile.TarInfo, rule: str
) -> None:
    data = _tar([("model/saved_model.pb", MODEL.joinpath("saved_model.pb").read_bytes()), member])
    err = refused(data, "model.tgz")
    assert isinstance(err, UnsafeArchiveError)
    assert err.member == member.name
    assert rule in str(err)


def test_zip_symlink_is_refused(refused: Callable[..., ModelSourceError]) -> None:
    data = _zip([("model/link", b"/etc/passwd")], mode=stat.S_IFLNK | 0o777)
    assert "member 'model/link' is a symbolic link" in str(refused(data, "m.zip"))


def test_zip_fifo_is_refused(refused: Callable[..., ModelSourceError]) -> None:
    data = _zip([("model/link", b"")], mode=stat.S_IFIFO | 0o644)
    assert "is a device, FIFO or other special file" in str(refused(data, "m.zip"))


@pytest.mark.parametrize("filename", ["m.zip", "m.tar.gz"])
def test_too_many_members_are_refused(
    refused: Callable[..., ModelSourceError], filename: str
) -> None:
    entries = [(f"f{i}.txt", b"x") for i in range(5)]
    data = _zip(entries) if filename.endswith("zip") else _tar(list(entries))
    err = refused(data, filename, max_members=3)
    assert "exceeds the limit of 3 members" in str(err)
    assert ENV_MAX_MEMBERS in str(err)


@pytest.mark.parametrize("filename", ["m.zip", "m.tar.gz", "m.tar"])
def test_too_large_total_is_refused(
    refused: Callable[..., ModelSourceError], filename: str
) -> None:
    entries = [("a.bin", os.urandom(600)), ("b.bin", os.urandom(600))]
    if filename.endswith("zip"):
        data = _zip(entries)
    else:
        data = _tar(list(entries), gz=filename.endswith("gz"))
    err = refused(data, filename, max_total_bytes=1000)
    assert "member 'b.bin' takes the archive past 1000 uncompressed bytes" in str(err)
    assert ENV_MAX_BYTES in str(err)


@pytest.mark.parametrize("filename", ["bomb.zip", "bomb.tar.gz"])
def test_high_compression_ratio_is_refused(
    refused: Callable[..., ModelSourceError], filename: str
) -> None:
    zeros = bytes(8 * 1024 * 1024)  # deflates about 1000×
    data = _zip([("zeros", zeros)]) if filename.endswith("zip") else _tar([("zeros", zeros)])
    assert len(data) < 64 * 1024
    err = refused(data, filename)  # default limits: 200×
    # zip: the member's own ratio; tar.gz: the stream's (the whole archive's).
    assert re.search(r"member 'zeros' expands (the archive )?more than 200×", str(err))
    assert "zip bomb" in str(err)
    assert ENV_MAX_RATIO in str(err)


def test_small_well_compressed_members_are_fine(scratch: Path) -> None:
    files = [*_tree(MODEL, "m/"), ("m/zeros.bin", bytes(512 * 1024))]
    with extract_archive(_zip(files), "m.zip", temp_dir=scratch) as extracted:
        assert (extracted.model_dir / "zeros.bin").stat().st_size == 512 * 1024


@pytest.mark.parametrize("filename", ["junk.zip", "junk.tar.gz", "junk.tgz", "junk.tar"])
def test_not_an_archive_is_refused(refused: Callable[..., ModelSourceError], filename: str) -> None:
    err = refused(b"this is not an archive at all" * 40, filename)
    assert not isinstance(err, UnsafeArchiveError)
    assert "junk." in str(err)
    assert "readable" in str(err)


@pytest.mark.parametrize("filename", ["cut.zip", "cut.tar.gz", "cut.tar"])
def test_truncated_archive_is_refused(
    refused: Callable[..., ModelSourceError], filename: str
) -> None:
    files = _tree(MODEL, "m/")
    data = _zip(files) if filename.endswith("zip") else _tar(files, gz=filename.endswith("gz"))
    err = refused(data[: len(data) * 2 // 3], filename)
    assert "readable" in str(err) or "corrupt" in str(err)


def test_unsupported_suffix_is_refused(refused: Callable[..., ModelSourceError]) -> None:
    err = refused(_zip([("a", b"x")]), "model.rar")
    assert "expected a .zip, .tar.gz, .tgz or .tar" in str(err)


def test_archive_without_saved_model_is_refused(refused: Callable[..., ModelSourceError]) -> None:
    err = refused(_zip([("docs/readme.txt", b"hi")]), "docs.zip")
    assert "No SavedModel in docs.zip" in str(err)


def test_archive_with_two_saved_models_is_refused(
    refused: Callable[..., ModelSourceError],
) -> None:
    err = refused(_zip(_tree(MODEL, "a/") + _tree(MODEL, "b/")), "two.zip")
    assert "holds several SavedModels (a, b)" in str(err)


def test_duplicate_member_is_refused(refused: Callable[..., ModelSourceError]) -> None:
    err = refused(_tar([("m/x", b"1"), ("m/x", b"2")]), "dup.tgz")
    assert "appears twice" in str(err)


def test_bad_limit_variables_are_user_errors() -> None:
    assert ArchiveLimits.from_env({}) == ArchiveLimits()
    limits = ArchiveLimits.from_env(
        {ENV_MAX_BYTES: "1_000", ENV_MAX_MEMBERS: "7", ENV_MAX_RATIO: "12.5"}
    )
    assert limits == ArchiveLimits(1000, 7, 12.5)
    for bad in ("lots", "0", "-1", "nan", "inf"):
        with pytest.raises(ModelSourceError, match=ENV_MAX_BYTES):
            ArchiveLimits.from_env({ENV_MAX_BYTES: bad})


# --- good archives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "prefix"),
    [
        ("half_plus_two.zip", ""),
        ("half_plus_two.zip", "exported/"),
        ("half_plus_two.tar.gz", ""),
        ("half_plus_two.tgz", "exported/"),
        ("half_plus_two.tar", "exported/"),
    ],
)
def test_good_archive_extracts_and_locates_the_model(
    scratch: Path, filename: str, prefix: str
) -> None:
    files = [("__MACOSX/._junk", b""), *_tree(MODEL, prefix)]
    data = _zip(files) if filename.endswith("zip") else _tar(files, gz=filename.endswith("gz"))
    extracted = extract_archive(data, filename, temp_dir=scratch)
    try:
        assert extracted.root.parent == scratch
        assert stat.S_IMODE(extracted.root.stat().st_mode) == 0o700
        assert extracted.model_dir.name == (prefix.strip("/") or "half_plus_two")
        model = read_model(extracted.model_dir)
        assert "regress_x_to_y" in [s.key for s in model.meta_graph().signatures]
    finally:
        extracted.cleanup()
    assert not extracted.root.exists()
    extracted.cleanup()  # idempotent


def test_versioned_base_folder_is_located(scratch: Path) -> None:
    files = _tree(HALF_PLUS_TWO_2_VERSIONS, "models/half_plus_two/")
    with extract_archive(_zip(files), "base.zip", temp_dir=scratch) as extracted:
        assert extracted.model_dir.name == "half_plus_two"
        model = read_model(extracted.model_dir)
        assert (model.version, model.available_versions) == (124, (123, 124))
    assert list(scratch.iterdir()) == []


def test_archive_path_and_garbage_collection(scratch: Path, tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(_tar(_tree(MODEL, "")))
    extracted = extract_archive(archive, archive.name, temp_dir=scratch)
    root = extracted.root
    assert (extracted.model_dir / "saved_model.pb").is_file()
    del extracted
    gc.collect()
    assert not root.exists()


def test_archive_names() -> None:
    assert all(map(is_archive_name, ["a.zip", "a.TAR.GZ", "a.tgz", "a.tar"]))
    assert not is_archive_name("a.rar")
