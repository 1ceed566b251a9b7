"""What ``--tap`` and ``--profile`` print: one line per tap and the slowest ops on stderr
(stdout stays TF Serving's answer), and everything in the ``--taps-out`` file."""

from __future__ import annotations

import sys

from explorer.cli.terminal import write_lines
from explorer.codec.fills import ArraySummary
from explorer.present import taps_file
from explorer.run.result import CallResult

_SLOWEST = 10


def report(result: CallResult, taps_out: str | None) -> None:
    """Summaries on stderr; values and the whole profile to ``taps_out`` when given.

    Raises:
        UsageError: ``taps_out`` is not a .json or .npz path that can be written.
    """
    lines = []
    for tap in result.taps:
        summary = tap.summary()
        words = _summary(summary) if summary is not None else ""
        note = f" ({tap.note})" if tap.note else ""
        lines.append(f"tap {tap.site.id}:{tap.site.port} {tap.site.dtype}{words}{note}\n")
    profile = result.profile
    if profile is not None:
        lines.append(
            f"profile: {len(profile.ops)} ops, {profile.total_ms:.2f} ms of op time, "
            f"{profile.span_ms:.2f} ms from first to last op, {profile.execution_ms:.2f} ms "
            "execution\n"
        )
        for op in profile.top(_SLOWEST):
            shapes = " ".join(_shape(s) for s in op.shapes)
            where = op.id if op.exact else f"{op.name} (in {op.id or 'the top-level graph'})"
            lines.append(f"  {op.micros / 1000:8.3f} ms  {op.ran_as:<20} {where}  {shapes}\n")
    write_lines("".join(lines), sys.stderr)
    if taps_out is not None:
        taps_file.write(taps_out, result)


def _summary(summary: ArraySummary) -> str:
    text = f" {_shape(summary.shape)}"
    if summary.minimum is not None:
        text += (
            f": min {summary.minimum:.6g} max {summary.maximum:.6g} "
            f"mean {summary.mean:.6g} std {summary.std:.6g}"
        )
    if summary.nan_count or summary.inf_count:
        text += f" · {summary.nan_count} NaN · {summary.inf_count} Inf"
    if summary.zero_fraction is not None:
        text += f" · {summary.zero_fraction:.1%} zeros"
    return text


def _shape(shape: tuple[int | None, ...] | None) -> str:
    if shape is None:
        return "(?)"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"
