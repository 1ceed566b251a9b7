"""Whether a graph scales an input itself: the first ops computing with it, followed through
casts, identities and function calls, all multiply (or divide) it by one constant."""

from __future__ import annotations

import struct

import pytest
from google.protobuf import text_format

from explorer.graph.input_scaling import InputScaling, input_scaling
from explorer.model import protos
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo


def _const(name: str, value: float) -> str:
    return (
        f'node_def {{ name: "{name}" op: "Const" attr {{ key: "value" value {{ tensor {{ '
        f"dtype: DT_FLOAT tensor_shape {{ }} float_val: {value!r} }} }} }} }}"
    )


def _packed(name: str, values: list[float]) -> str:
    # A Const written as tensor_content, as TensorFlow writes a non-scalar constant.
    content = "".join(f"\\{b:03o}" for b in struct.pack(f"<{len(values)}f", *values))
    return (
        f'node {{ name: "{name}" op: "Const" attr {{ key: "value" value {{ tensor {{ '
        f"dtype: DT_FLOAT tensor_shape {{ dim {{ size: {len(values)} }} }} "
        f'tensor_content: "{content}" }} }} }} }}'
    )


_GRAPH = f"""
graph_def {{
  node {{ name: "keras" op: "Placeholder" }}
  node {{ name: "tf1" op: "Placeholder" }}
  node {{ name: "raw" op: "Placeholder" }}
  node {{ name: "mixed" op: "Placeholder" }}
  node {{ name: "offset" op: "Placeholder" }}
  node {{ name: "double" op: "Placeholder" }}
  node {{ name: "cast" op: "Cast" input: "keras" }}
  node {{ name: "call" op: "StatefulPartitionedCall" input: "cast"
         attr {{ key: "f" value {{ func {{ name: "serve" }} }} }} }}
  node {{ name: "size" op: "Shape" input: "tf1" }}
  node {{ name: "n255" op: "Const" attr {{ key: "value" value {{ tensor {{
         dtype: DT_FLOAT tensor_shape {{ }} float_val: 255.0 }} }} }} }}
  {_packed("same", [255.0, 255.0, 255.0])}
  node {{ name: "div" op: "RealDiv" input: "tf1" input: "same" }}
  node {{ name: "w" op: "Placeholder" }}
  node {{ name: "conv" op: "Conv2D" input: "raw" input: "w" }}
  node {{ name: "scaled" op: "Mul" input: "n255" input: "mixed" }}
  node {{ name: "conv2" op: "Conv2D" input: "mixed" input: "w" }}
  node {{ name: "sub" op: "Sub" input: "offset" input: "n255" }}
  node {{ name: "call2" op: "PartitionedCall" input: "double"
         attr {{ key: "f" value {{ func {{ name: "twice" }} }} }} }}
  library {{
    function {{
      signature {{ name: "serve" input_arg {{ name: "x" type: DT_FLOAT }} }}
      {_const("rescaling/Cast/x", 1 / 255)}
      node_def {{ name: "id" op: "Identity" input: "x" }}
      node_def {{ name: "rescaling/mul" op: "Mul" input: "id:output:0"
                 input: "rescaling/Cast/x:output:0" }}
    }}
    function {{
      signature {{ name: "twice" input_arg {{ name: "x" type: DT_FLOAT }} }}
      {_const("two", 2.0)}
      node_def {{ name: "mul" op: "Mul" input: "x" input: "two:output:0" }}
    }}
  }}
}}
"""


def _meta_graph() -> MetaGraphInfo:
    proto = protos.message_class("tensorflow.MetaGraphDef")()
    text_format.Parse(_GRAPH, proto, descriptor_pool=proto.DESCRIPTOR.file.pool)
    signature = SignatureInfo("s", "tensorflow/serving/predict", (), ())
    return MetaGraphInfo(("serve",), "", "", (signature,), 0, 3, 4, (), proto)


def _pixels(name: str) -> TensorInfo:
    return TensorInfo("x", "name", f"{name}:0", "DT_FLOAT", (None, 224, 224, 3))


@pytest.mark.parametrize(
    ("node", "factor", "op", "raw"),
    [
        ("keras", 1 / 255, "rescaling/mul", True),  # Rescaling(1/255) inside a call
        ("tf1", 1 / 255, "div", True),  # images / 255.0 (a Shape beside it reads no values)
        ("double", 2.0, "mul", False),  # scaled, but not from 0–255
    ],
)
def test_a_graph_that_scales_its_input_itself_says_by_what(
    node: str, factor: float, op: str, raw: bool
) -> None:
    scaling = input_scaling(_meta_graph(), _pixels(node))
    assert isinstance(scaling, InputScaling)
    assert scaling.factor == pytest.approx(factor, rel=1e-6)
    assert (scaling.op, scaling.takes_raw_pixels) == (op, raw)


@pytest.mark.parametrize("node", ["raw", "mixed", "offset"])
def test_a_graph_that_computes_with_the_input_first_leaves_the_range_open(node: str) -> None:
    # A convolution first (ResNet50, MobileNet), a scaling beside another use, a shift.
    assert input_scaling(_meta_graph(), _pixels(node)) is None
