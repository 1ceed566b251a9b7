"""Safe extraction of uploaded SavedModel archives (.zip, .tar.gz, .tgz, .tar).

An uploaded archive is hostile until proven otherwise. Every member is checked before a
byte of it is written: no absolute paths, drive letters or ``..``; no symlinks or
hardlinks (the simplest rule that cannot be talked out of the folder); no device files,
FIFOs or other special members; no path longer than the system can open or nested more
than 64 folders deep. While streaming,
the actual bytes are counted, not the sizes the headers claim, against three limits: total
uncompressed size, member count and compression ratio (zip bombs, and a tar's sparse
members, whose holes expand to zeros). Everything goes into a fresh private folder
(``tempfile.mkdtemp``, mode 0700); on any refusal that folder is removed before the
error is raised, so nothing is left behind and nothing is ever written outside it.

The limits (``EXPLORER_MAX_ARCHIVE_BYTES``, ``EXPLORER_MAX_ARCHIVE_MEMBERS``,
``EXPLORER_MAX_COMPRESSION_RATIO``) and their checks are ``archive_limits``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import stat
import tarfile
import tempfile
import weakref
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO, Literal

from explorer.constants import SAVED_MODEL_PB
from explorer.errors import ModelSourceError, UnsafeArchiveError
from explorer.model.locate import NAME_MAX, PATH_MAX, is_saved_model_dir, list_versions
from explorer.safety.archive_limits import (
    ENV_MAX_BYTES,
    ENV_MAX_MEMBERS,
    ENV_MAX_RATIO,
    ArchiveLimits,
)

__all__ = [
    "ENV_MAX_BYTES",
    "ENV_MAX_MEMBERS",
    "ENV_MAX_RATIO",
    "ArchiveLimits",
    "ExtractedArchive",
    "extract_archive",
    "is_archive_name",
]

SUPPORTED_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")

_CHUNK = 1 << 20
# Folders a member may be nested in: a SavedModel (in a base folder, in a folder or two)
# needs a handful; Python's mkdir(parents=True) and rmtree recurse once per level.
MAX_MEMBER_DEPTH = 64
# What a corrupt, truncated or exotic archive raises while being read. Encrypted zip
# members raise RuntimeError, unknown compression methods NotImplementedError.
_READ_ERRORS = (
    zipfile.BadZipFile,
    tarfile.TarError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)
# Folders archivers add beside the real content.
_JUNK = frozenset({"__MACOSX", ".DS_Store"})


@dataclass(frozen=True, eq=False)
class ExtractedArchive:
    """An extracted archive in its private temp folder.

    Like ``tempfile.TemporaryDirectory``, the folder lives as long as this object: it is
    removed by :meth:`cleanup`, on leaving a ``with`` block, when the object is garbage
    collected, or at interpreter exit (``weakref.finalize``), whichever comes first. Keep
    the object, not just ``model_dir``, for as long as the model is in use.
    """

    root: Path  # the private folder everything was extracted into
    # What to hand to read_model: the SavedModel folder, or a TF Serving base folder
    # whose numeric sub-folders are versions.
    model_dir: Path
    filename: str  # as uploaded
    _finalizer: weakref.finalize[..., None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_finalizer", weakref.finalize(self, _remove_tree, self.root))

    def cleanup(self) -> None:
        """Remove the folder. Safe to call any number of times."""
        self._finalizer()

    def __enter__(self) -> ExtractedArchive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


def extract_archive(
    data: bytes | str | os.PathLike[str],
    filename: str,
    *,
    limits: ArchiveLimits | None = None,
    temp_dir: str | os.PathLike[str] | None = None,
) -> ExtractedArchive:
    """Extract an uploaded archive safely and find the SavedModel inside it.

    Args:
        data: the archive's bytes (an upload) or the path of an archive file.
        filename: the archive's name; its suffix (.zip, .tar.gz, .tgz, .tar) picks the
            format.
        limits: caps on size, member count and compression ratio; default
            :meth:`ArchiveLimits.from_env` read at call time.
        temp_dir: where to create the private folder (default the system temp folder).

    Returns:
        The extracted archive; use ``.model_dir`` and call ``.cleanup()`` when done.

    Raises:
        UnsafeArchiveError: a member breaks a rule (path, link, special file, limit).
        ModelSourceError: unsupported suffix, corrupt or truncated archive, or no
            SavedModel inside. In every case nothing extracted is left on disk.
    """
    limits = ArchiveLimits.from_env() if limits is None else limits
    kind = _archive_kind(filename)
    root = Path(tempfile.mkdtemp(prefix="explorer-archive-", dir=temp_dir))
    # Members land one folder down, named after the archive, so a SavedModel stored at
    # the archive's top level gets a model name ("churn.zip" → "churn"), not mkdtemp's.
    dest = root / _folder_name(filename)
    try:
        dest.mkdir(mode=0o700)
        with _open_source(data) as source:
            # Archive bytes read so far: a zip is held whole, so its members' compressed
            # sizes count; a tar is read as one stream.
            consumed = None if kind == "zip" else source.tell
            if kind == "zip":
                members = _zip_members(source, filename, limits)
            else:
                members = _tar_members(source, gzipped=kind == "tar.gz")
            try:
                _extract(members, dest, filename, limits, consumed)
            except ModelSourceError:
                raise
            except _READ_ERRORS as exc:
                raise ModelSourceError(
                    f"{filename} is not a readable .{kind} archive (corrupt or truncated): {exc}."
                ) from exc
        model_dir = _find_model_dir(dest, filename)
    except BaseException:
        _remove_tree(root)
        raise
    return ExtractedArchive(root=root, model_dir=model_dir, filename=filename)


def is_archive_name(filename: str) -> bool:
    """Whether a file name has one of the supported archive suffixes."""
    return filename.lower().endswith(SUPPORTED_SUFFIXES)


def _archive_kind(filename: str) -> str:
    for suffix, kind in zip(SUPPORTED_SUFFIXES, ("zip", "tar.gz", "tar.gz", "tar"), strict=True):
        if filename.lower().endswith(suffix):
            return kind
    raise ModelSourceError(
        f"Unsupported archive {filename!r}: expected a .zip, .tar.gz, .tgz or .tar of the "
        "SavedModel folder."
    )


@contextlib.contextmanager
def _open_source(data: bytes | str | os.PathLike[str]) -> Iterator[BinaryIO]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(data))
        return
    try:
        source = open(data, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ModelSourceError(f"Cannot open archive {data}: {exc}") from exc
    with source:
        yield source


MemberKind = Literal["file", "dir", "symbolic link", "hard link", "special"]


@dataclass(frozen=True, slots=True)
class _Member:  # one archive member, the same for zip and tar
    name: str
    kind: MemberKind
    link: str
    open: Callable[[], IO[bytes] | None]
    # A zip member's compressed size; None for a tar's (read as one stream).
    compressed: int | None


def _zip_members(source: BinaryIO, archive: str, limits: ArchiveLimits) -> Iterator[_Member]:
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelSourceError(f"{archive} is not a readable .zip archive: {exc}.") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:  # the central directory says so: stop early
            raise limits.too_many(archive, infos[limits.max_members].filename)
        for info in infos:
            mode = stat.S_IFMT(info.external_attr >> 16)  # 0 when made on Windows
            kinds: dict[int, MemberKind] = {stat.S_IFLNK: "symbolic link", stat.S_IFDIR: "dir"}
            kind = kinds.get(mode, "special")
            if mode in (0, stat.S_IFREG):
                kind = "dir" if info.is_dir() else "file"
            # compress_size cannot exceed the archive's real size, which we hold whole.
            opener = functools.partial(zf.open, info)
            yield _Member(info.filename, kind, "", opener, info.compress_size)


def _tar_members(source: BinaryIO, gzipped: bool) -> Iterator[_Member]:
    # Stream mode ("r|"): one pass, never seeking back to re-read a member.
    with tarfile.open(fileobj=source, mode="r|gz" if gzipped else "r|") as tf:
        while (info := tf.next()) is not None:
            kind: MemberKind = "file" if info.isfile() else "dir" if info.isdir() else "special"
            kind = "symbolic link" if info.issym() else "hard link" if info.islnk() else kind
            opener = functools.partial(tf.extractfile, info)
            yield _Member(info.name, kind, info.linkname, opener, None)


def _extract(
    members: Iterator[_Member],
    root: Path,
    archive: str,
    limits: ArchiveLimits,
    consumed: Callable[[], int] | None,
) -> None:
    count = total = zipped = 0  # zipped: compressed bytes of the zip members extracted
    for member in members:
        count += 1
        if count > limits.max_members:
            raise limits.too_many(archive, member.name)
        if member.kind.endswith("link"):
            raise UnsafeArchiveError(
                archive, member.name, f"is a {member.kind} (to {member.link!r})"
            )
        if member.kind == "special":
            raise UnsafeArchiveError(
                archive, member.name, "is a device, FIFO or other special file"
            )
        target = _target(root, member.name, archive)
        if target is None:
            continue
        if member.kind == "dir":
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
            continue
        if target.exists():
            raise UnsafeArchiveError(archive, member.name, "appears twice in the archive")
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_EXCL and O_NOFOLLOW: never write through anything already at the path.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        stream = member.open()
        if stream is None:
            raise UnsafeArchiveError(archive, member.name, "has no readable content")
        zipped += member.compressed or 0
        with stream, os.fdopen(os.open(target, flags, 0o600), "wb") as out:
            written = 0
            while chunk := stream.read(_CHUNK):
                written += len(chunk)
                total += len(chunk)
                limits.check_total(archive, member.name, total)
                if member.compressed is not None:
                    limits.check_ratio(
                        archive, member.name, written, member.compressed, whole=False
                    )
                read = consumed() if consumed is not None else zipped
                limits.check_ratio(archive, member.name, total, read, whole=True)
                out.write(chunk)


def _target(root: Path, name: str, archive: str) -> Path | None:
    """The path a member goes to inside ``root``, or None for a bare ``./`` entry."""
    if "\x00" in name:
        raise UnsafeArchiveError(archive, name, "has a NUL byte in its name")
    # Windows archivers may write backslashes; treat them as separators when checking.
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        raise UnsafeArchiveError(archive, name, "has an absolute path")
    parts = [p for p in PurePosixPath(posix).parts if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(archive, name, "has a '..' path component (path traversal)")
    if not parts:
        return None
    if len(parts) > MAX_MEMBER_DEPTH:  # extracting and removing it would recurse that deep
        raise UnsafeArchiveError(
            archive, name, f"is nested {len(parts) - 1:,} folders deep (at most {MAX_MEMBER_DEPTH})"
        )
    target = root.joinpath(*parts)
    longest = max(parts, key=lambda p: len(os.fsencode(p)))
    if len(os.fsencode(longest)) > NAME_MAX:
        raise UnsafeArchiveError(archive, name, f"has a name longer than {NAME_MAX} bytes")
    if len(os.fsencode(str(target))) >= PATH_MAX:
        raise UnsafeArchiveError(
            archive, name, f"has a path too long to extract here (over {PATH_MAX - 1:,} bytes)"
        )
    # Belt and braces: no member may resolve outside the private folder.
    if not os.path.realpath(target).startswith(os.path.realpath(root) + os.sep):
        raise UnsafeArchiveError(archive, name, "resolves outside the extraction folder")
    return target


def _find_model_dir(root: Path, archive: str) -> Path:
    """The shallowest SavedModel folder or versioned base folder under ``root``."""
    level = [root]
    for _depth in range(4):
        found = [
            f
            for f in level
            if is_saved_model_dir(f)
            or any(is_saved_model_dir(v) for v in list_versions(f).values())
        ]
        if len(found) > 1:
            names = ", ".join(str(f.relative_to(root)) for f in found)
            raise ModelSourceError(
                f"{archive} holds several SavedModels ({names}); archive one of them."
            )
        if found:
            return found[0]
        level = [
            child
            for folder in level
            for child in sorted(folder.iterdir())
            if child.is_dir() and child.name not in _JUNK
        ]
    raise ModelSourceError(
        f"No SavedModel in {archive}: no folder holds {SAVED_MODEL_PB} (looked at the top "
        "level and three folders down). Archive the SavedModel folder itself, or a TF "
        "Serving base folder with numeric version sub-folders."
    )


def _folder_name(filename: str) -> str:
    stem = Path(filename.replace("\\", "/")).name
    for suffix in SUPPORTED_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).strip(".")
    # A numeric name would read as a TF Serving version folder.
    return safe if safe and not safe.isdigit() else "model"


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
