"""``show``: list a model's MetaGraphs and signatures, or print TF Serving's metadata JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from explorer.cli.common import EXIT_OK, add_model_arguments
from explorer.cli.deployment import add_model_config_arguments, run_show_model_config, warmup_line
from explorer.cli.remote_args import add_remote_arguments, run_remote_show, wants_server
from explorer.cli.terminal import write_lines
from explorer.model.reader import read_model
from explorer.serving.listing import model_listing
from explorer.serving.metadata import dumps, metadata_response


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="list signatures, TensorInfos and TF Serving verdicts",
        description="List every SignatureDef with its TensorInfos and whether TF Serving's "
        "Classify/Regress/Predict APIs accept it. With --json, print exactly what TF "
        "Serving's GET /v1/models/NAME/metadata returns.",
    )
    add_model_arguments(parser)
    add_remote_arguments(parser)
    add_model_config_arguments(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print TF Serving's metadata JSON for the MetaGraph (default: tagged 'serve')",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.model_config is not None and args.path is None and args.server is None:
        return run_show_model_config(args)  # every model of a TF Serving model config
    if wants_server(args):
        return run_remote_show(args)
    model = read_model(args.path, version=args.version)
    if args.json:
        sys.stdout.write(dumps(metadata_response(model, model.meta_graph(args.tags))))
        return EXIT_OK
    meta_graphs = model.meta_graphs if args.tags is None else (model.meta_graph(args.tags),)
    write_lines(model_listing(model, meta_graphs))  # a model's names may hold controls
    write_lines(warmup_line(model, args.tags))  # TF Serving's warmup file, when there is one
    return EXIT_OK
