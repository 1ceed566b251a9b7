"""Turn what a user points at into one SavedModel folder, the TF Serving way, and keep every
path read from it inside that folder.

A path is either a SavedModel folder (it holds ``saved_model.pb`` or ``.pbtxt``), a
version folder inside a TF Serving base folder (``model/00000123``), or a base folder
whose numeric sub-folders are versions (newest served by default).

A model is read from its own files. Every path inside it that is read — the version
folder picked, ``saved_model.pb[txt]``, and everything under ``variables/``, ``assets/``
and ``assets.extra/`` — is resolved (every symlink followed) and must lie inside the folder
the user named, or inside a root the caller allows (``roots=``; by default the folders in
``EXPLORER_ALLOWED_ROOTS``). So a version folder, a ``saved_model.pb`` or an asset that is
a link to ``/etc`` cannot be read through a model, whichever way the model was named: a
typed path, a deep link, a version picker. A typed path is first checked for what no file
system accepts (a NUL, a path or a name past the system's length limits), so a bad path is
one message, never a traceback.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from explorer.constants import SAVED_MODEL_PB, SAVED_MODEL_PBTXT
from explorer.errors import ModelSourceError

# Folders (os.pathsep separated) a typed path may point into; links inside a model may
# lead into them too. The allowed-roots policy itself is explorer.safety.paths.
ENV_ALLOWED_ROOTS = "EXPLORER_ALLOWED_ROOTS"
# What TensorFlow's loader reads besides saved_model.pb.
DATA_FOLDERS = ("variables", "assets", "assets.extra")
# A SavedModel's data folders are flat (assets may hold a folder or two); deeper nesting
# is refused rather than walked.
MAX_DATA_DEPTH = 32


def _system_limit(name: str, default: int) -> int:
    try:
        return int(os.pathconf("/", name))
    except (OSError, ValueError, AttributeError):  # not POSIX, or the system will not say
        return default


# PATH_MAX counts the terminating NUL; NAME_MAX is per file or folder name.
PATH_MAX = _system_limit("PC_PATH_MAX", 4096)
NAME_MAX = _system_limit("PC_NAME_MAX", 255)


@dataclass(frozen=True, slots=True)
class ModelLocation:
    """Where one SavedModel lives and what TF Serving would call it."""

    directory: Path
    # TF Serving's model name: the base folder's name when versioned.
    name: str
    version: int | None
    available_versions: tuple[int, ...]
    # The resolved folders the model's files may resolve into: the folder the user named,
    # then the allowed roots.
    within: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class DataFile:
    """A regular file under one of the model's data folders."""

    relative: str  # to the model folder, e.g. "variables/variables.index"
    size_bytes: int


def is_saved_model_dir(path: Path) -> bool:
    """Whether the folder holds a ``saved_model.pb`` or ``.pbtxt`` entry (of any kind: the
    reader says what is wrong with one that is not a regular file)."""
    return os.path.lexists(path / SAVED_MODEL_PB) or os.path.lexists(path / SAVED_MODEL_PBTXT)


def is_number(text: str) -> bool:
    """ASCII digits only, as TF Serving reads version folders and numbers (``str.isdigit``
    also takes "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def list_versions(base: Path) -> dict[int, Path]:
    """Numeric sub-folders of a base folder, as TF Serving reads them (``00000124`` → 124)."""
    versions: dict[int, Path] = {}
    try:
        children = list(base.iterdir())
    except OSError:
        return versions
    for child in children:
        if is_number(child.name) and _is_dir(child):
            versions[int(child.name)] = child
    return versions


def check_path_text(path: str | os.PathLike[str]) -> str:
    """The path as text, refused if no file system could hold it.

    Raises:
        ModelSourceError: a NUL character, a path longer than PATH_MAX or a name longer
            than NAME_MAX; the message says which.
    """
    text = os.fspath(path)
    if "\x00" in text:
        raise ModelSourceError(
            f"The path {text.replace(chr(0), '␀')[:200]!r} holds a NUL character, which no "
            "file or folder name can: check how it was typed or pasted."
        )
    size = len(os.fsencode(text))
    if size >= PATH_MAX:
        raise ModelSourceError(
            f"The path is {size:,} bytes long; this system opens paths of at most "
            f"{PATH_MAX - 1:,} bytes (PATH_MAX). Move the model to a folder with a shorter path."
        )
    for part in Path(text).parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise ModelSourceError(
                f"A name in the path is {len(os.fsencode(part)):,} bytes long "
                f"({part[:40]}…); this file system allows at most {NAME_MAX} bytes per name."
            )
    return text


def allowed_roots(
    roots: Iterable[str | os.PathLike[str]] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> tuple[Path, ...]:
    """The resolved roots links inside a model may lead into: ``roots``, else the folders
    configured in ``EXPLORER_ALLOWED_ROOTS`` (none when it is unset)."""
    if roots is None:
        env = os.environ if environ is None else environ
        roots = [p for p in env.get(ENV_ALLOWED_ROOTS, "").split(os.pathsep) if p.strip()]
    resolved: list[Path] = []
    for root in roots:
        real = real_path(check_path_text(root))
        if real not in resolved:
            resolved.append(real)
    return tuple(resolved)


def real_path(path: str | os.PathLike[str]) -> Path:
    """``path`` with ``~`` expanded and every symlink and ``..`` resolved."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def contained(path: Path, within: tuple[Path, ...], what: str) -> Path:
    """The real location of ``path``, refused unless it lies inside one of ``within``.

    Args:
        path: a path inside a model folder (a version folder, a model file, an asset).
        within: resolved folders it may lead into; empty allows anything.
        what: how the message names it, e.g. "saved_model.pb in /models/m".

    Raises:
        ModelSourceError: it resolves outside every folder (through a symlink); the
            message says where it leads and how to allow it.
    """
    real = Path(os.path.realpath(path))
    if not within or any(real == root or real.is_relative_to(root) for root in within):
        return real
    folders = ", ".join(str(root) for root in within)
    raise ModelSourceError(
        f"{what} is a link to {real}, outside the model's folder ({folders}): a model is read "
        f"from its own files only. Copy the files into the model folder, or allow the folder "
        f"the link leads into with {ENV_ALLOWED_ROOTS}."
    )


