"""JSON → tf.Example as TF Serving builds it (json_tensor.cc, reference §5.3 and §6.6),
context merging (§1.3, §6.5), and the way back for display. No TensorFlow needed."""

from __future__ import annotations

import math

import pytest

from explorer.codec import tf_example
from explorer.errors import InputError


def _parsed(serialized: bytes):  # type: ignore[no-untyped-def]
    example = tf_example.example_class()()
    example.ParseFromString(serialized)
    return example.features.feature


def test_json_token_picks_the_feature_list() -> None:
    example = tf_example.example_from_json(
        {
            "names": ["foo", "bar"],
            "ratings": [8.0, 9.0],
            "age": 20,
            "intboolmix": [1, True, False],
            "photo": {"b64": "aGVsbG8="},
            "empty": [],
        }
    )
    features = example.features.feature
    assert list(features["names"].bytes_list.value) == [b"foo", b"bar"]
    assert list(features["ratings"].float_list.value) == [8.0, 9.0]
    assert list(features["age"].int64_list.value) == [20]
    assert list(features["intboolmix"].int64_list.value) == [1, 1, 0]
    assert list(features["photo"].bytes_list.value) == [b"hello"]
    assert features["empty"].WhichOneof("kind") is None


def test_nan_and_infinity_are_float_features() -> None:
    features = tf_example.example_from_json({"v": [math.nan, math.inf, -math.inf]}).features
    values = list(features.feature["v"].float_list.value)
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf]


def test_an_integer_is_int64_so_a_float_parser_rejects_it() -> None:
    features = tf_example.example_from_json({"x": 2, "y": 2.0}).features.feature
    assert features["x"].WhichOneof("kind") == "int64_list"
    assert features["y"].WhichOneof("kind") == "float_list"


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([1], "Example must be JSON object but got JSON Array"),
        ("x", "Example must be JSON object but got JSON String"),
        ({"x": [10, 10.0]}, "Unexpected element type in feature: x expecting type: int64"),
        ({"x": [1.5, "a"]}, "Unexpected element type in feature: x expecting type: float"),
        ({"x": ["a", True]}, "Unexpected element type in feature: x expecting type: bytes"),
        ({"x": None}, "Feature: x has element with unexpected JSON type: Null"),
        ({"x": [[1]]}, "Feature: x has element with unexpected JSON type: Array"),
        ({"x": {"a": 1}}, "Feature: x has element with unexpected JSON type: Object"),
        ({"x": 2**63}, "Feature: x has uint64_t element. Only int64_t is supported."),
        ({"x": {"b64": "!!"}}, "Unable to base64 decode"),
    ],
)
def test_feature_errors_are_tf_servings(features, message) -> None:
    with pytest.raises(InputError) as info:
        tf_example.example_from_json(features)
    assert str(info.value) == message


def test_integers_beyond_uint64_are_doubles_as_in_rapidjson() -> None:
    features = tf_example.example_from_json({"x": 2**64}).features.feature
    assert features["x"].WhichOneof("kind") == "float_list"


def test_context_is_prepended_and_the_example_wins() -> None:
    batch = tf_example.serialize_examples([{}, {"x": 4.0}], {"x": 10.0, "c": "shared"})
    first, second = (_parsed(b) for b in batch)
    assert list(first["x"].float_list.value) == [10.0]
    assert list(second["x"].float_list.value) == [4.0]
    assert list(second["c"].bytes_list.value) == [b"shared"]


def test_classifier_test_context_semantics() -> None:
    # classifier_test.cc: a context with class/score lists and two empty examples.
    context = {"class": ["dos", "uno"], "score": [2.0, 1.0]}
    for serialized in tf_example.serialize_examples([{}, {}], context):
        features = _parsed(serialized)
        assert list(features["class"].bytes_list.value) == [b"dos", b"uno"]
    context = {"uno": 1, "dos": 2}
    merged = _parsed(tf_example.serialize_examples([{"tres": 3, "cuatro": 4}], context)[0])
    assert set(merged) == {"uno", "dos", "tres", "cuatro"}


def test_no_examples_is_input_is_empty() -> None:
    with pytest.raises(InputError, match=r"^Input is empty\.$"):
        tf_example.serialize_examples([], {"x": 1.0})


def test_accepts_messages_and_bytes_and_reads_them_back() -> None:
    message = tf_example.example_from_json(
        {"x": 0.1, "n": [1, 2], "s": "é", "raw": {"b64": "/w=="}}
    )
    batch = tf_example.serialize_examples([message, message.SerializeToString()])
    assert batch[0] == batch[1]
    assert tf_example.example_to_json(batch[0]) == {
        "n": [1, 2],
        "raw": {"b64": "/w=="},
        "s": "é",
        "x": 0.1,
    }
    with pytest.raises(InputError, match=r"Not a serialized tf\.Example"):
        tf_example.example_to_json(b"\xff\xff")
