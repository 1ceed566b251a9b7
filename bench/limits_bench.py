"""Benchmark: what a hostile model or archive costs before it is refused, and what the checks
cost a real model.

Issue 15 ("Memory and time", "Paths and archives") found a million-node model taking two
minutes and 5.6 GB, a 3 MB .tar.gz holding a 263 MB .pbtxt taking 51 s and 1.2 GB, a 23 KB
sparse .tar extracting to 2.1 GB, a zip of 2,000 members of 1 MiB each passing, and 1 KB
models that crash TensorFlow. Each case here is built in a temp folder and run as a whole
process (``python -m explorer ...`` or a short script) against the checkout named by
``--repo`` (default this one), so the same script measures before (an older checkout) and
after: wall time, the peak resident memory of the process tree (the CLI and its worker,
polled from /proc), the exit code and the first line it printed. Then, in-process,
``check_bounds`` on Keras applications: what the checks add to a model's first load.

Run: ``python bench/limits_bench.py [--repo PATH] [--skip CASE ...]``. Prints a markdown
table; never asserts.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.explorer.model import hostile_graphs as hostile  # noqa: E402
from tests.explorer.safety.hostile_archives import MiB, sparse_tar, zip_of_zeros  # noqa: E402

PREDICT = ["predict", "--request", "[1.0]"]
# Extract an archive and read the model in it, as the app does with an upload.
_OPEN_ARCHIVE = """
import sys
from explorer.errors import ExplorerError
from explorer.model.reader import read_model
from explorer.safety.archives import extract_archive
try:
    with extract_archive(sys.argv[1], sys.argv[1].rsplit("/", 1)[-1]) as extracted:
        out = sum(f.stat().st_size for f in extracted.root.rglob("*") if f.is_file())
        model = read_model(extracted.model_dir)
        print(f"opened: {out:,} bytes extracted, {model.meta_graph().node_count:,} nodes")
except ExplorerError as exc:
    sys.exit(f"error: {exc}")
"""


def _pbtxt_archive(folder: Path, text_bytes: int) -> Path:
    """A .tar.gz of a SavedModel whose saved_model.pbtxt is ``text_bytes`` of small nodes."""
    node = 'node { name: "n%d" op: "Identity" input: "x" attr { key: "T" value { type: 1 } } }\n'
    count = text_bytes // len(node % 1000000)
    body = "".join(node % i for i in range(count))
    text = f'meta_graphs {{ meta_info_def {{ tags: "serve" }} graph_def {{\n{body}}} }}\n'
    data = text.encode()
    archive = folder / "pbtxt.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo("model/saved_model.pbtxt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return archive


def _cases(folder: Path) -> dict[str, Callable[[], list[str]]]:
    def model(build: Callable[[], object], name: str) -> Callable[[], list[str]]:
        return lambda: [
            "-m",
            "explorer",
            *PREDICT[:1],
            str(hostile.write(build(), folder / name)),
            *PREDICT[1:],
        ]

    def archive(name: str, data: Callable[[], bytes]) -> Callable[[], list[str]]:
        def make() -> list[str]:
            path = folder / name
            path.write_bytes(data())
            return ["-c", _OPEN_ARCHIVE, str(path)]

        return make

    return {
        "a million nodes": model(lambda: hostile.wide(1_000_000), "wide"),
        "a 200k-op chain": model(lambda: hostile.node_chain(200_000), "chain"),
        "a 20,000-deep call chain": model(lambda: hostile.call_chain(20_000), "calls"),
        "a function calling itself": model(hostile.self_call, "self"),
        "a 100-byte Const of 5 GB": model(lambda: hostile.big_const((50_000, 25_000)), "const"),
        "a 263 MB pbtxt in a .tar.gz": lambda: [
            "-c",
            _OPEN_ARCHIVE,
            str(_pbtxt_archive(folder, 263_000_000)),
        ],
        "a sparse .tar of 2.1 GB": archive("sparse.tar", lambda: sparse_tar(2_100_000_000)),
        "a zip of 2,000 × 1 MiB": archive("many.zip", lambda: zip_of_zeros(2000, MiB)),
    }


def _tree_rss(root: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total * 1024


def _run(argv: list[str], repo: Path, timeout_s: float) -> tuple[float, int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *argv],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: dict[str, str] = {}
    reader = threading.Thread(
        target=lambda: out.update(zip(("o", "e"), process.communicate(), strict=True))
    )
    reader.start()
    peak = 0
    while process.poll() is None and time.perf_counter() - start < timeout_s:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.1)
    if process.poll() is None:
        process.kill()
    reader.join()
    wall = time.perf_counter() - start
    said = (out.get("e", "").strip() or out.get("o", "").strip()).splitlines()
    return wall, peak, str(process.returncode), (said[0] if said else "")[:110]


def _check_cost(names: Sequence[str]) -> list[tuple[str, float, str]]:
    from _export import export_application

    from explorer.model.bounds import check_bounds
    from explorer.model.extent import measure
    from explorer.model.reader import read_model

    rows = []
    for name in names:
        meta_graph = read_model(export_application(name)).meta_graph()
        start = time.process_time()
        extent = measure(meta_graph.proto)
        cost = (time.process_time() - start) * 1000
        check_bounds(meta_graph)
        rows.append((name, cost, f"{extent.nodes:,} nodes, call depth {extent.call_depth}, "
                     f"graph depth {extent.graph_depth:,}"))  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to measure")
    parser.add_argument("--skip", nargs="*", default=[], help="case names to leave out")
    parser.add_argument("--timeout", type=float, default=400.0, help="seconds per case")
    parser.add_argument(
        "--models", nargs="*", default=["ResNet50", "MobileNetV2", "EfficientNetB7"]
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="limits-bench-") as temp:
        print(f"checkout: {args.repo}\n")
        print("| case | wall s | peak RSS MB | exit | first line |")
        print("|---|---:|---:|---:|---|")
        for name, make in _cases(Path(temp)).items():
            if name in args.skip:
                continue
            wall, peak, code, said = _run(make(), args.repo, args.timeout)
            print(f"| {name} | {wall:.1f} | {peak / 2**20:,.0f} | {code} | {said} |", flush=True)
    if args.models and args.repo == REPO:
        print("\n| model | measure ms (CPU) | extent |")
        print("|---|---:|---|")
        for name, cost, extent in _check_cost(args.models):
            print(f"| {name} | {cost:.0f} | {extent} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
