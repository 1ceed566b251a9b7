"""Do a Predict warmup record's tensors fit the signature it names? Judged without running.

TF Serving checks neither the dtype nor the shape of a Predict request's tensors before it
runs them (``predict_util.cc``): it feeds each TensorProto as it is. At warmup that run is
the model's load, so what the run fails on fails the load:

- a tensor of another dtype than the graph's: the session refuses the feed, always (its
  ``Expects arg[0] to be float but double is provided``);
- a tensor of another rank, or another size in a dimension the signature fixes: the
  graph was built for the declared shape, and its ops fail on one they were not built for
  (``Matrix size-incompatible``). Not always: an op that takes any shape (``0.5 * x + 2``)
  answers anyway, so this one is inferred, and says so; ``warmup --replay`` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.deploy.warmup_file import WarmupInput, WarmupRecord
from explorer.model.dtypes import numpy_name
from explorer.model.info import SignatureInfo, TensorInfo, format_shape
from explorer.serving.graph_tensors import graph_dtype


@dataclass(frozen=True, slots=True)
class InputMismatch:
    """One record tensor that does not fit the signature."""

    alias: str
    # True: the session refuses it whatever the graph (a dtype); False: inferred from the
    # declared shape (the graph's ops decide, a run tells).
    certain: bool
    message: str  # what was sent against what is declared
    note: str  # what TF Serving does with it, and the fix


def input_mismatches(record: WarmupRecord, signature: SignatureInfo) -> list[InputMismatch]:
    """The record's tensors that do not fit ``signature``: dtypes (certain) first, then
    shapes, each input once. Inputs the signature does not have, and composite (sparse,
    ragged) inputs, are left to the other checks."""
    declared = {t.key: t for t in signature.inputs}
    dtypes, shapes = [], []
    for given in record.inputs:
        info = declared.get(given.alias)
        if info is None or info.encoding != "name":
            continue
        wrong_dtype = _dtype_mismatch(given, info, signature)
        if wrong_dtype is not None:
            dtypes.append(wrong_dtype)
            continue
        wrong_shape = _shape_mismatch(given, info)
        if wrong_shape is not None:
            shapes.append(wrong_shape)
    return [*dtypes, *shapes]


def _dtype_mismatch(
    given: WarmupInput, info: TensorInfo, signature: SignatureInfo
) -> InputMismatch | None:
    # The graph's own tensor is what the session feeds; the TensorInfo may say otherwise.
    real = graph_dtype(signature, info)
    expected = real or info.dtype
    if given.dtype == expected:
        return None
    graph = f" (the graph's tensor {info.name} is {real})" if real and real != info.dtype else ""
    return InputMismatch(
        given.alias,
        True,
        f"Input {given.alias} is sent as {_sent(given)} ({given.dtype}) where "
        f"the signature declares {info.dtype} {_shape(info)}{graph}.",
        f"TF Serving feeds a warmup tensor with its own dtype, and the session refuses one "
        f"of another dtype than the graph's {expected}: the warmup run fails, and with it "
        f"the load. Write the record with {expected} tensors.",
    )


def _shape_mismatch(given: WarmupInput, info: TensorInfo) -> InputMismatch | None:
    if info.shape is None:  # unknown rank: any shape is declared
        return None
    sent = given.shape
    if len(sent) != len(info.shape):
        problem = f"{given.alias} has {len(sent)} dimensions where {len(info.shape)} are declared"
    else:
        off = [
            (axis, size, want)
            for axis, (size, want) in enumerate(zip(sent, info.shape, strict=True))
            if want is not None and size != want
        ]
        if not off:
            return None
        axis, size, want = off[0]
        problem = f"{given.alias} has {size} in dimension {axis} where {want} is declared"
    return InputMismatch(
        given.alias,
        False,
        f"Input {given.alias} is sent as {_sent(given)} where the signature "
        f"declares {info.dtype} {_shape(info)}: {problem}.",
        f"TF Serving checks no shapes: it runs the tensor as it is through a graph built "
        f"for {_shape(info)}, which fails on it unless every op takes any shape, and a "
        "failed warmup request fails the load. `python -m explorer warmup PATH --replay` "
        "runs it.",
    )


def _sent(given: WarmupInput) -> str:
    return f"{numpy_name(given.dtype)}[{','.join(map(str, given.shape))}]"


def _shape(info: TensorInfo) -> str:
    text = format_shape(info.shape)
    return {"() scalar": "()", "unknown rank": "(unknown rank)"}.get(text, text)
