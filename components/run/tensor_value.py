"""What a compact editor holds (:class:`TensorValue`), and a digest of a form's values
that tells a changed form from the one an answer was for (:func:`fingerprint`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer.codec.fills import ArraySummary


@dataclass(frozen=True, slots=True)
class TensorValue:
    """What a compact editor holds: the array (or JSON text's value) and how to show it."""

    value: Any
    summary: ArraySummary | None
    # Pictures of what the tensor holds (uint8 [H, W, C] or encoded image bytes).
    pictures: list[Any] = field(default_factory=list)
    # One line for people: "2 images, 224×224 RGB, values 0 to 1".
    note: str = ""
    # An image input with no file given yet (it holds zeros, or a plain picture).
    waiting: bool = False


def fingerprint(value: Any) -> str:
    """A short digest of an input's value (arrays by their bytes), to tell a changed form."""
    digest = hashlib.blake2b(digest_size=12)
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        digest.update(f"{value.dtype}{value.shape}".encode())
        if value.dtype == object:
            for item in value.reshape(-1):
                digest.update(item if isinstance(item, bytes) else repr(item).encode())
        else:
            digest.update(np.ascontiguousarray(value).tobytes())
        return
    if isinstance(value, dict):
        for key in sorted(value):
            digest.update(repr(key).encode())
            _feed(digest, value[key])
        return
    digest.update(json.dumps(value, sort_keys=True, default=repr).encode())
