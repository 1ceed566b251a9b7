"""TF Serving's own request tests, ported: ``tensorflow_serving/util/json_tensor_test.cc``.

Each test names the TF Serving test it ports (file and TEST name); the requests and the
expected tensors and texts are TF Serving's. Every predict case runs through both request
paths (fast and exact, ``request_paths.predict_both``). TF Serving's build: the current
release line (2.x, rapidjson v1.1.0 as ``workspace.bzl`` pins it; ``absl::Substitute``
prints a double with six significant digits).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer.codec import limits, rest_request, tf_example
from explorer.errors import InputError
from tests.explorer.codec.request_paths import error, signature, tensors

INT32 = signature(("default", "DT_INT32"))
FLOAT = signature(("default", "DT_FLOAT"))
DOUBLE = signature(("default", "DT_DOUBLE"))
STRING = signature(("default", "DT_STRING"))


def _row(body: str, sig=INT32) -> dict[str, np.ndarray]:
    converted = rest_request.predict_inputs(limits.parse_body(body), sig)
    assert converted.row_format
    return tensors(body, sig)


def test_single_unnamed_tensor() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, SingleUnnamedTensor)
    out = _row('{"instances": [[1,2],[3,4],[5,6]]}')
    assert out["default"].dtype == np.int32
    assert out["default"].tolist() == [[1, 2], [3, 4], [5, 6]]


def test_deeply_nested_well_formed() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, DeeplyNestedWellFormed): 500,000 levels in a
    # member TF Serving never reads.
    body = '{"instances":[1], "nested":' + "[" * 500_000 + "]" * 500_000 + "}"
    assert _row(body)["default"].tolist() == [1]


def test_deeply_nested_malformed() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, DeeplyNestedMalformed)
    body = '{"signature_name":' + "[" * 500_000 + "]" * 500_000 + "}"
    with pytest.raises(InputError, match="key must be a string value"):
        rest_request.request_signature_name(limits.parse_body(body))


def test_mixed_input_for_float_tensor() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, MixedInputForFloatTensor)
    out = _row('{"instances": [1, 2.0, 3, 4, 5.003, 0.007, 0.0]}', FLOAT)["default"]
    assert out.dtype == np.float32
    assert out.tolist() == np.array([1, 2.0, 3, 4, 5.003, 0.007, 0.0], np.float32).tolist()


def test_mixed_input_for_double_tensor() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, MixedInputForDoubleTensor)
    out = _row('{"instances": [1.0, 2, 3, 4, 0.662, 0, 0.0]}', DOUBLE)["default"]
    assert out.dtype == np.float64
    assert out.tolist() == [1.0, 2, 3, 4, 0.662, 0, 0.0]


def test_float_tensor_with_precision_loss() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, FloatTensorWithPrecisionLoss): an integer
    # and the same number with ".0" both become the nearest float.
    for body in ('{"instances": [1435774380]}', '{"instances": [1435774380.0]}'):
        assert _row(body, FLOAT)["default"].tolist() == [float(np.float32(1435774380))]


def test_float_tensor_that_exceeds_max_returns_inf() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, FloatTensorThatExceedsMaxReturnsInf):
    # absl::Substitute("$0", DBL_MAX) prints "1.79769e+308".
    assert _row('{ "instances": [1.79769e+308] }', FLOAT)["default"].tolist() == [math.inf]
    assert _row('{ "instances": [-1.79769e+308] }', FLOAT)["default"].tolist() == [-math.inf]


def test_float_tensor_that_exceeds_min_returns_zero() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, FloatTensorThatExceedsMinReturnsZero):
    # DBL_MIN printed "2.22507e-308".
    small = _row('{ "instances": [2.22507e-308] }', FLOAT)["default"]
    assert small.tolist() == [0.0]
    assert not np.signbit(small[0])
    negative = _row('{ "instances": [-2.22507e-308] }', FLOAT)["default"]
    assert negative.tolist() == [0.0]
    assert np.signbit(negative[0])


def test_single_unnamed_tensor_with_signature() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, SingleUnnamedTensorWithSignature)
    body = '{"signature_name": "predict_images", "instances": [[1,2]]}'
    assert rest_request.request_signature_name(limits.parse_body(body)) == "predict_images"
    assert _row(body)["default"].tolist() == [[1, 2]]


def test_tensor_from_non_null_terminated_buffer() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, TensorFromNonNullTerminatedBuffer): the
    # body ends before the 'X'; kParseStopWhenDoneFlag also ignores it when sent.
    for body in ('{"instances": [[1,2],[3,4],[5,6]]}', '{"instances": [[1,2],[3,4],[5,6]]}X'):
        assert _row(body)["default"].tolist() == [[1, 2], [3, 4], [5, 6]]


def test_single_unnamed_tensor_base64_scalars() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, SingleUnnamedTensorBase64Scalars)
    body = '{"instances": [ { "b64" : "aGVsbG8=" }, { "b64": "d29ybGQ=" } ]}'
    assert _row(body, STRING)["default"].tolist() == [b"hello", b"world"]


def test_single_unnamed_tensor_base64_lists() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, SingleUnnamedTensorBase64Lists)
    body = '{"instances": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]}'
    assert _row(body, STRING)["default"].tolist() == [[b"hello"], [b"world"]]


def test_single_named_tensor_base64() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, SingleNamedTensorBase64)
    body = '{"instances": [{"default": [ [{ "b64" : "aGVsbG8=" }], [{ "b64": "d29ybGQ=" }] ]}]}'
    assert _row(body, STRING)["default"].tolist() == [[[b"hello"], [b"world"]]]


def test_multiple_named_tensor() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, MultipleNamedTensor): NaN and Infinity.
    sig = signature(
        ("int_tensor", "DT_INT32"),
        ("str_tensor", "DT_STRING"),
        ("float_tensor", "DT_FLOAT"),
        ("dbl_tensor", "DT_DOUBLE"),
    )
    body = """{"instances": [
        {"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"],
         "float_tensor": [1.0, NaN], "dbl_tensor": [NaN]},
        {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"],
         "float_tensor": [2.0, Infinity], "dbl_tensor": [2.0]}]}"""
    out = _row(body, sig)
    assert out["int_tensor"].shape == (2, 3, 2)
    assert out["int_tensor"].ravel().tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    assert out["str_tensor"].tolist() == [[b"foo", b"bar"], [b"baz", b"bat"]]
    floats = out["float_tensor"]
    assert floats.dtype == np.float32
    assert floats.shape == (2, 2)
    assert floats[0, 0] == 1.0
    assert math.isnan(floats[0, 1])
    assert floats[1].tolist() == [2.0, math.inf]
    doubles = out["dbl_tensor"]
    assert doubles.dtype == np.float64
    assert doubles.shape == (2, 1)
    assert math.isnan(doubles[0, 0])
    assert doubles[1, 0] == 2.0


def test_single_unnamed_tensor_columnar_format() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, SingleUnnamedTensorColumnarFormat)
    sig = signature(("int_tensor", "DT_INT32"))
    for body in (
        '{"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]]}}',
        '{"inputs": [[[1,2],[3,4],[5,6]]]}',
    ):
        converted = rest_request.predict_inputs(limits.parse_body(body), sig)
        assert not converted.row_format
        assert tensors(body, sig)["int_tensor"].tolist() == [[[1, 2], [3, 4], [5, 6]]]


def test_multiple_named_tensor_columnar_format() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, MultipleNamedTensorColumnarFormat)
    sig = signature(
        ("int_tensor", "DT_INT32"), ("str_tensor", "DT_STRING"), ("bin_tensor", "DT_STRING")
    )
    body = """{"inputs": {"int_tensor": [[[1,2],[3,4],[5,6]]], "str_tensor": ["foo", "bar"],
                "bin_tensor": { "b64" : "aGVsbG8=" }}}"""
    out = tensors(body, sig)
    assert out["int_tensor"].shape == (1, 3, 2)
    assert out["str_tensor"].tolist() == [b"foo", b"bar"]
    assert out["bin_tensor"].shape == ()
    assert out["bin_tensor"].item() == b"hello"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("", "document is empty"),
        ('{"signature_name": 5, "instances": [[1,2],[3,4],[5,6,7]]}', "must be a string value"),
        (
            '{"instances": [[1,2],[3,4],[5,6,7]], "inputs": [[1,2],[3,4],[5,6,7]]}',
            "Not formatted correctly",
        ),
        ('{"instances": [[1,2],[3,4],[5,6,7]]}', "Expecting tensor size"),
        ('{"instances": [[1,2],[3,4],[[5,6]]]}', "Expecting shape"),
        ('{"instances": [1, [1]]}', "Expecting shape"),
        ('{"instances": [[1,2],["a", "b"]]}', "not of expected type"),
    ],
)
def test_single_unnamed_tensor_errors(body: str, words: str) -> None:
    # json_tensor_test.cc TEST(JsontensorTest, SingleUnnamedTensorErrors)
    if body and "signature_name" in body:
        with pytest.raises(InputError, match=words):
            rest_request.request_signature_name(limits.parse_body(body))
        return
    assert words in error(body, INT32)


MULTIPLE = signature(("int_tensor", "DT_INT32"), ("str_tensor", "DT_STRING"))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            """{"instances": [{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},
            {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}]}""",
            "Expecting shape",
        ),
        (
            """{"instances": [
            {"int_tensor": [[1,2],[3,4],[5,6],[7,8]], "str_tensor": ["foo", "bar"]},
            {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"]}]}""",
            "Expecting tensor size",
        ),
        (
            """{"instances": [{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},
            [1, 20, 30], {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}]}""",
            "Expecting object but got list",
        ),
    ],
)
def test_multiple_named_tensor_errors(body: str, words: str) -> None:
    # json_tensor_test.cc TEST(JsontensorTest, MultipleNamedTensorErrors)
    assert words in error(body, MULTIPLE)


