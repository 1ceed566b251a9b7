"""A SavedModel's warmup file read as TF Serving reads it: TFRecord framing, then one
``PredictionLog`` per record (``saved_model_warmup_util.cc``).

TF Serving replays ``assets.extra/tf_serving_warmup_requests`` when it loads a model (on by
default: ``--enable_model_warmup``). :func:`read_warmup` returns every record TF Serving's
reader would hand over, each described as a person reads it (verb, signature, inputs,
batch size), and the point where the reader stops, in TF Serving's words and status code.
What the records would do to the model is :mod:`explorer.deploy.warmup_check`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf import message

from explorer.codec.tfrecord import scan_tfrecords
from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY, MethodKind
from explorer.errors import WarmupFileError
from explorer.model import protos
from explorer.model.dtypes import numpy_name

ASSETS_EXTRA = "assets.extra"
WARMUP_FILE_NAME = "tf_serving_warmup_requests"  # WarmupConsts::kRequestsFileName
MAX_RECORDS = 1000  # WarmupConsts::kMaxNumRecords
# A file past this is not read at all (TF Serving has no such limit; this app shares a host).
MAX_FILE_BYTES = 1024 * 1024 * 1024

# PredictionLog's log_type fields → the verb a person calls them.
_VERBS = {
    "classify_log": "classify",
    "regress_log": "regress",
    "predict_log": "predict",
    "multi_inference_log": "multi_inference",
    "predict_streamed_log": "predict_streamed",
    "session_run_log": "session_run",
}
_METHODS = {
    "classify_log": MethodKind.CLASSIFY,
    "regress_log": MethodKind.REGRESS,
    "predict_log": MethodKind.PREDICT,
}


@dataclass(frozen=True, slots=True)
class WarmupInput:
    """One input of a record: a Predict tensor, or a Classify/Regress example list."""

    alias: str
    dtype: str  # DT_FLOAT; "tf.Example" for examples
    shape: tuple[int, ...]  # (examples,) for examples

    @property
    def text(self) -> str:
        dims = ",".join(map(str, self.shape))
        kind = self.dtype if self.dtype == "tf.Example" else numpy_name(self.dtype)
        return f"{self.alias} {kind}[{dims}]"


@dataclass(frozen=True, slots=True)
class WarmupRecord:
    """One PredictionLog of the file."""

    index: int  # 1-based, as a person counts records
    offset: int  # where its TFRecord header starts
    # The log_type field set ("predict_log", ...), None when the record holds none.
    log_type: str | None
    signature_name: str  # as the request names it ("" means serving_default)
    inputs: tuple[WarmupInput, ...]
    batch_size: int | None  # rows of every input (None: they differ or there are none)
    has_response: bool  # the log also holds the answer it got
    # The PredictionLog message (TF Serving's class, built without TensorFlow).
    log: Any = field(repr=False, compare=False)

    @property
    def verb(self) -> str:
        """classify, regress, predict, multi_inference, predict_streamed, session_run or
        "(none)"."""
        return _VERBS.get(self.log_type or "", "(none)")

    @property
    def method(self) -> MethodKind | None:
        """The API Signature Explorer can run it with (None: it cannot)."""
        return _METHODS.get(self.log_type or "")

    @property
    def signature(self) -> str:
        return self.signature_name or DEFAULT_SERVING_SIGNATURE_KEY

    @property
    def request(self) -> Any:
        """The request message (PredictRequest, ClassificationRequest, ...), or None."""
        if self.log_type is None or self.log_type == "predict_streamed_log":
            return None
        return getattr(self.log, self.log_type).request

    @property
    def inputs_text(self) -> str:
        return ", ".join(i.text for i in self.inputs) or "(none)"


@dataclass(frozen=True, slots=True)
class WarmupStop:
    """Where TF Serving's reading of the file ends with an error."""

    record: int  # the 1-based record it fails on
    code: str  # DATA_LOSS or INVALID_ARGUMENT
    message: str  # TF Serving's Status message


@dataclass(frozen=True, slots=True)
class WarmupFile:
    """Every record TF Serving's warmup reads from one file, and where it stops."""

    path: str
    size_bytes: int
    records: tuple[WarmupRecord, ...]
    stop: WarmupStop | None = None  # None: read to the end
    ignored_tail: int = 0  # trailing bytes too few for a header, which TF's reader ignores


def warmup_path(model_dir: str | os.PathLike[str]) -> Path:
    """Where TF Serving looks for a version folder's warmup file."""
    return Path(model_dir) / ASSETS_EXTRA / WARMUP_FILE_NAME


@cache
def prediction_log_class() -> type[Any]:
    """``tensorflow.serving.PredictionLog`` (no TensorFlow imported)."""
    return protos.serving_message_class("tensorflow.serving.PredictionLog")


