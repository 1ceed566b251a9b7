"""What an uploaded archive may expand to: total bytes, member count and compression ratio.

The bytes actually written are counted, never the sizes an archive's headers claim.
``EXPLORER_MAX_ARCHIVE_BYTES`` caps the total written (default 2 GiB),
``EXPLORER_MAX_ARCHIVE_MEMBERS`` the files and folders (default 20,000), and
``EXPLORER_MAX_COMPRESSION_RATIO`` the bytes written per archive byte read (default 200):
over the whole archive for every format, so neither a zip of many small bombs nor a plain
.tar's sparse member (whose holes expand to zeros) slips through, and per member for zip.
The ratio is checked once 1 MiB has been written: small files compress absurdly well.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from explorer.errors import ModelSourceError, UnsafeArchiveError

ENV_MAX_BYTES = "EXPLORER_MAX_ARCHIVE_BYTES"
ENV_MAX_MEMBERS = "EXPLORER_MAX_ARCHIVE_MEMBERS"
ENV_MAX_RATIO = "EXPLORER_MAX_COMPRESSION_RATIO"

# Small members compress absurdly well (a 64 KiB zero tensor is ~100 bytes zipped); the
# ratio only means "bomb" once this much has been written.
RATIO_GRACE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Caps on what an archive may expand to."""

    max_total_bytes: int = 2 * 1024**3
    max_members: int = 20_000
    # Bytes written per archive byte read (per member too for zip), checked past 1 MiB.
    max_compression_ratio: float = 200.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ArchiveLimits:
        """Limits from ``EXPLORER_MAX_ARCHIVE_*`` variables; unset ones keep the default.

        Args:
            environ: the environment to read (default ``os.environ``).

        Returns:
            The limits to extract with.

        Raises:
            ModelSourceError: a variable is set to something that is not a positive number.
        """
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            max_total_bytes=int(_positive(env, ENV_MAX_BYTES, default.max_total_bytes)),
            max_members=int(_positive(env, ENV_MAX_MEMBERS, default.max_members)),
            max_compression_ratio=_positive(env, ENV_MAX_RATIO, default.max_compression_ratio),
        )

    def check_total(self, archive: str, name: str, total: int) -> None:
        """Refuse once the archive has written more than ``max_total_bytes``."""
        if total > self.max_total_bytes:
            raise UnsafeArchiveError(
                archive,
                name,
                f"takes the archive past {self.max_total_bytes} uncompressed bytes "
                f"(raise {ENV_MAX_BYTES} to allow more)",
            )

    def check_ratio(
        self, archive: str, name: str, produced: int, consumed: int, *, whole: bool
    ) -> None:
        """Refuse ``produced`` bytes written from ``consumed`` read, past the ratio (once
        past the grace); ``whole`` says the counts are the archive's, not one member's."""
        ratio = produced / max(consumed, 1)
        if produced > RATIO_GRACE_BYTES and ratio > self.max_compression_ratio:
            what = "the archive " if whole else ""
            raise UnsafeArchiveError(
                archive,
                name,
                f"expands {what}more than {self.max_compression_ratio:g}× ({produced:,} bytes "
                f"from {consumed:,} read); looks like a zip bomb or a sparse file's holes "
                f"(raise {ENV_MAX_RATIO} to allow it)",
            )

    def too_many(self, archive: str, name: str) -> UnsafeArchiveError:
        """The error for a member past ``max_members``."""
        return UnsafeArchiveError(
            archive,
            name,
            f"exceeds the limit of {self.max_members} members "
            f"(raise {ENV_MAX_MEMBERS} to allow more)",
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip().replace("_", "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):  # also refuses nan
        raise ModelSourceError(f"{name}={env[name]!r} is not a positive number.")
    return value