def test_multiple_named_tensor_errors_list_then_object() -> None:
    # json_tensor_test.cc TEST(JsontensorTest, MultipleNamedTensorErrors), last case
    body = '{"instances": [["baz", "bar"], {"str_tensor": ["baz", "bat"]}]}'
    sig = signature(("str_tensor", "DT_STRING"))
    assert "Expecting value/list but got object" in error(body, sig)


# --- ClassifyRegressRequestTest (TYPED_TEST over ClassificationRequest, RegressionRequest) ---


def _examples(body: str) -> tuple[dict | None, list[dict]]:
    doc = limits.parse_body(body)
    context = None
    if "context" in doc:
        context = tf_example.example_to_json(tf_example.example_from_json(doc["context"]))
    _, examples = rest_request.example_lists(doc)
    as_json = [tf_example.example_to_json(tf_example.example_from_json(e)) for e in examples]
    return context, as_json


def test_classify_regress_request_no_context() -> None:
    # json_tensor_test.cc TYPED_TEST(ClassifyRegressRequestTest, RequestNoContext)
    body = """{"examples": [{"names": [ "foo", "bar" ], "ratings": [ 8.0, 9.0 ], "age": 20},
                            {"names": [ "baz" ], "ratings": 6.0}]}"""
    context, examples = _examples(body)
    assert context is None
    assert examples == [
        {"age": 20, "names": ["foo", "bar"], "ratings": [8.0, 9.0]},
        {"names": "baz", "ratings": 6.0},
    ]


