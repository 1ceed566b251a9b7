"""``python -m explorer graph PATH --signature KEY``: the ops a signature runs, as DOT/SVG/JSON.

DOT goes to stdout by default (pipe it to ``dot -Tsvg``); ``--format svg`` runs the
Graphviz ``dot`` binary itself and exits 2 naming the package to install when it is
missing; ``--format json`` lists nodes, edges and clusters.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from explorer.cli.common import EXIT_OK, CommandError, add_model_arguments, load_model, print_json
from explorer.dot import to_dot
from explorer.signature_graph import DEFAULT_NODE_BUDGET, build_signature_graph

_DOT_TIMEOUT_S = 120


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "graph",
        help="draw the ops a signature runs (keys → tensors → ops)",
        description="Slice the graph to the ops between a signature's inputs and outputs "
        "(following calls into the function library), group it by function and name scope "
        "to fit --budget boxes, and print it as Graphviz DOT, SVG or JSON.",
    )
    add_model_arguments(parser)
    parser.add_argument("--signature", required=True, metavar="KEY", help="signature key")
    parser.add_argument(
        "--format", choices=("dot", "svg", "json"), default="dot", help="output (default: dot)"
    )
    parser.add_argument(
        "--expand",
        nargs="+",
        action="extend",
        default=[],
        metavar="SCOPE",
        help="open these groups (cluster id, name scope, function or call node name)",
    )
    parser.add_argument(
        "--collapse",
        nargs="+",
        action="extend",
        default=[],
        metavar="SCOPE",
        help="keep these groups closed",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=DEFAULT_NODE_BUDGET,
        metavar="N",
        help=f"most boxes to show before grouping (default: {DEFAULT_NODE_BUDGET})",
    )
    parser.add_argument("--highlight", metavar="KEY", help="mark this signature key's path")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the graph and write it to stdout in the chosen format."""
    _, meta_graph = load_model(args)
    graph = build_signature_graph(
        meta_graph,
        args.signature,
        expand=args.expand,
        collapse=args.collapse,
        node_budget=args.budget,
        highlight=args.highlight,
    )
    if args.format == "json":
        print_json(graph.as_dict())
        return EXIT_OK
    dot_text = to_dot(graph)
    if args.format == "dot":
        sys.stdout.write(dot_text)
        return EXIT_OK
    sys.stdout.write(render_svg(dot_text))
    return EXIT_OK


def render_svg(dot_text: str) -> str:
    """Run Graphviz ``dot -Tsvg`` on DOT text.

    Raises:
        CommandError: ``dot`` is not installed, fails or takes too long (exit 2).
    """
    binary = shutil.which("dot")
    if binary is None:
        raise CommandError(
            "--format svg needs the Graphviz 'dot' program, which is not on PATH. "
            "Install Graphviz (apt-get install graphviz, brew install graphviz) "
            "or use --format dot and render it elsewhere."
        )
    try:
        done = subprocess.run(
            [binary, "-Tsvg"],
            input=dot_text,
            capture_output=True,
            text=True,
            timeout=_DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandError(
            f"Graphviz 'dot' took over {_DOT_TIMEOUT_S} s; try a smaller --budget."
        ) from exc
    if done.returncode != 0:
        raise CommandError(f"Graphviz 'dot' failed: {done.stderr.strip()}")
    return done.stdout
