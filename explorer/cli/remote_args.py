"""``--server URL --model NAME``: run ``show``/``predict``/``classify``/``regress`` against a
running TF Serving instead of a local model, with the same output and exit codes.

The sub-commands call :func:`add_remote_arguments` on their parser (which makes PATH
optional), then :func:`wants_server` first thing in ``run``: True sends ``show`` to
:func:`run_remote_show` and a call to :func:`remote_target` (then the one dispatcher,
``explorer.run.dispatch``, as for a local model). Exit codes as for local models: 0
answered, 1 rejected by TF Serving (``{"error": ...}`` on stdout), 2 anything that kept the
request from being answered (bad URL, refused, timeout, TLS, unknown model) on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from explorer.cli.common import EXIT_OK
from explorer.cli.terminal import write_lines
from explorer.errors import RemoteError, UsageError
from explorer.remote.address import TlsOptions

if TYPE_CHECKING:
    from explorer.remote.target import RemoteTarget

_DEFAULT_TIMEOUT_S = 10.0


def add_remote_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the TF Serving target options, and make the PATH argument optional.

    Args:
        parser: a sub-command parser that already has ``PATH`` and ``--version``.
    """
    for action in parser._actions:  # argparse has no public way to relax a positional
        if action.dest == "path":
            action.nargs = "?"
            action.default = None
            action.help = (action.help or "") + " (or --server URL --model NAME instead)"
    group = parser.add_argument_group(
        "TF Serving target (instead of PATH)",
        "Talk to a running TF Serving: its metadata gives the signatures and it answers the "
        "calls. --version N picks a version; see docs/remote.md.",
    )
    group.add_argument(
        "--server",
        metavar="URL",
        help="http(s)://HOST:PORT for TF Serving's REST API (usually 8501), grpc(s)://HOST:PORT "
        "for its gRPC API (usually 8500)",
    )
    group.add_argument("--model", metavar="NAME", help="the model name on the server")
    group.add_argument("--label", metavar="LABEL", help="a version label (not with --version)")
    group.add_argument(
        "--timeout",
        type=float,
        default=_DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds to wait for each answer (default {_DEFAULT_TIMEOUT_S:g})",
    )
    group.add_argument("--ca-cert", metavar="PEM", help="CA certificate to trust (TLS)")
    group.add_argument("--client-cert", metavar="PEM", help="client certificate (mutual TLS)")
    group.add_argument("--client-key", metavar="PEM", help="client key (mutual TLS)")
    group.add_argument(
        "--tls-server-name", metavar="NAME", help="name on the server's certificate, if not HOST"
    )


def wants_server(args: argparse.Namespace) -> bool:
    """True to run against ``--server``; False for a local PATH.

    Raises:
        UsageError: neither PATH nor --server, or both.
    """
    server = getattr(args, "server", None)
    if server is None and args.path is None:
        raise UsageError("Give a model PATH, or --server URL --model NAME for a TF Serving.")
    if server is not None and args.path is not None:
        raise UsageError(
            f"Give either PATH ({args.path}) or --server ({server}), not both: PATH runs the "
            "model in this process, --server asks a TF Serving."
        )
    return server is not None


def remote_target(args: argparse.Namespace) -> RemoteTarget:
    """The RemoteTarget the arguments name.

    Raises:
        UsageError: no --model, or an option that only applies to local models.
        RemoteError: a bad URL, version with label, unreadable TLS files.
    """
    # Here, not at the top: ``show`` reads this module and must not pay for the call stack.
    from explorer.remote.target import RemoteTarget

    if not args.model:
        raise UsageError(f"--server {args.server} needs --model NAME: the model on the server.")
    local_only = {
        "tags": "--tags (TF Serving serves one tag-set, set by its --saved_model_tags)",
        "method_name_check": "--enable-signature-method-name-check (a TF Serving flag: the "
        "server's setting applies)",
        "allow_unsafe": "--allow-unsafe-ops (the server decides what it runs)",
        "kernels": "--kernels (the server runs its own build's kernels)",
        "tap": "--tap (taps look inside a local run; TF Serving cannot return them)",
        "profile": "--profile (the profile times a local run's ops)",
    }
    for dest, words in local_only.items():
        if getattr(args, dest, None):
            raise UsageError(f"{words} does not apply with --server.")
    tls = TlsOptions(
        ca_cert=args.ca_cert,
        client_cert=args.client_cert,
        client_key=args.client_key,
        server_name=args.tls_server_name,
    )
    target = RemoteTarget(
        args.server,
        args.model,
        version=args.version,
        label=args.label,
        timeout_s=args.timeout,
        tls=None if tls == TlsOptions() else tls,
    )
    return target


def run_remote_show(args: argparse.Namespace) -> int:
    """``show --server``: the server's signatures with TF Serving verdicts, or with
    ``--json`` its metadata JSON (what ``GET /v1/models/NAME/metadata`` returns).

    Returns:
        0.

    Raises:
        UsageError, RemoteError: as :func:`remote_target`; the server cannot be asked.
    """
    # Here, not at the top: a local ``show`` reads this module and must stay numpy-free.
    from explorer.remote.metadata import model_info_from_metadata
    from explorer.serving.listing import meta_graph_listing
    from explorer.serving.metadata import dumps

    target = remote_target(args)
    doc = target.metadata_json()
    if args.json:
        sys.stdout.write(dumps(doc))
        return EXIT_OK
    model = model_info_from_metadata(doc, source=target.endpoint_base())
    lines = [f"Model: {model.name}  ({target.server()})"]
    try:
        versions = target.status().get("model_version_status", [])
        states = ", ".join(f"{v.get('version')} {v.get('state')}" for v in versions)
        lines.append(f"Version: {model.version}  (server status: {states or 'none'})")
    except RemoteError as exc:  # the metadata answered; status is a nicety
        lines.append(f"Version: {model.version}  (status not available: {exc})")
    lines.append("Source: the server's metadata (signatures only; the graph stays on the server)")
    listing = meta_graph_listing(model.meta_graphs[0]).split("\n")
    # Line 2 counts nodes and names the TF version: the metadata has neither.
    # The server's texts may hold control characters: written escaped, never obeyed.
    write_lines("\n".join(lines) + "\n\n" + "\n".join(listing[:1] + listing[2:]) + "\n")
    return EXIT_OK