def locate_model(
    path: str | os.PathLike[str],
    *,
    version: int | None = None,
    roots: Iterable[str | os.PathLike[str]] | None = None,
) -> ModelLocation:
    """Resolve a folder to the SavedModel TF Serving would serve from it.

    Args:
        path: a SavedModel folder, a version folder, or a TF Serving base folder.
        version: for a base folder, the version to pick; default the newest.
        roots: folders that links inside the model may lead into, besides the model's own
            folder; default the folders in ``EXPLORER_ALLOWED_ROOTS``.

    Returns:
        The model folder (resolved) with its TF Serving name and version.

    Raises:
        ModelSourceError: the path cannot be used (NUL, too long), is missing, not a
            folder, holds no SavedModel, the version asked for is not there, or the version
            folder leads outside the folder named.
    """
    if not str(path).strip():
        raise ModelSourceError("No model path given: name a SavedModel folder.")
    folder = Path(check_path_text(os.path.expanduser(check_path_text(path))))
    try:
        info = folder.stat()
    except FileNotFoundError:
        if os.path.islink(folder):
            raise ModelSourceError(f"{folder} is a symbolic link to nothing.") from None
        raise ModelSourceError(f"Path does not exist: {folder}") from None
    except OSError as exc:
        raise ModelSourceError(f"Cannot open {folder}: {exc.strerror}.") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise ModelSourceError(
            f"Not a folder: {folder}. Point at the SavedModel folder (the one holding "
            f"{SAVED_MODEL_PB}); an archive must be extracted first."
        )
    folder = real_path(folder)
    within = (folder, *allowed_roots(roots))
    if is_saved_model_dir(folder):
        parent_versions = list_versions(folder.parent) if is_number(folder.name) else {}
        if is_number(folder.name):
            if version is not None and version != int(folder.name):
                raise ModelSourceError(
                    f"{folder} is version {int(folder.name)}; version {version} was asked for."
                )
            return ModelLocation(
                folder, folder.parent.name, int(folder.name), tuple(sorted(parent_versions)), within
            )
        if version is not None:
            raise ModelSourceError(
                f"{folder} is a SavedModel folder, not a versioned base folder; "
                f"it has no version {version}."
            )
        return ModelLocation(folder, folder.name, None, (), within)
    versions = list_versions(folder)
    if not versions:
        raise ModelSourceError(
            f"Not a SavedModel folder: {folder} holds no {SAVED_MODEL_PB} or "
            f"{SAVED_MODEL_PBTXT}, and no numeric version sub-folders (1/, 2/, ...)."
        )
    chosen = max(versions) if version is None else version
    if chosen not in versions:
        raise ModelSourceError(
            f"Version {version} not found in {folder}. "
            f"Available versions: {', '.join(map(str, sorted(versions)))}."
        )
    directory = contained(versions[chosen], within, f"Version folder {versions[chosen]}")
    if not is_saved_model_dir(directory):
        raise ModelSourceError(
            f"Version folder {versions[chosen]} holds no {SAVED_MODEL_PB} or "
            f"{SAVED_MODEL_PBTXT}: it is empty or not a SavedModel."
        )
    return ModelLocation(directory, folder.name, chosen, tuple(sorted(versions)), within)


def data_files(location: ModelLocation) -> tuple[DataFile, ...]:
    """Every regular file under the model's ``variables/``, ``assets/`` and
    ``assets.extra/``, walked without recursion and without leaving the allowed folders.

    Raises:
        ModelSourceError: an entry is a link leading outside the allowed folders, the
            folders nest deeper than MAX_DATA_DEPTH, or a folder cannot be listed.
    """
    found: list[DataFile] = []
    stack = [(location.directory / name, 1) for name in reversed(DATA_FOLDERS)]
    while stack:
        path, depth = stack.pop()
        relative = path.relative_to(location.directory).as_posix()
        what = f"{relative} in {location.directory}"
        try:
            if not os.path.lexists(path):
                continue
            real = contained(path, location.within, what)
            info = real.stat()
        except OSError as exc:  # a link loop, or a name past the system's limits
            raise ModelSourceError(f"Cannot read {what}: {exc.strerror}.") from exc
        if stat.S_ISREG(info.st_mode):
            found.append(DataFile(relative, info.st_size))
        elif stat.S_ISDIR(info.st_mode):
            if depth > MAX_DATA_DEPTH:
                raise ModelSourceError(
                    f"{what} is nested {depth} folders deep; a SavedModel's data folders hold "
                    f"at most {MAX_DATA_DEPTH} levels. Flatten the folder."
                )
            try:
                names = sorted(os.listdir(path))
            except OSError as exc:
                raise ModelSourceError(f"Cannot list {what}: {exc.strerror}.") from exc
            stack += [(path / name, depth + 1) for name in reversed(names)]
    return tuple(found)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name past the system's limits: not a version folder
        return False
