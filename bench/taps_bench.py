"""Benchmark: what looking inside a call costs — one tap, and the per-op profile — against
the same call without them.

Keras MobileNetV2 (``weights=None``, exported once by ``_export.py``) is called with
``explorer.run.calls.predict_arrays`` on one float32 image through the model's worker,
warm, the three variants interleaved round by round (so a busy machine slows each alike),
median of ``--runs``:

1. ``plain``: the call as TF Serving would answer it.
2. ``one tap``: the same call returning the global-average-pooling layer's output too
   (the graph rewritten so the pooled tensor is an output; loaded once, before timing).
3. ``profile``: the same call traced with ``RunOptions.FULL_TRACE`` (step stats of every
   op, functions included), parsed and mapped onto the graph's op ids.

Target (issue "See inside the call"): one tap ≤ 1.2× the plain call. Run:
``python bench/taps_bench.py [--runs 9] [--batch 1]``. Prints a markdown table, never
asserts: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _export import export_application  # noqa: E402

from explorer.model.reader import read_model  # noqa: E402
from explorer.run import calls  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    meta_graph = read_model(export_application("MobileNetV2")).meta_graph()
    signature = meta_graph.signature("serving_default")
    pool = next(
        n.name
        for f in meta_graph.proto.graph_def.library.function
        for n in f.node_def
        if n.op == "Mean" and "global_average_pooling" in n.name
    )
    image = np.random.default_rng(0).random((args.batch, 224, 224, 3), dtype=np.float32)
    feeds = {signature.inputs[0].key: image}

    def plain() -> calls.CallResult:
        return calls.predict_arrays(meta_graph, feeds)

    def tapped() -> calls.CallResult:
        return calls.predict_arrays(meta_graph, feeds, taps=[pool])

    def profiled() -> calls.CallResult:
        return calls.predict_arrays(meta_graph, feeds, profile=True)

    variants: dict[str, Callable[[], calls.CallResult]] = {
        "plain": plain,
        "one tap": tapped,
        "profile": profiled,
    }
    for call in variants.values():  # load both graphs and warm them (first runs optimise)
        call()
        call()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, call in variants.items():
            start = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - start) * 1000)
    base = statistics.median(times["plain"])
    load = os.getloadavg()[0]
    print(f"MobileNetV2, batch {args.batch}, median of {args.runs}, load {load:.2f}\n")
    print("| call | ms | × plain |")
    print("|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {median / base:.2f}× |")
    profile = profiled().profile
    assert profile is not None
    print(
        f"\nprofile: {len(profile.ops)} ops, {profile.total_ms:.1f} ms of op time, "
        f"{profile.span_ms:.1f} ms span, {profile.execution_ms:.1f} ms execution; slowest: "
        f"{profile.top(1)[0].op} {profile.top(1)[0].id}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