def test_classify_regress_request_with_context_and_signature() -> None:
    # json_tensor_test.cc TYPED_TEST(ClassifyRegressRequestTest, RequestWithContextAndSignature)
    body = """{"signature_name": "custom_signture",
        "context": {"query": "pizza", "location": [ "sfo" ]},
        "examples": [
          {"names": [ "foo", "bar" ], "ratings": [ 8.0, 9.0, NaN, Infinity ], "age": 20},
          {"names": [ "baz", { "b64": "aGVsbG8=" } ], "ratings": 6.0,
           "intboolmix": [ 1, true, false ]},
          {"names": "bar", "ratings": -Infinity}]}"""
    assert rest_request.request_signature_name(limits.parse_body(body)) == "custom_signture"
    context, examples = _examples(body)
    assert context == {"location": "sfo", "query": "pizza"}
    first = examples[0]
    assert first["names"] == ["foo", "bar"]
    assert first["age"] == 20
    assert first["ratings"][:2] == [8.0, 9.0]
    assert math.isnan(first["ratings"][2])
    assert first["ratings"][3] == math.inf
    assert examples[1] == {"intboolmix": [1, 1, 0], "names": ["baz", "hello"], "ratings": 6.0}
    assert examples[2] == {"names": "bar", "ratings": -math.inf}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            '{"signature_name": [ "hello" ], "examples": [ { "names": [ "foo", "bar" ] } ]}',
            "'signature_name' key must be a string",
        ),
        ('{"context": [ { "names": [ "foo", "bar" ] } ]}', "Example must be JSON object"),
        ('{"examples": { "names": [ "foo", "bar" ] }}', "list/array"),
        ('{"examples": [ [ { "names": [ "foo", "bar" ] } ] ]}', "Example must be JSON object"),
        (
            '{"examples": [ { "names": [ 10, null ] } ]}',
            "names has element with unexpected JSON type: Null",
        ),
        ('{"examples": [ { "names": [ 10, 10.0 ] } ]}', "feature: names expecting type: int64"),
        (
            '{"examples": [ { "names": [ 10, { "test": 10 } ] } ]}',
            "names has element with unexpected JSON type: Object",
        ),
        (
            '{"examples": [ { "names": [ [10], 20 ] } ]}',
            "names has element with unexpected JSON type: Array",
        ),
        (
            '{"examples": [ { "names": [ 20, 18446744073709551603 ] } ]}',
            "Only int64_t is supported",
        ),
    ],
)
def test_classify_regress_json_errors(body: str, words: str) -> None:
    # json_tensor_test.cc TYPED_TEST(ClassifyRegressRequestTest, JsonErrors)
    def convert() -> None:
        rest_request.request_signature_name(limits.parse_body(body))
        _examples(body)

    with pytest.raises(InputError, match=words.replace("[", r"\[")):
        convert()
