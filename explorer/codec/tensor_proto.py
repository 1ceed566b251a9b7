"""numpy arrays ⇄ ``tensorflow.TensorProto``, without TensorFlow.

gRPC Predict carries every tensor as a TensorProto. TF Serving writes its outputs with
``Tensor::AsProtoField``: the typed repeated fields (``float_val``, ``int64_val``,
``string_val``, ...) plus dtype and shape, never ``tensor_content`` unless started with
``--enable_serialization_as_tensor_content``; :func:`fill_tensor_proto` writes the same.
:func:`tensor_proto_to_array` reads both forms, as ``Tensor::FromProto`` does, including
its rule that a typed field shorter than the shape repeats its last value.

Works on any TensorProto class (TensorFlow's own, tensorflow-serving-api's, or the one
``explorer.model.protos`` builds), since it only reads the message's descriptor.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.codec.limits import DEFAULT_MAX_ELEMENTS
from explorer.errors import InputError
from explorer.model.dtypes import numpy_name

if TYPE_CHECKING:
    from explorer.model.proto_types import TensorProto


# DataType name → the typed field Tensor::AsProtoField writes it to.
_FIELDS = {
    "DT_FLOAT": "float_val",
    "DT_DOUBLE": "double_val",
    "DT_INT32": "int_val",
    "DT_INT16": "int_val",
    "DT_INT8": "int_val",
    "DT_UINT8": "int_val",
    "DT_UINT16": "int_val",
    "DT_INT64": "int64_val",
    "DT_UINT32": "uint32_val",
    "DT_UINT64": "uint64_val",
    "DT_BOOL": "bool_val",
    "DT_STRING": "string_val",
    "DT_HALF": "half_val",
    "DT_COMPLEX64": "scomplex_val",
    "DT_COMPLEX128": "dcomplex_val",
}
_COMPLEX = {"DT_COMPLEX64": np.complex64, "DT_COMPLEX128": np.complex128}
# TensorShape::MaxDimensions(): a TensorProto with more is invalid to TensorFlow.
_TF_MAX_DIMS = 254
# numpy's NPY_MAXDIMS: more dimensions than this cannot be held here, even where TF could.
_NUMPY_MAX_DIMS = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32


def fill_tensor_proto(proto: TensorProto, array: Any) -> TensorProto:
    """Write an array into ``proto`` as TF Serving's ``AsProtoField`` does.

    Args:
        proto: an empty TensorProto message (filled in place).
        array: a numpy array or anything ``np.asarray`` takes; str/bytes/object arrays
            become DT_STRING.

    Returns:
        ``proto``, for chaining.

    Raises:
        InputError: a dtype a TensorProto cannot carry (e.g. a Python object array of
            non-strings).
    """
    array = np.asarray(array)
    dtype = dtype_of(array)
    proto.dtype = _enum(proto).values_by_name[dtype].number
    for size in array.shape:
        proto.tensor_shape.dim.add().size = int(size)
    field = getattr(proto, _FIELDS[dtype])
    flat = array.reshape(-1)
    if dtype == "DT_STRING":
        field.extend(_as_bytes(v) for v in flat.tolist())
    elif dtype == "DT_HALF":
        field.extend(flat.astype(np.float16).view(np.uint16).tolist())
    elif dtype in _COMPLEX:
        field.extend(np.stack([flat.real, flat.imag], axis=-1).reshape(-1).tolist())
    else:
        field.extend(flat.tolist())
    return proto


def tensor_proto_to_array(proto: TensorProto) -> np.ndarray:
    """A TensorProto's value as a numpy array (DT_STRING: an object array of bytes).

    Args:
        proto: the message.

    Returns:
        The array, shaped by ``tensor_shape``.

    Raises:
        InputError: an unsupported dtype, or values that do not fit the shape.
    """
    dtype = _enum(proto).values_by_number.get(proto.dtype)
    name = dtype.name if dtype is not None else f"DT_UNKNOWN_{proto.dtype}"
    if name not in _FIELDS:
        raise InputError(
            f"A TensorProto of {name} cannot be converted: supported dtypes are "
            f"{', '.join(sorted(_FIELDS))}.",
        )
    shape = _shape(proto)
    count = math.prod(shape)  # Python ints: numpy's int64 product wraps around silently
    if name == "DT_STRING":
        values: np.ndarray = np.empty(len(proto.string_val), dtype=object)
        values[:] = list(proto.string_val)
    elif proto.tensor_content:
        values = _from_content(proto.tensor_content, name, count)
    else:
        values = _from_field(proto, name)
    if len(values) == count:
        return values.reshape(shape)
    if count > DEFAULT_MAX_ELEMENTS:
        # A short (or empty) field fills the shape by repetition: refuse before allocating.
        raise InputError(
            f"tensor parsing error: TensorProto shape {shape} asks for {count:,} elements from "
            f"{len(values)} values, more than the {DEFAULT_MAX_ELEMENTS:,} a request may carry.",
        )
    if 0 < len(values) < count:
        # Tensor::FromProto: a shorter typed field repeats its last value to fill the shape.
        padding = np.repeat(values[-1:], count - len(values))
        return np.concatenate([values, padding]).reshape(shape)
    if len(values) == 0:  # no values at all: TensorFlow's zero (or b"") of the dtype
        return np.full(count, b"" if name == "DT_STRING" else 0, dtype=values.dtype).reshape(shape)
    raise InputError(
        f"TensorProto of {name} holds {len(values)} values, more than its shape {shape} "
        f"allows ({count}).",
    )


def _shape(proto: TensorProto) -> list[int]:
    """The dims of ``tensor_shape``, checked as TensorShape::IsValid does, and against what
    numpy can hold (every malformed shape is the request's fault: INVALID_ARGUMENT).

    Raises:
        InputError: an unknown dimension, too many dimensions, or a size past int64.
    """
    dims = proto.tensor_shape.dim
    if len(dims) > _NUMPY_MAX_DIMS:
        limit = (
            f"TensorFlow allows at most {_TF_MAX_DIMS}"
            if len(dims) > _TF_MAX_DIMS
            else f"Signature Explorer (numpy) holds at most {_NUMPY_MAX_DIMS}"
        )
        raise InputError(
            f"tensor parsing error: TensorProto shape has {len(dims)} dimensions; {limit}."
        )
    shape = [int(d.size) for d in dims]
    if any(s < 0 for s in shape):
        raise InputError(f"TensorProto shape {shape} has an unknown (-1) dimension.")
    # Past int64 no tensor is valid. numpy also refuses a shape whose non-zero dims, in
    # bytes (16 for the widest dtype), overflow, even when a zero dim makes it empty.
    if math.prod(shape) >= 2**63 or math.prod(s for s in shape if s) * 16 >= 2**63:
        raise InputError(f"tensor parsing error: TensorProto shape {shape} overflows int64.")
    return shape


def dtype_of(array: np.ndarray) -> str:
    """The DataType name for an array: ``float32`` → ``DT_FLOAT``, bytes/str → DT_STRING.

    Raises:
        InputError: a dtype TF has no DataType for.
    """
    if array.dtype.kind in "OSU":
        return "DT_STRING"
    for name in _FIELDS:
        if name != "DT_STRING" and numpy_name(name) == array.dtype.name:
            return name
    raise InputError(
        f"Arrays of {array.dtype.name} have no TensorFlow DataType a TensorProto can carry.",
    )


def _enum(proto: TensorProto) -> Any:
    return proto.DESCRIPTOR.fields_by_name["dtype"].enum_type


def _numpy(name: str) -> Any:
    return np.dtype(numpy_name(name))


def _from_content(content: bytes, name: str, count: int) -> np.ndarray:
    dtype = _numpy(name)
    if len(content) != count * dtype.itemsize:
        raise InputError(
            f"TensorProto tensor_content holds {len(content)} bytes; {count} values of "
            f"{name} need {count * dtype.itemsize}."
        )
    return np.frombuffer(content, dtype=dtype.newbyteorder("<")).astype(dtype)


def _from_field(proto: TensorProto, name: str) -> np.ndarray:
    values = list(getattr(proto, _FIELDS[name]))
    if name == "DT_HALF":
        return np.array(values, dtype=np.uint16).view(np.float16)
    if name in _COMPLEX:
        # (real, imaginary) pairs: an odd last value is no element (ProtoHelper counts
        # size() / 2), as in Tensor::FromProto.
        pairs = np.array(values[: len(values) // 2 * 2], dtype=np.float64).reshape(-1, 2)
        return (pairs[:, 0] + 1j * pairs[:, 1]).astype(_COMPLEX[name])
    if _FIELDS[name] == "int_val":
        # int_val holds the narrow integer types as int32: narrow with a C cast, as TF does.
        return np.array(values, dtype=np.int64).astype(_numpy(name))
    return np.array(values, dtype=_numpy(name))


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise InputError(
        f"A DT_STRING tensor holds {type(value).__name__} values; expected bytes or str.",
    )
