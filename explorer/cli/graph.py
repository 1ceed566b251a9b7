"""``python -m explorer graph PATH --signature KEY``: the ops a signature runs, as DOT/SVG/JSON.

The same view as the app's Graph tab: the hierarchy opened one level at a time within
``--budget`` boxes, plus the groups named by ``--expand`` at any depth (the groups around
them open too; how a name is matched: ``explorer.graph.navigation.GroupNames``). DOT goes
to stdout by default (pipe it to ``dot -Tsvg``); ``--format svg`` is the app's wrapped
layout (Graphviz ``dot`` places each group's boxes; exits 2 naming the package to install
when it is missing); ``--format json`` lists nodes, edges and clusters (each group with
its op summary and border shapes) and the hierarchy's depth.
"""

from __future__ import annotations

import argparse
import gc

from explorer.cli.common import EXIT_OK, add_model_arguments, load_model, print_json
from explorer.cli.terminal import write_lines
from explorer.collector import collector_paused
from explorer.graph.build import build_signature_graph
from explorer.graph.dot import to_dot
from explorer.graph.elements import DEFAULT_NODE_BUDGET


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
        metavar="NAME",
        help="open these groups, at any depth; the groups around them open too. NAME is a "
        "group id (as --format json lists them), a scope, function or call node name, or "
        "the last part of a scope with or without Keras's _N suffix (conv4_block6_2_conv "
        "names resnet50_1/conv4_block6_2_conv_1). When a name fits several groups, those "
        "on the signature's data flow win over constants & variables, then exact names "
        "over last parts",
    )
    parser.add_argument(
        "--collapse",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME",
        help="keep these groups closed (names matched as for --expand)",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=DEFAULT_NODE_BUDGET,
        metavar="N",
        help="most boxes in the first view, opened one level at a time "
        f"(default: {DEFAULT_NODE_BUDGET})",
    )
    parser.add_argument("--highlight", metavar="KEY", help="mark this signature key's path")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the graph and write it to stdout in the chosen format."""
    # One command, then the process ends: the cycle collector would only walk the model's
    # tables again and again as they are built (a fifth of the time at 200k ops).
    with collector_paused():
        code = _write(args)
        # Nor is the heap worth collecting once the output is written: resumed, the
        # collector would walk the millions of objects made above (and free the slice's
        # cycles) only for the process to end; so would the interpreter's exit (0.3 s of
        # 2 at 200k ops). Frozen, they are left to the end of the process. (A caller
        # running this command in-process keeps them too: one slice, as the app does.)
        gc.freeze()
    return code


def _write(args: argparse.Namespace) -> int:
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
    # Node and scope names are the model's: their control characters are written as
    # escapes, so neither a terminal nor an XML reader of the SVG gets them raw.
    if args.format == "dot":
        write_lines(to_dot(graph))
        return EXIT_OK
    # Imported here for start-up time: JSON and DOT need neither the layout nor the SVG
    # writer (whose XML escaping imports urllib).
    from explorer.graph.layout import layout
    from explorer.graph.svg import scene_svg

    write_lines(scene_svg(layout(graph)))
    return EXIT_OK
