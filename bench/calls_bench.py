"""Benchmark: what a live Predict costs over the bare Session call, what writing the
answer costs, what the first call after opening a model costs, and saved_model_cli.

Keras MobileNetV2 (``weights=None``, no download) is exported with Keras's own
``model.export`` (``bench/_export.py``, cached in the temp folder). On batch 1 and batch 8
of the same float32 images, each measured warm, interleaved round by round (so a busy
machine slows every variant alike), median of ``--runs``:

1. ``raw``: the signature's tensors fed and fetched straight through a Session in this
   process (``explorer.run.session.Session``, what the worker runs, with TF Serving's
   standard kernels as the worker has them: ``TF_ENABLE_ONEDNN_OPTS=0``): the floor.
2. ``worker run``: the same feeds through the model's worker process
   (``runner.load(...).run``): what crossing the process boundary costs.
3. ``predict_arrays``: ``explorer.run.calls.predict_arrays(model, {"keras_tensor": x})``.
4. ``predict (dict)``: ``explorer.run.calls.predict(model, {"instances": x.tolist()})``.
5. ``predict (text)``: the same body as JSON text (``json.dumps`` done beforehand) — what
   the app, the CLI and ``serve`` receive.

Each is reported as a ratio to ``raw`` (target ≤ 1.2×), with the explorer's own
``CallTiming`` split (conversion vs Session run).

Then:

* **The request reader** (``bench/_reader.py``): MobileNetV2's REST text body (150,528
  numbers a batch item) to its float32 tensor, by the fast path (its C reader, and its
  pysimdjson reader for an install without the extension) and the exact path, beside
  pysimdjson, orjson, ``json`` and the floor (one C pass over the bytes), in ms and ns per
  number.
* **The response writer** (``bench/_writer.py``): TF Serving's REST body for MobileNetV2's
  scores and for 150,528 float32s (an image-sized output), in both layouts: the C writer
  against the numpy bulk writer (no extension), the per-number writer both replaced and
  the floor, one C pass producing as many bytes; ms and ns per number (CPU time).
* **The first call**: the model unloaded from its (running) worker, then opened as the app
  opens it — ``runner.warm`` loads it and prepares ``serving_default``'s run in the
  background — and, once loaded, one ``predict (text)`` call against the median warm one
  (target ≤ 1.5×); and the same without the warm-up (load and first run in the call).
* **Throughput** with 8 threads calling at once: raw in process against ``predict_arrays``
  and ``predict (text)`` through the worker (target: text ≥ 80 % of raw); the three take
  turns for ``--rounds`` rounds of ``--seconds`` each, median round. Each row also says
  how much CPU time a call took in the calling process and in the worker's (Linux's
  ``/proc``): with 2 CPUs kept busy, calls a second follow from it.
* One call as a whole process: ``saved_model_cli run --dir D --tag_set serve
  --signature_def serving_default`` against a warm in-process call (target: the warm call
  ≥ 50× faster), and ``python -m explorer predict`` as a process for scale.
  saved_model_cli's ``--input_exprs`` only takes Python literals (``ast.literal_eval``),
  and a 224×224×3 literal is longer than Linux allows one argument to be (128 KiB), so it
  reads the same array from ``--inputs keras_tensor=x.npy``.

Run: ``python bench/calls_bench.py [--runs 7] [--cli-runs 5] [--seconds 5] [--rounds 5]
[--skip-cli]``. Prints markdown
tables and never asserts: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from explorer.model.reader import read_model  # noqa: E402

# The in-process floor runs TF Serving's standard kernels, as the worker does.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
from _export import export_application  # noqa: E402
from _raw_floor import Rate, RawFloor, rate_of  # noqa: E402
from _reader import READER_HEADER, reader_rows  # noqa: E402
from _writer import WRITER_HEADER, writer_cases, writer_rows  # noqa: E402

from explorer.run import calls, runner  # noqa: E402
from explorer.run.pool import POOL  # noqa: E402
from explorer.run.session import Session  # noqa: E402

SIGNATURE = "serving_default"
INPUT = "keras_tensor"
OVERHEAD_TARGET = 1.2
FIRST_CALL_TARGET = 1.5
THREADS = 8
THROUGHPUT_TARGET = 0.8
RAW = "raw Session call (in process)"
RAW_BFC = "raw Session call, BFC allocator (own process)"
CLI_TARGET_SPEEDUP = 50


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    print(f"_{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start_\n")
    print("Exporting keras.applications.MobileNetV2(weights=None) …", file=sys.stderr)
    model_dir = export_application("MobileNetV2")
    model = read_model(model_dir)
    rows, arrays = [], {}
    for batch in args.batches:
        x = np.random.default_rng(batch).random((batch, 224, 224, 3), dtype=np.float32)
        arrays[batch] = x
        rows += overhead_rows(model, x, args.runs)
    print(f"## In process, warm: median of {args.runs} interleaved runs (ms)\n")
    print(_markdown(["batch", "call", "median", "range", "× raw", "conversion", "run"], rows))
    print(f"\nTarget: ≤ {OVERHEAD_TARGET}× raw.\n")
    print(f"## Reading the request, text → tensors: median of {args.runs} runs\n")
    bodies = {b: json.dumps({"instances": a.tolist()}).encode() for b, a in arrays.items()}
    signature = model.meta_graph().signature(SIGNATURE)
    print(_markdown(READER_HEADER, reader_rows(signature, bodies, args.runs)))
    print()
    print(f"## Writing the response: median of {args.runs} runs (CPU time)\n")
    print(_markdown(WRITER_HEADER, writer_rows(writer_cases(model, INPUT, arrays), args.runs)))
    print()
    print("## The first call after opening the model, through its worker (ms)\n")
    text = json.dumps({"instances": arrays[args.batches[0]].tolist()})
    print(_markdown(FIRST_HEADER, first_call_rows(model, text, args.runs)))
    print(f"\nTarget: the first call after the warm-up ≤ {FIRST_CALL_TARGET}× a warm one.\n")
    print(
        f"## {THREADS} threads at once: calls/s, median of {args.rounds} rounds of "
        f"{args.seconds:g} s each, the variants taking turns\n"
    )
    table = []
    for batch in args.batches:
        table += throughput_rows(model, arrays[batch], args.seconds, args.rounds)
    print(_markdown(THROUGHPUT_HEADER, table))
    print(f"\nTarget: REST text predicts ≥ {THROUGHPUT_TARGET:.0%} of raw ({THREADS} threads).\n")
    if not args.skip_cli:
        first = arrays[args.batches[0]]
        warm = statistics.median(
            _times(lambda: calls.predict_arrays(model, {INPUT: first}), args.runs)
        )
        print(f"## One call as a whole process: median of {args.cli_runs} runs (s)\n")
        with tempfile.TemporaryDirectory(prefix="calls-bench-") as folder:
            table = cli_rows(Path(model_dir), Path(folder), first, args.cli_runs, warm / 1000)
        print(_markdown(["command", "median", "range", "warm call ×faster"], table))
        print(f"\nTarget: a warm call ≥ {CLI_TARGET_SPEEDUP}× faster than saved_model_cli.")
    print(f"\n_load average {os.getloadavg()[0]:.1f} at the end_")
    return 0


THROUGHPUT_HEADER = [
    "batch",
    "call",
    "calls/s",
    "× raw",
    "× raw, BFC allocator",
    "CPU ms a call: caller (+ worker)",
]
FIRST_HEADER = ["path", "ready after", "first call", "warm call (median)", "first ÷ warm"]


FIRST_CASES = {  # label → (a fresh worker, the app's warm-up)
    "fresh worker (the app's first model): warm-up, then the call": (True, True),
    "model unloaded, its worker running: warm-up, then the call": (False, True),
    "no warm-up: the call loads": (False, False),
}


def first_call_rows(model: Any, text: str, runs: int) -> list[list[str]]:
    """The model opened with or without the app's warm-up, in a fresh worker (TensorFlow
    started, nothing run in it yet) or in one that ran it before; the first REST text
    predict against the median warm one."""
    meta_graph = model.meta_graph()
    rows = []
    for label, (fresh, warmed) in FIRST_CASES.items():
        if fresh:
            POOL.close()  # its workers end; the next one starts afresh
            POOL.start_shared()
        runner.unload(model.path)
        start = time.perf_counter()
        if warmed:
            runner.warm(model.path, meta_graph, signature=SIGNATURE)
            while runner.model_state(model.path, meta_graph) != "loaded":
                time.sleep(0.01)
        ready = (time.perf_counter() - start) * 1000
        first = _time_ms(lambda: calls.predict(model, text))
        warm = statistics.median(_time_ms(lambda: calls.predict(model, text)) for _ in range(runs))
        rows.append(
            [
                label,
                f"{ready:,.0f}" if warmed else "",
                f"{first:,.1f}",
                f"{warm:,.1f}",
                f"{first / warm:.2f}×",
            ]
        )
    return rows


def _time_ms(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def overhead_rows(model: Any, x: np.ndarray, runs: int) -> list[list[str]]:
    """raw vs predict_arrays / predict(dict) / predict(text) on one batch."""
    meta_graph = model.meta_graph()
    signature = meta_graph.signature(SIGNATURE)
    in_process = _in_process(model)
    feed = in_process._output(signature.input(INPUT).name)
    fetch = in_process._output(signature.outputs[0].name)
    worker, _ = runner.load(model.path, meta_graph)
    feed_name, fetch_name = signature.input(INPUT).name, signature.outputs[0].name
    doc = {"instances": x.tolist()}
    text = json.dumps(doc)
    timings: dict[str, list[Any]] = {}

    def timed(label: str, call: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            timings.setdefault(label, []).append(call().timing)

        return run

    floor = RawFloor(Path(model.path), x)
    variants: dict[str, Callable[[], Any]] = {
        "raw Session call": lambda: in_process.session._call_tf_sessionrun(
            None, {feed: x}, [fetch], [], None
        ),
        "raw Session call, BFC allocator (own process)": floor.once_ms,
        "worker run": lambda: worker.run({feed_name: x}, [fetch_name]),
        "predict_arrays": timed("predict_arrays", lambda: calls.predict_arrays(model, {INPUT: x})),
        "predict (dict)": timed("predict (dict)", lambda: calls.predict(model, doc)),
        "predict (text)": timed("predict (text)", lambda: calls.predict(model, text)),
    }
    # The answers agree (text and dict bodies give one response).
    assert calls.predict(model, text).response_text == calls.predict(model, doc).response_text
    measured = _interleaved(variants, runs)
    floor.close()
    raw = statistics.median(measured["raw Session call"])
    rows = []
    for label, times in measured.items():
        median = statistics.median(times)
        split = timings.get(label, [])[-runs:]
        conversion = f"{statistics.median(t.conversion_ms for t in split):.1f}" if split else ""
        run = f"{statistics.median(t.execution_ms for t in split):.1f}" if split else ""
        rows.append(
            [
                str(len(x)),
                label,
                f"{median:.1f}",
                f"{min(times):.1f}–{max(times):.1f}",
                f"{median / raw:.2f}×",
                conversion,
                run,
            ]
        )
    return rows


def throughput_rows(model: Any, x: np.ndarray, seconds: float, rounds: int) -> list[list[str]]:
    """Calls per second with 8 threads at once: raw in process vs through the worker. The
    variants take turns, round after round, so a machine busy for a while slows each alike;
    each one's median round is reported."""
    signature = model.meta_graph().signature(SIGNATURE)
    text = json.dumps({"instances": x.tolist()})
    in_process = _in_process(model)
    feed = in_process._output(signature.input(INPUT).name)
    fetch = in_process._output(signature.outputs[0].name)
    floor = RawFloor(Path(model.path), x)
    calls.predict(model, text)  # the worker is running: its CPU time is counted from here
    workers = POOL.pids()
    variants: dict[str, Callable[[float], Rate]] = {
        RAW: lambda s: rate_of(
            lambda: in_process.session._call_tf_sessionrun(None, {feed: x}, [fetch], [], None), s
        ),
        RAW_BFC: floor.rate,
        "predict_arrays (worker)": lambda s: rate_of(
            lambda: calls.predict_arrays(model, {INPUT: x}), s, workers
        ),
        "predict (text, worker)": lambda s: rate_of(lambda: calls.predict(model, text), s, workers),
    }
    runs: dict[str, list[Rate]] = {label: [] for label in variants}
    for _ in range(rounds):
        for label, rate in variants.items():
            runs[label].append(rate(seconds))
    floor.close()
    rates = {label: statistics.median(r.per_s for r in values) for label, values in runs.items()}
    raw, raw_bfc = rates[RAW], rates[RAW_BFC]
    rows = []
    for label, rate in rates.items():
        here = statistics.median(r.here_ms for r in runs[label])
        there = statistics.median(r.workers_ms for r in runs[label])
        cpu = f"{here:.1f}" + (f" + {there:.1f} = {here + there:.1f}" if there else "")
        rows.append(
            [str(len(x)), label, f"{rate:.1f}", f"{rate / raw:.2f}×", f"{rate / raw_bfc:.2f}×", cpu]
        )
    return rows


