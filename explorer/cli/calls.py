"""``predict`` / ``classify`` / ``regress``: call a signature the way TF Serving's REST API does.

Prints the exact response body TF Serving would send and exits 0. A request TF Serving
would reject prints ``{"error": "..."}`` (its message) on stdout and exits 1. Anything
wrong before a request can be made (bad path, corrupt model, unknown tags, unsafe ops
without ``--allow-unsafe-ops``, unreadable request file) is one stderr line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from explorer import calls, runner
from explorer.cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    EXIT_USER_ERROR,
    CommandError,
    add_model_arguments,
    load_model,
)
from explorer.constants import MethodKind
from explorer.errors import ExecutionError, ServingRuleError

_SUMMARIES = {
    MethodKind.PREDICT: (
        "run a signature on tensors (TF Serving's :predict)",
        '{"instances": [[1.0], [2.0]]}  or  {"inputs": {"x": [[1.0], [2.0]]}}',
    ),
    MethodKind.CLASSIFY: (
        "classify tf.Examples (TF Serving's :classify)",
        '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}',
    ),
    MethodKind.REGRESS: (
        "regress tf.Examples (TF Serving's :regress)",
        '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}], "context": {}}',
    ),
}


def add_parser(subparsers: Any) -> None:
    """Register the ``predict``, ``classify`` and ``regress`` sub-commands.

    Args:
        subparsers: the ``python -m explorer`` sub-parser action.
    """
    for method in (MethodKind.PREDICT, MethodKind.CLASSIFY, MethodKind.REGRESS):
        summary, example = _SUMMARIES[method]
        parser = subparsers.add_parser(
            method.value,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}, in-process, with TF Serving's "
            "exact semantics: same JSON rules, same checks, same error texts, same response "
            'body. Exit codes: 0 answered, 1 rejected (prints {"error": ...} like TF '
            "Serving), 2 the model or request file could not be used.",
            epilog=f"example request:\n  {example}\n\n"
            f"  python -m explorer {method.value} MODEL_DIR --request '{example}'\n"
            f"  python -m explorer {method.value} MODEL_DIR --request @request.json\n"
            f"  cat request.json | python -m explorer {method.value} MODEL_DIR --request -",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_model_arguments(parser)
        parser.add_argument(
            "--request",
            "-r",
            required=True,
            metavar="JSON|@FILE|-",
            help="the REST request body: JSON text, @path to a file holding it, or - for stdin",
        )
        parser.add_argument(
            "--signature",
            metavar="KEY",
            default=None,
            help='signature key; overrides the request\'s "signature_name" '
            "(default: the request's, else serving_default)",
        )
        parser.add_argument(
            "--enable-signature-method-name-check",
            dest="method_name_check",
            action="store_true",
            help="also require a matching method_name, as TF Serving's flag of the same name "
            "(off by default since TF Serving 2.4, so TF2 models can classify/regress)",
        )
        parser.add_argument(
            "--allow-unsafe-ops",
            dest="allow_unsafe",
            action="store_true",
            help="run even if the model reaches ops that touch files, network or Python "
            "(a SavedModel is a program: only for models you trust)",
        )
        parser.set_defaults(run=run, method=method)


def run(args: argparse.Namespace) -> int:
    """Load the model, send the request, print TF Serving's answer.

    Args:
        args: the parsed command line.

    Returns:
        0 answered, 1 rejected by TF Serving's rules or runtime.

    Raises:
        CommandError: the request file cannot be read or the model cannot be loaded.
        ExplorerError: bad path, corrupt model, unknown tags, unsafe ops (exit 2).
    """
    model, meta_graph = load_model(args)
    body = _read_request(args.request)
    try:
        runner.load(model.path, meta_graph, allow_unsafe=args.allow_unsafe)
    except ExecutionError as exc:
        raise CommandError(str(exc), EXIT_USER_ERROR) from exc
    call = {
        MethodKind.PREDICT: calls.predict,
        MethodKind.CLASSIFY: calls.classify,
        MethodKind.REGRESS: calls.regress,
    }[args.method]
    try:
        result = call(
            model,
            body,
            signature=args.signature,
            method_name_check=args.method_name_check,
            allow_unsafe=args.allow_unsafe,
            tags=args.tags,
        )
    except ServingRuleError as exc:
        sys.stdout.write(json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n")
        return EXIT_FINDING
    sys.stdout.write(result.response_text + "\n")
    return EXIT_OK


def _read_request(spec: str) -> str:
    if spec == "-":
        return sys.stdin.read()
    if spec.startswith("@"):
        path = Path(spec[1:]).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read the request file {path}: {exc}") from exc
    return spec
