"""Replay a warmup file's records against the model, as TF Serving does at load, and turn a
record into a test case.

Each record's gRPC request is sent through the one dispatcher (``explorer.run.dispatch``)
with the gRPC view TF Serving's warmup uses: Predict tensors keep their TensorProto dtypes
(a DT_DOUBLE for a float input fails as it fails there), Classify/Regress get the
serialized tf.Examples. A record that fails is what TF Serving's load would fail with.
MultiInference records are checked (``warmup_check``) but not run: Signature Explorer has
no MultiInference runner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from explorer.codec.exchange import error_text
from explorer.codec.rest_response import rest_status
from explorer.codec.tensor_proto import tensor_proto_to_array
from explorer.compat.cases import TestCase, make_case
from explorer.constants import Kernels, MethodKind
from explorer.deploy.warmup_file import WarmupRecord
from explorer.errors import ExplorerError, ServingRuleError, WarmupFileError
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.run.dispatch import CallRequest, RunOutcome, dispatch
from explorer.run.local import LocalTarget


@dataclass(frozen=True, slots=True)
class RecordRun:
    """One record replayed (or why it was not)."""

    record: WarmupRecord
    outcome: RunOutcome | None  # None: not run
    skipped: str | None = None  # why it was not run

    @property
    def passed(self) -> bool:
        """The request was answered (TF Serving's warmup goes on to the next record)."""
        return self.outcome is not None and self.outcome.error is None


@dataclass(frozen=True, slots=True)
class WarmupReplay:
    """Every record of a file replayed against one model version."""

    runs: tuple[RecordRun, ...]
    target: str

    @property
    def failed(self) -> tuple[RecordRun, ...]:
        return tuple(r for r in self.runs if r.outcome is not None and not r.passed)

    @property
    def summary(self) -> str:
        ran = [r for r in self.runs if r.outcome is not None]
        skipped = len(self.runs) - len(ran)
        text = f"{len(ran) - len(self.failed)} answered, {len(self.failed)} failed"
        return text + (f", {skipped} not run" if skipped else "") + f" against {self.target}"


def record_call(record: WarmupRecord) -> CallRequest:
    """The record's request as the dispatcher takes it (gRPC's view).

    Raises:
        WarmupFileError: the record holds no request Signature Explorer can run.
        ServingRuleError: a TensorProto that cannot be read (TF Serving's words).
    """
    method = record.method
    request = record.request
    if method is None or request is None:
        raise WarmupFileError(
            f"Record {record.index} is a {record.verb} record: Signature Explorer runs "
            "predict, classify and regress records."
        )
    signature = request.model_spec.signature_name or None
    if record.log_type == "predict_log":
        arrays = {alias: tensor_proto_to_array(t) for alias, t in request.inputs.items()}
        return CallRequest(
            method,
            arrays=arrays,
            signature=signature,
            output_filter=tuple(request.output_filter),
        )
    kind = request.input.WhichOneof("kind")
    context = None
    examples: list[bytes] = []
    if kind == "example_list":
        examples = [e.SerializeToString() for e in request.input.example_list.examples]
    elif kind == "example_list_with_context":
        holder = request.input.example_list_with_context
        examples = [e.SerializeToString() for e in holder.examples]
        context = holder.context.SerializeToString()
    return CallRequest(method, arrays=examples, context=context, signature=signature)


def run_record(
    model: ModelInfo,
    record: WarmupRecord,
    *,
    tags: str | None = None,
    allow_unsafe: bool = False,
    method_name_check: bool = False,
    kernels: Kernels | None = None,
) -> RecordRun:
    """Send one record to the model; every failure it can cause is the outcome."""
    try:
        call = record_call(record)
    except WarmupFileError as err:
        return RecordRun(record, None, str(err))
    except ServingRuleError as err:  # its tensors cannot be read: TF Serving fails there too
        return RecordRun(record, _refused(record, err))
    target = LocalTarget(
        model,
        tags=tags,
        allow_unsafe=allow_unsafe,
        method_name_check=method_name_check,
        kernels=kernels,
    )
    return RecordRun(record, dispatch(target, call))


def replay_warmup(
    model: ModelInfo,
    records: Iterable[WarmupRecord],
    *,
    tags: str | None = None,
    allow_unsafe: bool = False,
    method_name_check: bool = False,
    kernels: Kernels | None = None,
) -> WarmupReplay:
    """Replay records in order, each once (TF Serving's default iteration count)."""
    runs = tuple(
        run_record(
            model,
            record,
            tags=tags,
            allow_unsafe=allow_unsafe,
            method_name_check=method_name_check,
            kernels=kernels,
        )
        for record in records
    )
    version = f" version {model.version}" if model.version is not None else ""
    return WarmupReplay(runs, f"{model.name}{version}")


def record_case(run: RecordRun, meta_graph: MetaGraphInfo, name: str | None = None) -> TestCase:
    """A replayed record as a test case: its REST body and the answer it got.

    Args:
        run: the record and its answer.
        meta_graph: the MetaGraph it ran on (REST converts values to its dtypes).
        name: the case's name; default ``warmup_record_N``.

    Raises:
        WarmupFileError: the record was not run, or its REST body would not get the same
            answer (gRPC-only features such as output_filter, or tensors in a dtype the REST
            conversion would not pick).
    """
    outcome, record = run.outcome, run.record
    if outcome is None:
        raise WarmupFileError(run.skipped or f"Record {record.index} was not run.")
    problem = outcome.unsaveable or _dtype_mismatch(record, meta_graph)
    if problem:
        raise WarmupFileError(f"Record {record.index} cannot be a test case: {problem}.")
    return make_case(
        name or f"warmup_record_{record.index}",
        record.method or "predict",
        replace(record_call(record), signature=record.signature).arrays_body(),
        outcome.response_json,
        signature_name=record.signature,
    )


def _dtype_mismatch(record: WarmupRecord, meta_graph: MetaGraphInfo) -> str | None:
    """Why the REST body would become other tensors than the record's: REST converts JSON
    to the signature's dtypes, gRPC feeds the TensorProto's own."""
    if record.log_type != "predict_log":
        return None
    try:
        signature = meta_graph.signature(record.signature)
    except ExplorerError:
        return None  # the answer is TF Serving's "not found" either way
    declared = {t.key: t.dtype for t in signature.inputs}
    for given in record.inputs:
        wanted = declared.get(given.alias)
        if wanted is not None and wanted != given.dtype:
            return (
                f'input "{given.alias}" is sent as {given.dtype} where the signature declares '
                f"{wanted}; over REST it would be converted to {wanted} and answered differently"
            )
    return None


def _refused(record: WarmupRecord, err: ServingRuleError) -> RunOutcome:
    """The outcome of a record whose tensors cannot be read (never sent)."""
    return RunOutcome(
        method=record.method or MethodKind.PREDICT,
        request_text="",
        url="",
        curl="",
        response_text=error_text(str(err)),
        status=rest_status(err.code),
        error=str(err),
        result=None,
        code=err.code,
        unsaveable="its tensors cannot be read",
    )


def response_json(run: RecordRun) -> dict[str, Any]:
    """The record's answer, or why it has none."""
    if run.outcome is None:
        return {"error": run.skipped or ""}
    return run.outcome.response_json
