"""Shared helper for ``calls_bench.py``, not a benchmark: the raw Session call run by
TensorFlow with its BFC CPU allocator, as the explorer's worker runs it, in a process of
its own (TensorFlow reads ``TF_CPU_ALLOCATOR_USE_BFC`` once, when it starts; the bench's
own raw floor keeps TensorFlow's default allocator, as the issue's baseline does).

``RawFloor(model_dir, x)`` starts ``python bench/_raw_floor.py MODEL_DIR X.npy`` and
talks to it over its stdin/stdout, one line each way: ``once`` → one call's milliseconds,
``rate S`` → calls per second with 8 threads for S seconds. ``close()`` ends it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

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
        return self._ask("once")

    def rate(self, seconds: float) -> float:
        return self._ask(f"rate {seconds}")

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)
        self._folder.cleanup()

    def _ask(self, line: str) -> float:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError("the raw-floor helper ended")
        return float(answer)


def _serve(model_dir: str, array: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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
            print(rate_of(call, float(rest[0])), flush=True)


def rate_of(call: Any, seconds: float) -> float:
    """Calls per second with ``THREADS`` threads calling at once for ``seconds`` (after
    one call first)."""
    call()
    done = [0] * THREADS
    stop = time.perf_counter() + seconds

    def loop(slot: int) -> None:
        while time.perf_counter() < stop:
            call()
            done[slot] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(THREADS)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - start)


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
