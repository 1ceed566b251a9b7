"""``replay``: send every saved test case to a model again and compare the answers.

A cases file (JSON lines, from the app's "Save as test case" or ``explorer.compat.cases``)
holds REST requests and the answers TF Serving gave. Each is sent to PATH and compared:
floats within --rtol/--atol, everything else exactly, an error where a result was
recorded (or the reverse) a failure. Exit codes: 0 every case passes, 1 a case fails,
2 a user error (bad path, unreadable cases file, unsafe model without opt-in).
"""

from __future__ import annotations

import argparse
from typing import Any

from explorer.cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    add_allow_unsafe_argument,
    add_method_name_check_argument,
    add_model_arguments,
    load_model,
    print_json,
)
from explorer.cli.terminal import write_lines
from explorer.compat.case_diff import DEFAULT_ATOL, DEFAULT_RTOL
from explorer.compat.cases import load_cases
from explorer.compat.replay import ReplayReport, replay_cases
from explorer.errors import UsageError
from explorer.run.target import serving_meta_graph


def add_parser(subparsers: Any) -> None:
    """Register the ``replay`` sub-command.

    Args:
        subparsers: the ``python -m explorer`` sub-parser action.
    """
    parser = subparsers.add_parser(
        "replay",
        help="re-run saved test cases against a model and compare the answers",
        description=(
            "Send every request of a cases file (JSON lines) to the model, in-process with\n"
            "TF Serving's semantics, and compare each answer with the one recorded: floats\n"
            "within a tolerance, strings and ints exactly, errors by their message.\n"
            "Exit codes: 0 all cases pass, 1 a case fails, 2 user error."
        ),
        epilog="example:\n  python -m explorer replay sample_models/portable_linear "
        "sample_models/portable_linear/cases.jsonl --version 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_arguments(parser)
    parser.add_argument("cases", metavar="CASES", help="the cases file (.jsonl)")
    parser.add_argument(
        "--rtol",
        type=_tolerance,
        default=DEFAULT_RTOL,
        help=f"relative tolerance on floats (default {DEFAULT_RTOL:g})",
    )
    parser.add_argument(
        "--atol",
        type=_tolerance,
        default=DEFAULT_ATOL,
        help=f"absolute tolerance on floats (default {DEFAULT_ATOL:g})",
    )
    add_method_name_check_argument(parser)
    add_allow_unsafe_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the cases and the model, replay, print pass/fail per case.

    Args:
        args: the parsed command line.

    Returns:
        0 when every case passes, 1 when one fails.

    Raises:
        UsageError: the cases file holds no case (exit 2).
        ExplorerError: bad path, tags, cases file, unsafe model or load failure (exit 2).
    """
    cases = load_cases(args.cases)
    if not cases:
        raise UsageError(f"No test cases in {args.cases}.")
    model, _ = load_model(args)
    serving_meta_graph(model, args.tags)  # the MetaGraph TF Serving loads, or a user error
    report = replay_cases(
        model,
        cases,
        rtol=args.rtol,
        atol=args.atol,
        tags=args.tags,
        allow_unsafe=args.allow_unsafe,
        method_name_check=args.method_name_check,
    )
    if args.json:
        print_json(report.as_dict())
    else:
        write_lines(format_report(report))  # names from the models may hold controls
    return EXIT_OK if report.all_passed else EXIT_FINDING


def format_report(report: ReplayReport) -> str:
    """PASS/FAIL per case, its differences indented below, then the summary."""
    lines = []
    for result in report.results:
        case = result.case
        mark = "PASS" if result.passed else "FAIL"
        lines.append(f"{mark}  {case.name}  ({case.method} {case.signature_name})")
        lines += [f"      {' '.join(d.message.split())}" for d in result.differences]
        hidden = result.difference_count - len(result.differences)
        if hidden:
            lines.append(f"      ... and {hidden} more differences")
    lines.append(f"{report.summary} (rtol {report.rtol:g}, atol {report.atol:g})")
    return "\n".join(lines) + "\n"


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value
