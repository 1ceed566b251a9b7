"""What a group's box says about it: its most frequent op types and the shapes of the
tensors crossing its border."""

from __future__ import annotations

from dataclasses import replace

from explorer.graph import attrs
from explorer.graph.elements import Cluster, GraphEdge, GraphNode
from explorer.model.info import format_shape

GROUP_NODE_KINDS = frozenset({"group", "function_call", "control_flow", "parameters"})


# Ops that say nothing about what a group computes: left out of its summary.
_PLUMBING = frozenset(
    {"ReadVariableOp", "Identity", "NoOp", "IdentityN", "StopGradient", "Shape"}
    | attrs.CONST_OPS
    | attrs.VARIABLE_OPS
)
# Ops that say what a layer computes (its convolutions, products, pooling, activations,
# normalisations): listed before the arithmetic around them, which a batch norm or a bias
# spreads over every layer (ResNet's blocks hold more Mul and Reshape than Conv2D).
_LAYER_OPS = frozenset(
    {
        "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput",
        "Conv3DBackpropInputV2", "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
        "Einsum", "MaxPool", "MaxPoolV2", "MaxPool3D", "AvgPool", "AvgPool3D", "Relu",
        "Relu6", "Elu", "Selu", "LeakyRelu", "Gelu", "Sigmoid", "Tanh", "Softmax",
        "LogSoftmax", "Softplus", "FusedBatchNorm", "FusedBatchNormV3", "GatherV2",
        "ResourceGather", "LSTMBlockCell", "GRUBlockCell", "CudnnRNN", "CudnnRNNV3",
    }
)  # fmt: skip
_SUMMARY_TYPES = 3
_BORDER_SHAPES = 2
# Handles to state, not tensors of data: a variable's handle has shape () whatever it holds.
_HANDLES = frozenset({"DT_RESOURCE"})
_RESOURCE = "resource"


def op_summary(ops: dict[str, int]) -> str:
    """A group's telling op types, plumbing left out: the layer ops (convolutions,
    products, pooling, activations) by count, then the rest by count; ``Conv2D 3 · Relu
    3 · +5 types``."""
    telling = {op: n for op, n in ops.items() if op not in _PLUMBING} or ops
    top = sorted(telling.items(), key=lambda item: (item[0] not in _LAYER_OPS, -item[1], item[0]))
    text = " · ".join(f"{op} {n}" if n > 1 else op for op, n in top[:_SUMMARY_TYPES])
    return text + more_types(len(top) - _SUMMARY_TYPES)


def more_types(more: int) -> str:
    """The op types a summary leaves out, as its last item: " · +2 types"."""
    if more <= 0:
        return ""
    return f" · +{more} type" if more == 1 else f" · +{more} types"


def with_borders(
    nodes: list[GraphNode], clusters: list[Cluster], edges: list[GraphEdge]
) -> tuple[list[GraphNode], list[Cluster]]:
    """Each group's border shapes: the shapes of the data edges entering and leaving it
    (a closed group's box, or an open cluster and everything inside). Resource handles (a
    variable passed in) are not data crossing the border: a side with nothing else says
    "resource"."""
    parent_of = {c.id: c.parent for c in clusters if not c.collapsed}
    home = {n.id: n.cluster for n in nodes}

    def around(box: str) -> list[str]:
        chain, cluster = [], home.get(box)
        while cluster is not None:
            chain.append(cluster)
            cluster = parent_of.get(cluster)
        return chain

    shapes: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for edge in edges:
        if edge.kind != "data" or not (edge.shape_known or edge.dtype in _HANDLES):
            continue
        text = _RESOURCE if edge.dtype in _HANDLES else format_shape(edge.shape)
        src_side, dst_side = [edge.src, *around(edge.src)], [edge.dst, *around(edge.dst)]
        for group in src_side:
            if group not in dst_side:
                shapes.setdefault(group, ({}, {}))[1][text] = None
        for group in dst_side:
            if group not in src_side:
                shapes.setdefault(group, ({}, {}))[0][text] = None
    borders = {group: _border_text(*sides) for group, sides in shapes.items()}
    grouped = GROUP_NODE_KINDS
    return (
        [replace(n, border=borders.get(n.id, "")) if n.kind in grouped else n for n in nodes],
        [replace(c, border=borders.get(c.id, "")) for c in clusters],
    )


def _border_text(inputs: dict[str, None], outputs: dict[str, None]) -> str:
    def side(word: str, shapes: dict[str, None]) -> str:
        listed = [s for s in shapes if s != _RESOURCE] or list(shapes)
        text = ", ".join(listed[:_BORDER_SHAPES])
        more = len(listed) - _BORDER_SHAPES
        return f"{word} {text}" + (f" +{more}" if more > 0 else "") if listed else ""

    return " → ".join(p for p in (side("in", inputs), side("out", outputs)) if p)
