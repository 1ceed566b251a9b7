"""Benchmark: building a signature graph (slice + function inlining + grouping + DOT).

Target: under 0.3 s for Keras ResNet50 (about 2,200–2,900 top-level nodes and 3,500–6,700
more in library functions, depending on the Keras version). For each of Keras ResNet50,
MobileNetV2 and EfficientNetB0 (``weights=None``, exported once with
``tf.saved_model.save`` into the temp folder by ``_export.py``, never into the repo), it
reports:

* parse: ``read_model`` (saved_model.pb → ModelInfo), median of ``--runs``;
* build: ``build_signature_graph`` for ``serving_default`` at the default node budget;
* DOT: ``to_dot`` on that graph; build + DOT is the number the target is about;
* nodes: in the MetaGraph (top level + functions), in the slice (before grouping) and
  drawn (after grouping, keys and tensors included);
* DOT size, and Graphviz's own layout time (``dot -Tsvg``) when the binary is installed.

``RENDER_HOOK`` is where a browser render time can be plugged in later: a callable taking
the DOT text, timed like the rest (``None`` skips the column).

Run: ``python bench/graph_bench.py [--runs 5] [--models ResNet50 ...] [--budget 150]``.
Prints a markdown table and never asserts: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from _export import export_applications

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from explorer.graph.build import build_signature_graph  # noqa: E402
from explorer.graph.dot import to_dot  # noqa: E402
from explorer.graph.elements import DEFAULT_NODE_BUDGET  # noqa: E402
from explorer.model.reader import read_model  # noqa: E402

MODELS = ("ResNet50", "MobileNetV2", "EfficientNetB0")
TARGET_S = 0.3
SIGNATURE = "serving_default"
# A callable DOT → None (e.g. a headless-browser render); None leaves the column out.
RENDER_HOOK: Callable[[str], None] | None = None


def measure(path: Path, *, runs: int, budget: int) -> dict[str, object]:
    """Median timings and sizes for one exported model."""
    parse, build, dot_times = [], [], []
    graph = dot_text = None
    for _ in range(runs):
        start = time.perf_counter()
        model = read_model(path)
        parse.append(time.perf_counter() - start)
        meta_graph = model.meta_graph()
        start = time.perf_counter()
        graph = build_signature_graph(meta_graph, SIGNATURE, node_budget=budget)
        build.append(time.perf_counter() - start)
        start = time.perf_counter()
        dot_text = to_dot(graph)
        dot_times.append(time.perf_counter() - start)
    assert graph is not None
    assert dot_text is not None
    row: dict[str, object] = {
        "parse": statistics.median(parse),
        "build": statistics.median(build),
        "dot": statistics.median(dot_times),
        "total": statistics.median(b + d for b, d in zip(build, dot_times, strict=True)),
        "metagraph": graph.stats.metagraph_nodes,
        "slice": graph.stats.slice_nodes,
        "visible": graph.stats.visible_nodes,
        "edges": graph.stats.visible_edges,
        "dot_kib": len(dot_text.encode()) / 1024,
        "layout": _graphviz_layout(dot_text),
        "render": _timed(RENDER_HOOK, dot_text) if RENDER_HOOK else None,
    }
    return row


def _graphviz_layout(dot_text: str) -> float | None:
    binary = shutil.which("dot")
    if binary is None:
        return None
    start = time.perf_counter()
    subprocess.run([binary, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=True)
    return time.perf_counter() - start


def _timed(hook: Callable[[str], None], dot_text: str) -> float:
    start = time.perf_counter()
    hook(dot_text)
    return time.perf_counter() - start


def _table(rows: dict[str, dict[str, object]]) -> str:
    head = (
        "| model | parse (s) | build (s) | DOT (s) | build + DOT (s) | MetaGraph nodes "
        "| slice nodes (before grouping) | drawn nodes (after) | drawn edges | DOT size (KiB) "
        "| Graphviz layout (s) |"
    )
    if RENDER_HOOK:
        head += " browser render (s) |"
    lines = [head, _separator(head)]
    for name, r in rows.items():
        cells = [
            name,
            f"{r['parse']:.3f}",
            f"{r['build']:.3f}",
            f"{r['dot']:.4f}",
            f"**{r['total']:.3f}**",
            str(r["metagraph"]),
            str(r["slice"]),
            str(r["visible"]),
            str(r["edges"]),
            f"{r['dot_kib']:.0f}",
            "n/a" if r["layout"] is None else f"{r['layout']:.2f}",
        ]
        if RENDER_HOOK:
            cells.append(f"{r['render']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _separator(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per model (median)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), metavar="NAME")
    parser.add_argument("--budget", type=int, default=DEFAULT_NODE_BUDGET)
    parser.add_argument("--refresh-export", action="store_true")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also time the app's drawing in chromium: dot -Tsvg, then the zoomable page "
        "the Graph tab shows, until the SVG is visible",
    )
    args = parser.parse_args(argv)
    paths = export_applications(args.models, refresh=args.refresh_export)
    global RENDER_HOOK
    browser = _BrowserRender() if args.browser else None
    if browser is not None:
        RENDER_HOOK = browser.render
    rows = {
        name: measure(path, runs=max(1, args.runs), budget=args.budget)
        for name, path in paths.items()
    }
    print(
        f"Signature `{SIGNATURE}`, node budget {args.budget}, median of {args.runs} runs; "
        f"target build + DOT < {TARGET_S} s.\n"
    )
    print(_table(rows))
    if browser is not None:
        browser.close()
    return 0


class _BrowserRender:
    """The Graph tab's drawing in Debian's chromium: server-side SVG in the zoom frame."""

    def __init__(self) -> None:
        import os

        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=os.environ.get("EXPLORER_CHROMIUM", "/usr/bin/chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        self._page = self._browser.new_page(viewport={"width": 1400, "height": 900})

    def render(self, dot_text: str) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from components.graph.zoomable_svg import page_html
        from explorer.graph.dot import render_svg

        self._page.set_content(page_html(render_svg(dot_text)))
        self._page.wait_for_selector("svg g.node", state="visible")

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()


if __name__ == "__main__":
    sys.exit(main())
