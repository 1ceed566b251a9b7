"""Constant values written in a graph (``Const`` ops' TensorProtos), decoded without TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer.model import protos
from explorer.model.dtypes import numpy_name

_FIELDS = {
    "DT_STRING": "string_val",
    "DT_FLOAT": "float_val",
    "DT_DOUBLE": "double_val",
    "DT_INT64": "int64_val",
    "DT_BOOL": "bool_val",
}
# A Const past this many elements is not decoded (a key list or default is far smaller).
MAX_CONST_ELEMENTS = 1_000_000


def const_values(node: Any) -> list[Any] | None:
    """A ``Const`` node's values flattened (bytes for strings); None past the size limit."""
    return tensor_values(node.attr["value"].tensor)


def tensor_values(tensor: Any) -> list[Any] | None:
    """A TensorProto's values flattened; fewer values than elements repeat the last, as
    TensorFlow fills them. None when it holds more than MAX_CONST_ELEMENTS."""
    dtype = dtype_name(tensor.dtype)
    dims = [d.size for d in tensor.tensor_shape.dim]
    size = int(np.prod(dims)) if dims else 1
    if size > MAX_CONST_ELEMENTS or size < 0:
        return None
    if tensor.tensor_content and dtype != "DT_STRING":
        values: list[Any] = np.frombuffer(tensor.tensor_content, dtype=numpy_name(dtype)).tolist()
        return values
    values = list(getattr(tensor, _FIELDS.get(dtype, "int_val")))
    if values and len(values) < size:
        values += [values[-1]] * (size - len(values))
    return values


def dtype_name(number: int) -> str:
    """A DataType enum number as its name: 1 → ``DT_FLOAT``."""
    enum = protos.message_class("tensorflow.AttrValue").DESCRIPTOR.fields_by_name["type"]
    value = enum.enum_type.values_by_number.get(number)
    return value.name if value is not None else f"DT_UNKNOWN_{number}"
