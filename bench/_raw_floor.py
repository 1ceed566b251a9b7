"""Shared helper for ``calls_bench.py``, not a benchmark: the raw Session call run by
TensorFlow with its BFC CPU allocator, as the explorer's worker runs it, in a process of
its own (TensorFlow reads ``TF_CPU_ALLOCATOR_USE_BFC`` once, when it starts; the bench's
own raw floor keeps TensorFlow's default allocator, as the issue's baseline does).

``RawFloor(model_dir, x)`` starts ``python bench/_raw_floor.py MODEL_DIR X.npy`` and
talks to it over its stdin/stdout, one line each way: ``once`` → one call's milliseconds,
``rate S`` → calls per second with 8 threads for S seconds and the helper's CPU time a
call. ``close()`` ends it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Run as the helper process, this file's folder is on the path, the repository not yet.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _cpu import tree_cpu_s

THREADS = 8
SIGNATURE = "serving_default"


class RawFloor:
    """The helper process for one model and one input array."""

    def __init__(self, model_dir: Path, x: np.ndarray) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="raw-floor-")
        array = Path(self._folder.name, "x.npy")
        np.save(array, x)
        env = {**os.environ, "TF_CPU_ALLOCATOR_USE_BFC": "true", "TF_ENABLE_ONEDNN_OPTS": "0"}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self._process = subprocess.Popen(
            [sys.executable, __file__, str(model_dir), str(array)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self._ask("once")  # loaded, and its first run paid

    def once_ms(self) -> float:
        return float(self._ask("once"))

    def rate(self, seconds: float) -> Rate:
        per_s, here_ms = self._ask(f"rate {seconds}", 2)
        return Rate(per_s, here_ms, 0.0)

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)
        self._folder.cleanup()

    def _ask(self, line: str, count: int = 1) -> Any:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError("the raw-floor helper ended")
        numbers = [float(word) for word in answer.split()]
        return numbers[0] if count == 1 else numbers


def _serve(model_dir: str, array: str) -> None:
    from explorer.model.reader import read_model
    from explorer.run.session import Session

    model = read_model(model_dir)
    signature = model.meta_graph().signature(SIGNATURE)
    session = Session(model.path, tuple(model.meta_graph().tags))
    feed = session._output(signature.inputs[0].name or "")
    fetch = session._output(signature.outputs[0].name or "")
    x = np.load(array)

    def call() -> Any:
        return session.session._call_tf_sessionrun(None, {feed: x}, [fetch], [], None)

    for line in sys.stdin:
        word, *rest = line.split()
        if word == "once":
            start = time.perf_counter()
            call()
            print((time.perf_counter() - start) * 1000, flush=True)
        elif word == "rate":
            rate = rate_of(call, float(rest[0]))
            print(rate.per_s, rate.here_ms, flush=True)


@dataclass(frozen=True)
class Rate:
    """Calls a second with ``THREADS`` threads calling, and the CPU time a call took."""

    per_s: float
    here_ms: float  # in the calling process (all its threads)
    workers_ms: float  # in the worker processes named (and their descendants)


def rate_of(call: Any, seconds: float, workers: tuple[int, ...] = ()) -> Rate:
    """``THREADS`` threads calling at once for ``seconds`` (after one call first), with
    the CPU time this process and the ``workers`` process trees used meanwhile."""
    call()
    done = [0] * THREADS
    stop = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        while time.perf_counter() < stop:
            call()
            done[slot] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(THREADS)]
    here, there = time.process_time(), tree_cpu_s(workers)
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    calls = max(sum(done), 1)
    return Rate(
        sum(done) / elapsed,
        (time.process_time() - here) / calls * 1000,
        (tree_cpu_s(workers) - there) / calls * 1000,
    )


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
