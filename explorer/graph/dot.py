"""SignatureGraph → Graphviz DOT text (``st.graphviz_chart``, ``graphviz.Source``, ``dot -Tsvg``).

Left to right: input keys are boxes pinned to the left edge, output keys to the right,
each tied to its tensor (a small oval) and that to its op by a thick coloured edge, so
the key → tensor → op link stands out from the op-to-op edges. Open functions and
scopes are nested clusters; closed ones are single boxes shaped by kind. A highlighted
path is drawn in red. The text depends only on the graph (sorted, escaped), so the
same graph always gives the same DOT.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

from explorer.errors import GraphvizError
from explorer.graph.elements import Cluster, GraphEdge, GraphNode, SignatureGraph

HIGHLIGHT_COLOR = "#d62728"
FINDING_COLOR = "#b3261e"
INPUT_COLOR = "#1f5fa8"
OUTPUT_COLOR = "#c2620a"

_NODE_STYLES: dict[str, str] = {
    "input_key": f'shape=box, style="filled,bold", fillcolor="#d6e9ff", color="{INPUT_COLOR}", '
    "penwidth=2, fontsize=12",
    "output_key": f'shape=box, style="filled,bold", fillcolor="#ffe3c2", '
    f'color="{OUTPUT_COLOR}", penwidth=2, fontsize=12',
    "tensor": 'shape=oval, style=filled, fillcolor="#fffbe0", color="#b8a400", fontsize=8, '
    'height=0.2, margin="0.04,0.02"',
    "op": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "const": 'shape=box, style="rounded,filled", fillcolor="#eeeeee", color="#999999", fontsize=8',
    "variable": 'shape=cylinder, style=filled, fillcolor="#e3f2e1", color="#5b8c55", fontsize=8',
    "placeholder": 'shape=invhouse, style=filled, fillcolor="#d6e9ff", color="#1f5fa8"',
    "function_call": 'shape=component, style=filled, fillcolor="#ece6f6", color="#6a4fb0"',
    "control_flow": 'shape=hexagon, style=filled, fillcolor="#fff0dc", color="#e07b00"',
    "group": 'shape=box3d, style=filled, fillcolor="#f4f4f4", color="#888888"',
    "parameters": 'shape=folder, style=filled, fillcolor="#eef5e6", color="#5b8c55", fontsize=9',
}
# Statements inside a subgraph are separated by ";", not ",".
_CLUSTER_STYLES: dict[str, str] = {
    "function": 'style="rounded,filled"; fillcolor="#f8f5fd"; color="#6a4fb0"',
    "control_flow": 'style="rounded,dashed"; color="#e07b00"',
    "scope": 'style=rounded; color="#bbbbbb"',
    "parameters": 'style="rounded,filled"; fillcolor="#f7fbf2"; color="#5b8c55"',
}


_DOT_TIMEOUT_S = 120


def render_svg(dot_text: str) -> str:
    """Lay DOT out as SVG with Graphviz's ``dot`` program.

    Args:
        dot_text: what :func:`to_dot` returns.

    Returns:
        The SVG document.

    Raises:
        GraphvizError: ``dot`` is not installed, fails, or takes over two minutes.
    """
    binary = shutil.which("dot")
    if binary is None:
        raise GraphvizError(
            "SVG needs the Graphviz 'dot' program, which is not on PATH. Install Graphviz "
            "(apt-get install graphviz, brew install graphviz) or export DOT and render it "
            "elsewhere."
        )
    first = run_dot(binary, dot_text, "-Tsvg")
    if first.returncode == 0:
        return first.stdout
    # Graphviz's spline router fails on some cluster layouts ("triangulation failed ...
    # lost edge"); orthogonal, then curved, edges route the same layout another way.
    for splines in _FALLBACK_SPLINES:
        retry = run_dot(binary, dot_text, "-Tsvg", f"-Gsplines={splines}")
        if retry.returncode == 0:
            return retry.stdout
    raise GraphvizError(f"Graphviz 'dot' failed: {first.stderr.strip()}")


_FALLBACK_SPLINES = ("ortho", "curved")


def run_dot(
    binary: str, dot_text: str, *options: str, timeout_s: float = _DOT_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Graphviz ``dot`` on ``dot_text`` with ``options`` (the output format among them).

    Raises:
        GraphvizError: it ran over ``timeout_s`` (a failure is the caller's to read).
    """
    try:
        return subprocess.run(
            [binary, *options],
            input=dot_text,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GraphvizError(
            f"Graphviz 'dot' took over {timeout_s:g} s; try a smaller node budget."
        ) from exc


def to_dot(graph: SignatureGraph) -> str:
    """Render a SignatureGraph as DOT.

    Args:
        graph: the view built by ``build_signature_graph``.

    Returns:
        DOT source text, deterministic for a given graph.

    Raises:
        Nothing: every label is escaped, so any node or scope name is safe.
    """
    lines = [
        f"digraph {_quote('signature ' + graph.signature_key)} {{",
        '  graph [rankdir=LR, newrank=true, compound=true, fontname="Helvetica", fontsize=10, '
        "nodesep=0.2, ranksep=0.45];",
        '  node [fontname="Helvetica", fontsize=10, margin="0.08,0.03"];',
        '  edge [fontname="Helvetica", fontsize=8, color="#666666", arrowsize=0.6];',
    ]
    by_cluster: dict[str | None, list[GraphNode]] = {}
    for node in graph.nodes:
        by_cluster.setdefault(node.cluster, []).append(node)
    for kind, rank in (("input_key", "source"), ("output_key", "sink")):
        keys = [n for n in graph.nodes if n.kind == kind]
        if keys:
            lines.append(f"  {{ rank={rank};")
            lines.extend(f"    {_node_line(n)}" for n in keys)
            lines.append("  }")
    lines.extend(
        f"  {_node_line(n)}"
        for n in by_cluster.get(None, [])
        if n.kind not in ("input_key", "output_key")
    )
    open_clusters = [c for c in graph.clusters if not c.collapsed]
    numbers = {c.id: i for i, c in enumerate(open_clusters)}
    children: dict[str | None, list[Cluster]] = {}
    for cluster in open_clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    for cluster in children.get(None, []):
        lines.extend(_cluster_lines(cluster, children, by_cluster, numbers, "  "))
    lines.extend(f"  {_edge_line(e, numbers)}" for e in graph.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _cluster_lines(
    cluster: Cluster,
    children: dict[str | None, list[Cluster]],
    by_cluster: dict[str | None, list[GraphNode]],
    numbers: dict[str, int],
    indent: str,
) -> Iterator[str]:
    yield f"{indent}subgraph cluster_{numbers[cluster.id]} {{"
    inner = indent + "  "
    yield f"{inner}label={_quote(cluster.label)}; tooltip={_quote(cluster.id)};"
    yield f"{inner}fontsize=9; labeljust=l; {_CLUSTER_STYLES.get(cluster.kind, '')};"
    for node in by_cluster.get(cluster.id, []):
        yield f"{inner}{_node_line(node)}"
    for child in children.get(cluster.id, []):
        yield from _cluster_lines(child, children, by_cluster, numbers, inner)
    yield f"{indent}}}"


def _node_line(node: GraphNode) -> str:
    label = node.label
    if node.kind in ("input_key", "output_key"):
        label = f"{node.label}\n{node.detail}" if node.detail else node.label
    attrs = [f"label={_quote(label)}", _NODE_STYLES.get(node.kind, _NODE_STYLES["op"])]
    tooltip = " ".join(p for p in (node.name or node.id, node.op, node.device, node.detail) if p)
    attrs.append(f"tooltip={_quote(tooltip)}")
    if not node.on_path and node.kind not in ("tensor", "input_key", "output_key"):
        attrs.append('fontcolor="#777777"')
    if node.findings:  # holds an op the unsafe-op scan flagged
        attrs.append(
            f'class="se-finding", fillcolor="#fde8e6", color="{FINDING_COLOR}", penwidth=3'
        )
    if node.highlighted:
        attrs.append(f'color="{HIGHLIGHT_COLOR}", penwidth=3')
    return f"{_quote(node.id)} [{', '.join(attrs)}];"


def _edge_line(edge: GraphEdge, numbers: dict[str, int]) -> str:
    attrs = []
    if edge.dst_cluster in numbers:
        attrs.append(f"lhead=cluster_{numbers[edge.dst_cluster]}")
    if edge.label:
        attrs.append(f"label={_quote(edge.label)}")
    if edge.kind == "key":
        towards_input = edge.src.startswith("input:") or (
            edge.src.startswith("tensor:") and not edge.dst.startswith("output:")
        )
        color = INPUT_COLOR if towards_input else OUTPUT_COLOR
        attrs.append(f'color="{color}", penwidth=2.5, style=bold, arrowsize=0.8')
    elif edge.kind == "control":
        attrs.append('style=dashed, color="#aaaaaa", arrowhead=odot')
    elif edge.kind == "loop":
        # Back to the loop's start: drawn, but left out of the ranking so it bends back.
        attrs.append('style=dashed, color="#7b52c7", constraint=false, label="next iter."')
    if edge.count > 1:
        attrs.append(f"penwidth={min(1 + edge.count / 4, 4):.1f}")
    if edge.highlighted:
        attrs.append(f'color="{HIGHLIGHT_COLOR}", penwidth=3')
    suffix = f" [{', '.join(attrs)}]" if attrs else ""
    return f"{_quote(edge.src)} -> {_quote(edge.dst)}{suffix};"


def _quote(text: str) -> str:
    """A DOT double-quoted string; backslashes, quotes and newlines escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
