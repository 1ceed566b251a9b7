"""Benchmark: the signature graph at real-model scale (issues 17 and 19).

Per Keras application (ResNet50, MobileNetV2, EfficientNetB0; ``weights=None``, exported
once into the temp folder by ``_export.py``, never into the repo), for ``serving_default``:

* levels of the group hierarchy and boxes in the default view (the first view the app
  and ``graph`` show), and that view's laid-out width × height (CSS px) and aspect ratio;
* build: the slice with the root of its group tree (``prepare_signature``, once per
  signature) and the default view on it (``SignatureSlice.view``, which makes the levels
  of groups it shows: the tree is made as it is opened), each on a fresh slice, in
  process, median of ``--runs``; and both together with the MetaGraph's function library
  read afresh (the first look at a model), in ms;
* layout: ``explorer.graph.layout.layout`` (Graphviz ``dot`` per group, wrapping);
* an expand click's server time: a view with one more group open, plus its layout, on the
  cached slice (what the app does on a click);
* with ``--browser``: seconds from clicking the Graph tab to the drawing being visible in
  chromium, on ``streamlit run app.py`` (median of ``--browser-runs`` fresh pages).

Then synthetic SavedModels written straight as protos (no TensorFlow): a TF1-style graph
of 10k, 50k and 200k top-level ops in Keras-like scopes, and a TF2 model of about 10k ops
whose functions call the next level's function three times (607k ops once inlined). For
each: ``python -m explorer graph --format json`` as a whole process (wall and CPU seconds),
the in-process build (slice + default view, on a fresh slice) in µs per op of the slice
(wall and CPU: CPU time is what the load of a shared machine changes least), and an
expand click's server time (the view with one more group open, plus its layout) on the
cached slice, with the first click on it in brackets (it also makes the group it opens).

Run: ``python bench/graph_bench.py [--runs 5] [--browser] [--skip-synthetic]``.
Prints markdown tables and never asserts: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _chromium import launch
from _export import export_applications

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from explorer.cli.app_server import running_app  # noqa: E402
from explorer.graph.build import _LIBRARIES, prepare_signature  # noqa: E402
from explorer.graph.layout import layout  # noqa: E402
from explorer.model import protos  # noqa: E402
from explorer.model.reader import read_model  # noqa: E402

MODELS = ("ResNet50", "MobileNetV2", "EfficientNetB0")
SIGNATURE = "serving_default"
SYNTHETIC_SIZES = (10_000, 50_000, 200_000)


def _median(
    fn: Callable[[], Any], runs: int, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(runs):
        # The previous run's slice is garbage now: collected here, not inside the next.
        gc.collect()
        start = clock()
        value = fn()
        times.append(clock() - start)
    return statistics.median(times), value


def _child_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_model(path: Path, runs: int) -> dict[str, Any]:
    meta_graph = read_model(path).meta_graph()
    prepare_s, prepared = _median(lambda: prepare_signature(meta_graph, SIGNATURE), runs)
    fresh = [prepare_signature(meta_graph, SIGNATURE) for _ in range(runs)]
    view_s, graph = _median(lambda: fresh.pop().view(), runs)  # the first view of a slice
    # The whole in-process build: the library read afresh, slice + group, default view.
    build_s, _ = _median(lambda: _fresh_build(meta_graph), runs)
    build_cpu, _ = _median(lambda: _fresh_build(meta_graph), runs, time.process_time)
    layout_s, scene = _median(lambda: layout(graph), runs)
    closed = next(n.id for n in graph.nodes if n.kind == "group" and n.size > 20)
    click_s, _ = _median(lambda: layout(prepared.view(expand=[closed])), runs)
    return {
        "levels": graph.stats.levels,
        "boxes": graph.stats.visible_nodes,
        "ops": graph.stats.slice_nodes,
        "size": f"{scene.width:.0f} × {scene.height:.0f}",
        "aspect": scene.aspect,
        "prepare": prepare_s,
        "view": view_s,
        "build": build_s,
        "build_cpu": build_cpu,
        "layout": layout_s,
        "click": click_s,
    }


def _fresh_build(meta_graph: Any) -> Any:
    _LIBRARIES.clear()  # as on the first look at a model: its bodies are read too
    return prepare_signature(meta_graph, SIGNATURE).view()


# ---- the app in chromium --------------------------------------------------------------


def browser_times(paths: dict[str, Path], runs: int) -> dict[str, float]:
    """Median seconds from clicking the Graph tab to the first box visible."""
    from playwright.sync_api import sync_playwright

    roots = {REPO, *(p.parent for p in paths.values())}
    with running_app(REPO / "app.py", sorted(roots)) as url:
        idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
        found: dict[str, float] = {}
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for name, path in paths.items():
                times = []
                for _ in range(runs + 1):  # the first run warms the slice cache: dropped
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    page.goto(f"{url}/?folder={quote(str(path))}")
                    page.wait_for_selector(idle, timeout=120_000)
                    start = time.perf_counter()
                    page.get_by_role("tab", name="Graph", exact=True).click()
                    page.wait_for_selector(".se-graph .se-box", state="visible", timeout=60_000)
                    times.append(time.perf_counter() - start)
                    page.close()
                found[name] = statistics.median(times[1:]) if runs else times[0]
            browser.close()
        return found


# ---- synthetic models -----------------------------------------------------------------


def _node(graph_or_fn: Any, name: str, op: str, inputs: Sequence[str] = ()) -> Any:
    node = graph_or_fn.add()
    node.name, node.op = name, op
    node.input.extend(inputs)
    node.attr["T"].type = 1  # DT_FLOAT
    return node


def _signature(meta: Any, inputs: str, output: str) -> None:
    sig = meta.signature_def["serving_default"]
    sig.method_name = "tensorflow/serving/predict"
    sig.inputs["x"].name, sig.inputs["x"].dtype = inputs, 1
    sig.outputs["y"].name, sig.outputs["y"].dtype = output, 1


def write_flat_model(folder: Path, ops: int) -> Path:
    """A TF1-style graph: ``ops`` top-level ops in Keras-like scopes (stage → block →
    layer), each layer four ops, with a residual add per block."""
    saved = protos.SavedModel()
    meta = saved.meta_graphs.add()
    meta.meta_info_def.tags.append("serve")
    graph = meta.graph_def.node
    _node(graph, "x", "Placeholder").attr["dtype"].type = 1
    last, block_in, count, i = "x", "x", 1, 0
    while count < ops - 1:
        stage, block, layer = i // 400, (i // 20) % 20, i % 20
        scope = f"model/stage{stage}_block{block}_{layer}"
        _node(graph, f"{scope}/w", "Const")
        _node(graph, f"{scope}/MatMul", "MatMul", [last, f"{scope}/w"])
        _node(graph, f"{scope}/BiasAdd", "BiasAdd", [f"{scope}/MatMul", f"{scope}/w"])
        _node(graph, f"{scope}/Relu", "Relu", [f"{scope}/BiasAdd"])
        last, count = f"{scope}/Relu", count + 4
        if layer == 19:
            add = f"model/stage{stage}_block{block}_add/Add"
            _node(graph, add, "AddV2", [last, block_in])
            last = block_in = add
            count += 1
        i += 1
    _node(graph, "y", "Identity", [last])
    _signature(meta, "x:0", "y:0")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "saved_model.pb").write_bytes(saved.SerializeToString())
    return folder


def write_shared_function_model(folder: Path, depth: int = 5, body: int = 1667) -> Path:
    """A TF2-style model: the top-level call runs ``f0``; each ``f<k>`` holds ``body`` ops
    and calls ``f<k+1>`` three times in a row: (depth + 1) × body ≈ 10k ops in the
    library, body × (3^(depth+1) − 1) / 2 ≈ 607k once inlined."""
    saved = protos.SavedModel()
    meta = saved.meta_graphs.add()
    meta.meta_info_def.tags.append("serve")
    graph = meta.graph_def
    _node(graph.node, "x", "Placeholder").attr["dtype"].type = 1
    call = _node(graph.node, "StatefulPartitionedCall", "StatefulPartitionedCall", ["x"])
    call.attr["f"].func.name = "f0"
    _node(graph.node, "y", "Identity", ["StatefulPartitionedCall:0"])
    for level in range(depth + 1):
        fn = graph.library.function.add()
        fn.signature.name = f"f{level}"
        fn.signature.input_arg.add().name = "a"
        fn.signature.output_arg.add().name = "out"
        last = "a"
        for j in range(body):
            _node(fn.node_def, f"layer{j // 10}/op{j % 10}", "Relu", [last])
            last = f"layer{j // 10}/op{j % 10}:activations:0"
        if level < depth:
            for k in range(3):
                inner = _node(fn.node_def, f"call{k}", "StatefulPartitionedCall", [last])
                inner.attr["f"].func.name = f"f{level + 1}"
                last = f"call{k}:output:0"
        fn.ret["out"] = last
    _signature(meta, "x:0", "y:0")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "saved_model.pb").write_bytes(saved.SerializeToString())
    return folder


def _ops(folder: Path) -> int:
    graph = read_model(folder).meta_graph().proto.graph_def
    return len(graph.node) + sum(len(f.node_def) for f in graph.library.function)


def measure_synthetic(path: Path, runs: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "explorer", "graph", str(path), "--signature", SIGNATURE]
    cpu: list[float] = []

    def whole_process() -> subprocess.CompletedProcess[bytes]:
        before = _child_cpu()
        done = subprocess.run(
            [*command, "--format", "json"], capture_output=True, cwd=REPO, check=False
        )
        cpu.append(_child_cpu() - before)
        return done

    whole, done = _median(whole_process, runs)
    meta_graph = read_model(path).meta_graph()
    prepare_signature(meta_graph, SIGNATURE)  # reads the library once

    def build() -> Any:  # what the first view of a signature costs: slice + default view
        return prepare_signature(meta_graph, SIGNATURE).view()

    build_s, graph = _median(build, runs)
    build_cpu, _ = _median(build, runs, time.process_time)
    prepared = prepare_signature(meta_graph, SIGNATURE)
    view_s, graph = _median(prepared.view, 1)
    closed = next((n.id for n in graph.nodes if n.kind in ("group", "function_call")), None)
    # The first click on a slice also makes the group it opens (kept after).
    first_click = time.perf_counter()
    if closed:
        layout(prepared.view(expand=[closed]))
    first_click = time.perf_counter() - first_click
    click_s = (
        _median(lambda: layout(prepared.view(expand=[closed])), runs)[0] if closed else float("nan")
    )
    ops = len(prepared.flat.ids)
    return {
        "metagraph": graph.stats.metagraph_nodes,
        "ops": ops,
        "whole": whole if done.returncode == 0 else float("nan"),
        "whole_cpu": statistics.median(cpu),
        "prepare": build_s,
        "us_per_op": build_s / max(ops, 1) * 1e6,
        "cpu_us_per_op": build_cpu / max(ops, 1) * 1e6,
        "view": view_s,
        "click": click_s,
        "first_click": first_click if closed else float("nan"),
        "boxes": graph.stats.visible_nodes,
        "levels": graph.stats.levels,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), metavar="NAME")
    parser.add_argument("--browser", action="store_true", help="time the Graph tab in chromium")
    parser.add_argument("--browser-runs", type=int, default=3)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-keras", action="store_true")
    parser.add_argument("--refresh-export", action="store_true")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    paths = {} if args.skip_keras else export_applications(args.models, refresh=args.refresh_export)
    load = os.getloadavg()[0]
    print(f"_2 CPUs, load average {load:.1f} at start; median of {runs} runs_\n")
    rows = {name: measure_model(path, runs) for name, path in paths.items()}
    clicks = browser_times(paths, args.browser_runs) if args.browser else {}
    print(
        "| model | ops run | levels | boxes (default view) | default view px | aspect "
        "| slice + tree root (s) | first view (s) | build, fresh library (ms, CPU ms) "
        "| layout (s) | expand click (s) | Graph tab click → drawing (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        click = f"{clicks[name]:.2f}" if name in clicks else "n/a"
        print(
            f"| {name} | {r['ops']:,} | {r['levels']} | {r['boxes']} | {r['size']} "
            f"| {r['aspect']:.2f} | {r['prepare']:.3f} | {r['view']:.4f} "
            f"| {r['build'] * 1000:.1f} ({r['build_cpu'] * 1000:.1f}) | {r['layout']:.3f} "
            f"| {r['click']:.3f} | {click} |"
        )
    if args.skip_synthetic:
        return 0
    print(
        "\n| synthetic model | ops in MetaGraph | ops run (inlined) | `graph --format json` "
        "whole process (s, CPU s) | build: slice + default view (s) | µs per op (CPU µs) "
        "| the default view alone (s) | expand click: view + layout (s; first on a slice) "
        "| boxes | levels |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="graph-bench-") as tmp:
        models = {f"TF1, {n // 1000}k top-level ops": (n, None) for n in SYNTHETIC_SIZES}
        models["TF2, 10k ops, functions called 3× per level"] = (0, 5)
        for label, (ops, depth) in models.items():
            folder = Path(tmp) / label.replace(" ", "_").replace(",", "")
            if depth is None:
                write_flat_model(folder, ops)
            else:
                write_shared_function_model(folder, depth)
            if depth is not None:
                label = label.replace("10k ops", f"{_ops(folder) / 1000:.1f}k ops")
            r = measure_synthetic(folder, min(runs, 3))
            print(
                f"| {label} | {r['metagraph']:,} | {r['ops']:,} | {r['whole']:.2f} "
                f"({r['whole_cpu']:.2f}) | {r['prepare']:.2f} | {r['us_per_op']:.1f} "
                f"({r['cpu_us_per_op']:.1f}) | {r['view']:.3f} | {r['click']:.3f} "
                f"({r['first_click']:.3f}) | {r['boxes']} | {r['levels']} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
