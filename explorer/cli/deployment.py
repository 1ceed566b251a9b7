"""What ``show`` says about TF Serving's deployment files: ``show --model-config FILE`` (every
model of a ``--model_config_file``: versions on disk, the ones served, labels, problems in
TF Serving's words, each served version's load and warmup) and the warmup line under a
model's listing. Exit codes of ``show --model-config``: 0 TF Serving would start and serve
every version, 1 it would not (a finding), 2 the file cannot be read or parsed.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from explorer.cli.common import EXIT_FINDING, EXIT_OK, print_json
from explorer.cli.terminal import write_lines
from explorer.deploy.warmup_check import WarmupCheck, check_warmup, load_verdict
from explorer.deploy.warmup_file import WarmupRecord, warmup_path
from explorer.errors import ExplorerError
from explorer.model.info import ModelInfo
from explorer.run.target import serving_meta_graph

if TYPE_CHECKING:
    from explorer.deploy.deployment import ServedVersion
    from explorer.deploy.warmup_replay import WarmupReplay
from explorer.serving.model_config import ConfiguredModel, ModelServerConfigInfo, read_model_config


def add_model_config_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model-config FILE`` and TF Serving's label flag, for ``show`` and ``serve``."""
    parser.add_argument(
        "--model-config",
        metavar="FILE",
        help="a TF Serving --model_config_file (text ModelServerConfig): open every model "
        "it lists, as TF Serving would serve them (instead of PATH)",
    )
    parser.add_argument(
        "--allow-version-labels-for-unavailable-models",
        dest="allow_unavailable_labels",
        action="store_true",
        help="as TF Serving's flag of the same name: accept labels at start-up, before their "
        "versions are loaded (without it TF Serving refuses every label at start-up)",
    )


def run_show_model_config(args: argparse.Namespace) -> int:
    """``show --model-config FILE [--json]``.

    Raises:
        ModelConfigError: the file cannot be read or parsed (exit 2).
    """
    # Imported here: a plain ``show`` must not pay for the call machinery (~0.1 s).
    from explorer.deploy.deployment import deployment

    config = read_model_config(
        args.model_config, allow_labels_for_unavailable=args.allow_unavailable_labels
    )
    versions: tuple[tuple[ServedVersion, ...], ...] = deployment(config)
    serves_all = config.starts and all(v.loads for vs in versions for v in vs)
    if args.json:
        print_json(_config_json(config, versions, serves_all))
    else:
        write_lines(_config_listing(config, versions, serves_all))
    return EXIT_OK if serves_all else EXIT_FINDING


def warmup_line(model: ModelInfo, tags: str | None) -> str:
    """What ``show`` adds under a model that has a warmup file: its records and whether TF
    Serving would load the model with it ("" when there is no file)."""
    if not warmup_path(model.path).exists():
        return ""
    try:  # a quick look: signatures, not inputs (which would load the call layer)
        check = check_warmup(serving_meta_graph(model, tags), model.path, inputs=False)
    except ExplorerError as err:
        return f"\nWarmup file: {warmup_path(model.path)} ({err})\n"
    return "\n" + warmup_listing(check)


def _config_listing(
    config: ModelServerConfigInfo,
    versions: tuple[tuple[ServedVersion, ...], ...],
    serves_all: bool,
) -> str:
    verdict = (
        "TF Serving would start and serve every version listed below."
        if serves_all
        else "TF Serving would not serve this config as it is (see the problems below)."
    )
    lines = [f"Model config: {config.path} ({len(config.models)} models)", verdict]
    for model, served in zip(config.models, versions, strict=True):
        lines += ["", *_model_lines(model, served)]
    if config.problems:
        lines += ["", "Problems, in the order TF Serving meets them (it stops at the first error):"]
        for problem in config.problems:
            code = f"{problem.code}: " if problem.code else ""
            lines.append(f"  {problem.severity.upper()} {code}{problem.message}")
            lines.append(f"        fix: {problem.fix}")
    return "\n".join(lines) + "\n"


