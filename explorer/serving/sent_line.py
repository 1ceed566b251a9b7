"""One plain line beside TF Serving's error: what a request sent against what the signature
declares.

TF Serving's words are what a client sees, and they stay exactly as they are; but a
runtime error such as ``Input must be 4 or 5-dimensional [[{{node pool}}]]`` names a node,
not the input that caused it. :func:`sent_against_declared` puts each input's key, dtype and
shape as sent beside the signature's TensorInfo, and says where they differ (dtype, rank, a
fixed dimension), so a person sees at once that a ``(1, 3)`` request went to a
``(-1, 4, 4, 1)`` signature. The line is the explorer's; renderers show it as plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from explorer.model.dtypes import dtype_for_numpy
from explorer.model.info import SignatureInfo, TensorInfo, format_shape
from explorer.serving.graph_tensors import declared_otherwise


def sent_against_declared(
    signature: SignatureInfo, tensors: Mapping[str, Any], *, sandboxed: bool = False
) -> str:
    """What was sent (key, dtype, shape) against what the signature declares, one line.

    Args:
        signature: the signature called.
        tensors: the request's inputs as converted: alias → array (or, for a sparse or
            ragged input, the value as given).
        sandboxed: the model ran inside the sandbox after the user opted in despite the
            scan's findings; a request that fits then does not make the failure the
            model's own (an op reaching outside fails there, not in TF Serving).

    Returns:
        e.g. ``Sent x as DT_FLOAT (1, 3); the signature declares x as DT_FLOAT
        (-1, 4, 4, 1): x has 2 dimensions where 4 are declared.``
    """
    differences = []
    for info in signature.inputs:
        if info.key in tensors:
            differences += _differences(signature, info, tensors[info.key])
        else:
            differences.append(f"{info.key} was not sent (its default was fed)")
    known = {t.key for t in signature.inputs}
    differences += [f"{k} is not an input of the signature" for k in tensors if k not in known]
    line = _sent_line(signature, tensors)
    if differences:
        return f"{line}: {'; '.join(differences)}."
    if sandboxed:
        return (
            f"{line}: the request fits the declaration, so the failure comes from running "
            "the model, which here ran inside the sandbox (TF Serving has none)."
        )
    return f"{line}: the request fits the declaration, so the failure is the model's own."


def _differences(signature: SignatureInfo, info: TensorInfo, value: Any) -> list[str]:
    if info.encoding != "name" or not isinstance(value, np.ndarray):
        return []
    found = []
    dtype = _dtype(value)
    real = declared_otherwise(signature, info)
    expected = real or info.dtype
    if dtype is not None and dtype != expected:
        graph = f" (the graph's tensor {info.name} is {real})" if real else ""
        found.append(f"{info.key} is {dtype} where {info.dtype} is declared{graph}")
    elif real is not None:
        found.append(
            f"{info.key}'s TensorInfo declares {info.dtype}, but the graph's tensor "
            f"{info.name} is {real}"
        )
    return found + _shape_differences(info, value)


def _shape_differences(info: TensorInfo, value: np.ndarray) -> list[str]:
    declared = info.shape
    if declared is None:
        return []
    if value.ndim != len(declared):
        return [f"{info.key} has {value.ndim} dimensions where {len(declared)} are declared"]
    for axis, (size, want) in enumerate(zip(value.shape, declared, strict=True)):
        if want is not None and size != want:
            return [f"{info.key} has {size} in dimension {axis} where {want} is declared"]
    return []


def shape_misfit(signature: SignatureInfo, tensors: Mapping[str, Any]) -> str | None:
    """For a request that ran: the inputs sent in a shape the signature does not declare,
    against what it declares (None when every shape fits). TF Serving checks no shapes,
    so such a request is answered; the model was built for the declared shape, and an
    answer from another one (an image of the wrong size) may be wrong without an error.
    """
    differences = [
        d
        for info in signature.inputs
        if info.encoding == "name" and isinstance(tensors.get(info.key), np.ndarray)
        for d in _shape_differences(info, tensors[info.key])
    ]
    if not differences:
        return None
    return (
        f"{_sent_line(signature, tensors)}: "
        f"{'; '.join(differences)}. TF Serving answers it too (it checks no shapes), but the "
        "model was built for the declared shape: check that its answer makes sense."
    )


def _sent_line(signature: SignatureInfo, tensors: Mapping[str, Any]) -> str:
    sent = [f"{key} as {_describe(value)}" for key, value in tensors.items()]
    declared = [f"{t.key} as {t.dtype} {_shape(t.shape)}" for t in signature.inputs]
    return (
        f"Sent {_join(sent) or 'no inputs'}; the signature declares "
        f"{_join(declared) or 'no inputs'}"
    )


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{_dtype(value) or value.dtype.name} {_shape(value.shape)}"
    return "a sparse or ragged value"


def _dtype(value: np.ndarray) -> str | None:
    if value.dtype.kind in "OSU":
        return "DT_STRING"
    return dtype_for_numpy(value.dtype.name)


def _shape(shape: tuple[int | None, ...] | None) -> str:
    # (1, 3), (-1, 4, 4, 1), () for a scalar, "(unknown rank)".
    text = format_shape(shape)
    return {"() scalar": "()", "unknown rank": "(unknown rank)"}.get(text, text)


def _join(parts: list[str]) -> str:
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
