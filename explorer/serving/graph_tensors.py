"""The graph's own tensor behind a TensorInfo's name: its dtype, where the graph states it.

TF Serving feeds inputs and fetches outputs by the TensorInfo's tensor *name*; the
TensorInfo's declared dtype is only what the metadata tells clients. A SignatureDef can
declare one dtype for a tensor the graph holds as another (TF Serving's own
``saved_model_half_plus_three`` declares its regress input ``tf_example:0`` DT_FLOAT, while
the placeholder is DT_STRING, so regress works there). What a request meets at
``Session::Run`` is the graph's tensor, so the request-time rules judge that one.

Only ops whose output dtype one attr states outright are read (placeholders, constants,
identities, casts, function calls); for any other op the dtype is unknown here (the op
registry lives in TensorFlow's C++ library) and the TensorInfo's dtype stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.model.info import SignatureInfo, TensorInfo
from explorer.serving.graph_cache import GraphCache

if TYPE_CHECKING:
    from explorer.model.proto_types import AttrValue, MetaGraphDef, NodeDef

# Op → the attr holding its output dtype (a list attr: indexed by the output port).
_DTYPE_ATTR = {
    "Placeholder": "dtype",
    "PlaceholderV2": "dtype",
    "PlaceholderWithDefault": "dtype",
    "Const": "dtype",
    "Identity": "T",
    "StopGradient": "T",
    "Snapshot": "T",
    "IdentityN": "T",
    "Cast": "DstT",
    "PartitionedCall": "Tout",
    "StatefulPartitionedCall": "Tout",
}


def graph_dtype(signature: SignatureInfo, tensor: TensorInfo) -> str | None:
    """The DT_ name of the graph tensor ``tensor`` names, or None when the signature
    carries no graph, the tensor is not a single named one, or its op does not state it.

    Args:
        signature: a signature read with its MetaGraph (``SignatureInfo.graph``).
        tensor: one of its TensorInfos.

    Returns:
        e.g. "DT_STRING", or None.
    """
    graph = signature.graph
    if graph is None or tensor.encoding != "name" or not tensor.name:
        return None
    op_name, _, port_text = tensor.name.partition(":")
    node = _NODES.get(graph).get(op_name)
    if node is None or node.op not in _DTYPE_ATTR:
        return None
    attr_name = _DTYPE_ATTR[node.op]
    if attr_name not in node.attr:
        return None
    try:
        port = int(port_text or 0)
    except ValueError:
        return None
    return _type_name(node.attr[attr_name], port)


def declared_otherwise(signature: SignatureInfo, tensor: TensorInfo) -> str | None:
    """The graph tensor's dtype when it differs from what the TensorInfo declares."""
    real = graph_dtype(signature, tensor)
    return real if real is not None and real != tensor.dtype else None


def _type_name(attr: AttrValue, port: int) -> str | None:
    if attr.WhichOneof("value") == "type":
        if port != 0:
            return None
        number = attr.type
        enum = attr.DESCRIPTOR.fields_by_name["type"].enum_type
    elif attr.WhichOneof("value") == "list" and port < len(attr.list.type):
        number = attr.list.type[port]
        enum = attr.list.DESCRIPTOR.fields_by_name["type"].enum_type
    else:
        return None
    value = enum.values_by_number.get(number) if enum is not None else None
    return value.name if value is not None else None


def _signature_nodes(graph: MetaGraphDef) -> dict[str, NodeDef]:
    """The nodes every signature of the graph names, found in one pass over the graph."""
    wanted = {
        info.name.partition(":")[0]
        for signature in graph.signature_def.values()
        for info in (*signature.inputs.values(), *signature.outputs.values())
        if info.name
    }
    return {node.name: node for node in graph.graph_def.node if node.name in wanted}


_NODES = GraphCache(_signature_nodes)
