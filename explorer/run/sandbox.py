"""Where the worker runs: inside bubblewrap (``bwrap``) when the OS allows it.

The sandbox has its own empty network namespace (no network at all), its own PID, IPC and
UTS namespaces, no capabilities, and a file system made of read-only views of just what
the worker needs: the system's libraries (``/usr``), the Python installation (with
TensorFlow), the ``explorer`` package, and the folder of staged models it serves; plus a
private tmpfs for scratch. Nothing else of the file system exists there: no ``/etc``, no
home, no other models. An op that reaches outside fails with TensorFlow's own error.

Where bwrap is missing or cannot make namespaces (macOS, a container without user
namespaces), the worker runs as a plain child process and the unsafe-op scan is the only
guard; :func:`status` says which, in one line the app and the CLI show. Install Debian's
``bubblewrap`` package (``apt-get install bubblewrap``) to get the sandbox;
``EXPLORER_SANDBOX=off`` turns it off deliberately.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The explorer package folder (explorer/run/sandbox.py → explorer/).
PACKAGE_DIR = Path(__file__).resolve().parents[1]
ENV_SANDBOX = "EXPLORER_SANDBOX"
# Where the staged models appear inside the sandbox.
MODELS_MOUNT = "/models"


# Beside the error of a run that failed inside the sandbox, for a model the scan flagged
# and the user opted in to: TF Serving has no sandbox, so its answer may well differ.
OUTSIDE_NOTE = (
    "This model ran inside the sandbox (the scan flagged it and you opted in): there it has "
    "no host files and no network. An op that reaches outside (a file, a socket, a process) "
    "fails here where TF Serving, which has no sandbox, would run it with the server's "
    "access, so this error may be the sandbox's and not TF Serving's answer."
)


@dataclass(frozen=True, slots=True)
class SandboxStatus:
    """Whether workers run sandboxed, and the line that says so."""

    sandboxed: bool
    line: str


@functools.cache
def status() -> SandboxStatus:
    """Probe once per process: can bwrap make a sandbox here?"""
    if os.environ.get(ENV_SANDBOX, "").lower() in ("0", "off", "no", "false"):
        return SandboxStatus(
            False, f"Models run without a sandbox ({ENV_SANDBOX}=off): the scan is the only guard."
        )
    if not sys.platform.startswith("linux"):
        return SandboxStatus(
            False,
            f"Models run without a sandbox (none on {sys.platform}): the unsafe-op scan is the "
            "only guard.",
        )
    binary = shutil.which("bwrap")
    if binary is None:
        return SandboxStatus(
            False,
            "Models run without a sandbox (bubblewrap is not installed: apt-get install "
            "bubblewrap): the unsafe-op scan is the only guard.",
        )
    probe = subprocess.run(
        [binary, *_namespaces(), "--ro-bind", "/", "/", "--", "/bin/true"],
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    if probe.returncode != 0:
        reason = " ".join(probe.stderr.split())[:200] or f"exit {probe.returncode}"
        return SandboxStatus(
            False,
            f"Models run without a sandbox (bwrap cannot make namespaces here: {reason}): "
            "the unsafe-op scan is the only guard.",
        )
    return SandboxStatus(
        True, "Models run in a sandbox (bubblewrap): no network, no files but their own."
    )


def outside_note(*, flagged: bool) -> str | None:
    """The note for a run that failed: :data:`OUTSIDE_NOTE` when the model ran in the
    sandbox although the scan flagged it (opted in), else None (a clean model's ops do not
    reach outside, and without a sandbox nothing is kept from them)."""
    return OUTSIDE_NOTE if flagged and status().sandboxed else None


def worker_command(models_root: Path, *, env: dict[str, str]) -> tuple[list[str], str]:
    """The command that starts a worker serving the models staged under ``models_root``,
    and the path those models have inside it.

    Args:
        models_root: the host folder holding the staged models (read-only inside).
        env: the worker's environment (inside the sandbox it is the whole environment).

    Returns:
        (argv, models path as the worker sees it).
    """
    python = [sys.executable, "-m", "explorer.run.worker"]
    if not status().sandboxed:
        return python, str(models_root)
    binary = shutil.which("bwrap")
    assert binary is not None  # status() found it
    # No --die-with-parent: it ties the sandbox to the thread that started it, and a worker
    # started from a short-lived thread would die with that thread. The worker ends when
    # its channel closes instead (the parent exits, or closes it).
    argv = [binary, *_namespaces(), "--new-session"]
    # bwrap mounts in the order given, and a mount hides whatever an earlier one put at or
    # under its place: the private /tmp (and /proc, /dev) come first, so a Python, a venv
    # or a package that lives under /tmp on the host is bound on top of it, not hidden by
    # it. (A bind's source is read from the host's tree, so the staged models, which live
    # under the host's /tmp too, still appear at MODELS_MOUNT.)
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    argv += _system_views()
    for path in shown_folders():
        argv += ["--ro-bind", path, path]
    package = str(PACKAGE_DIR)
    argv += ["--ro-bind", str(models_root), MODELS_MOUNT]
    argv += ["--chdir", "/tmp", "--clearenv"]
    for name, value in env.items():
        argv += ["--setenv", name, value]
    argv += ["--setenv", "PYTHONPATH", str(Path(package).parent), "--setenv", "HOME", "/tmp"]
    if site.ENABLE_USER_SITE and site.USER_SITE and Path(site.USER_SITE).is_dir():
        # HOME is /tmp inside: the user site (bound above) is found where it is on the host.
        argv += ["--setenv", "PYTHONUSERBASE", site.getuserbase()]
    return [*argv, "--", *python], MODELS_MOUNT


def shown_folders() -> list[str]:
    """The host folders a sandboxed worker sees at their own paths besides /usr: the
    Python installation's and the explorer package's."""
    return [*_python_paths(), str(PACKAGE_DIR)]


def _namespaces() -> list[str]:
    return ["--unshare-all", "--cap-drop", "ALL"]


def _system_views() -> list[str]:
    # The dynamic linker and the C/C++ runtimes live under /usr on merged-/usr systems;
    # /lib and friends are links into it there, real folders elsewhere.
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in ("lib", "lib64", "lib32", "bin", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    return argv


def _python_paths() -> Sequence[str]:
    """What the worker's Python reads besides /usr: its installation (a venv and its base
    interpreter too), its site-packages and the folders their ``.pth`` files add, as that
    Python puts them on its own path. Never this process's other ``sys.path`` entries:
    the script's folder or the working directory (``''``), a notebook's or a test
    runner's additions, ``PYTHONPATH`` (the worker's is the package's parent alone) would
    show the model whole folders of the host it has no use for (a home directory, the
    host's /tmp), and the project around the package (its sample models, its tests)."""
    sites = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE and site.USER_SITE:
        sites.append(site.USER_SITE)
    package_root = PACKAGE_DIR.parent
    installation = [sys.prefix, sys.base_prefix, sys.exec_prefix, *sites]
    added = [folder for site_dir in sites for folder in _pth_folders(Path(site_dir))]
    found: list[Path] = []
    for raw, required in [*((p, True) for p in installation), *((p, False) for p in added)]:
        path = Path(raw).resolve()
        # An editable install's .pth names the checkout: the package is bound on its own.
        inside_project = path == package_root or path.is_relative_to(package_root)
        if not path.exists() or path.is_relative_to("/usr") or (inside_project and not required):
            continue
        if any(path.is_relative_to(f) for f in found):
            continue
        found = [f for f in found if not f.is_relative_to(path)] + [path]
    return [str(p) for p in found]


def _pth_folders(site_dir: Path) -> list[str]:
    """The folders a site directory's ``.pth`` files add to the path, read as ``site``
    reads them: one path a line, relative to the site directory; comments and ``import``
    lines add none."""
    added = []
    for pth in sorted(site_dir.glob("*.pth")):
        try:
            lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue  # unreadable here: site skips it too
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            folder = site_dir / line
            if folder.is_dir():
                added.append(str(folder))
    return added
