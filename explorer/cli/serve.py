"""``serve``: answer TF Serving's REST and gRPC APIs for a local model, in this process.

A stand-in for ``tensorflow_model_server`` on a laptop: try the app's and CLI's TF Serving
target (``--server``) without installing TF Serving, or give a demo a server to talk to.
Calls run through the explorer's in-process runner with TF Serving's semantics. Not for
production: it is one Python process with no batching, monitoring or model reloading.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import threading
from typing import Any

from explorer.cli.common import EXIT_OK, add_allow_unsafe_argument
from explorer.cli.deployment import add_model_config_arguments
from explorer.cli.serve_config import config_registry
from explorer.cli.terminal import write_lines
from explorer.errors import UsageError
from explorer.model.locate import is_number
from explorer.model.reader import read_model
from explorer.run import sandbox
from explorer.run.target import serving_meta_graph
from explorer.standin.grpc_server import GrpcServer
from explorer.standin.rest_server import DEFAULT_READ_TIMEOUT_S, ModelRegistry, RestServer


def add_parser(subparsers: Any) -> None:
    """Register the ``serve`` sub-command.

    Args:
        subparsers: the ``python -m explorer`` sub-parser action.
    """
    parser = subparsers.add_parser(
        "serve",
        help="serve a model over TF Serving's REST and gRPC APIs (for trying --server)",
        description="Answer TF Serving's REST API (/v1/models/NAME...) and gRPC API "
        "(PredictionService, ModelService) for a SavedModel or a TF Serving base folder "
        "(every numeric version), until Ctrl-C. For trying the TF Serving target; not for "
        "production (use tensorflow_model_server).",
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        help="SavedModel folder or TF Serving base folder (or --model-config FILE instead)",
    )
    add_model_config_arguments(parser)
    parser.add_argument(
        "--model-name", metavar="NAME", help="the name to serve it under (default: folder name)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument(
        "--rest-port",
        type=_port(0),
        default=8501,
        metavar="N",
        help="REST port (0: any free one)",
    )
    parser.add_argument(
        "--grpc-port",
        type=_port(-1),
        default=8500,
        metavar="N",
        help="gRPC port (0: any; -1: no gRPC)",
    )
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="LABEL=VERSION",
        help="a version label, as TF Serving's version_labels (repeatable)",
    )
    parser.add_argument(
        "--read-timeout",
        type=_seconds,
        default=DEFAULT_READ_TIMEOUT_S,
        metavar="SECONDS",
        help="a REST client must send each whole request, and take its answer, within this "
        f"(default {DEFAULT_READ_TIMEOUT_S:g}); slower clients are answered 408 and dropped",
    )
    add_allow_unsafe_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Load the model, start the servers, print their URLs, wait for Ctrl-C (or ``stop``).

    Returns:
        0 after a clean stop.

    Raises:
        UsageError: a bad --label, or a port that cannot be bound.
        ExplorerError: the model cannot be read or loaded.
    """
    if not args.host.strip():
        raise UsageError('--host "": name an interface, e.g. 127.0.0.1 (0.0.0.0 for all).')
    if args.model_config is not None:  # every model TF Serving would serve with it
        if args.path is not None or args.label or args.model_name:
            raise UsageError(
                "--model-config names the models, versions and labels: give no PATH, "
                "--model-name or --label with it."
            )
        registry, lines = config_registry(args)
        return _serve(args, registry, registry.names[0], lines, stop)
    if args.path is None:
        raise UsageError("Give a model PATH, or --model-config FILE (a TF Serving model config).")
    name = args.model_name or read_model(args.path).name
    labels = {}
    for item in args.label:
        label, _, version = item.partition("=")
        if not label or not is_number(version):
            raise UsageError(f'--label "{item}": expected LABEL=VERSION, e.g. stable=2.')
        labels[label] = int(version)
    registry = ModelRegistry(
        {name: args.path}, labels={name: labels}, allow_unsafe=args.allow_unsafe
    )
    versions = registry.versions(name)
    for label, version in labels.items():
        if version not in versions:  # TF Serving refuses a label for a version it lacks
            raise UsageError(
                f'--label "{label}={version}": {name} has no version {version} (versions: '
                f"{', '.join(map(str, versions))})."
            )
    for version in versions:  # TF Serving loads the MetaGraph tagged exactly "serve"
        serving_meta_graph(registry.resolve(name, version, None), None)
    return _serve(
        args, registry, name, [f"{name} (versions {', '.join(map(str, versions))})"], stop
    )


def _serve(
    args: argparse.Namespace,
    registry: ModelRegistry,
    name: str,
    models: list[str],
    stop: threading.Event | None,
) -> int:
    """Load every model, start the servers, wait for Ctrl-C (or ``stop``)."""
    _say(f"Loading {'; '.join(models)}…")
    _say(sandbox.status().line)  # with or without a sandbox: whoever runs it should know
    registry.warm()
    servers: list[Any] = []
    try:
        servers.append(
            _start(
                lambda: RestServer(
                    registry, host=args.host, port=args.rest_port, read_timeout=args.read_timeout
                )
            )
        )
        if args.grpc_port >= 0:
            servers.append(
                _start(lambda: GrpcServer(registry, host=args.host, port=args.grpc_port))
            )
        for server in servers:
            _say(f"{'REST' if server.url.startswith('http') else 'gRPC'}: {server.url}")
        _say(
            f"Model {name}: python -m explorer show --server {servers[0].url} "
            f"--model {shlex.quote(name)}"
        )
        _say("Serving until Ctrl-C (a stand-in for tensorflow_model_server; not for production).")
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()
    return EXIT_OK


def _start(make: Any) -> Any:
    try:
        return make().start()
    except (OSError, RuntimeError) as exc:  # address in use, no permission (gRPC: RuntimeError)
        raise UsageError(
            f"Cannot listen there: {exc}. Pick another port (0: any free one)."
        ) from exc


def _say(line: str) -> None:
    write_lines(line + "\n")  # the model's name may hold control characters
    sys.stdout.flush()


def _seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _port(lowest: int) -> Any:
    """An argparse type: a port number from ``lowest`` to 65535, checked before TF loads."""

    def port(text: str) -> int:
        value = int(text) if is_number(text.lstrip("-")) else None
        if value is None or not lowest <= value <= 65535:
            raise argparse.ArgumentTypeError(f"{text!r} is not a port from {lowest} to 65535")
        return value

    return port
