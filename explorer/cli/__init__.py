"""The ``python -m explorer`` / ``signature-explorer`` command line.

Each sub-command lives in its own module exposing ``add_parser(subparsers)`` and
``run(args) -> int``. Exit codes: 0 ok, 1 a finding or a rejected request, 2 a user error
(bad path, corrupt model, unknown tags or signature) with one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from explorer.cli.common import EXIT_USER_ERROR, print_error
from explorer.errors import ExplorerError

# Sub-command → the module that defines it, in the order --help lists them.
_COMMANDS = {
    "show": "show",
    "graph": "graph",
    "scan": "scan",
    "predict": "calls",
    "classify": "calls",
    "regress": "calls",
    "diff": "diff",
    "replay": "replay",
    "warmup": "warmup",
    "serve": "serve",
    "app": "app",
}


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error contract: one ``error:`` line on stderr, exit 2
    (argparse's own prints the whole usage block first)."""

    def error(self, message: str) -> NoReturn:
        print_error(f"{message} (see: {self.prog} --help)")
        raise SystemExit(EXIT_USER_ERROR)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command`` only that sub-command's module is imported.

    Importing every sub-command would make ``show`` pay for numpy and the call machinery.
    """
    parser = _Parser(
        prog="python -m explorer",
        description="Inspect TensorFlow SavedModel signatures and call them the way "
        "TF Serving does.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = [_COMMANDS[command]] if command in _COMMANDS else _COMMANDS.values()
    for name in dict.fromkeys(wanted):
        module = _command_module(name)
        if module is not None:
            module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in arguments if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(arguments)
    try:
        return int(args.run(args))
    except ExplorerError as exc:
        print_error(str(exc))
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as exc:  # a bug: still one line, never a traceback
        if os.environ.get("EXPLORER_DEBUG"):
            raise
        print_error(
            f"internal error ({type(exc).__name__}: {exc}). This is a bug in Signature "
            "Explorer; EXPLORER_DEBUG=1 shows the traceback."
        )
        return EXIT_USER_ERROR


def _command_module(name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(f"explorer.cli.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"explorer.cli.{name}":
            return None
        raise
