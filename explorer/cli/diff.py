"""``diff``: would clients of the old SavedModel keep working against the new one?

Compares every signature of OLD with NEW the way TF Serving clients meet them (keys,
dtypes, shapes, defaults, accepted APIs, tf.Example features) and prints each change,
classed breaking / notable / safe, then the one-line verdict. Exit codes: 0 clients keep
working, 1 a breaking change, 2 a user error (bad path, version or tag-set).
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from explorer.cli.common import EXIT_FINDING, EXIT_OK, add_method_name_check_argument, print_json
from explorer.cli.terminal import write_lines
from explorer.compat.diff import CompatReport, diff_models
from explorer.model.info import ModelInfo
from explorer.model.locate import is_number
from explorer.model.reader import read_model

_EPILOG = """\
OLD and NEW are each a SavedModel folder, a version folder, or a TF Serving base folder
(its newest version), optionally with @VERSION to pick a version of a base folder:

  python -m explorer diff sample_models/portable_linear@1 sample_models/portable_linear@2
  python -m explorer diff /models/churn@3 /models/churn          # 3 against the newest
  python -m explorer diff old_export/ new_export/ --json
"""


def add_parser(subparsers: Any) -> None:
    """Register the ``diff`` sub-command.

    Args:
        subparsers: the ``python -m explorer`` sub-parser action.
    """
    parser = subparsers.add_parser(
        "diff",
        help="compare two SavedModels' signatures: do existing clients keep working?",
        description=(
            "Compare every signature of OLD with NEW as TF Serving clients meet them: keys,\n"
            "method_name, dtypes, shapes, defaults, the APIs that accept each signature and\n"
            "the tf.Example features Classify/Regress parse. Tensor renames are safe; removed\n"
            "keys, changed dtypes and incompatible shapes break clients.\n"
            "Exit codes: 0 clients keep working, 1 breaking change, 2 user error."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", metavar="OLD", help="the model clients use today: PATH[@VERSION]")
    parser.add_argument("new", metavar="NEW", help="the model replacing it: PATH[@VERSION]")
    parser.add_argument(
        "--tags",
        default=None,
        help="comma-separated tag-set TF Serving loads (default: the one tagged 'serve')",
    )
    add_method_name_check_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read both models, diff them, print the report.

    Args:
        args: the parsed command line.

    Returns:
        0 when clients keep working, 1 when a change breaks them.

    Raises:
        ExplorerError: a path, version or tag-set that does not exist (exit 2).
    """
    old = read_versioned(args.old)
    new = read_versioned(args.new)
    report = diff_models(old, new, tags=args.tags, method_name_check=args.method_name_check)
    if args.json:
        print_json(report.as_dict())
    else:
        write_lines(format_report(report))  # names from the models may hold controls
    return EXIT_FINDING if report.breaking else EXIT_OK


def read_versioned(spec: str) -> ModelInfo:
    """``PATH`` or ``PATH@VERSION`` (a version of a TF Serving base folder) → ModelInfo.

    Raises:
        ExplorerError: no such path or version.
    """
    path, at, version = spec.rpartition("@")
    if at and is_number(version) and path and not Path(spec).exists():
        return read_model(path, version=int(version))
    return read_model(spec)


def format_report(report: CompatReport) -> str:
    """The human report: both models, every change with its meaning, then the verdict."""
    counts = ", ".join(f"{len(report.of_kind(k))} {k}" for k in ("breaking", "notable", "safe"))
    compared = len(report.signatures)
    lines = [
        f"old: {report.old_label}",
        f"new: {report.new_label}",
        f"tag-set {report.tag_set}; {compared} signature{'s' * (compared != 1)} compared; {counts}",
        "",
    ]
    for change in report.changes:
        lines.append(f"{change.kind.upper():<9} {change.text}")
        if change.why:
            lines += textwrap.wrap(
                change.why, width=100, initial_indent=" " * 10, subsequent_indent=" " * 10
            )
    if not report.changes:
        lines.append("No changes in any signature.")
    lines += ["", report.verdict]
    return "\n".join(lines) + "\n"
