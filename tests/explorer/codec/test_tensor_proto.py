"""numpy ⇄ TensorProto without TensorFlow, as TF Serving writes and reads them."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.codec.tensor_proto import fill_tensor_proto, tensor_proto_to_array
from explorer.errors import InputError
from explorer.model import protos

TensorProto = protos.message_class("tensorflow.TensorProto")


@pytest.mark.parametrize(
    "array",
    [
        np.array([[1.5, 2.0], [3.0, 4.0]], np.float32),
        np.array(3.0),  # a scalar: shape []
        np.array([1, -2], np.int8),
        np.array([2**40], np.int64),
        np.array([b"a", b"\xff"], dtype=object),
        np.array([True, False]),
        np.array([1.5], np.float16),
        np.array([1 + 2j], np.complex64),
        np.zeros((0, 3), np.float32),
    ],
    ids=lambda a: f"{a.dtype}{list(a.shape)}",
)
def test_round_trip_keeps_dtype_shape_and_values(array: np.ndarray) -> None:
    back = tensor_proto_to_array(fill_tensor_proto(TensorProto(), array))
    assert back.dtype == array.dtype
    assert back.shape == array.shape
    assert back.tolist() == array.tolist()


def test_typed_fields_are_written_as_tf_serving_does() -> None:
    proto = fill_tensor_proto(TensorProto(), np.array([[3.0]], np.float32))
    assert list(proto.float_val) == [3.0]
    assert not proto.tensor_content
    assert [d.size for d in proto.tensor_shape.dim] == [1, 1]


def test_tensor_content_and_a_short_field_are_read_as_tensorflow_does() -> None:
    proto = TensorProto(dtype=1)  # DT_FLOAT
    proto.tensor_shape.dim.add().size = 2
    proto.tensor_content = np.array([1.0, 2.0], np.float32).tobytes()
    assert tensor_proto_to_array(proto).tolist() == [1.0, 2.0]
    repeated = TensorProto(dtype=1, float_val=[7.0])
    repeated.tensor_shape.dim.add().size = 3
    assert tensor_proto_to_array(repeated).tolist() == [7.0, 7.0, 7.0]  # the last value repeats


def test_unsupported_dtypes_and_sizes_are_input_errors() -> None:
    resource = TensorProto(dtype=20)  # DT_RESOURCE
    with pytest.raises(InputError, match="DT_RESOURCE cannot be converted"):
        tensor_proto_to_array(resource)
    too_many = TensorProto(dtype=1, float_val=[1.0, 2.0])
    with pytest.raises(InputError, match="more than its shape"):
        tensor_proto_to_array(too_many)
