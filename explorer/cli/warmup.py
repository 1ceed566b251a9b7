"""``warmup``: a model's TF Serving warmup file listed, checked, replayed, or written.

TF Serving replays ``assets.extra/tf_serving_warmup_requests`` (a TFRecord of
PredictionLogs) when it loads a model, and fails the load at the first bad record.

- ``--list`` (the default): every record (verb, signature, inputs, batch size), then
  whether TF Serving would load the model;
- ``--check``: TF Serving's findings, each in its words;
- ``--replay``: the findings, then every record run against the model (``--save-cases
  FILE`` keeps the answered records as test cases for ``replay``);
- ``--export CASES --out FILE``: a cases file written as a warmup file (the REST requests
  converted as TF Serving's REST handler converts them). TF Serving fails a load at its
  first failing warmup request, so a case that records an error, or whose request does
  not fit this version's signature (``--check``'s judgement: a case saved against another
  version), is left out with a warning on stderr; the file holds the cases that fit.

Exit codes: 0 ok (TF Serving would load the model; every record answered; the file was
written), 1 a finding (TF Serving would fail to load it, or a record fails), 2 a user error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from explorer.cli.common import (
    EXIT_FINDING,
    EXIT_OK,
    add_allow_unsafe_argument,
    add_method_name_check_argument,
    add_model_arguments,
    print_json,
)
from explorer.cli.deployment import warmup_listing
from explorer.cli.terminal import write_lines
from explorer.compat.cases import load_cases, save_cases
from explorer.deploy.warmup_check import WarmupCheck, check_warmup, load_verdict, settled
from explorer.deploy.warmup_file import ASSETS_EXTRA, WARMUP_FILE_NAME
from explorer.deploy.warmup_replay import (
    WarmupReplay,
    record_case,
    replay_warmup,
    response_json,
)
from explorer.deploy.warmup_write import export_cases, save_warmup
from explorer.errors import UsageError, WarmupFileError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run.target import serving_meta_graph


def add_parser(subparsers: Any) -> None:
    """Register the ``warmup`` sub-command."""
    parser = subparsers.add_parser(
        "warmup",
        help="list, check, replay or write a model's TF Serving warmup file",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  python -m explorer warmup sample_models/portable_linear --check\n"
        "  python -m explorer warmup sample_models/portable_linear --version 2 --replay\n"
        "  python -m explorer warmup sample_models/portable_linear --version 2 \\\n"
        "      --export sample_models/portable_linear/cases.jsonl --out warmup_requests",
    )
    add_model_arguments(parser)
    for action in parser._actions:  # PATH may also be the warmup file itself
        if action.dest == "path":
            action.help = (action.help or "") + f", or its {ASSETS_EXTRA}/{WARMUP_FILE_NAME}"
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--list", action="store_true", help="list the records (the default)")
    modes.add_argument("--check", action="store_true", help="TF Serving's findings only")
    modes.add_argument("--replay", action="store_true", help="run every record on the model")
    modes.add_argument(
        "--export", metavar="CASES", help="write a cases file (.jsonl) as a warmup file"
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help=f"with --export: the file to write (e.g. VERSION/{ASSETS_EXTRA}/{WARMUP_FILE_NAME})",
    )
    parser.add_argument(
        "--save-cases",
        metavar="FILE",
        help="with --replay: keep every answered record as a test case in FILE (.jsonl), "
        "for `python -m explorer replay`",
    )
    add_method_name_check_argument(parser)
    add_allow_unsafe_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List, check, replay or export; see the module docstring for the exit codes.

    Raises:
        UsageError: --out without --export (or the reverse).
        ExplorerError: bad path, tags, cases file, unreadable or unwritable warmup file.
    """
    if args.export is None and args.out is not None:
        raise UsageError("--out goes with --export CASES: give the cases file to write.")
    if args.save_cases is not None and not args.replay:
        raise UsageError("--save-cases goes with --replay: the cases hold the answers it gets.")
    path = Path(args.path)
    if path.is_file() and path.name == WARMUP_FILE_NAME and path.parent.name == ASSETS_EXTRA:
        path = path.parent.parent  # the warmup file of that SavedModel folder
    elif path.is_file():
        raise UsageError(
            f"{path} is a file: a warmup file is judged against the SavedModel it belongs to, "
            f"so give the SavedModel folder, or the file in its place there "
            f"(VERSION/{ASSETS_EXTRA}/{WARMUP_FILE_NAME})."
        )
    model = read_model(path, version=args.version)
    meta_graph = serving_meta_graph(model, args.tags)
    if args.export is not None:
        return _export(args, model, meta_graph)
    check = check_warmup(meta_graph, model.path, method_name_check=args.method_name_check)
    replay = None
    if args.replay and check.file is not None:
        replay = replay_warmup(
            model,
            check.file.records,
            tags=args.tags,
            allow_unsafe=args.allow_unsafe,
            method_name_check=args.method_name_check,
        )
        check = settled(check, replay)  # a shape only inferred to fail may have run
    notes = _save_cases(args.save_cases, replay, meta_graph) if args.save_cases else []
    if args.json:
        print_json(_as_dict(check, replay))
    else:
        write_lines(warmup_listing(check, show_records=not args.check, replay=replay))
    if notes:
        write_lines("\n".join(notes) + "\n", sys.stderr)
    failed = replay is not None and bool(replay.failed)
    return EXIT_OK if check.loads and not failed else EXIT_FINDING