def read_warmup(path: str | os.PathLike[str]) -> WarmupFile | None:
    """Read a warmup file, or a model folder's; None when there is none (TF Serving then
    loads the model without warmup: "No warmup data file found").

    Args:
        path: the warmup file, or a SavedModel (version) folder.

    Raises:
        WarmupFileError: the file exists but cannot be read, or is past MAX_FILE_BYTES.
    """
    file = Path(path)
    if file.is_dir() and file.name != WARMUP_FILE_NAME:  # a model folder
        file = warmup_path(file)
    if not file.exists():
        return None
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WarmupFileError(
                f"{file} is {size} bytes: Signature Explorer reads warmup files up to "
                f"{MAX_FILE_BYTES} bytes (TF Serving replays at most {MAX_RECORDS} records)."
            )
        data = file.read_bytes()
    except OSError as exc:
        raise WarmupFileError(f"Cannot read the warmup file {file}: {exc.strerror or exc}") from exc
    return parse_warmup(data, str(file))


def parse_warmup(data: bytes, path: str) -> WarmupFile:
    """:func:`read_warmup` on the file's bytes; ``path`` is named in TF Serving's messages."""
    scan = scan_tfrecords(data)
    records: list[WarmupRecord] = []
    stop = None
    for index, raw in enumerate(scan.records, 1):
        log = prediction_log_class()()
        try:
            log.ParseFromString(raw.data)
        except message.DecodeError:
            stop = WarmupStop(
                index,
                "INVALID_ARGUMENT",
                f"Failed to parse warmup record: {_c_escaped(raw.data)} from {path}",
            )
            break
        records.append(_record(index, raw.offset, log))
    if stop is None and scan.error is not None:
        stop = WarmupStop(
            len(records) + 1,
            "DATA_LOSS",
            f"{scan.error}. Please verify your warmup data is in TFRecord format.",
        )
    return WarmupFile(path, len(data), tuple(records), stop, scan.ignored_tail)


def record_of(log: Any, index: int = 1, offset: int = 0) -> WarmupRecord:
    """A PredictionLog described as :func:`read_warmup` describes a record of a file."""
    return _record(index, offset, log)


def _record(index: int, offset: int, log: Any) -> WarmupRecord:
    log_type = log.WhichOneof("log_type")
    request = None
    if log_type == "predict_streamed_log":
        streamed = log.predict_streamed_log.request
        request = streamed[0] if streamed else None
    elif log_type is not None:
        request = getattr(log, log_type).request
    inputs = tuple(_inputs(log_type, request)) if request is not None else ()
    rows = {i.shape[0] if i.shape else None for i in inputs}
    response = log_type in _VERBS and log_type not in ("predict_streamed_log",)
    has_response = bool(response and getattr(log, str(log_type)).HasField("response"))
    return WarmupRecord(
        index=index,
        offset=offset,
        log_type=log_type,
        signature_name=_signature_name(log_type, request),
        inputs=inputs,
        batch_size=rows.pop() if len(rows) == 1 else None,
        has_response=has_response,
        log=log,
    )


def _signature_name(log_type: str | None, request: Any) -> str:
    if request is None:
        return ""
    if log_type == "multi_inference_log":
        return ", ".join(
            t.model_spec.signature_name or DEFAULT_SERVING_SIGNATURE_KEY for t in request.tasks
        )
    if log_type == "session_run_log":
        return ""
    return str(request.model_spec.signature_name)


def _inputs(log_type: str | None, request: Any) -> Iterator[WarmupInput]:
    if log_type in ("predict_log", "predict_streamed_log"):
        for alias in sorted(request.inputs):
            tensor = request.inputs[alias]
            dtype = tensor.DESCRIPTOR.fields_by_name["dtype"].enum_type.values_by_number
            name = dtype[tensor.dtype].name if tensor.dtype in dtype else f"DT_{tensor.dtype}"
            yield WarmupInput(alias, name, tuple(int(d.size) for d in tensor.tensor_shape.dim))
    elif log_type in ("classify_log", "regress_log", "multi_inference_log"):
        kind = request.input.WhichOneof("kind")
        if kind is None:
            return
        holder = getattr(request.input, kind)
        alias = "examples + context" if kind == "example_list_with_context" else "examples"
        yield WarmupInput(alias, "tf.Example", (len(holder.examples),))


def _c_escaped(data: bytes, limit: int = 160) -> str:
    """The record's bytes as TF Serving prints them (raw), C-escaped so they can be shown;
    long records are cut."""
    shown = data[:limit]
    text = "".join(
        chr(b) if 32 <= b < 127 and b not in (34, 39, 92) else f"\\{b:03o}" for b in shown
    )
    return text + (f"...({len(data)} bytes)" if len(data) > limit else "")