_SESSIONS: dict[str, Any] = {}


def _in_process(model: Any) -> Any:
    """The model loaded in this process (the floor the worker path is compared to)."""
    if model.path not in _SESSIONS:
        _SESSIONS[model.path] = Session(model.path, tuple(model.meta_graph().tags))
    return _SESSIONS[model.path]


def cli_rows(
    model_dir: Path, folder: Path, x: np.ndarray, runs: int, warm_s: float
) -> list[list[str]]:
    """saved_model_cli run and python -m explorer predict, each a new process."""
    npy = folder / "x.npy"
    np.save(npy, x)
    request = folder / "request.json"
    request.write_text(json.dumps({"instances": x.tolist()}), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    commands = {
        "saved_model_cli run --dir D --tag_set serve --signature_def serving_default "
        f"--inputs {INPUT}=x.npy": [
            *_saved_model_cli(),
            "run",
            "--dir",
            str(model_dir),
            "--tag_set",
            "serve",
            "--signature_def",
            SIGNATURE,
            "--inputs",
            f"{INPUT}={npy}",
        ],
        "python -m explorer predict D --request @request.json": [
            sys.executable,
            "-m",
            "explorer",
            "predict",
            str(model_dir),
            "--request",
            f"@{request}",
        ],
    }
    rows = [["warm in-process `predict_arrays`", f"{warm_s:.4f}", "", "1×"]]
    for label, command in commands.items():
        times = []
        for _ in range(runs + 1):  # the first run warms the page cache
            start = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"{label} failed: {done.stderr.strip()[-500:]}")
        times = times[1:]
        median = statistics.median(times)
        rows.append(
            [
                f"`{label}`",
                f"{median:.2f}",
                f"{min(times):.2f}–{max(times):.2f}",
                f"{median / warm_s:.0f}×",
            ]
        )
    return rows