def _model_lines(model: ConfiguredModel, served: tuple[ServedVersion, ...]) -> list[str]:
    on_disk = ", ".join(f.name for f in model.on_disk) or "(none)"
    lines = [
        f"Model {model.name}: base_path {model.base_path}, platform "
        f"{model.platform or '(none)'}, model_version_policy {model.policy.text}",
        f"  version folders: {on_disk}",
        f"  served: {', '.join(map(str, model.served_versions)) or '(none)'}",
    ]
    for label in model.labels:
        state = "served" if label.served else "NOT served"
        lines.append(f"  label {label.label} -> version {label.version} ({state})")
    for version in served:
        labels = f" [{', '.join(version.labels)}]" if version.labels else ""
        state = "loads" if version.loads else f"fails to load: {version.load_error}"
        lines.append(f"  version {version.version}{labels}: {state}")
        if version.warmup is not None and version.warmup.file is not None and version.loads:
            lines.append(f"    warmup: {len(version.warmup.file.records)} records replayed at load")
    return lines


def _config_json(
    config: ModelServerConfigInfo,
    versions: tuple[tuple[ServedVersion, ...], ...],
    serves_all: bool,
) -> dict[str, Any]:
    return {
        "path": config.path,
        "starts": config.starts,
        "serves_all": serves_all,
        "models": [
            {
                "name": m.name,
                "base_path": m.base_path,
                "directory": str(m.directory) if m.directory is not None else None,
                "platform": m.platform,
                "policy": m.policy.text,
                "versions_on_disk": [f.version for f in m.on_disk],
                "served_versions": list(m.served_versions),
                "labels": [
                    {"label": lb.label, "version": lb.version, "served": lb.served}
                    for lb in m.labels
                ],
                "versions": [
                    {
                        "version": v.version,
                        "path": v.path,
                        "labels": list(v.labels),
                        "loads": v.loads,
                        "load_error": v.load_error,
                        "warmup_records": (
                            len(v.warmup.file.records)
                            if v.warmup is not None and v.warmup.file is not None
                            else 0
                        ),
                    }
                    for v in loaded
                ],
            }
            for m, loaded in zip(config.models, versions, strict=True)
        ],
        "problems": [
            {
                "severity": p.severity,
                "code": p.code,
                "message": p.message,
                "model": p.model,
                "fix": p.fix,
            }
            for p in config.problems
        ],
    }


def warmup_listing(
    check: WarmupCheck, *, show_records: bool = True, replay: WarmupReplay | None = None
) -> str:
    """The file, its records (verb, signature, batch, inputs), the findings, the verdict."""
    file = check.file
    if file is None:
        return check.verdict + "\n"
    count = len(file.records)
    lines = [f"Warmup file: {file.path} ({file.size_bytes} bytes, {count} records read)"]
    if show_records and file.records:
        rows = [("#", "verb", "signature", "batch", "inputs")]
        rows += [_row(r) for r in file.records]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  " + "  ".join([*cells, row[4]]))
    for finding in check.findings:
        where = f"record {finding.record}" if finding.record is not None else "file"
        code = f"{finding.code}: " if finding.code else ""
        lines.append(f"{finding.severity.upper()} {where}: {code}{finding.message}")
        if finding.note:
            lines.append(f"      {finding.note}")
    if replay is not None:
        for run in replay.runs:
            outcome = run.outcome  # None: the record was not run
            answer = {"error": run.skipped or ""} if outcome is None else outcome.response_json
            mark = "PASS" if run.passed else ("SKIP" if run.outcome is None else "FAIL")
            text = answer.get("error") if "error" in answer else _compact(answer)
            lines.append(f"{mark}  record {run.record.index}  {text}")
        lines.append(replay.summary)
    lines.append(load_verdict(check, replay))
    return "\n".join(lines) + "\n"


def _row(record: WarmupRecord) -> tuple[str, str, str, str, str]:
    batch = "" if record.batch_size is None else str(record.batch_size)
    return str(record.index), record.verb, record.signature, batch, record.inputs_text


def _compact(answer: dict[str, Any]) -> str:
    text = json.dumps(answer, separators=(",", ":"))
    return text if len(text) <= 120 else text[:117] + "..."
