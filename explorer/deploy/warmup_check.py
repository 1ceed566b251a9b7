"""Would TF Serving load this model with warmup on? Its checks of a warmup file, before
deploying (``saved_model_warmup.cc``, ``saved_model_warmup_util.cc``).

TF Serving reads a record, runs it (``RunWarmupRequest``), then reads the next, and fails
the model's load at the first error: a record the TFRecord reader rejects (DATA_LOSS), one
that is not a PredictionLog (INVALID_ARGUMENT), a log type it does not replay
(UNIMPLEMENTED: ``predict_streamed_log``, ``session_run_log``), a request that fails
(a signature that is not there, an API that refuses it, inputs that do not match), or
more than 1000 records. A record with no request at all is skipped quietly — usually a
sign the file holds something else (a tf.Example parses as an empty PredictionLog).

:func:`check_warmup` finds all of these without running the model, and what the run
would meet that the signature already tells (``explorer.deploy.warmup_inputs``): a Predict
tensor of another dtype than the graph's fails for sure; one of another shape than the
declared one is inferred to fail (``predicted``: the graph's ops decide). What the
requests answer when run is :mod:`explorer.deploy.warmup_replay`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from explorer.constants import (
    CLASSIFY_METHOD_NAME,
    DEFAULT_SERVING_SIGNATURE_KEY,
    REGRESS_METHOD_NAME,
    MethodKind,
)
from explorer.deploy.warmup_file import (
    MAX_RECORDS,
    WarmupFile,
    WarmupRecord,
    read_warmup,
    warmup_path,
)
from explorer.deploy.warmup_inputs import InputMismatch, input_mismatches
from explorer.errors import ServingRuleError
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.serving import rules

if TYPE_CHECKING:
    from explorer.deploy.warmup_replay import WarmupReplay

# PredictionLog::LogTypeCase numbers, which TF Serving prints for a type it cannot replay.
_LOG_TYPE_NUMBERS = {"predict_streamed_log": 7, "session_run_log": 5}


@dataclass(frozen=True, slots=True)
class WarmupFinding:
    """One thing TF Serving would do differently from replaying a good record."""

    severity: Literal["error", "warning"]  # error: TF Serving fails to load the model
    record: int | None  # 1-based record, None for the file as a whole
    code: str | None  # the Status code of TF Serving's error
    message: str  # TF Serving's words (the explorer's where no TF Serving check says it)
    note: str = ""  # what it means, how to fix it
    # True: inferred from what the signature declares (a tensor's shape), not a check TF
    # Serving makes; its run would fail on it unless the graph takes the shape anyway.
    predicted: bool = False


@dataclass(frozen=True, slots=True)
class WarmupCheck:
    """A model's warmup file judged as TF Serving's load would judge it."""

    path: str
    file: WarmupFile | None  # None: no warmup file (TF Serving loads without warmup)
    findings: tuple[WarmupFinding, ...]
    # False: Predict input names were not matched against the signatures (a quick look;
    # their dtypes and shapes are).
    inputs_checked: bool = True

    @property
    def first_error(self) -> WarmupFinding | None:
        """What TF Serving's load fails with (its first error), or None."""
        return next((f for f in self.findings if f.severity == "error"), None)

    @property
    def loads(self) -> bool:
        return self.first_error is None

    @property
    def verdict(self) -> str:
        """One line: would TF Serving load the model with warmup on, and if not, why."""
        if self.file is None:
            return (
                f"No warmup data file found at {self.path}: TF Serving loads the model "
                "without warmup."
            )
        error = self.first_error
        count = len(self.file.records)
        if error is None and not self.inputs_checked:
            return (
                f"TF Serving finds the signature of each of the {count} warmup records, and "
                "their tensors' dtypes and shapes fit it; `python -m explorer warmup PATH "
                "--check` also matches their input names."
            )
        if error is None:
            return (
                f"TF Serving loads the model and replays {count} warmup record"
                f"{'' if count == 1 else 's'} first."
            )
        where = f" (record {error.record})" if error.record is not None else ""
        code = f"{error.code}: " if error.code else ""
        if error.predicted:
            return (
                f"TF Serving would fail to load the model{where}, unless its graph takes a "
                f"shape the signature does not declare (replaying the records settles it): "
                f"{error.message}"
            )
        return f"TF Serving fails to load the model{where}: {code}{error.message}"