def _interleaved(variants: dict[str, Callable[[], Any]], runs: int) -> dict[str, list[float]]:
    for call in variants.values():  # warm-up: first-call costs are not what we measure
        call()
    measured: dict[str, list[float]] = {label: [] for label in variants}
    for _ in range(runs):
        for label, call in variants.items():
            start = time.perf_counter()
            timed = call()
            elapsed = (time.perf_counter() - start) * 1000
            # A call in another process says its own time (a float, ms): not the pipe's.
            measured[label].append(timed if isinstance(timed, float) else elapsed)
    return measured


def _times(call: Callable[[], Any], runs: int) -> list[float]:
    call()
    return _interleaved({"call": call}, runs)["call"]


def _saved_model_cli() -> list[str]:
    # The console script beside this interpreter (a pyenv shim would add its own start-up).
    beside = Path(sys.executable).with_name("saved_model_cli")
    if beside.is_file():
        return [str(beside)]
    return [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per call (min 5)")
    parser.add_argument("--cli-runs", type=int, default=5, help="process runs (min 5)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--skip-cli", action="store_true", help="in-process part only")
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput run")
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds (median)")
    args = parser.parse_args(argv)
    args.runs, args.cli_runs = max(args.runs, 5), max(args.cli_runs, 5)
    return args


if __name__ == "__main__":
    sys.exit(main())
