"""Whether a graph scales an input's values itself, read from the ops at the input (no
TensorFlow).

An image model's first op decides which pixel values it wants. Keras' ``Rescaling`` layer
(EfficientNet, ConvNeXt, a user's own ``Rescaling(1/255)``) and a TF1 graph's
``images / 255.0`` multiply the input by a constant before anything else reads it: such a
graph wants pixel values as they are, 0–255. A graph that starts with a convolution
(ResNet50, MobileNet) leaves the range to the preprocessing the model was trained with,
which the graph does not record.

:func:`input_scaling` follows the input's values through ops that hand them on unchanged
(identity, casts, reshapes, function calls) to the first ops that compute with them, and
reports the factor when every one of them is a multiply (or divide) by one constant.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.graph.dataflow import Dataflow, Use, data_inputs, dataflow_of
from explorer.graph.tensor_values import const_values
from explorer.model.info import MetaGraphInfo, TensorInfo

# Ops that hand their input's values on unchanged (only the shape or the dtype changes).
_PASS_ON = frozenset(
    {
        "Identity",
        "IdentityN",
        "Snapshot",
        "StopGradient",
        "EnsureShape",
        "Cast",
        "Reshape",
        "ExpandDims",
        "Squeeze",
    }
)
# Ops that read only the input's shape: they do not compute with its values.
_SHAPE_ONLY = frozenset({"Shape", "ShapeN", "Rank", "Size"})
_MULTIPLY = frozenset({"Mul"})
_DIVIDE = frozenset({"RealDiv", "Div", "TrueDiv", "DivNoNan"})
# How many first ops are read before giving up (a graph fanning its input out widely).
_MAX_USES = 64


@dataclass(frozen=True, slots=True)
class InputScaling:
    """The constant factor a graph multiplies an input by before any other computation."""

    factor: float
    # The op that scales (its name as the graph or function body spells it).
    op: str

    @property
    def takes_raw_pixels(self) -> bool:
        """Whether the factor maps pixel values 0–255 into a unit range by itself (× 1/255
        to 0–1, or × 1/127.5 to 0–2 before an offset of −1): the graph wants 0–255."""
        return 0.9 <= self.factor * 255.0 <= 2.1


def input_scaling(meta_graph: MetaGraphInfo, info: TensorInfo) -> InputScaling | None:
    """The factor ``info``'s values are multiplied by first, when the graph scales them
    itself with one constant; None when the first computation is anything else.

    Raises:
        Nothing.
    """
    if info.encoding != "name" or not info.name or meta_graph.proto is None:
        return None
    flow = dataflow_of(meta_graph)
    found: list[InputScaling] = []
    for count, use in enumerate(
        flow.consumers(flow.port("", info.name), through=lambda use: use.node.op in _PASS_ON)
    ):
        if count >= _MAX_USES:
            return None
        if use.node.op in _PASS_ON or use.node.op in _SHAPE_ONLY:
            continue
        scaling = _scaling(flow, use)
        if scaling is None:
            return None
        found.append(scaling)
    if not found or len({s.factor for s in found}) != 1:
        return None
    return found[0]


def _scaling(flow: Dataflow, use: Use) -> InputScaling | None:
    # A multiply by a constant (either operand), or a divide of the input by a constant.
    node = use.node
    inputs = data_inputs(node)
    if len(inputs) != 2:
        return None
    if node.op in _MULTIPLY:
        other = inputs[1 - use.input_index]
    elif node.op in _DIVIDE and use.input_index == 0:
        other = inputs[1]
    else:
        return None
    value = _constant(flow, use.scope, other)
    if value is None or value == 0.0:
        return None
    return InputScaling(value if node.op in _MULTIPLY else 1.0 / value, str(node.name))


def _constant(flow: Dataflow, scope: str, ref: str) -> float | None:
    # One number: a Const (through identities and function arguments) holding one value,
    # or the same value everywhere.
    origins = flow.origins(scope, ref)
    if len(origins) != 1:
        return None
    _, node = origins[0]
    if node.op != "Const":
        return None
    values = const_values(node)
    if not values or len(set(values)) != 1 or isinstance(values[0], (bytes, bool)):
        return None
    return float(values[0])
