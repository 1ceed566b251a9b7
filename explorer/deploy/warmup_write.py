"""Write a warmup file: REST requests (saved test cases, any run) → the gRPC requests TF
Serving's REST handler would build from them → ``PredictionLog``\\ s → a TFRecord file.

TF Serving replays gRPC requests at load, so each REST body goes through the conversion
its ``http_rest_api_handler.cc`` makes (``explorer.codec.grpc_messages``: Predict inputs
take the signature's declared dtypes, rows become one tensor per input; Classify and
Regress examples become ``tf.Example``\\ s). The file is framed by
``explorer.codec.tfrecord`` (masked CRC32C), so no TensorFlow is needed; TensorFlow's own
``tf.data.TFRecordDataset`` reads it back (tested).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.codec import grpc_messages
from explorer.codec.limits import parse_request
from explorer.codec.tfrecord import tfrecord_bytes
from explorer.compat.cases import TestCase
from explorer.constants import MethodKind
from explorer.deploy.warmup_check import record_findings
from explorer.deploy.warmup_file import MAX_RECORDS, prediction_log_class, record_of
from explorer.errors import ServingRuleError, WarmupFileError
from explorer.model.info import MetaGraphInfo

_LOG_FIELDS = {
    MethodKind.PREDICT: "predict_log",
    MethodKind.CLASSIFY: "classify_log",
    MethodKind.REGRESS: "regress_log",
}


@dataclass(frozen=True, slots=True)
class SkippedCase:
    """A case left out of a warmup file, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class WarmupExport:
    """A warmup file's bytes and what went into it."""

    data: bytes
    written: tuple[str, ...]  # the cases written, one record each, in order
    skipped: tuple[SkippedCase, ...]


def prediction_log(
    method: MethodKind | str,
    body: str | bytes | Mapping[str, Any],
    meta_graph: MetaGraphInfo,
    model_name: str,
) -> Any:
    """The PredictionLog TF Serving replays for one REST request.

    Args:
        method: classify, regress or predict.
        body: the REST body (text or parsed).
        meta_graph: the model's MetaGraph (its signatures give Predict's dtypes).
        model_name: written into the request's model_spec (TF Serving's warmup ignores it).

    Returns:
        A ``tensorflow.serving.PredictionLog`` holding the request.

    Raises:
        ServingRuleError: TF Serving's REST handler would reject the body (its words).
    """
    verb = MethodKind(method)
    doc, _ = parse_request(body)
    target = (model_name, None, None)
    if verb is MethodKind.PREDICT:
        request, _ = grpc_messages.predict_request(doc, meta_graph, target)
    else:
        request = grpc_messages.examples_request(verb, doc, target)
    log = prediction_log_class()()
    getattr(log, _LOG_FIELDS[verb]).request.CopyFrom(request)
    return log


def export_cases(
    cases: Iterable[TestCase],
    meta_graph: MetaGraphInfo,
    model_name: str,
    *,
    method_name_check: bool = False,
) -> WarmupExport:
    """A warmup file holding one record per case, in order, for the version ``meta_graph``
    is.

    TF Serving fails to load a model at the first warmup request that fails, so a case is
    left out (and :attr:`WarmupExport.skipped` says why) rather than written when it
    records an error answer, when TF Serving's REST handler rejects its request, and when
    the request does not fit this version's signature as ``warmup --check`` judges it (a
    signature or an API it lacks, inputs it does not have, a tensor of another dtype or
    shape: cases saved against another version). Leaving them out keeps the file one TF
    Serving loads; the whole export is refused only when no case is left.

    Raises:
        WarmupFileError: no case can be written, or more than TF Serving's 1000 records.
    """
    records, written, skipped = [], [], []
    for case in cases:
        if case.expects_error:
            skipped.append(
                SkippedCase(
                    case.name,
                    "it records an error answer; TF Serving fails to load a model whose "
                    "warmup request fails",
                )
            )
            continue
        try:
            # A copy: the parser may hand back a read-only view of the body.
            doc = dict(parse_request(case.request)[0])
            # As replay sends it: a body that names no signature goes to the case's.
            doc.setdefault("signature_name", case.signature_name)
            log = prediction_log(case.method, doc, meta_graph, model_name)
        except ServingRuleError as err:
            skipped.append(SkippedCase(case.name, f"TF Serving's REST handler rejects it: {err}"))
            continue
        misfit = _misfit(log, meta_graph, method_name_check)
        if misfit is not None:
            skipped.append(SkippedCase(case.name, misfit))
            continue
        records.append(log.SerializeToString())
        written.append(case.name)
    if not records:
        reasons = "; ".join(f"{s.name}: {s.reason.rstrip('.')}" for s in skipped)
        raise WarmupFileError(f"No case can go into a warmup file ({reasons or 'no cases given'}).")
    if len(records) > MAX_RECORDS:
        raise WarmupFileError(
            f"{len(records)} records: TF Serving refuses a warmup file of more than "
            f"{MAX_RECORDS} (Number of warmup records exceeds the maximum). Export fewer cases."
        )
    return WarmupExport(tfrecord_bytes(records), tuple(written), tuple(skipped))


def _misfit(log: Any, meta_graph: MetaGraphInfo, method_name_check: bool) -> str | None:
    """Why TF Serving's warmup would fail on this record with this version, or None."""
    findings = record_findings(record_of(log), meta_graph, method_name_check=method_name_check)
    error = next((f for f in findings if f.severity == "error"), None)
    if error is None:
        return None
    words = f"{error.code}: {error.message}" if error.code else error.message
    would = "would likely fail" if error.predicted else "fails"
    return f"it does not fit this version's signature, and TF Serving's load {would} on it: {words}"


def logs_bytes(logs: Iterable[Any]) -> bytes:
    """PredictionLog messages as a warmup file's bytes."""
    return tfrecord_bytes(log.SerializeToString() for log in logs)


def save_warmup(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write a warmup file (creating ``assets.extra/`` when the path goes through it).

    Raises:
        WarmupFileError: the file cannot be written.
    """
    file = Path(path).expanduser()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
    except OSError as exc:
        raise WarmupFileError(
            f"Cannot write the warmup file {file}: {exc.strerror or exc}"
        ) from exc
    return file
