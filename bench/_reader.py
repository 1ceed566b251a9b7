"""Shared helper for ``calls_bench.py``, not a benchmark: what reading a REST predict body
costs, text → tensors, per body and per number.

On the same JSON text (``json.dumps({"instances": x.tolist()})`` of float32 images, so
17-digit doubles), median of ``runs`` after one warm-up, CPU time of this process (all its
threads) and wall-clock time:

1. ``fast path, C reader``: ``limits.parse_request`` + ``rest_request.predict_inputs`` as a
   call runs them (the C extension: rapidjson's number algorithm, one pass; a big array's
   second half on a second thread): the float32 tensor; and the C reader alone
   (``speedups.read_predict``, before the dtype's cast), with two threads and with one.
2. ``fast path, pysimdjson reader``: the same where the extension is not built (pysimdjson,
   the skeleton proof, the float32 check).
3. ``exact path``: ``limits.parse_body`` + ``predict_inputs`` (rapidjson 1.1.0's reading
   in Python and numpy): what every body the fast path hands over costs.
4. Libraries on the same bytes: ``pysimdjson`` parse + ``as_buffer`` (no checks), parse
   alone, ``orjson.loads`` and ``json.loads`` (Python lists, no tensor yet).
5. ``floor``: one C pass over the bytes (``bytes.count``), no reader can beat it.

Every path's tensors are checked equal before anything is timed.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import simdjson

from explorer.codec import fast_request, limits, rest_request, speedups
from explorer.model.info import SignatureInfo

READER_HEADER = ["batch", "reading", "CPU ms", "wall ms", "ns per number (CPU)", "× floor (CPU)"]


def reader_rows(signature: SignatureInfo, bodies: dict[int, bytes], runs: int) -> list[list[str]]:
    """One row per way of reading, per batch."""
    rows = []
    for batch, body in bodies.items():
        rows += _batch_rows(signature, batch, body, runs)
    return rows


def _batch_rows(signature: SignatureInfo, batch: int, body: bytes, runs: int) -> list[list[str]]:
    if not speedups.AVAILABLE:
        raise RuntimeError("explorer.codec._speedups is not built: pip install -e .")
    exact = _exact(signature, body)
    key = next(iter(exact))
    for native in (True, False):
        fast = _fast(signature, body, native)
        assert fast[key].tobytes() == exact[key].tobytes(), f"native={native} differs"
    numbers = int(exact[key].size)
    parser = simdjson.Parser()

    def simdjson_buffer() -> Any:
        doc = parser.parse(body)
        array = doc["instances"]
        values = np.frombuffer(array.as_buffer(of_type="d"), np.float64)
        del array, doc  # the parser is reused: no proxies may outlive the call
        return values

    def simdjson_parse() -> None:
        doc = parser.parse(body)
        del doc

    variants: dict[str, tuple[Callable[[], Any], int]] = {
        "fast path, C reader (parse_request + predict_inputs)": (
            lambda: _fast(signature, body, True),
            runs,
        ),
        "C reader alone (speedups.read_predict)": (lambda: speedups.read_predict(body), runs),
        "C reader alone, one thread": (
            lambda: speedups.read_predict(body, split_bytes=2**62),
            runs,
        ),
        "fast path, pysimdjson reader (no extension)": (
            lambda: _fast(signature, body, False),
            runs,
        ),
        "exact path (parse_body + predict_inputs)": (lambda: _exact(signature, body), 3),
        "pysimdjson parse + as_buffer (no checks)": (simdjson_buffer, runs),
        "pysimdjson parse alone": (simdjson_parse, runs),
        "orjson.loads (lists, no tensor)": (lambda: orjson.loads(body), runs),
        "json.loads (lists, no tensor)": (lambda: json.loads(body), 3),
        "floor: one C pass (bytes.count)": (lambda: body.count(b","), runs),
    }
    times = {label: _median_ms(call, count) for label, (call, count) in variants.items()}
    floor, _ = times["floor: one C pass (bytes.count)"]
    return [
        [
            str(batch),
            label,
            f"{cpu:.1f}",
            f"{wall:.1f}",
            f"{cpu * 1e6 / numbers:.0f}",
            f"{cpu / floor:.1f}×",
        ]
        for label, (cpu, wall) in times.items()
    ]


def _fast(signature: SignatureInfo, body: bytes, native: bool) -> dict[str, np.ndarray]:
    if native:  # what a call runs
        doc, may_hold_bools = limits.parse_request(body)
    else:
        read = fast_request.read(body, limits.parse_body, native=False)
        assert read is not None, "pysimdjson's reader declined the body"
        doc, may_hold_bools = read, False
    return dict(rest_request.predict_inputs(doc, signature, may_hold_bools=may_hold_bools).tensors)


def _exact(signature: SignatureInfo, body: bytes) -> dict[str, np.ndarray]:
    return dict(rest_request.predict_inputs(limits.parse_body(body), signature).tensors)


def _median_ms(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median CPU time (every thread of this process) and wall-clock time, in ms."""
    call()
    cpu, wall = [], []
    for _ in range(runs):
        start, started = time.process_time(), time.perf_counter()
        call()
        cpu.append((time.process_time() - start) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return statistics.median(cpu), statistics.median(wall)