def check_warmup(
    meta_graph: MetaGraphInfo,
    model_dir: str,
    *,
    file: WarmupFile | None = None,
    method_name_check: bool = False,
    inputs: bool = True,
) -> WarmupCheck:
    """Judge a model's warmup file as TF Serving's load would.

    Args:
        meta_graph: the MetaGraph TF Serving loads (tagged exactly "serve" by default).
        model_dir: the SavedModel (version) folder; its warmup file is read unless ``file``.
        file: an already read warmup file.
        method_name_check: TF Serving's ``--enable_signature_method_name_check``.
        inputs: also match Predict inputs and output filters against the signatures
            (False: a quick look that does not load the call layer, for ``show``).

    Returns:
        The findings in the order TF Serving meets them.

    Raises:
        WarmupFileError: the file exists but cannot be read.
    """
    path = str(warmup_path(model_dir)) if file is None else file.path
    if file is None:
        file = read_warmup(model_dir)
    if file is None:
        return WarmupCheck(path, None, (), inputs)
    findings: list[WarmupFinding] = []
    for record in file.records:
        findings += record_findings(
            record, meta_graph, method_name_check=method_name_check, inputs=inputs
        )
        if record.index == MAX_RECORDS + 1:  # counted after the record runs
            findings.append(
                WarmupFinding(
                    "error",
                    record.index,
                    "INVALID_ARGUMENT",
                    f"Number of warmup records exceeds the maximum ({MAX_RECORDS}) at {path}",
                    f"Keep at most {MAX_RECORDS} records: a few per signature and batch size "
                    "are enough to warm a model up.",
                )
            )
    if file.stop is not None:
        findings.append(
            WarmupFinding(
                "error", file.stop.record, file.stop.code, file.stop.message, _stop_note(file)
            )
        )
    if file.ignored_tail:
        findings.append(
            WarmupFinding(
                "warning",
                None,
                None,
                f"The last {file.ignored_tail} bytes are too few for a record header: TF "
                "Serving's reader takes them for the end of the file and ignores them.",
                "The file was cut short or has bytes appended; rewrite it.",
            )
        )
    # In file order: TF Serving fails at the first error it meets.
    findings.sort(key=lambda f: (f.record is None, f.record or 0))
    return WarmupCheck(path, file, tuple(findings), inputs)


def record_findings(
    record: WarmupRecord,
    meta_graph: MetaGraphInfo,
    *,
    method_name_check: bool = False,
    inputs: bool = True,
) -> list[WarmupFinding]:
    """What TF Serving's ``RunWarmupRequest`` would refuse in one record (without running it)."""
    if record.log_type is None:
        return [
            WarmupFinding(
                "warning",
                record.index,
                None,
                "This record holds no request (no log_type): TF Serving skips it.",
                "Each record must be a PredictionLog with a predict_log, classify_log or "
                "regress_log; a tf.Example or a bare request also reads as an empty one.",
            )
        ]
    if record.log_type in _LOG_TYPE_NUMBERS:
        return [
            WarmupFinding(
                "error",
                record.index,
                "UNIMPLEMENTED",
                f"Unsupported log_type for warmup: {_LOG_TYPE_NUMBERS[record.log_type]}",
                "TF Serving replays predict_log, classify_log, regress_log and "
                f"multi_inference_log only; this one is {record.log_type}.",
            )
        ]
    mismatch = None
    try:
        if record.log_type == "multi_inference_log":
            _check_multi_inference(record, meta_graph, method_name_check)
        else:
            mismatch = _check_request(record, meta_graph, method_name_check, inputs)
    except ServingRuleError as err:
        return [
            WarmupFinding(
                "error",
                record.index,
                err.code,
                str(err),
                f"TF Serving runs this {record.verb} request at load and fails the load with "
                "its error.",
            )
        ]
    if mismatch is not None:
        return [
            WarmupFinding(
                "error",
                record.index,
                "INVALID_ARGUMENT" if mismatch.certain else None,
                mismatch.message,
                mismatch.note,
                predicted=not mismatch.certain,
            )
        ]
    return []


def _check_request(
    record: WarmupRecord, meta_graph: MetaGraphInfo, check: bool, inputs: bool
) -> InputMismatch | None:
    """TF Serving's checks of one request, raising its error; then the first tensor that
    does not fit the signature (what its run would fail on), or None."""
    method = record.method
    assert method is not None  # predict, classify or regress here
    signature = rules.resolve_signature(meta_graph, record.signature_name, method, rest=False)
    rules.require_accepted(signature, method, method_name_check=check)
    if method is not MethodKind.PREDICT:
        if not record.inputs or not record.inputs[0].shape[0]:
            raise ServingRuleError("Input is empty.")
        return None
    if inputs:
        _check_names(signature, record.request)
    # Last: TF Serving meets these only when it runs the request.
    return next(iter(input_mismatches(record, signature)), None)


