"""Shared helper for ``calls_bench.py``, not a benchmark: what writing TF Serving's REST
response costs, per tensor and per number.

Four ways to the same bytes, each timed on the same arrays (median of ``runs`` after one
warm-up, CPU time of this process so a busy machine moves the numbers less):

1. ``C``: ``explorer.codec.rest_response.predict_response_text`` (the writer in use: the C
   extension writes the numbers' text in one pass).
2. ``numpy bulk``: the same call with the extension's path turned off (the vectorised numpy
   writer, what runs where the extension is not built).
3. ``per number``: the writer both replaced — ``rest_text.decimal_texts`` (one Python
   ``format`` and one parse-back per float) and PrettyWriter calls per array — kept here
   verbatim in behaviour, as the baseline.
4. ``floor``: one C pass producing that many bytes (a copy of the finished body): no writer
   can beat it.

All writers' bodies are checked equal before anything is timed.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from explorer.codec import json_numbers
from explorer.codec.rest_response import predict_response_text
from explorer.codec.rest_text import PrettyWriter, decimal_texts
from explorer.run import calls


@contextlib.contextmanager
def _numpy_writer() -> Iterator[None]:
    """The response writer with the C path off: the numpy writer, as without the extension."""
    defaults = [json_numbers.array_text.__kwdefaults__, json_numbers.item_texts.__kwdefaults__]
    for kwargs in defaults:
        kwargs["native"] = False
    try:
        yield
    finally:
        for kwargs in defaults:
            kwargs["native"] = True


def numpy_bulk_text(tensors: dict[str, np.ndarray], *, row_format: bool) -> str:
    """``predict_response_text`` through the numpy writer."""
    with _numpy_writer():
        return predict_response_text(tensors, row_format=row_format)


def per_number_text(tensors: dict[str, np.ndarray], *, row_format: bool) -> str:
    """The per-number writer (floats and integers only), as the explorer had it."""
    names = sorted(tensors)
    writer = PrettyWriter()
    writer.start_object()
    if not row_format:
        writer.key("outputs")
        if len(names) > 1:
            writer.start_object()
        for name in names:
            if len(names) > 1:
                writer.key(name)
            _tensor(writer, tensors[name])
        if len(names) > 1:
            writer.end_object()
        writer.end_object()
        return writer.text()
    writer.key("predictions")
    writer.start_array()
    for item in range(len(tensors[names[0]])):
        writer.single_line = True
        _tensor(writer, tensors[names[0]][item, ...])
        writer.single_line = False
    writer.end_array()
    writer.end_object()
    return writer.text()


def _tensor(writer: PrettyWriter, array: np.ndarray) -> None:
    if array.ndim > 1:
        writer.start_array()
        for sub in array:
            _tensor(writer, sub)
        writer.end_array()
        return
    flat = array.reshape(-1)
    tokens = decimal_texts(flat) if flat.dtype.kind == "f" else [str(v) for v in flat.tolist()]
    if array.ndim:
        writer.raw_array(tokens)
    else:
        writer.raw(tokens[0])


def writer_cases(
    model: Any, input_key: str, arrays: dict[int, np.ndarray]
) -> dict[str, np.ndarray]:
    """The tensors to write: MobileNetV2's own scores at each batch (``arrays`` fed as
    ``input_key``), and 150,528 float32s two ways."""
    cases = {}
    for batch, x in arrays.items():
        scores = calls.predict_arrays(model, {input_key: x}).outputs
        cases[f"MobileNetV2 scores, batch {batch}"] = np.asarray(next(iter(scores.values())))
    image = np.random.default_rng(0).standard_normal((1, 224, 224, 3)).astype(np.float32)
    cases["150,528 float32 (1, 224, 224, 3)"] = image
    cases["150,528 float32 (1, 150528)"] = image.reshape(1, -1)
    return cases


def writer_rows(cases: dict[str, np.ndarray], runs: int) -> list[list[str]]:
    """One row per (tensor, layout): ms and ns per number for each way, and the ratios."""
    rows = []
    for label, array in cases.items():
        tensors = {"y": array}
        for row_format in (True, False):
            body = predict_response_text(tensors, row_format=row_format)
            for writer in (numpy_bulk_text, per_number_text):
                if body != writer(tensors, row_format=row_format):
                    raise AssertionError(f"the writers disagree on {label}")  # a bug to report
            raw = body.encode()
            native = _median(predict_response_text, tensors, row_format, runs)
            bulk = _median(numpy_bulk_text, tensors, row_format, runs)
            old = _median(per_number_text, tensors, row_format, runs)
            floor = _median(lambda *_, **__: bytearray(raw), tensors, row_format, runs)  # noqa: B023
            count = array.size
            rows.append(
                [
                    label,
                    "rows (predictions)" if row_format else "columns (outputs)",
                    f"{count:,}",
                    f"{len(raw) / 1e6:.2f} MB",
                    _ms_ns(native, count),
                    _ms_ns(bulk, count),
                    _ms_ns(old, count),
                    f"{bulk / native:.1f}× / {old / native:.0f}×",
                    _ms_ns(floor, count),
                    f"{native / floor:.0f}×",
                ]
            )
    return rows


WRITER_HEADER = [
    "tensor",
    "layout",
    "numbers",
    "body",
    "C writer",
    "numpy bulk writer",
    "per-number writer",
    "C speed-up (vs numpy / per number)",
    "floor (one C copy)",
    "C ÷ floor",
]


def _ms_ns(seconds: float, count: int) -> str:
    return f"{seconds * 1000:.2f} ms ({seconds / count * 1e9:.0f} ns/number)"


def _median(
    write: Callable[..., Any], tensors: dict[str, np.ndarray], row_format: bool, runs: int
) -> float:
    write(tensors, row_format=row_format)
    times = []
    for _ in range(runs):
        start = time.process_time()
        write(tensors, row_format=row_format)
        times.append(time.process_time() - start)
    return statistics.median(times)
