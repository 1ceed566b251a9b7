"""Feature dicts ⇄ serialized ``tf.Example``, with TF Serving's JSON → Feature rules.

TF Serving builds one ``tf.Example`` per JSON object of a classify/regress body
(``MakeExampleFromJsonObject``): each key becomes a Feature, a scalar is a one-element
list, and the JSON token picks the list type: a number written with ``.`` or an exponent →
``float_list`` (float32), an integer → ``int64_list``, ``true``/``false`` → ``int64_list``
1/0, a string or ``{"b64": ...}`` → ``bytes_list``. With a ``context`` every example is
sent as ``serialized(context) + serialized(example)``: protobuf merges the two, and on a
duplicate feature the example's value wins (reference §1.3).

Uses ``explorer.model.protos`` so nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from explorer.codec.json_document import members
from explorer.codec.json_tensor import bytes_json, decode_b64, encode_text, is_b64
from explorer.codec.limits import value_type
from explorer.codec.rest_text import INT64_MAX, is_double
from explorer.errors import InputError
from explorer.model import protos

if TYPE_CHECKING:
    from explorer.model.proto_types import Example


_KIND_WORDS = {"bytes_list": "bytes", "float_list": "float", "int64_list": "int64"}


def example_from_json(features: Any) -> Example:
    """One JSON object (feature name → value or list) as a ``tf.Example`` message.

    Args:
        features: the object, e.g. ``{"x": 2.0, "tags": ["a", "b"], "n": 3}``.

    Returns:
        The ``tensorflow.Example`` message.

    Raises:
        InputError: not an object, or a value TF Serving's JSON layer rejects.
    """
    if not isinstance(features, dict):
        raise InputError(
            f"Example must be JSON object but got JSON {value_type(features)}",
        )
    example = example_class()()
    feature_map = example.features.feature
    # Every member, in order: a repeated feature name is converted again and replaces the
    # earlier one (map assignment), so the last one wins.
    for name, content in members(features):
        kind, values = _feature_values(str(name), content)
        encode_text(str(name))  # a lone surrogate in a name: an InputError, not protobuf's
        feature = feature_map[str(name)]
        feature.Clear()
        if kind is not None:
            getattr(feature, kind).value.extend(values)
    return example


def serialize_examples(examples: Sequence[Any], context: Any = None) -> list[bytes]:
    """The DT_STRING batch TF Serving feeds for classify/regress.

    Args:
        examples: JSON objects, ``tf.Example`` messages or already serialized bytes.
        context: optional shared features (same forms); prepended to every example.

    Returns:
        One serialized string per example (``context + example`` when there is a context).

    Raises:
        InputError: ``Input is empty.`` for no examples, or a feature TF Serving rejects.
    """
    prefix = b"" if context is None else _serialized(context)
    serialized = [prefix + _serialized(example) for example in examples]
    if not serialized:
        raise InputError("Input is empty.")
    return serialized


def example_to_json(serialized: bytes | Example) -> dict[str, Any]:
    """A serialized ``tf.Example`` back to the JSON TF Serving would accept for it.

    Floats stay floats (``2.0``), int64s ints, and bytes become strings, or ``{"b64": ...}``
    when they are not UTF-8. One-element lists are written as scalars.

    Args:
        serialized: the bytes, or a ``tf.Example`` message.

    Returns:
        Feature name → value or list, sorted by name.

    Raises:
        InputError: the bytes are not a ``tf.Example``.
    """
    if isinstance(serialized, (bytes, bytearray)):
        example = example_class()()
        try:
            example.ParseFromString(bytes(serialized))
        except Exception as exc:  # protobuf raises DecodeError, a plain Exception subclass
            raise InputError(f"Not a serialized tf.Example: {exc}") from exc
    else:
        example = serialized
    result: dict[str, Any] = {}
    for name in sorted(example.features.feature):
        feature = example.features.feature[name]
        kind = feature.WhichOneof("kind")
        values = list(getattr(feature, kind).value) if kind else []
        if kind == "bytes_list":
            values = [bytes_json(v) for v in values]
        elif kind == "float_list":
            # float32's shortest repr (0.1, not 0.10000000149011612).
            values = [float(str(np.float32(v))) for v in values]
        result[name] = values[0] if len(values) == 1 else values
    return result


@cache
def example_class() -> type[Example]:
    """The ``tensorflow.Example`` message class (from ``explorer.model.protos``, no TensorFlow)."""
    return cast("type[Example]", protos.message_class("tensorflow.Example"))


def _serialized(item: Any) -> bytes:
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    if hasattr(item, "SerializeToString"):
        return bytes(item.SerializeToString())
    return example_from_json(item).SerializeToString()


def _feature_values(name: str, content: Any) -> tuple[str | None, list[Any]]:
    # AddValueToFeature over each element; the first element fixes the list kind.
    kind: str | None = None
    values: list[Any] = []
    element: int | float | bytes | None
    for value in content if isinstance(content, list) else [content]:
        if isinstance(value, np.generic):  # classify_examples' numpy values
            value = value.item()
        if isinstance(value, bool):
            element_kind, element = "int64_list", int(value)
        elif isinstance(value, str):
            element_kind, element = "bytes_list", encode_text(value)
        elif isinstance(value, bytes):  # classify_examples: raw bytes, as a BytesList holds
            element_kind, element = "bytes_list", value
        elif is_b64(value):
            element_kind, element = "bytes_list", None
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            element_kind = "float_list" if is_double(value) else "int64_list"
            element = _double(name, value) if element_kind == "float_list" else value
        else:
            raise InputError(
                f"Feature: {name} has element with unexpected JSON type: {value_type(value)}",
                key=name,
            )
        if kind is not None and element_kind != kind:
            raise InputError(
                f"Unexpected element type in feature: {name} expecting type: {_KIND_WORDS[kind]}",
                key=name,
            )
        if element is None:
            element = decode_b64(value)
        elif isinstance(element, int) and element > INT64_MAX:
            # Only integers up to uint64 get here: rapidjson holds larger ones as doubles.
            raise InputError(
                f"Feature: {name} has uint64_t element. Only int64_t is supported.", key=name
            )
        kind = element_kind
        values.append(element)
    return kind, values


def value_count(features: Any) -> int:
    """How many feature values one example (a JSON object) holds: a list counts its
    elements, a scalar one. Anything else counts 0 (its conversion reports it)."""
    if not isinstance(features, dict):
        return 0
    return sum(len(v) if isinstance(v, list) else 1 for _, v in members(features))


def _double(name: str, value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer token past double's range (rapidjson: too big)
        raise InputError(
            f"Feature: {name} has a number too big to be stored in double "
            f"(an integer of {int(value).bit_length()} bits).",
            key=name,
        ) from None
