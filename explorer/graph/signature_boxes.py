"""The signature's own boxes: each key, the tensors behind it, and the thick edges tying
key → tensor → the box showing the op that owns the tensor (inputs) or the reverse
(outputs). A coo_sparse or composite TensorInfo stands for several tensors, one box each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.graph.elements import GraphEdge, GraphNode
from explorer.graph.flat import Endpoint
from explorer.graph.highlight import Marked, key_id, tensor_id
from explorer.model.info import SignatureInfo, TensorInfo, format_shape

if TYPE_CHECKING:
    from explorer.graph.view_edges import Representatives


def key_nodes_and_edges(
    signature: SignatureInfo,
    endpoints: dict[str, tuple[Endpoint, ...]],
    rep: Representatives,
    marked: Marked | None,
    nodes: list[GraphNode],
) -> list[GraphEdge]:

    ids = marked.ids if marked else frozenset()
    edges: list[GraphEdge] = []
    tensors: dict[str, str] = {}
    linked: set[str] = set()
    for is_input, infos in ((True, signature.inputs), (False, signature.outputs)):
        for info in infos:
            key_box = key_id(info.key, is_input)
            text = _info_text(info)
            nodes.append(
                GraphNode(
                    id=key_box,
                    label=info.key,
                    kind="input_key" if is_input else "output_key",
                    name=info.key,
                    highlighted=key_box in ids,
                    detail=text,
                )
            )
            for tensor, detail in _components(info):
                tensor_box = tensor_id(tensor)
                tensors.setdefault(tensor_box, detail)
                hot = key_box in ids and tensor_box in ids
                label = detail if info.encoding == "name" else ""
                pair = (key_box, tensor_box) if is_input else (tensor_box, key_box)
                edges.append(
                    GraphEdge(
                        src=pair[0],
                        dst=pair[1],
                        kind="key",
                        label=label,
                        dtype=info.dtype if label else "",
                        shape=info.shape,
                        shape_known=bool(label),
                        tensor=tensor,
                        highlighted=hot,
                    )
                )
                for op_id in sorted({rep[i] for i, _, _ in endpoints.get(tensor, ())}):
                    linked.add(tensor_box)
                    pair = (tensor_box, op_id) if is_input else (op_id, tensor_box)
                    edges.append(
                        GraphEdge(
                            src=pair[0], dst=pair[1], kind="key", tensor=tensor, highlighted=hot
                        )
                    )
    for tensor_box, detail in tensors.items():
        name = tensor_box.removeprefix("tensor:")
        nodes.append(
            GraphNode(
                id=tensor_box,
                label=name,
                kind="tensor",
                name=name,
                highlighted=tensor_box in ids,
                detail=detail if tensor_box in linked else f"{detail} (not in graph)",
            )
        )
    return edges


def _components(info: TensorInfo) -> list[tuple[str, str]]:
    """(tensor name, what it holds) for every tensor a TensorInfo stands for."""
    if info.encoding == "name":
        return [(info.name or "", _info_text(info))]
    if info.encoding == "coo_sparse" and info.sparse_tensors:
        values, indices, dense_shape = info.sparse_tensors
        return [
            (values, f"values {info.dtype}"),
            (indices, "indices DT_INT64"),
            (dense_shape, "dense_shape DT_INT64"),
        ]
    return [(name, f"component {i}") for i, name in enumerate(info.component_names)]


def _info_text(info: TensorInfo) -> str:
    return f"{info.dtype} {format_shape(info.shape)}"
