"""Many threads calling one loaded model get exactly the answers serial calls get.

8 threads × 200 mixed Predict / Classify / Regress calls (and a few rejected ones) on
flowers_tf1 and portable_linear run at once against the runner's one Session per model;
every answer must equal the one the same request got when the calls ran one by one.
A cold start raced by 8 threads must load the model once.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from explorer.errors import ExplorerError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run import calls, runner
from tests.conftest import SAMPLES

THREADS = 8
CALLS_PER_THREAD = 200


@pytest.fixture(scope="module")
def flowers() -> ModelInfo:
    return read_model(SAMPLES / "flowers_tf1")


@pytest.fixture(scope="module")
def linear() -> ModelInfo:
    return read_model(SAMPLES / "portable_linear", version=2)  # y = 0.5x + 2


def _requests(flowers: ModelInfo, linear: ModelInfo, count: int) -> list[tuple[Any, ...]]:
    """(call, model, request, options) with varied inputs, the same on every run."""
    rng = random.Random(20260726)

    def image() -> list[float]:
        return [round(rng.random(), 3) for _ in range(16)]

    made: list[tuple[Any, ...]] = []
    for i in range(count):
        kind = i % 7
        batch = rng.randint(1, 4)
        if kind == 0:
            rows = [[[[v] for v in image()[r * 4 : r * 4 + 4]] for r in range(4)]]
            made.append((calls.predict, flowers, {"instances": rows * batch}, {}))
        elif kind == 1:
            examples = [{"image": image()} for _ in range(batch)]
            options = {"signature": "classify_images"}
            made.append((calls.classify, flowers, {"examples": examples}, options))
        elif kind == 2:
            body = {"signature_name": "regress_brightness", "examples": [{"image": image()}]}
            made.append((calls.regress, flowers, body, {}))
        elif kind == 3:
            xs = [[round(rng.uniform(-100, 100), 2)] for _ in range(batch)]
            made.append((calls.predict, linear, {"instances": xs}, {}))
        elif kind == 4:
            x = np.array([[rng.uniform(-5, 5)] for _ in range(batch)], np.float32)
            made.append((calls.predict_arrays, linear, {"x": x}, {}))
        elif kind == 5:
            images = np.array([image() for _ in range(batch)], np.float32).reshape(-1, 4, 4, 1)
            options = {"signature": "predict_images"}
            made.append((calls.predict_arrays, flowers, {"images": images}, options))
        else:  # rejected requests are answers too
            bad = rng.choice(['{"instances": [["a"]]}', '{"inputs": [[1.0], [2.0, 3.0]]}', ""])
            made.append((calls.predict, linear, bad, {}))
    return made


def _answer(call: Any, model: ModelInfo, request: Any, options: dict[str, Any]) -> Any:
    try:
        result = call(model, request, **options)
    except ExplorerError as exc:
        return ("error", type(exc).__name__, str(exc))
    outputs = {k: np.asarray(v).tolist() for k, v in result.outputs.items()}
    return (result.response_text, outputs)


def test_threads_get_the_answers_serial_calls_get(flowers: ModelInfo, linear: ModelInfo) -> None:
    requests = _requests(flowers, linear, THREADS * CALLS_PER_THREAD)
    serial = [_answer(*request) for request in requests]
    assert sum(a[0] == "error" for a in serial) < len(serial) // 5  # mostly real answers

    start = threading.Barrier(THREADS)

    def worker(thread: int) -> list[Any]:
        start.wait()  # every thread calls at once
        # Each thread walks the requests from its own offset, so all kinds interleave.
        mine = range(thread, len(requests), THREADS)
        return [(i, _answer(*requests[i])) for i in mine]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [pair for chunk in pool.map(worker, range(THREADS)) for pair in chunk]
    assert len(results) == THREADS * CALLS_PER_THREAD
    mismatches = [i for i, answer in results if answer != serial[i]]
    assert not mismatches, f"{len(mismatches)} answers differ, e.g. request {mismatches[0]}"
    keys = [k for k in runner.loaded_models() if k[0] in (flowers.path, linear.path)]
    assert len(keys) == 2  # one Session per model, shared by every thread


def test_a_cold_start_raced_by_threads_loads_once(linear: ModelInfo) -> None:
    runner.unload(linear.path)
    start = threading.Barrier(THREADS)

    def first_call(i: int) -> Any:
        start.wait()
        return calls.predict(linear, {"instances": [[float(i)]]}).response_json

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(first_call, range(THREADS)))
    assert answers == [{"predictions": [[0.5 * i + 2.0]]} for i in range(THREADS)]
    assert [k[0] for k in runner.loaded_models()].count(linear.path) == 1
