"""Outputs people read: the top classes of a score vector with their labels, and a large
tensor in brief.

A ``[B, N]`` float output (N ≥ 2) is usually scores over N classes: :func:`top_k` ranks
them. Labels come from a file the user gives (:func:`read_labels`: one per line, a JSON
list, or a JSON object of index → name such as Keras' ``imagenet_class_index.json``), or
from an asset the model carries whose line count is N (:func:`asset_label_lists`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.errors import InputError
from explorer.model.asset_text import asset_lines
from explorer.model.info import MetaGraphInfo

# Label files past this size are refused (a million labels is past any classifier).
MAX_LABEL_BYTES = 16 << 20


@dataclass(frozen=True, slots=True)
class Labels:
    """Class names by index, and where they come from."""

    names: tuple[str, ...]
    # For people: 'labels.txt', 'the model's asset "classes.txt"'.
    source: str

    def name(self, index: int) -> str:
        """The name of class ``index``, or ``class <index>`` past the list."""
        return self.names[index] if 0 <= index < len(self.names) else f"class {index}"


@dataclass(frozen=True, slots=True)
class Ranked:
    """One class in a top-k list."""

    index: int
    label: str
    score: float


def is_score_output(array: np.ndarray) -> bool:
    """Whether an output looks like class scores: floats shaped ``[B, N]`` with N ≥ 2."""
    return array.dtype.kind == "f" and array.ndim == 2 and array.shape[1] >= 2 and array.size > 0


def top_k(scores: np.ndarray, k: int, labels: Labels | None = None) -> tuple[Ranked, ...]:
    """The ``k`` highest of one row of scores, highest first (ties keep index order).

    NaN scores rank last.

    Raises:
        ValueError: ``scores`` is not one row.
    """
    if scores.ndim != 1:
        raise ValueError(f"top_k takes one row of scores; got shape {list(scores.shape)}")
    values = np.where(np.isnan(scores), -np.inf, scores.astype(np.float64))
    order = np.argsort(-values, kind="stable")[: max(k, 0)]
    return tuple(
        Ranked(
            int(i),
            labels.name(int(i)) if labels is not None else f"class {int(i)}",
            float(scores[i]),
        )
        for i in order
    )


def is_distribution(scores: np.ndarray) -> bool:
    """Whether a row of scores reads as probabilities (0 to 1, summing to about 1)."""
    finite = scores[np.isfinite(scores)]
    if finite.size != scores.size or not finite.size:
        return False
    return bool((finite >= 0).all() and (finite <= 1).all() and abs(finite.sum() - 1.0) < 1e-2)


def read_labels(name: str, data: bytes) -> Labels:
    """Labels from a file: a JSON list, a JSON object of index → name (a name may be a
    list, e.g. ``["n01440764", "tench"]``: its last string is taken), or one per line.

    Raises:
        InputError: the file is too large, not UTF-8 text, or JSON of another shape.
    """
    if len(data) > MAX_LABEL_BYTES:
        raise InputError(
            f"{name} is {len(data):,} bytes; a labels file may hold {MAX_LABEL_BYTES:,}."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text: {exc.reason} at byte {exc.start}.") from exc
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{name} starts like JSON but is not: {exc.msg} at line {exc.lineno}, column "
                f"{exc.colno}. Give a JSON list of names, an object of index → name, or "
                "one name per line."
            ) from exc
        return Labels(_json_names(name, value), name)
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return Labels(tuple(line.strip() for line in lines), name)


def asset_label_lists(meta_graph: MetaGraphInfo, count: int) -> tuple[Labels, ...]:
    """The model's text assets with exactly ``count`` lines: candidate class names.

    Raises:
        Nothing.
    """
    found = []
    for asset in meta_graph.assets:
        if asset.size_bytes is None or asset.size_bytes > MAX_LABEL_BYTES:
            continue
        read = asset_lines(meta_graph, asset.filename, max_bytes=MAX_LABEL_BYTES)
        if read is None or not read[0]:
            continue
        lines = [line.strip() for line in read[1]]
        if len(lines) == count and all(lines):
            found.append(Labels(tuple(lines), f'the model\'s asset "{asset.filename}"'))
    return tuple(found)


def _json_names(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(_label_text(v) for v in value)
    if not isinstance(value, dict):
        raise InputError(f"{name}: expected a JSON list or object of labels.")
    by_index: dict[int, str] = {}
    for key, label in value.items():
        try:
            index = int(key)
        except ValueError:
            raise InputError(
                f'{name}: JSON object keys must be class indexes ("0", "1", …); got {key!r}.'
            ) from None
        if index < 0:
            raise InputError(f"{name}: class index {index} is negative.")
        by_index[index] = _label_text(label)
    if not by_index:
        return ()
    size = max(by_index) + 1
    if size > 10 * len(by_index) + 1000:
        raise InputError(f"{name}: class indexes go up to {size - 1} for {len(by_index)} labels.")
    return tuple(by_index.get(i, f"class {i}") for i in range(size))


def _label_text(value: Any) -> str:
    if isinstance(value, list):
        texts = [v for v in value if isinstance(v, str)]
        return texts[-1] if texts else json.dumps(value)
    return value if isinstance(value, str) else json.dumps(value)
