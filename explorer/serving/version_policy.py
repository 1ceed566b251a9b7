"""Which versions under a base path TF Serving serves: its ``model_version_policy``.

``file_system_storage_path_source.cc`` lists the base path's children (files too), reads
each name as a version with ``absl::SimpleAtoi`` (``00000123`` → 123, ``-1`` and `` 7`` too),
and aspires:

- ``latest { num_versions: N }`` (the default, N at least 1): the N highest numbers;
- ``specific { versions: ... }``: those numbers, where a child has them;
- ``all {}``: every numeric child.

Where two children read as one number (``1`` and ``001``), latest and specific keep the
last name in sorted order and warn. What it says along the way (its LOG lines) comes back
as :class:`PolicyNote`\\ s, in its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from explorer.constants import SAVED_MODEL_PB, SAVED_MODEL_PBTXT

PolicyKind = Literal["latest", "specific", "all"]
_INT64 = 2**63
# absl::SimpleAtoi: ASCII whitespace around, an optional sign, decimal digits.
_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")


@dataclass(frozen=True, slots=True)
class VersionPolicy:
    """A ``ServableVersionPolicy`` as configured."""

    kind: PolicyKind
    num_versions: int = 1  # latest
    versions: tuple[int, ...] = ()  # specific, as listed

    @property
    def text(self) -> str:
        """The policy in a few words: ``latest 2``, ``specific 1, 3``, ``all``."""
        if self.kind == "latest":
            return f"latest {max(self.num_versions, 1)}"
        if self.kind == "specific":
            return "specific " + (", ".join(map(str, self.versions)) or "(no versions)")
        return "all"


@dataclass(frozen=True, slots=True)
class VersionFolder:
    """A child of the base path whose name reads as a version number."""

    version: int
    name: str  # as on disk: "00000123"
    path: Path
    is_dir: bool
    # Holds saved_model.pb or saved_model.pbtxt (what TF Serving's loader looks for).
    has_saved_model: bool


@dataclass(frozen=True, slots=True)
class PolicyNote:
    """Something TF Serving logs while applying the policy (a LOG(WARNING) line)."""

    message: str


@dataclass(frozen=True, slots=True)
class AspiredVersions:
    """The policy applied to what is on disk."""

    on_disk: tuple[VersionFolder, ...]  # every numeric child, by version (then name)
    served: tuple[VersionFolder, ...]  # what TF Serving aspires, in its order
    notes: tuple[PolicyNote, ...]


def version_number(name: str) -> int | None:
    """A child's name read as TF Serving reads it (``absl::SimpleAtoi`` into int64)."""
    match = _ATOI.fullmatch(name)
    if match is None:
        return None
    value = int(match.group(1))
    return value if -_INT64 <= value < _INT64 else None


def version_folders(base: Path) -> tuple[VersionFolder, ...]:
    """Every child of ``base`` whose name is a version number, by version then name."""
    found = []
    for child in sorted(base.iterdir(), key=lambda p: p.name):
        number = version_number(child.name)
        if number is None:
            continue
        is_dir = child.is_dir()
        saved = is_dir and any((child / f).is_file() for f in (SAVED_MODEL_PB, SAVED_MODEL_PBTXT))
        found.append(VersionFolder(number, child.name, child, is_dir, saved))
    return tuple(sorted(found, key=lambda f: (f.version, f.name)))


def aspired_versions(name: str, base: Path, policy: VersionPolicy) -> AspiredVersions:
    """What TF Serving's file-system source aspires for one servable.

    Args:
        name: the servable (model) name, for the log lines.
        base: the base path, which must exist (see ``model_config`` for when it does not).
        policy: the model's version policy.

    Returns:
        The numeric children, the served ones and TF Serving's warnings.
    """
    on_disk = version_folders(base)
    notes: list[PolicyNote] = []
    # IndexChildrenByVersion (run for every policy): the last name in sorted order wins.
    by_version: dict[int, VersionFolder] = {}
    for folder in sorted(on_disk, key=lambda f: f.name):
        if folder.version in by_version:
            notes.append(
                PolicyNote(
                    f"Duplicate version directories detected. Version {folder.version} will be "
                    f"loaded from {folder.name}, {by_version[folder.version].name} will be "
                    "ignored."
                )
            )
        by_version[folder.version] = folder
    if policy.kind == "all":
        served = tuple(sorted(on_disk, key=lambda f: f.name))  # every child, duplicates too
    elif policy.kind == "latest":
        newest = sorted(by_version, reverse=True)[: max(policy.num_versions, 1)]
        served = tuple(by_version[v] for v in newest)
    else:
        served, specific_notes = _specific(name, policy.versions, by_version)
        notes += specific_notes
    if not on_disk:
        notes.append(
            PolicyNote(
                f"No versions of servable {name} found under base path {base}. Did you forget "
                "to name your leaf directory as a number (eg. '/1/')?"
            )
        )
    return AspiredVersions(on_disk, served, tuple(notes))


def _specific(
    name: str, wanted: tuple[int, ...], by_version: dict[int, VersionFolder]
) -> tuple[tuple[VersionFolder, ...], list[PolicyNote]]:
    if not wanted:
        return (), [PolicyNote(f"No specific versions requested for servable {name}.")]
    exact = {f.name: f for f in by_version.values()}
    if all(str(v) in exact for v in wanted):  # the fast path: base/<version> for each one
        return tuple(exact[str(v)] for v in dict.fromkeys(wanted)), []
    served = tuple(by_version[v] for v in sorted(by_version) if v in set(wanted))
    notes = [
        PolicyNote(
            f"Version {version} of servable {name}, which was requested to be served as a "
            "'specific' version in the servable's version policy, was not found in the file "
            "system"
        )
        for version in dict.fromkeys(wanted)
        if version not in by_version
    ]
    return served, notes
