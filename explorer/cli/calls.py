"""``predict`` / ``classify`` / ``regress``: call a signature the way TF Serving's REST API does.

Prints the exact response body TF Serving would send and exits 0. A request TF Serving
would reject prints ``{"error": "..."}`` (its message) on stdout and exits 1. Anything
wrong before a request can be made (bad path, corrupt model, unknown tags, unsafe ops
without ``--allow-unsafe-ops``, unreadable request file, a model TensorFlow cannot load)
is one stderr line and exit 2. TensorFlow runs in a worker process whose log is kept off
stderr for that reason (set ``EXPLORER_TF_LOGS=1`` to see it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from explorer.cli import inspection
from explorer.cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    EXIT_USER_ERROR,
    add_allow_unsafe_argument,
    add_kernels_argument,
    add_method_name_check_argument,
    add_model_arguments,
    load_model,
    print_error,
    read_request,
    request_text,
)
from explorer.cli.remote_args import add_remote_arguments, remote_target, wants_server
from explorer.cli.terminal import terminal_text, write_lines
from explorer.codec.image_request import DEFAULT_SIDE, ImageFileInput, image_request
from explorer.codec.images import FITS, PRESETS
from explorer.codec.limits import DEFAULT_MAX_ELEMENTS, MAX_ELEMENTS_ENV
from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY, KERNEL_WORDS, MethodKind
from explorer.errors import UsageError
from explorer.model.info import MetaGraphInfo
from explorer.model.locate import is_number
from explorer.run import runner
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget

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
            f"  python -m explorer {method.value} MODEL_DIR --request "
            f"'{example.split('  or  ')[0]}'\n"
            f"  python -m explorer {method.value} MODEL_DIR --request @request.json\n"
            f"  cat request.json | python -m explorer {method.value} MODEL_DIR --request -"
            + (
                "\n  python -m explorer predict MODEL_DIR --image photo.jpg --pixels=-1-1"
                if method is MethodKind.PREDICT
                else ""
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_model_arguments(parser)
        add_remote_arguments(parser)
        parser.add_argument(
            "--request",
            "-r",
            default=None,
            metavar="JSON|@FILE|-",
            help="the REST request body: JSON text, @path to a file holding it, or - for stdin",
        )
        if method is MethodKind.PREDICT:
            _add_image_arguments(parser)
        parser.add_argument(
            "--signature",
            metavar="KEY",
            default=None,
            help='signature key; overrides the request\'s "signature_name" '
            "(default: the request's, else serving_default)",
        )
        add_method_name_check_argument(parser)
        add_allow_unsafe_argument(parser)
        add_kernels_argument(parser)
        parser.add_argument(
            "--max-request-elements",
            type=int,
            metavar="N",
            default=None,
            help="refuse a request whose tensors would hold more than N elements, counted "
            f"before anything is allocated (default: ${MAX_ELEMENTS_ENV}, else "
            f"{DEFAULT_MAX_ELEMENTS:,}; 0 turns the limit off)",
        )
        parser.add_argument(
            "--tap",
            action="append",
            default=[],
            metavar="NODE[:INDEX]",
            help="also return this op output, at top level or inside functions (repeatable): "
            "an op id as `graph --format json` names it "
            "(StatefulPartitionedCall::dense/MatMul) or a plain op name (every place it "
            "runs). TF Serving's answer on stdout is unchanged; each tap's summary goes to "
            "stderr, its values to --taps-out",
        )
        parser.add_argument(
            "--profile",
            action="store_true",
            help="time every op of the run (TensorFlow's step stats, functions included); "
            "the slowest go to stderr, all of them to --taps-out",
        )
        parser.add_argument(
            "--taps-out",
            metavar="FILE",
            default=None,
            help="write the taps' values and the profile to FILE: .json (values inline, "
            "large ones base64) or .npz (numpy arrays plus a JSON manifest)",
        )
        parser.set_defaults(run=run, method=method)


def _add_image_arguments(parser: argparse.ArgumentParser) -> None:
    images = parser.add_argument_group(
        "image files instead of --request (a local model's image inputs, as the app sends them)"
    )
    images.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="[INPUT=]FILE",
        help="an image file (PNG, JPEG, WebP, BMP), one batch item; repeat for a batch. "
        "Resized to the signature's size with its values scaled by --pixels, or sent as "
        '{"b64": ...} to a graph that decodes files. INPUT names the input when the '
        "signature has several",
    )
    images.add_argument(
        "--pixels",
        choices=list(PRESETS),
        default=None,
        help="how pixel values are scaled: "
        + "; ".join(f"{name}: {words}" for name, words in PRESETS.items())
        + " (default: 0-255 when the graph scales raw pixels itself, else 0-1)",
    )
    images.add_argument(
        "--fit",
        choices=list(FITS),
        default="stretch",
        help="an image of another aspect ratio: "
        + "; ".join(f"{name}: {words}" for name, words in FITS.items()),
    )
    images.add_argument(
        "--image-size",
        metavar="HxW",
        default=None,
        help=f"height and width where the signature leaves them open (-1); default "
        f"{DEFAULT_SIDE}x{DEFAULT_SIDE}",
    )


def _image_body(args: argparse.Namespace, meta_graph: MetaGraphInfo) -> str:
    """The REST body ``--image`` files make (see :mod:`explorer.codec.image_request`).

    Raises:
        UsageError: an unreadable file or a bad --image-size.
        ExplorerError: a signature that is not there.
    """
    files = []
    for spec in args.image:
        key, _, name = spec.rpartition("=")
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise UsageError(f"Cannot read the image {name}: {exc.strerror or exc}.") from exc
        files.append(ImageFileInput(key or None, name, data))
    size = None
    if args.image_size is not None:
        height, _, width = args.image_size.lower().partition("x")
        if not (is_number(height) and is_number(width)):
            raise UsageError(f"--image-size {args.image_size!r}: give HxW, e.g. 224x224.")
        size = (int(height), int(width))
    signature = meta_graph.signature(args.signature or DEFAULT_SERVING_SIGNATURE_KEY)
    body = image_request(meta_graph, signature, files, preset=args.pixels, fit=args.fit, size=size)
    return json.dumps(body)


def run(args: argparse.Namespace) -> int:
    """Send the request to the model (or ``--server``), print TF Serving's answer.

    Args:
        args: the parsed command line.

    Returns:
        0 answered, 1 rejected by TF Serving's rules or runtime, 2 not run at all (the
        message on stderr: unsafe ops, a model TensorFlow cannot load, no server).

    Raises:
        UsageError: the request file cannot be read, or an option does not apply.
        ExplorerError: bad path, corrupt model, unknown tags (exit 2).
    """
    images = getattr(args, "image", [])
    if (args.request is None) == (not images):
        raise UsageError(
            "Give the request: --request JSON|@FILE|-"
            + (", or image files with --image FILE." if args.method is MethodKind.PREDICT else ".")
            if args.request is None
            else "--request and --image are two ways to give the request: give one."
        )
    if images and wants_server(args):
        raise UsageError("--image reads a local model's signature: give --request to a server.")
    body = read_request(args.request) if args.request is not None else ""
    if args.taps_out is not None and not (args.tap or args.profile):
        raise UsageError("--taps-out needs --tap or --profile: there is nothing else to write.")
    if wants_server(args):
        target = remote_target(args)
        text = request_text(body, args.request)
        try:
            outcome = dispatch(
                target, CallRequest(args.method, body=text, signature=args.signature)
            )
        finally:
            target.close()
    else:
        model, meta_graph = load_model(args)
        if images:
            body = _image_body(args, meta_graph)
        local = LocalTarget(
            model,
            tags=args.tags,
            allow_unsafe=args.allow_unsafe,
            method_name_check=args.method_name_check,
            max_request_elements=args.max_request_elements,
            kernels=args.kernels,
        )
        # An unsafe model, or one TensorFlow cannot load, is not TF Serving's answer to this
        # request: load it first, so the failure is a user error (exit 2).
        runner.load(model.path, meta_graph, allow_unsafe=args.allow_unsafe, kernels=args.kernels)
        request = CallRequest(
            args.method,
            body=body,
            signature=args.signature,
            taps=tuple(args.tap),
            profile=args.profile,
        )
        outcome = dispatch(local, request)
    if outcome.status is None:  # refused before TF Serving could answer
        print_error(outcome.error or "")
        return EXIT_USER_ERROR
    if outcome.error is not None:
        _write(json.dumps({"error": outcome.error}, ensure_ascii=False))
        if outcome.explanation is not None:  # TF Serving's words name nodes, not inputs
            sys.stderr.write(f"note: {terminal_text(outcome.explanation)}\n")
        if outcome.ended is not None:  # what TF Serving would have done, for the person
            write_lines(f"note: {outcome.notes[-1]}\n", sys.stderr)
        if outcome.sandbox_note is not None:  # the sandbox, not TF Serving, may have refused
            write_lines(f"note: {outcome.sandbox_note}\n", sys.stderr)
        return EXIT_FINDING
    _write(outcome.response_text.rstrip("\n"))
    if outcome.result is not None and (args.tap or args.profile):
        inspection.report(outcome.result, args.taps_out)
    ran = outcome.result.kernels if outcome.result is not None else None
    if ran == "mkl":  # the default (TF Serving's standard build) goes without saying
        sys.stderr.write(f"note: run with {KERNEL_WORDS[ran]}\n")
    for note in outcome.notes:
        if not note.startswith("Sent to "):  # the round-trip note is the app's
            write_lines(f"note: {note}\n", sys.stderr)  # may quote the model's names
    return EXIT_OK


def _write(text: str) -> None:
    # A request may carry lone surrogates into an error text; print them escaped.
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")
