"""Readable text for the ``StructuredValue`` / ``TypeSpecProto`` of composite TensorInfos."""

from __future__ import annotations

from typing import Any


def describe_type_spec(type_spec: Any) -> str:
    """``TypeSpecProto`` → e.g. ``RaggedTensorSpec(TensorShape([None, None]), tf.int64, 1)``."""
    enum = type_spec.DESCRIPTOR.fields_by_name["type_spec_class"].enum_type
    class_value = enum.values_by_number.get(type_spec.type_spec_class)
    class_name = type_spec.type_spec_class_name or _camel(
        class_value.name if class_value else "TypeSpec"
    )
    state = to_python(type_spec.type_state)
    args = state if isinstance(state, tuple) else (state,)
    return f"{class_name}({', '.join(_render(a) for a in args)})"


def to_python(value: Any) -> Any:
    """A ``StructuredValue`` as plain Python (tuples, lists, dicts, shapes as tuples)."""
    kind = value.WhichOneof("kind")
    if kind is None or kind == "none_value":
        return None
    if kind in ("float64_value", "int64_value", "string_value", "bool_value"):
        return getattr(value, kind)
    if kind == "tensor_shape_value":
        shape = value.tensor_shape_value
        if shape.unknown_rank:
            return _Text("TensorShape(None)")
        dims = ", ".join("None" if d.size < 0 else str(d.size) for d in shape.dim)
        return _Text(f"TensorShape([{dims}])")
    if kind == "tensor_dtype_value":
        enum = value.DESCRIPTOR.fields_by_name["tensor_dtype_value"].enum_type
        name = enum.values_by_number[value.tensor_dtype_value].name
        return _Text("tf." + _tf_dtype(name))
    if kind == "list_value":
        return [to_python(v) for v in value.list_value.values]
    if kind == "tuple_value":
        return tuple(to_python(v) for v in value.tuple_value.values)
    if kind == "dict_value":
        return {k: to_python(v) for k, v in value.dict_value.fields.items()}
    if kind == "named_tuple_value":
        return {p.key: to_python(p.value) for p in value.named_tuple_value.values}
    if kind == "type_spec_value":
        return _Text(describe_type_spec(value.type_spec_value))
    return _Text(kind)


class _Text(str):
    """A string rendered without quotes."""


def _render(value: Any) -> str:
    if isinstance(value, _Text):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_render(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_render(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _tf_dtype(enum_name: str) -> str:
    names = {"DT_FLOAT": "float32", "DT_DOUBLE": "float64", "DT_HALF": "float16"}
    return names.get(enum_name, enum_name.removeprefix("DT_").lower())


def _camel(enum_name: str) -> str:
    return "".join(part.capitalize() for part in enum_name.lower().split("_"))
