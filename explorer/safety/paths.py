"""Which folders a typed model path may point into: the allowed-roots policy.

The app runs on a server and lets users type a path, so a path is an attack surface:
``/etc``, someone's home folder, or a harmless-looking link in an allowed folder that
points elsewhere. :func:`check_allowed` resolves the path completely (every symlink,
``..`` and ``~``) and accepts it only when the real location is inside an allowed root,
itself resolved the same way.

Roots come from the ``EXPLORER_ALLOWED_ROOTS`` environment variable (``os.pathsep``
separated) and/or an explicit list (the app passes ``allowed_roots`` from
``.streamlit/secrets.toml``). With neither, the current working folder is allowed. The
bundled ``sample_models`` folder is always allowed: its models ship with the app.
Archives the app extracts itself live in private temp folders and need no root.

This checks the path typed (or given by a deep link). What is read *inside* the model
folder it names — a version folder, ``saved_model.pb``, ``variables/``, ``assets/`` — is
resolved and checked by ``explorer.model.locate`` on every read, whichever way the model
was named: links there may lead only into the model's own folder or a configured root.
A path no file system accepts (a NUL, past PATH_MAX or NAME_MAX) is one ModelSourceError.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from explorer.errors import ModelSourceError
from explorer.model.locate import ENV_ALLOWED_ROOTS, check_path_text, real_path
from explorer.model.samples import SAMPLES_DIR

__all__ = ["ENV_ALLOWED_ROOTS", "SECRETS_KEY", "AllowedRoots", "check_allowed"]

SECRETS_KEY = "allowed_roots"


@dataclass(frozen=True, slots=True)
class AllowedRoots:
    """The resolved folders model paths must stay inside."""

    roots: tuple[Path, ...]

    @classmethod
    def from_env(
        cls,
        extra: Iterable[str | os.PathLike[str]] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> AllowedRoots:
        """The policy from ``EXPLORER_ALLOWED_ROOTS`` plus ``extra``, or the default.

        Args:
            extra: more roots, e.g. ``st.secrets.get("allowed_roots", [])``.
            environ: the environment to read (default ``os.environ``).

        Returns:
            The bundled samples folder plus the configured roots; when nothing is
            configured, the samples folder and the current working folder.

        Raises:
            Nothing: roots that do not exist yet are kept (they allow nothing until made).
        """
        env = os.environ if environ is None else environ
        configured = [p for p in env.get(ENV_ALLOWED_ROOTS, "").split(os.pathsep) if p.strip()]
        configured += [os.fspath(p) for p in extra or () if os.fspath(p).strip()]
        return cls.of([os.fspath(SAMPLES_DIR), *(configured or [os.getcwd()])])

    @classmethod
    def of(cls, roots: Iterable[str | os.PathLike[str]]) -> AllowedRoots:
        """Exactly these roots, resolved (no samples folder or working folder added)."""
        resolved: list[Path] = []
        for root in roots:
            path = _real(root)
            if path not in resolved:
                resolved.append(path)
        return cls(tuple(resolved))

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """Whether the real location of ``path`` is inside one of the roots."""
        real = _real(path)
        return any(real == root or real.is_relative_to(root) for root in self.roots)


def check_allowed(
    path: str | os.PathLike[str],
    roots: AllowedRoots | Iterable[str | os.PathLike[str]] | None = None,
) -> Path:
    """Resolve a typed path and refuse it unless it lies inside an allowed root.

    Args:
        path: what the user typed (``~`` is expanded, symlinks and ``..`` resolved).
        roots: the policy, a list of root folders, or None for
            :meth:`AllowedRoots.from_env`.

    Returns:
        The fully resolved path. Use it, not the typed one, from here on, so a link
        swapped afterwards cannot redirect the read.

    Raises:
        ModelSourceError: the path cannot be used (NUL, too long), or its real location
            is outside every root (including through a symlink that points out of a
            root); the message says how to allow it.
    """
    policy = (
        AllowedRoots.from_env()
        if roots is None
        else roots
        if isinstance(roots, AllowedRoots)
        else AllowedRoots.of(roots)
    )
    real = _real(path)
    if any(real == root or real.is_relative_to(root) for root in policy.roots):
        return real
    typed = os.fspath(path)
    via = (
        "" if os.path.abspath(os.path.expanduser(typed)) == str(real) else f" (resolves to {real})"
    )
    allowed = ", ".join(str(r) for r in policy.roots) or "(none)"
    raise ModelSourceError(
        f"Path {typed}{via} is outside the allowed folders: {allowed}. To allow it, add its "
        f"folder to {ENV_ALLOWED_ROOTS} (separate folders with {os.pathsep!r}) or to "
        f"{SECRETS_KEY} in .streamlit/secrets.toml."
    )


def _real(path: str | os.PathLike[str]) -> Path:
    return real_path(check_path_text(os.path.expanduser(check_path_text(path))))
