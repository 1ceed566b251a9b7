"""A call's taps and profile as a file: JSON (small values inline, large ones base64) or
``.npz`` (every value a numpy array, plus a JSON manifest).

TF Serving's answer stays on its own (the CLI prints it on stdout unchanged); this is
what the explorer saw inside the call, for a notebook or a diff between two exports.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import UsageError
from explorer.run.result import CallResult
from explorer.run.tap_values import TapValue

# Values with more elements than this are written as base64 of their bytes in JSON.
INLINE_ELEMENTS = 64
SUFFIXES = (".json", ".npz")


def manifest(result: CallResult) -> dict[str, Any]:
    """The taps (identity, note, summary) and the profile, without values."""
    body: dict[str, Any] = {
        "method": result.method.value,
        "signature": result.signature_key,
        "taps": [t.as_dict() for t in result.taps],
    }
    if result.profile is not None:
        body["profile"] = result.profile.as_dict()
    return body


def write(path: str | Path, result: CallResult) -> None:
    """Write the call's taps and profile to ``path`` (``.json`` or ``.npz``).

    Raises:
        UsageError: another suffix, or the file cannot be written.
    """
    target = Path(path)
    if target.suffix not in SUFFIXES:
        raise UsageError(
            f"--taps-out {path}: the file must end in .json or .npz (JSON with values inline "
            "or base64, or numpy's archive)."
        )
    body = manifest(result)
    try:
        if target.suffix == ".json":
            for entry, tap in zip(body["taps"], result.taps, strict=True):
                entry["value"] = _json_value(tap)
            target.write_text(json.dumps(body, indent=1, allow_nan=True) + "\n", "utf-8")
        else:
            arrays = {f"tap_{i}": t.value for i, t in enumerate(result.taps) if t.ran}
            buffer = io.BytesIO()
            np.savez(buffer, manifest=np.array(json.dumps(body)), **arrays)  # type: ignore[arg-type]
            target.write_bytes(buffer.getvalue())
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror}.") from exc


def _json_value(tap: TapValue) -> Any:
    if tap.value is None:
        return None
    array = np.asarray(tap.value)
    if array.dtype.kind in "OSU":  # strings: as text where they are UTF-8, else base64
        values = [_text(v) for v in array.reshape(-1)]
        return {"dtype": "string", "shape": list(array.shape), "values": values}
    if array.size <= INLINE_ELEMENTS:
        return {"dtype": str(array.dtype), "shape": list(array.shape), "values": array.tolist()}
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": str(array.dtype),
        "shape": list(array.shape),
        "b64": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def _text(value: Any) -> Any:
    raw = value if isinstance(value, bytes) else str(value).encode()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(raw).decode("ascii")}
