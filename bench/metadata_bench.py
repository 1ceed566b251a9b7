"""Benchmark: what reading a SavedModel's metadata costs, against ``saved_model_cli``.

Issue "Instant metadata": everything that only reads a model should cost milliseconds, not
the ~6 s of importing TensorFlow. Three parts, each runnable alone:

1. whole-process wall time of ``python -m explorer show`` / ``show --json`` / ``graph``
   versus ``saved_model_cli show --all`` on Keras ResNet50 and EfficientNetB0
   (target: ``show`` at least 20x faster);
2. in-process: importing ``explorer.model.reader``, the first ``read_model`` (which builds the
   protobuf pool) and a warm ``read_model``;
3. the app's first paint: a cold ``streamlit run app.py`` until the signature table is
   visible in chromium (target: under 3 s), next to a one-``st.dataframe`` page: the floor
   Streamlit itself sets on this machine.

Run from anywhere: ``python bench/metadata_bench.py [--runs 5] [--skip-browser]``. Prints
markdown tables and never asserts: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _chromium import launch
from _export import export_applications

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from explorer.cli.app_server import bind, start_app, stop_app, wait_healthy  # noqa: E402

MODELS = ("ResNet50", "EfficientNetB0")
SHOW_TARGET_SPEEDUP = 20
FIRST_PAINT_TARGET_S = 3.0
SIGNATURE_TABLE = "[data-testid='stDataFrame']"
SCRIPT_DONE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Runs in a fresh interpreter so the import and the first read are really cold.
_PARSE_SCRIPT = """
import json, statistics, sys, time
t0 = time.perf_counter()
from explorer.model.reader import read_model
t1 = time.perf_counter()
read_model(sys.argv[1])
t2 = time.perf_counter()
warm = []
for _ in range(int(sys.argv[2])):
    s = time.perf_counter()
    read_model(sys.argv[1])
    warm.append(time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "warm": statistics.median(warm)}))
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    # Children get the environment as it was before any export quietened TensorFlow.
    env = dict(os.environ)
    # Other work on the machine slows every row; say how busy it was.
    load, python = os.getloadavg()[0], sys.version.split()[0]
    print(f"_{os.cpu_count()} CPUs, load average {load:.1f} at start; Python {python}_\n")
    models: dict[str, Path] = {}
    if not (args.skip_cli and args.skip_parse):
        print(f"Exporting (cached) {', '.join(args.models)} …", file=sys.stderr)
        models = export_applications(args.models, refresh=args.refresh_export)
    if not args.skip_cli:
        print(f"## Whole process, median of {args.runs} runs (after one warm-up)\n")
        print(_markdown(*command_table(models, args.runs, env)))
        print(f"\nTarget: `show` ≥ {SHOW_TARGET_SPEEDUP}× faster than saved_model_cli.\n")
    if not args.skip_parse:
        print(f"## In process (fresh interpreter; warm = median of {args.runs})\n")
        print(_markdown(*parse_table(models, args.runs, env)))
        print()
    if not args.skip_browser:
        print(f"## App first paint, {args.browser_runs} cold `streamlit run` each\n")
        print(_markdown(*browser_table(args.browser_runs, env)))
        print(f"\nTarget: signature table visible < {FIRST_PAINT_TARGET_S:g} s after start.")
    print(f"\n_load average {os.getloadavg()[0]:.1f} at the end_")
    return 0


def command_table(
    models: dict[str, Path], runs: int, env: dict[str, str]
) -> tuple[list[str], list[list[str]]]:
    """One row per (model, command): median, range and speed-up over saved_model_cli."""
    explorer = [sys.executable, "-m", "explorer"]
    has_graph = (REPO / "explorer" / "cli" / "graph.py").is_file()
    rows = []
    for name, path in models.items():
        commands: list[tuple[str, list[str] | None]] = [
            (
                "saved_model_cli show --all --dir PATH",
                [*_saved_model_cli(), "show", "--all", "--dir", str(path)],
            ),
            ("python -m explorer show PATH", [*explorer, "show", str(path)]),
            ("python -m explorer show PATH --json", [*explorer, "show", str(path), "--json"]),
            (
                "python -m explorer graph PATH --signature serving_default",
                [*explorer, "graph", str(path), "--signature", "serving_default"]
                if has_graph
                else None,
            ),
        ]
        baseline: float | None = None  # saved_model_cli's median, measured first
        for index, (label, command) in enumerate(commands):
            if command is None:
                rows.append([name, f"`{label}`", "n/a", "n/a", "n/a"])
                continue
            try:
                times = _timed_runs(command, runs, env)
            except RuntimeError as exc:
                rows.append([name, f"`{label}`", f"failed: {exc}", "", ""])
                continue
            median = statistics.median(times)
            if index == 0:
                baseline = median
            speedup = f"{baseline / median:.1f}×" if baseline is not None else "n/a"
            rows.append(
                [
                    name,
                    f"`{label}`",
                    f"{median:.3f}",
                    f"{min(times):.3f}–{max(times):.3f}",
                    speedup,
                ]
            )
    return ["model", "command", "median s", "range s", "vs saved_model_cli"], rows