def _save_cases(path: str, replay: WarmupReplay | None, meta_graph: Any) -> list[str]:
    """Keep the answered records as test cases; the lines say what was kept and left out."""
    cases, notes = [], []
    for run in replay.runs if replay is not None else ():
        if not run.passed:  # a failing request makes no warmup record worth keeping
            notes.append(f"note: record {run.record.index} not kept: it was not answered")
            continue
        try:
            cases.append(record_case(run, meta_graph))
        except WarmupFileError as err:
            notes.append(f"note: record {run.record.index} not kept: {err}")
    written = save_cases(path, cases)
    return [*notes, f"note: {len(cases)} test cases written to {written}"]


def _export(args: argparse.Namespace, model: ModelInfo, meta_graph: Any) -> int:
    if args.out is None:
        raise UsageError(
            f"--export needs --out FILE (TF Serving reads VERSION/{ASSETS_EXTRA}/"
            f"{WARMUP_FILE_NAME})."
        )
    cases = load_cases(args.export)
    export = export_cases(cases, meta_graph, model.name, method_name_check=args.method_name_check)
    file = save_warmup(args.out, export.data)
    if export.skipped:  # said whatever the output format: the file lacks these cases
        version = f" version {model.version}" if model.version is not None else ""
        warnings = [f"warning: left out {s.name}: {s.reason}" for s in export.skipped]
        warnings.append(
            f"warning: {len(export.skipped)} of {len(cases)} cases left out: TF Serving fails "
            "to load a model at its first failing warmup request, so the file holds only the "
            f"{len(export.written)} that fit {model.name}{version}."
        )
        write_lines("\n".join(warnings) + "\n", sys.stderr)
    if args.json:
        print_json(
            {
                "out": str(file),
                "written": list(export.written),
                "skipped": [{"name": s.name, "reason": s.reason} for s in export.skipped],
            }
        )
        return EXIT_OK
    write_lines(f"Wrote {len(export.written)} warmup records to {file}\n")
    return EXIT_OK


def _as_dict(check: WarmupCheck, replay: WarmupReplay | None) -> dict[str, Any]:
    file = check.file
    result: dict[str, Any] = {
        "path": check.path,
        "present": file is not None,
        "loads": check.loads and not (replay is not None and replay.failed),
        "verdict": load_verdict(check, replay),
        "size_bytes": file.size_bytes if file else 0,
        "records": [
            {
                "index": r.index,
                "offset": r.offset,
                "verb": r.verb,
                "signature_name": r.signature,
                "batch_size": r.batch_size,
                "inputs": [
                    {"alias": i.alias, "dtype": i.dtype, "shape": list(i.shape)} for i in r.inputs
                ],
                "has_response": r.has_response,
            }
            for r in (file.records if file else ())
        ],
        "findings": [
            {
                "severity": f.severity,
                "record": f.record,
                "code": f.code,
                "message": f.message,
                "note": f.note,
                "predicted": f.predicted,
            }
            for f in check.findings
        ],
    }
    if replay is not None:
        result["replay"] = [
            {"record": r.record.index, "passed": r.passed, "response": response_json(r)}
            for r in replay.runs
        ]
    return result
