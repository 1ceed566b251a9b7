"""Benchmark: how long the Run tab of an image model takes to appear once the model is open.

Keras ``ResNet50(weights=None)`` (exported once by ``_export.py``) asks for a
``(-1, 224, 224, 3)`` float input. The app is started as a user starts it (``streamlit run
app.py`` on a free loopback port) from ``--app-dir`` (default: this checkout; give a copy
of an older commit, e.g. ``git archive <commit> | tar -x -C /tmp/before``, for the time
before). For each run, a fresh browser page opens the model through a link
(``?folder=…``), waits until the Signatures tab shows its tables and the page is idle, lets
the model's worker finish loading in the background (``--settle`` seconds, so TensorFlow's
import does not compete with the browser), then clicks **Run** and records the seconds
until the Run button is visible and Streamlit reports the script done. Median and range of
``--runs``; the bytes Streamlit sent over the websocket during that click are reported too
(what the page had to carry).

Run: ``python bench/run_tab_bench.py [--runs 5] [--app-dir DIR] [--model ResNet50]``.
Prints a markdown table and never asserts: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from _chromium import launch
from _export import CACHE_ROOT, export_application

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from explorer.cli.app_server import running_app  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app-dir", type=Path, default=REPO)
    parser.add_argument("--model", default="ResNet50")
    parser.add_argument("--settle", type=float, default=12.0, help="seconds after opening")
    args = parser.parse_args()
    model = export_application(args.model)
    # The app of --app-dir (another checkout, for the time before) with its own package.
    with running_app(args.app_dir / "app.py", (args.app_dir, CACHE_ROOT), timeout_s=60) as url:
        timings, sizes = _measure(url, model, args.runs, args.settle)
    print(f"\nRun tab of {args.model} (app from {args.app_dir}), {args.runs} fresh pages:\n")
    print("| what | median | min | max |")
    print("|---|---|---|---|")
    print(
        f"| click Run → tab drawn and painted, page idle | {statistics.median(timings):.2f} s "
        f"| {min(timings):.2f} s | {max(timings):.2f} s |"
    )
    print(
        f"| websocket bytes received for the click | {statistics.median(sizes) / 1e3:,.0f} KB "
        f"| {min(sizes) / 1e3:,.0f} KB | {max(sizes) / 1e3:,.0f} KB |"
    )
    return 0


def _measure(url: str, model: Path, runs: int, settle: float) -> tuple[list[float], list[int]]:
    from playwright.sync_api import sync_playwright

    link = f"{url}/?{urllib.parse.urlencode({'folder': str(model)})}"
    timings: list[float] = []
    sizes: list[int] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            received = [0]

            def count(ws, received=received) -> None:  # type: ignore[no-untyped-def]
                ws.on("framereceived", lambda payload: _add(received, payload))

            page.on("websocket", count)
            page.goto(link)
            page.wait_for_selector(IDLE, timeout=120_000)
            page.get_by_test_id("stDataFrame").nth(2).wait_for(timeout=120_000)
            page.wait_for_timeout(settle * 1000)
            page.wait_for_selector(IDLE, timeout=120_000)
            received[0] = 0
            start = time.perf_counter()
            page.get_by_role("tab", name="Run", exact=True).click()
            page.get_by_role("button", name="Run predict").wait_for(timeout=120_000)
            # The tab's last part: everything above it has been drawn.
            page.get_by_text("Debugging: output filter and extra tensors").wait_for(timeout=120_000)
            page.wait_for_selector(IDLE, timeout=120_000)
            # Two animation frames: the browser has painted what it was sent.
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            timings.append(time.perf_counter() - start)
            sizes.append(received[0])
            page.close()
        browser.close()
    return timings, sizes


def _add(received: list[int], payload: str | bytes) -> None:
    received[0] += len(payload)


if __name__ == "__main__":
    sys.exit(main())
