"""``scan``: list the ops that reach outside TensorFlow and the signatures that reach them."""

from __future__ import annotations

import argparse
from typing import Any

from explorer.cli.common import EXIT_FINDING, EXIT_OK, add_model_arguments, print_json
from explorer.cli.terminal import terminal_text, write_lines
from explorer.model.reader import read_model
from explorer.safety.scan import ScanResult, UnsafeOpFinding, scan_meta_graph


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="find ops that touch files, the network, processes or the console",
        description="Scan every MetaGraph (or the one --tags names) for ops that reach "
        "outside TensorFlow: file and checkpoint I/O, summary writers, printing, Python "
        "callbacks, RPC and collectives. Each finding says which signatures can run it. "
        "Exit status: 0 clean, 1 a signature, the init op or the restore op reaches an "
        "unsafe op, 2 a user error (bad path, corrupt model, unknown tags).",
    )
    add_model_arguments(parser)
    for action in parser._actions:  # same flag as every command; only the default differs
        if action.dest == "tags":
            action.help = "comma-separated tag-set of the one MetaGraph to scan (default: all)"
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the findings as JSON (one object per MetaGraph)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = read_model(args.path, version=args.version)
    meta_graphs = model.meta_graphs if args.tags is None else (model.meta_graph(args.tags),)
    results = [scan_meta_graph(mg) for mg in meta_graphs]
    clean = all(r.clean for r in results)
    if args.json:
        print_json(
            {
                "path": model.path,
                "clean": clean,
                "meta_graphs": [result_to_dict(r) for r in results],
            }
        )
    else:
        write_lines(format_results(model.path, results))
    return EXIT_OK if clean else EXIT_FINDING


def result_to_dict(result: ScanResult) -> dict[str, Any]:
    """One MetaGraph's scan as plain JSON values."""
    return {
        "tags": result.tag_set.split(",") if result.tag_set else [],
        "clean": result.clean,
        "signatures_affected": list(result.signatures_affected),
        "findings": [finding_to_dict(f) for f in result.findings],
        "expected_asset_reads": [finding_to_dict(f) for f in result.expected_asset_reads],
    }


def finding_to_dict(finding: UnsafeOpFinding) -> dict[str, Any]:
    """One finding as plain JSON values, with its severity spelled out."""
    return {
        "op": finding.op,
        "node": finding.node,
        "function": finding.function,
        "category": finding.category,
        "what_it_does": finding.what_it_does,
        "reachable_from": list(finding.reachable_from),
        "severity": finding.severity,
    }


def format_results(path: str, results: list[ScanResult]) -> str:
    """The human report: per MetaGraph, reachable findings, then unreachable ones.

    Every name from the model goes through ``terminal_text``: a key or node name holding
    control characters (or a line break) is shown escaped, never obeyed by the terminal.
    """
    lines = [f"Unsafe-op scan of {terminal_text(path)}"]
    for result in results:
        tags = terminal_text(result.tag_set) or "(no tags)"
        reachable = result.reachable_findings
        if reachable:
            affected = ", ".join(terminal_text(key) for key in result.signatures_affected)
            lines.append(
                f"\nMetaGraph {tags}: {_count(len(reachable))} reachable; "
                f"signatures affected: {affected or '(none)'}"
            )
            lines.extend(line for f in reachable for line in _finding_lines(f))
        else:
            lines.append(
                f"\nMetaGraph {tags}: clean (no signature, init op or restore op reaches "
                "an op that touches files, the network, processes or the console)"
            )
        if result.unreachable_findings:
            lines.append("  Present but unreachable from any signature (lower severity):")
            lines.extend(line for f in result.unreachable_findings for line in _finding_lines(f))
        for read in result.expected_asset_reads:
            lines.append(
                f"  Expected: {terminal_text(read.op)} in the init op reads the model's own asset "
                f"({terminal_text(read.location)})."
            )
    return "\n".join(lines) + "\n"


def _finding_lines(finding: UnsafeOpFinding) -> list[str]:
    lines = [
        f"  {terminal_text(finding.op)} [{finding.category}] at {terminal_text(finding.location)}",
        f"      can: {finding.what_it_does}",
    ]
    if finding.reachable_from:
        lines.append(f"      reached from: {', '.join(map(terminal_text, finding.reachable_from))}")
    return lines


def _count(n: int) -> str:
    return f"{n} unsafe op" + ("" if n == 1 else "s")
