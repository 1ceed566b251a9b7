"""Static types of TensorFlow's protobuf messages, for the type checker only.

At run time the explorer builds these message classes from TensorFlow's installed
schemas without importing TensorFlow (``explorer.model.protos``), so nothing here is
imported outside ``TYPE_CHECKING``; the type checker reads typeshed's TensorFlow stubs
(``types-tensorflow``), whose classes have the same fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tensorflow.core.example.example_pb2 import Example as Example
    from tensorflow.core.framework.attr_value_pb2 import AttrValue as AttrValue
    from tensorflow.core.framework.function_pb2 import FunctionDef as FunctionDef
    from tensorflow.core.framework.graph_pb2 import GraphDef as GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef as NodeDef
    from tensorflow.core.framework.tensor_pb2 import TensorProto as TensorProto
    from tensorflow.core.framework.tensor_shape_pb2 import TensorShapeProto as TensorShapeProto
    from tensorflow.core.protobuf.meta_graph_pb2 import AssetFileDef as AssetFileDef
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef as MetaGraphDef
    from tensorflow.core.protobuf.meta_graph_pb2 import SignatureDef as SignatureDef
    from tensorflow.core.protobuf.meta_graph_pb2 import TensorInfo as TensorInfoProto
    from tensorflow.core.protobuf.saved_model_pb2 import SavedModel as SavedModel

__all__ = [
    "AssetFileDef",
    "AttrValue",
    "Example",
    "FunctionDef",
    "GraphDef",
    "MetaGraphDef",
    "NodeDef",
    "SavedModel",
    "SignatureDef",
    "TensorInfoProto",
    "TensorProto",
    "TensorShapeProto",
]
