"""``app``: start the Streamlit app on a model (or the bundled samples) and open a browser.

What ``netron model.pb`` or ``tensorboard --logdir`` do for their tools: one command from
``pip install`` to a page. It runs ``streamlit run`` on the app's page wherever the package
keeps it (``explorer.model.samples.APP_SCRIPT``: a checkout's ``app.py``, or the wheel's
copy), waits for Streamlit's health endpoint, then opens the page. A PATH given is allowed
for the app (``EXPLORER_ALLOWED_ROOTS`` gets it) and opened by a deep link
(``?folder=PATH``). Nothing here imports Streamlit or TensorFlow: the app's own process does.

The app's server lives exactly as long as this command: Ctrl-C, SIGTERM or SIGHUP stop it
(and wait for it to end), and on Linux the server is also told to stop when this command
dies without a chance to clean up (SIGKILL, a crash), so no server is left on its port.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from explorer.cli.app_server import choose_port, start_app, stop_app, wait_healthy
from explorer.cli.common import EXIT_OK
from explorer.cli.terminal import write_lines
from explorer.errors import DependencyError, UsageError
from explorer.model.locate import ENV_ALLOWED_ROOTS, locate_model
from explorer.model.samples import APP_SCRIPT
from explorer.present.deep_link import ViewState, link_url

DEFAULT_PORT = 8501  # Streamlit's own default
# Without --port, the next free ports after the default are tried (as Streamlit does).
_PORTS_TRIED = 20
_INSTALL = 'python3 -m pip install "signature-explorer[app]"'
_ANY_INTERFACE = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def add_parser(subparsers: Any) -> None:
    """Register the ``app`` sub-command.

    Args:
        subparsers: the ``python -m explorer`` sub-parser action.
    """
    parser = subparsers.add_parser(
        "app",
        help="start the app in a browser, on a model or the bundled samples",
        description="Start the Signature Explorer app (Streamlit) on this machine and open "
        "it in a browser: on PATH when given (it is allowed without further configuration), "
        "else on the bundled sample models. Runs until Ctrl-C, SIGTERM or SIGHUP, and takes "
        "the app's server with it.",
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        help="SavedModel folder, version folder or TF Serving base folder to open",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=None,
        metavar="N",
        help=f"port (default {DEFAULT_PORT}, or the next free one; 0: any free one)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: this machine only; 0.0.0.0 lets "
        "others reach the app, and the models it can open)",
    )
    parser.add_argument(
        "--allowed-roots",
        nargs="+",
        default=[],
        metavar="DIR",
        help=f"folders the app may open models from, besides PATH and {ENV_ALLOWED_ROOTS} "
        "(default: the current folder when neither is set)",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser (print the address only)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start the app, open the browser, wait for Ctrl-C or the app to end.

    Returns:
        0 after Ctrl-C, else the app process's exit code.

    Raises:
        DependencyError: Streamlit is not installed.
        UsageError: a bad --host, or a port that cannot be had.
        ModelSourceError: PATH is not a model.
    """
    if importlib.util.find_spec("streamlit") is None:
        raise DependencyError("The app's web framework, Streamlit,", _INSTALL)
    if not APP_SCRIPT.is_file():  # a packaging bug: the wheel lacks the app
        raise DependencyError(f"The app's page ({APP_SCRIPT})", _INSTALL)
    host = args.host.strip()
    if not host:
        raise UsageError('--host "": name an interface, e.g. 127.0.0.1 (0.0.0.0 for all).')
    model = _model_path(args.path) if args.path is not None else None
    roots = _allowed_roots(args.allowed_roots, model)
    port = choose_port(host, args.port, DEFAULT_PORT, _PORTS_TRIED)
    process: subprocess.Popen[bytes] | None = None
    # Handlers first: a SIGTERM that lands while the server starts must stop it too.
    previous = _stop_on_signals()
    try:
        process = start_app(APP_SCRIPT, host, port, roots)
        return _serve(process, host, port, model, open_browser=not args.no_browser)
    except (KeyboardInterrupt, _StopSignal):
        return EXIT_OK
    finally:
        # A second SIGTERM or SIGHUP must not cut the stopping short.
        _ignore_stop_signals()
        if process is not None:
            stop_app(process)
        _restore_signals(previous)


class _StopSignal(BaseException):
    """SIGTERM or SIGHUP arrived: stop the app as Ctrl-C does (a BaseException, so no
    ``except Exception`` on the way swallows it)."""


_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def _stop_on_signals() -> dict[int, _Handler]:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise _StopSignal(signum)

    return {signum: signal.signal(signum, stop) for signum in _STOP_SIGNALS}


def _ignore_stop_signals() -> None:
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _restore_signals(previous: dict[int, _Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _serve(
    process: subprocess.Popen[bytes],
    host: str,
    port: int,
    model: Path | None,
    *,
    open_browser: bool,
) -> int:
    base = f"http://{_url_host(host)}:{port}/"
    if not wait_healthy(process, base):
        code = process.poll()
        write_lines(f"The app did not start (Streamlit exited with code {code}).\n", sys.stderr)
        return code or 1
    url = base if model is None else link_url(base, ViewState(source="folder", model=str(model)))
    _say(f"Signature Explorer: {url}")
    if host in _ANY_INTERFACE:
        _say("Listening on every interface: others on the network can open it too.")
    _say("Press Ctrl-C to stop.")
    if open_browser:
        webbrowser.open(url)
    return process.wait()


def _model_path(path: str) -> Path:
    """PATH checked as a model folder (a clear error now, not a broken page later)."""
    folder = Path(os.path.expanduser(path)).resolve()
    locate_model(folder, roots=[folder])
    return folder


def _allowed_roots(extra: list[str], model: Path | None) -> list[str]:
    """``EXPLORER_ALLOWED_ROOTS`` and ``--allowed-roots`` (else the app's default, the current
    folder), plus the model's own folder."""
    configured = [p for p in os.environ.get(ENV_ALLOWED_ROOTS, "").split(os.pathsep) if p.strip()]
    configured += [os.path.abspath(os.path.expanduser(p)) for p in extra if p.strip()]
    roots = configured or [os.getcwd()]
    if model is not None:
        roots.append(str(model))
    return list(dict.fromkeys(roots))


def _url_host(host: str) -> str:
    """The host part of a URL a browser on this machine can open."""
    shown = _ANY_INTERFACE.get(host, host)
    return f"[{shown}]" if ":" in shown else shown


def _say(line: str) -> None:
    write_lines(line + "\n")  # a model path may hold control characters
    sys.stdout.flush()


def _port(text: str) -> int:
    """An argparse type: a TCP port number, 0 for any free one."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0–65535)")
    return value