def _check_names(signature: SignatureInfo, request: Any) -> None:
    """Predict's input count, input names and output filter, as predict_util.cc checks
    them."""
    # Imported here: the call layer's input rules cost ``show`` (which looks without
    # them) a tenth of a second of start-up.
    from explorer.run.steps import check_input_count, output_aliases

    check_input_count(signature, request.inputs)
    unknown = sorted(set(request.inputs) - {t.key for t in signature.inputs})
    if unknown:  # GetInputValues' message for an alias the signature does not have
        used = sorted(set(request.inputs) - set(unknown))
        raise ServingRuleError(
            f"Inputs contains invalid name. Used request inputs: {', '.join(used)}, "
            f"request input: {', '.join(sorted(request.inputs))}"
        )
    output_aliases(signature, list(request.output_filter) or None)


def _check_multi_inference(record: WarmupRecord, meta_graph: MetaGraphInfo, check: bool) -> None:
    """``TensorFlowMultiInferenceRunner::Infer``'s checks (multi_inference.cc), in order."""
    request = record.request
    model_name = ""
    seen: set[str] = set()
    kinds = {CLASSIFY_METHOD_NAME: MethodKind.CLASSIFY, REGRESS_METHOD_NAME: MethodKind.REGRESS}
    for task in request.tasks:
        if not task.model_spec.name:
            raise ServingRuleError("Found ModelSpec with an empty model name.")
        if model_name and task.model_spec.name != model_name:
            raise ServingRuleError(
                "All ModelSpecs in a MultiInferenceRequest must access the same model name."
            )
        model_name = task.model_spec.name
        name = task.model_spec.signature_name or DEFAULT_SERVING_SIGNATURE_KEY
        if name in seen:
            raise ServingRuleError(f"Duplicate evaluation of signature: {name}")
        seen.add(name)
        if name not in {s.key for s in meta_graph.signatures}:
            raise ServingRuleError(f"Requested signature not found in model graph: {name}")
        if task.method_name not in kinds:
            raise ServingRuleError(
                f"Unsupported signature method_name: {task.method_name}", code="UNIMPLEMENTED"
            )
        method = kinds[task.method_name]
        signature = rules.resolve_signature(meta_graph, name, method, rest=False)
        rules.require_accepted(signature, method, method_name_check=check)
    if not record.inputs or not record.inputs[0].shape[0]:
        raise ServingRuleError("Input is empty.")


def _stop_note(file: WarmupFile) -> str:
    if file.stop is not None and file.stop.code == "DATA_LOSS":
        return (
            "Write the file with tf.io.TFRecordWriter (or `python -m explorer warmup --export`): "
            "each record a serialized PredictionLog in TFRecord framing."
        )
    return (
        "Each record must be a serialized tensorflow.serving.PredictionLog (see TF Serving's "
        "prediction_log.proto)."
    )


def settled(check: WarmupCheck, replay: WarmupReplay | None) -> WarmupCheck:
    """The check with what a replay settled: a record inferred to fail (a tensor of a shape
    the signature does not declare) that the model answered when run is not an error; it
    stays as a warning that TF Serving runs it only because the graph takes that shape."""
    if replay is None:
        return check
    answered = {run.record.index for run in replay.runs if run.passed}
    findings = tuple(
        replace(
            finding,
            severity="warning",
            predicted=False,
            note="The replay ran it and the model answered: the graph takes this shape, "
            "so TF Serving's load goes on (a client reading the signature would not send it).",
        )
        if finding.predicted and finding.severity == "error" and finding.record in answered
        else finding
        for finding in check.findings
    )
    return replace(check, findings=findings)


def load_verdict(check: WarmupCheck, replay: WarmupReplay | None) -> str:
    """One line: would TF Serving load the model, counting what a replay found (TF Serving
    stops at the first record whose request fails, before any later finding; on the same
    record, the run's own error is what TF Serving says, where the check inferred it)."""
    failed = replay.failed if replay is not None else ()
    first = check.first_error
    if failed and (first is None or first.record is None or failed[0].record.index <= first.record):
        run = failed[0]
        assert run.outcome is not None
        code = f"{run.outcome.code}: " if run.outcome.code else ""
        return (
            f"TF Serving fails to load the model (record {run.record.index}): "
            f"{code}{run.outcome.error}"
        )
    return check.verdict
