"""Replay a cases file against a model: every request sent again, every answer compared.

Floats within a tolerance (numpy's ``isclose`` rule, ``|got - expected| <= atol + rtol *
|expected|``), strings, ints and bools exactly, and an error where a result was recorded
(or the reverse) is a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from explorer.compat.case_diff import DEFAULT_ATOL, DEFAULT_RTOL, Difference, compare_responses
from explorer.compat.cases import ModelTarget, TestCase
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run import runner
from explorer.run.local import call_rest

# Differences kept per case; the count says how many there were in all.
MAX_DIFFERENCES = 50


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case replayed."""

    case: TestCase
    passed: bool
    differences: tuple[Difference, ...]
    # The answer now (response JSON or {"error": ...}).
    response: Mapping[str, Any] = field(repr=False)
    difference_count: int = 0


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """Every case of a file replayed against one model."""

    results: tuple[CaseResult, ...]
    target: str
    rtol: float
    atol: float

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def all_passed(self) -> bool:
        return self.failed == 0

    @property
    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed against {self.target}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "rtol": self.rtol,
            "atol": self.atol,
            "passed": self.passed,
            "failed": self.failed,
            "cases": [
                {
                    "name": r.case.name,
                    "method": r.case.method,
                    "signature_name": r.case.signature_name,
                    "passed": r.passed,
                    "difference_count": r.difference_count,
                    "differences": [asdict(d) | {"message": d.message} for d in r.differences],
                    "response": dict(r.response),
                }
                for r in self.results
            ],
        }


def replay_cases(
    target: ModelTarget,
    cases: Iterable[TestCase],
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    tags: str | None = None,
    allow_unsafe: bool = False,
    method_name_check: bool = False,
) -> ReplayReport:
    """Send every case's request to ``target`` and compare the answers with the recorded ones.

    Args:
        target: a ModelInfo, one of its MetaGraphInfos, or a model path.
        cases: from :func:`load_cases` or :func:`parse_cases`.
        rtol: relative tolerance on floats.
        atol: absolute tolerance on floats.
        tags: the MetaGraph's tag-set when ``target`` is a model or a path.
        allow_unsafe: run even if the model reaches unsafe ops.
        method_name_check: TF Serving's ``--enable_signature_method_name_check``.

    Returns:
        Pass/fail and the differences, per case.

    Raises:
        UnsafeModelError: the model reaches unsafe ops and ``allow_unsafe`` is False.
        ExecutionError: TensorFlow cannot load the model.
        ExplorerError: ``target`` is not a readable model, or has no such tag-set.
    """
    if isinstance(target, (str, os.PathLike)):
        target = read_model(target)
    meta_graph = target.meta_graph(tags) if isinstance(target, ModelInfo) else target
    model_dir = target.path if isinstance(target, ModelInfo) else meta_graph.model_dir
    # Once, up front: an unsafe or unloadable model is not a failure of each case.
    runner.load(model_dir, meta_graph, allow_unsafe=allow_unsafe)
    results = []
    for case in cases:
        body = case.request if isinstance(case.request, str) else json.dumps(case.request)
        named = isinstance(case.request, dict) and "signature_name" in case.request
        response = call_rest(
            target,
            case.method,
            body,
            signature=None if named else case.signature_name,
            allow_unsafe=allow_unsafe,
            method_name_check=method_name_check,
            tags=tags,
        )
        differences = compare_responses(case.response, response, rtol=rtol, atol=atol)
        results.append(
            CaseResult(
                case,
                not differences,
                tuple(differences[:MAX_DIFFERENCES]),
                response,
                len(differences),
            )
        )
    label = model_dir if not isinstance(target, ModelInfo) else _model_label(target)
    return ReplayReport(tuple(results), label, rtol, atol)


def _model_label(model: ModelInfo) -> str:
    return model.name + (f" version {model.version}" if model.version is not None else "")
