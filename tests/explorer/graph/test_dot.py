"""to_dot: layout directives, key styling, clusters, escaping, determinism."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from explorer.graph.build import build_signature_graph
from explorer.graph.dot import (
    HIGHLIGHT_COLOR,
    INPUT_COLOR,
    OUTPUT_COLOR,
    GraphvizError,
    render_svg,
    to_dot,
)
from explorer.graph.elements import Cluster, GraphEdge, GraphNode, GraphStats, SignatureGraph
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def half_plus_two(half_plus_two_cpu: Path) -> MetaGraphInfo:
    return read_model(half_plus_two_cpu).meta_graph()


def _graphviz_accepts(dot_text: str) -> None:
    binary = shutil.which("dot")
    assert binary is not None, "Graphviz's dot is part of the test requirements (scripts/test)"
    done = subprocess.run(
        [binary, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout


@pytest.mark.parametrize(
    "key", ["regress_x_to_y2", "regress_x2_to_y3", "classify_x_to_y", "serving_default"]
)
def test_dot_names_every_key_and_renders(half_plus_two: MetaGraphInfo, key: str) -> None:
    graph = build_signature_graph(half_plus_two, key)
    text = to_dot(graph)
    sig = half_plus_two.signature(key)
    for info in sig.inputs:
        assert f'"input:{info.key}"' in text
    for info in sig.outputs:
        assert f'"output:{info.key}"' in text
    _graphviz_accepts(text)


def test_dot_is_left_to_right_with_keys_pinned_to_the_sides(
    half_plus_two: MetaGraphInfo,
) -> None:
    text = to_dot(build_signature_graph(half_plus_two, "regress_x_to_y2"))
    assert "rankdir=LR" in text
    source = re.search(r"\{ rank=source;\n(.*?)\n  \}", text, re.S)
    sink = re.search(r"\{ rank=sink;\n(.*?)\n  \}", text, re.S)
    assert source is not None
    assert sink is not None
    assert '"input:inputs"' in source.group(1)
    assert '"output:outputs"' in sink.group(1)


def test_key_tensor_op_links_are_bold_and_coloured(half_plus_two: MetaGraphInfo) -> None:
    text = to_dot(build_signature_graph(half_plus_two, "regress_x_to_y2"))
    lines = text.splitlines()

    def edge(src: str, dst: str) -> str:
        return next(line for line in lines if line.strip().startswith(f'"{src}" -> "{dst}"'))

    assert INPUT_COLOR in edge("input:inputs", "tensor:tf_example:0")
    assert INPUT_COLOR in edge("tensor:tf_example:0", "tf_example")
    assert OUTPUT_COLOR in edge("y2", "tensor:y2:0")
    assert OUTPUT_COLOR in edge("tensor:y2:0", "output:outputs")
    assert "penwidth=2.5" in edge("tensor:y2:0", "output:outputs")
    assert "penwidth" not in edge("x", "Mul_1")
    tensor_line = next(line for line in lines if line.strip().startswith('"tensor:y2:0" ['))
    assert "shape=oval" in tensor_line
    key_line = next(line for line in lines if line.strip().startswith('"input:inputs" ['))
    assert "shape=box" in key_line
    assert "DT_STRING" in key_line


def test_highlight_is_drawn_in_the_highlight_colour(half_plus_two: MetaGraphInfo) -> None:
    plain = to_dot(build_signature_graph(half_plus_two, "regress_x_to_y2"))
    marked = to_dot(build_signature_graph(half_plus_two, "regress_x_to_y2", highlight="outputs"))
    assert HIGHLIGHT_COLOR not in plain
    assert marked.count(HIGHLIGHT_COLOR) > 5


def test_dot_is_deterministic(half_plus_two: MetaGraphInfo) -> None:
    first = to_dot(build_signature_graph(half_plus_two, "serving_default"))
    second = to_dot(build_signature_graph(half_plus_two, "serving_default"))
    assert first == second


def _tiny_graph(name: str) -> SignatureGraph:
    nodes = (
        GraphNode(id="input:k", label="k", kind="input_key", detail="DT_FLOAT (-1, 1)"),
        GraphNode(id=f"tensor:{name}:0", label=f"{name}:0", kind="tensor", name=f"{name}:0"),
        GraphNode(
            id=name, label=f"{name}\nIdentity", kind="op", op="Identity", name=name, cluster="s/"
        ),
        GraphNode(id="output:o", label="o", kind="output_key"),
    )
    edges = (
        GraphEdge(src="input:k", dst=f"tensor:{name}:0", kind="key"),
        GraphEdge(src=f"tensor:{name}:0", dst=name, kind="key"),
        GraphEdge(src=name, dst="output:o", kind="data", label='say "hi"'),
    )
    clusters = (
        Cluster(
            id="s/",
            label='scope "s"\\',
            kind="scope",
            parent=None,
            children=(name,),
            collapsed=False,
            size=1,
        ),
    )
    stats = GraphStats(1, 1, 4, 3, 0, 0, 150)
    return SignatureGraph("sig", "m", nodes, edges, clusters, stats)


def test_labels_and_ids_are_escaped() -> None:
    name = 'we"ird\\name'
    text = to_dot(_tiny_graph(name))
    assert '"we\\"ird\\\\name" [label="we\\"ird\\\\name\\nIdentity"' in text
    assert 'label="say \\"hi\\""' in text
    assert 'label="scope \\"s\\"\\\\"' in text
    _graphviz_accepts(text)


def test_open_clusters_nest_and_closed_groups_are_boxes() -> None:
    path = SAMPLES / "keras_multi_io"
    meta_graph = read_model(path).meta_graph()
    full = to_dot(build_signature_graph(meta_graph, "serving_default"))
    assert full.count("subgraph cluster_") >= 2
    assert re.search(r"subgraph cluster_\d+ \{\n\s+label=\"StatefulPartitionedCall", full)
    closed = to_dot(build_signature_graph(meta_graph, "serving_default", node_budget=1))
    assert "subgraph cluster_" not in closed
    assert "shape=component" in closed  # the closed call
    _graphviz_accepts(full)
    _graphviz_accepts(closed)


def _fake_dot(folder: Path, script: str) -> None:
    binary = folder / "dot"
    binary.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    binary.chmod(0o755)


def test_a_failed_spline_routing_is_retried_with_other_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Graphviz 2.43 loses some edges between nested clusters; ortho routing still works.
    _fake_dot(
        tmp_path,
        'for a in "$@"; do\n'
        '  [ "$a" = "-Gsplines=ortho" ] && { echo "<svg>ortho</svg>"; exit 0; }\n'
        "done\n"
        'echo "libpath/shortest.c:324: triangulation failed" >&2; exit 1\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    assert render_svg("digraph { a -> b }") == "<svg>ortho</svg>\n"


def test_dot_that_fails_every_way_reports_its_first_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_dot(tmp_path, 'echo "syntax error in line 1" >&2; exit 1\n')
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizError, match="syntax error in line 1"):
        render_svg("digraph {")
