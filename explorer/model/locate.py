"""Turn what a user points at into one SavedModel folder, the TF Serving way.

A path is either a SavedModel folder (it holds ``saved_model.pb`` or ``.pbtxt``), a
version folder inside a TF Serving base folder (``model/00000123``), or a base folder
whose numeric sub-folders are versions (newest served by default).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from explorer.constants import SAVED_MODEL_PB, SAVED_MODEL_PBTXT
from explorer.errors import ModelSourceError


@dataclass(frozen=True, slots=True)
class ModelLocation:
    """Where one SavedModel lives and what TF Serving would call it."""

    directory: Path
    # TF Serving's model name: the base folder's name when versioned.
    name: str
    version: int | None
    available_versions: tuple[int, ...]


def is_saved_model_dir(path: Path) -> bool:
    return (path / SAVED_MODEL_PB).is_file() or (path / SAVED_MODEL_PBTXT).is_file()


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
        if child.is_dir() and is_number(child.name):
            versions[int(child.name)] = child
    return versions


def locate_model(path: str | os.PathLike[str], *, version: int | None = None) -> ModelLocation:
    """Resolve a folder to the SavedModel TF Serving would serve from it.

    Args:
        path: a SavedModel folder, a version folder, or a TF Serving base folder.
        version: for a base folder, the version to pick; default the newest.

    Returns:
        The model folder with its TF Serving name and version.

    Raises:
        ModelSourceError: the path is missing, not a folder, holds no SavedModel, or the
            version asked for is not there.
    """
    if not str(path).strip():
        raise ModelSourceError("No model path given: name a SavedModel folder.")
    folder = Path(path).expanduser()
    if not folder.exists():
        if folder.is_symlink():
            raise ModelSourceError(f"{folder} is a symbolic link to nothing (or to itself).")
        raise ModelSourceError(f"Path does not exist: {folder}")
    if not folder.is_dir():
        raise ModelSourceError(
            f"Not a folder: {folder}. Point at the SavedModel folder (the one holding "
            f"{SAVED_MODEL_PB}); an archive must be extracted first."
        )
    folder = folder.resolve()
    if is_saved_model_dir(folder):
        parent_versions = list_versions(folder.parent) if is_number(folder.name) else {}
        if is_number(folder.name):
            if version is not None and version != int(folder.name):
                raise ModelSourceError(
                    f"{folder} is version {int(folder.name)}; version {version} was asked for."
                )
            return ModelLocation(
                folder, folder.parent.name, int(folder.name), tuple(sorted(parent_versions))
            )
        if version is not None:
            raise ModelSourceError(
                f"{folder} is a SavedModel folder, not a versioned base folder; "
                f"it has no version {version}."
            )
        return ModelLocation(folder, folder.name, None, ())
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
    if not is_saved_model_dir(versions[chosen]):
        raise ModelSourceError(
            f"Version folder {versions[chosen]} holds no {SAVED_MODEL_PB} or "
            f"{SAVED_MODEL_PBTXT}: it is empty or not a SavedModel."
        )
    return ModelLocation(versions[chosen], folder.name, chosen, tuple(sorted(versions)))
