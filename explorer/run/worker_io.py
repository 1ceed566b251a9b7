"""What crosses to a worker and back: feeds checked before they go, and a worker's answer
turned into the error it reports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.errors import ExecutionError, InputError, ModelLoadError
from explorer.run import wire

if TYPE_CHECKING:
    from explorer.run.pool import LoadedModel

_MAX_STRING_RANK = 32


def raise_for(answer: wire.Frame, model: LoadedModel) -> None:
    """The error a worker's answer reports, raised; nothing for a good answer.

    Raises:
        ModelLoadError: the load failed (TensorFlow's words, with the model's own folder).
        ExecutionError: the run failed (its message and status code).
    """
    header = answer.header
    if header.get("ok") is True:
        return
    error = header.get("error")
    if not isinstance(error, dict):
        raise RuntimeError(f"the worker sent a malformed answer: {header!r}")  # a bug
    message = str(error.get("message", "")).replace(model.staged, model.model_dir)
    kind = error.get("kind")
    if kind == "load":
        raise ModelLoadError(message)
    if kind == "execution":
        raise ExecutionError(message, code=str(error.get("code") or "UNKNOWN"))
    raise RuntimeError(f"the worker failed (a bug in Signature Explorer): {message}")


def check_feed(name: str, value: Any) -> None:
    """Refuse a feed the worker's TensorFlow binding cannot take (its error, or ours).

    Raises:
        InputError: a string tensor of rank past 32.
        ExecutionError: an object array holding something other than bytes or str.
    """
    # TensorFlow's Python binding converts string arrays with a fixed 32-entry shape
    # buffer: a string feed of rank 33 or more crashes the process (TF Serving's C++ is
    # fine with it), so it is refused before it reaches the worker.
    ndim = getattr(value, "ndim", 0)
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if ndim > _MAX_STRING_RANK and kind in ("O", "S", "U"):
        raise InputError(
            f"Feed {name}: a string tensor of rank {ndim}; at most {_MAX_STRING_RANK} "
            "dimensions can be fed here (TensorFlow's Python binding crashes past that).",
            key=name,
        )
    if isinstance(value, np.ndarray) and value.dtype == object:
        # TensorFlow's conversion of an object array takes bytes and str only; its error
        # for anything else, as it came from the Session in this process before.
        for item in value.flat:
            if not isinstance(item, (bytes, str)):
                kind = type(item).__name__
                raise ExecutionError(f"Unsupported object type {kind}", code="INTERNAL")
