"""The signature graph as plain data: boxes, edges, clusters and counts (``SignatureGraph``).

Built by ``explorer.graph.build``; drawn by ``explorer.graph.dot`` and the app; read by
the CLI's ``graph --format json``. Ids are stable across calls: an op's id is its name,
prefixed by the call chain (``StatefulPartitionedCall::StatefulPartitionedCall::dense/
MatMul``; an If branch adds ``@then_branch``); a scope group's id ends in "/", a
group inferred from layer names in "*" (``…resnet50_1/conv2_block1*``); keys are
``input:<key>`` / ``output:<key>`` and tensors ``tensor:<name>``.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass
from typing import Any, Literal

from explorer.model.info import Shape

DEFAULT_NODE_BUDGET = 24

# A box: a signature key, a tensor, an op (by what it is), or a closed group: a call
# ("function_call"), an If/While/Case ("control_flow"), a name scope ("group") or the
# constants & variables feeding a frame ("parameters").
NodeKind = Literal[
    "input_key",
    "output_key",
    "tensor",
    "op",
    "const",
    "variable",
    "placeholder",
    "function_call",
    "control_flow",
    "group",
    "parameters",
]
# "key": key ↔ tensor ↔ op; "loop": a While body's result fed to its next iteration.
EdgeKind = Literal["key", "data", "control", "loop"]
ClusterKind = Literal["function", "control_flow", "scope", "parameters"]


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One box of the view: a key, a tensor, an op or a collapsed group."""

    id: str
    label: str
    kind: NodeKind
    op: str = ""
    name: str = ""  # node name inside its graph or function; tensor name for tensors
    # FunctionDef it lives in ("" for the top-level graph); a closed call: the one it calls.
    function: str = ""
    scope: str = ""
    device: str = ""
    cluster: str | None = None  # id of the open cluster drawn around it
    size: int = 1  # ops it stands for (groups: all ops inside)
    on_path: bool = True  # on an input→output path (False: a constant/variable feeding one)
    highlighted: bool = False
    detail: str = ""  # tensors and keys: dtype and shape
    # Closed groups: the most frequent op types inside ("Conv2D 3 · Relu 2"), and the
    # shapes of the tensors crossing the border ("in 1×56×56×64 · out 1×56×56×256").
    summary: str = ""
    border: str = ""
    findings: int = 0  # ops the unsafe-op scan flagged, here or inside


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A link between two boxes; several underlying tensors may share one edge."""

    src: str
    dst: str
    kind: EdgeKind
    label: str = ""
    dtype: str = ""
    shape: Shape = None
    shape_known: bool = False
    tensor: str = ""  # the (first) tensor it carries, as the graph names it
    count: int = 1  # distinct tensors drawn as this edge
    highlighted: bool = False
    # Set when the edge stands for links into a whole open cluster (a closed
    # "constants & variables" box feeding a function): it ends at that cluster's border
    # and ``dst`` is just a box inside it.
    dst_cluster: str | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    """A group: open ones are drawn as clusters, closed ones as a single box."""

    id: str
    label: str
    kind: ClusterKind
    parent: str | None
    children: tuple[str, ...]  # ids of boxes and clusters directly inside (open only)
    collapsed: bool
    size: int  # ops inside
    function: str = ""
    summary: str = ""  # as GraphNode.summary
    border: str = ""
    findings: int = 0


@dataclass(frozen=True, slots=True)
class GraphStats:
    """How much the slicing and the grouping kept."""

    metagraph_nodes: int  # ops in the top-level graph plus every library function
    slice_nodes: int  # ops the signature runs (inlined), before grouping
    visible_nodes: int  # boxes drawn, keys and tensors included
    visible_edges: int
    functions_inlined: int
    collapsed_groups: int
    node_budget: int
    levels: int = 0  # depth of the group hierarchy (a group holding one group counts once)


@dataclass(frozen=True, slots=True)
class SignatureGraph:
    """Everything ``to_dot`` and the app need to draw one signature."""

    signature_key: str
    method_name: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    clusters: tuple[Cluster, ...]
    stats: GraphStats
    highlight: str | None = None
    # (FunctionDef or "" for the top-level graph, op name) of every op the signature runs,
    # drawn or grouped away: what a node search can tell apart from the rest of the model.
    ops: AbstractSet[tuple[str, str]] = frozenset()
    focus: str | None = None  # a box to bring into view and select ("go to")

    def node(self, node_id: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: nodes, edges, clusters and stats as plain dicts and lists."""
        return {
            "signature_key": self.signature_key,
            "method_name": self.method_name,
            "highlight": self.highlight,
            "focus": self.focus,
            "stats": asdict(self.stats),
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [asdict(e) for e in self.edges],
            "clusters": [asdict(c) for c in self.clusters],
        }
