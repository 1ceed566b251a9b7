"""What every sub-command shares: model arguments, loading, exit codes, error output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from explorer.cli.terminal import terminal_text
from explorer.errors import UsageError
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.model.reader import read_model

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_USER_ERROR = 2


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH, --tags and --version, the same on every sub-command."""
    parser.add_argument(
        "path",
        metavar="PATH",
        help="SavedModel folder, a version folder, or a TF Serving base folder "
        "with numeric version sub-folders",
    )
    parser.add_argument(
        "--tags",
        default=None,
        help="comma-separated tag-set of the MetaGraph (default: the one tagged 'serve')",
    )
    parser.add_argument(
        "--version",
        type=int,
        default=None,
        help="version of a TF Serving base folder (default: the newest)",
    )


def add_method_name_check_argument(parser: argparse.ArgumentParser) -> None:
    """``--enable-signature-method-name-check``, as TF Serving's flag of the same name."""
    parser.add_argument(
        "--enable-signature-method-name-check",
        dest="method_name_check",
        action="store_true",
        help="also require a matching method_name, as TF Serving's flag of the same name "
        "(off by default since TF Serving 2.4, so TF2 models can classify/regress)",
    )


def add_kernels_argument(parser: argparse.ArgumentParser) -> None:
    """``--kernels standard|mkl``: whose CPU kernels run the model."""
    parser.add_argument(
        "--kernels",
        choices=("standard", "mkl"),
        default=None,
        help="TF Serving's standard CPU build (no oneDNN, the default: what the "
        "tensorflow/serving image runs) or its --config=mkl build (oneDNN); default "
        "$EXPLORER_KERNELS, else standard",
    )


def add_allow_unsafe_argument(parser: argparse.ArgumentParser) -> None:
    """``--allow-unsafe-ops``: the CLI's "I trust this model"."""
    parser.add_argument(
        "--allow-unsafe-ops",
        dest="allow_unsafe",
        action="store_true",
        help="run even if the model reaches ops that touch files, network or Python "
        "(a SavedModel is a program: only for models you trust)",
    )


def load_model(args: argparse.Namespace) -> tuple[ModelInfo, MetaGraphInfo]:
    """Read the model and pick the MetaGraph named by the arguments.

    Raises:
        ExplorerError: bad path, corrupt model or unknown tag-set (the CLI exits 2).
    """
    model = read_model(args.path, version=args.version)
    return model, model.meta_graph(args.tags)


def print_json(value: Any, *, indent: int | None = 1) -> None:
    sys.stdout.write(json.dumps(value, indent=indent, ensure_ascii=False) + "\n")


def print_error(message: str) -> None:
    # Messages quote keys and names from the model: their control characters are escaped.
    sys.stderr.write(f"error: {terminal_text(' '.join(message.split()))}\n")


def read_request(spec: str) -> str | bytes:
    """The body from ``--request``: JSON text, ``@file`` or ``-`` (stdin).

    Files and stdin are read as bytes, as TF Serving receives a body: text that is not
    UTF-8 is then the request's fault (exit 1, rapidjson's error), not the file's.

    Raises:
        UsageError: the file cannot be read.
    """
    if spec == "-":
        return sys.stdin.buffer.read()
    if spec.startswith("@"):
        path = Path(spec[1:]).expanduser()
        try:
            return path.read_bytes()
        except OSError as exc:
            raise UsageError(f"Cannot read the request file {path}: {exc}") from exc
    return spec


def request_text(body: str | bytes, spec: str) -> str:
    """A body to send to a server as typed: it must be UTF-8 text.

    Raises:
        UsageError: the bytes are not UTF-8.
    """
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = "stdin" if spec == "-" else spec[1:]
        raise UsageError(f"Cannot read the request file {where}: {exc}") from exc