def parse_table(
    models: dict[str, Path], runs: int, env: dict[str, str]
) -> tuple[list[str], list[list[str]]]:
    """Import and read_model costs inside one fresh interpreter per model."""
    rows = []
    for name, path in models.items():
        result = _run([sys.executable, "-c", _PARSE_SCRIPT, str(path), str(runs)], env)
        parsed = json.loads(result.stdout)
        size_mb = (path / "saved_model.pb").stat().st_size / 1e6
        rows.append(
            [
                name,
                f"{size_mb:.2f}",
                f"{parsed['import'] * 1e3:.0f}",
                f"{parsed['first'] * 1e3:.0f}",
                f"{parsed['warm'] * 1e3:.0f}",
            ]
        )
    startup = statistics.median(_timed_runs([sys.executable, "-c", "pass"], runs, env))
    rows.append(["(python -c pass)", "", f"interpreter start {startup * 1e3:.0f} ms", "", ""])
    headers = [
        "model",
        "saved_model.pb MB",
        "import explorer.model.reader ms",
        "first read_model ms",
        "warm read_model ms",
    ]
    return headers, rows


def browser_table(runs: int, env: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """Cold starts of app.py, then of a one-table Streamlit page (Streamlit's own floor)."""
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as floor_dir, sync_playwright() as playwright:
        floor_app = Path(floor_dir) / "floor_app.py"
        floor_app.write_text(_FLOOR_APP, encoding="utf-8")
        pages = (("app.py", REPO / "app.py"), ("floor: one st.dataframe", floor_app))
        # The browser is already open, as a user's would be; each start gets a new context.
        browser = launch(playwright)
        try:
            for label, script in pages:
                timings = [_cold_start(browser, script) for _ in range(runs)]
                for i, timing in enumerate(timings, start=1):
                    rows.append([label, str(i), *(f"{t:.2f}" for t in timing)])
                medians = [statistics.median(column) for column in zip(*timings, strict=True)]
                rows.append([f"**{label}**", "**median**", *(f"**{m:.2f}**" for m in medians)])
        finally:
            browser.close()
    headers = [
        "page",
        "cold start",
        "server healthy s",
        "DOM ready s",
        "title visible s",
        "table visible s",
        "script done s",
    ]
    return headers, rows


# What any Streamlit page with one dataframe costs here: app.py cannot paint sooner.
_FLOOR_APP = """
import pandas as pd
import streamlit as st

st.title("Floor")
st.dataframe(pd.DataFrame({"key": ["x"], "dtype": ["DT_FLOAT"]}), hide_index=True)
"""


def _cold_start(browser, script: Path) -> tuple[float, ...]:  # type: ignore[no-untyped-def]
    """Seconds from ``streamlit run`` to: health ok, DOM ready, h1, table visible, script done."""
    port = bind("127.0.0.1", 0) or 0
    base = f"http://127.0.0.1:{port}/"
    url = base.rstrip("/")
    marks = []
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = start_app(script, "127.0.0.1", port, [REPO], stderr=log)
        try:
            # A short poll: its interval adds directly to the measurement.
            if not wait_healthy(process, base, timeout_s=60, poll_s=0.02):
                log.seek(0)
                tail = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"streamlit did not come up on {url}:\n{tail}")
            marks.append(time.perf_counter() - start)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            marks.append(time.perf_counter() - start)
            for selector in ("h1", SIGNATURE_TABLE):
                page.locator(selector).first.wait_for(state="visible", timeout=60_000)
                marks.append(time.perf_counter() - start)
            page.wait_for_selector(SCRIPT_DONE, timeout=60_000)
            marks.append(time.perf_counter() - start)
            context.close()
        finally:
            stop_app(process)
    return tuple(marks)


def _timed_runs(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    _run(command, env)  # warm-up: page cache and __pycache__, not counted
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        _run(command, env, capture=False)
        times.append(time.perf_counter() - start)
    return times


def _run(
    command: list[str], env: dict[str, str], *, capture: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        raise RuntimeError(f"exit {result.returncode}: {last[:200]}")
    return result


def _saved_model_cli() -> list[str]:
    # Prefer the console script beside this interpreter: a pyenv shim on PATH would add
    # its own start-up cost to the baseline.
    beside = Path(sys.executable).parent / "saved_model_cli"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("saved_model_cli")
    if found:
        return [found]
    return [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]


def _markdown(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (≥ 3)")
    parser.add_argument("--browser-runs", type=int, default=3, help="cold app starts")
    parser.add_argument("--models", nargs="+", default=list(MODELS), metavar="NAME")
    parser.add_argument("--skip-cli", action="store_true", help="skip whole-process timings")
    parser.add_argument("--skip-parse", action="store_true", help="skip in-process timings")
    parser.add_argument("--skip-browser", action="store_true", help="skip the app first paint")
    parser.add_argument("--refresh-export", action="store_true", help="re-export the models")
    args = parser.parse_args(argv)
    if args.runs < 3 or args.browser_runs < 1:
        parser.error("--runs must be at least 3 and --browser-runs at least 1")
    return args


if __name__ == "__main__":
    sys.exit(main())
