"""Hypothesis strategies for request fuzzing: requests near the valid ones, then mutated."""

from __future__ import annotations

import base64
import functools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from explorer.codec import tf_example
from explorer.errors import ExplorerError
from explorer.model.info import ModelInfo

# --- strategies ---------------------------------------------------------------------------
# Choices list the valid case first and most often: Hypothesis leans towards the first
# element and small integers, and most requests should get as far as the Session.
# Strategy objects are built once (``_ints``, ``_pick``, cached factories): building them
# on every draw costs more than running the request.


@functools.cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def _pick(draw: st.DrawFn, *choices: Any) -> Any:
    return choices[draw(_ints(0, len(choices) - 1))]


SURROGATES = st.sampled_from(["\ud800", "a\udfff", "\udc80x"])
TEXT = st.text(max_size=6) | SURROGATES
BIG_INTS = st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**400])
INTS = st.integers(-1000, 1000) | st.integers(-(2**63), 2**63 - 1) | BIG_INTS
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 1.0, -0.0])
B64 = st.one_of(
    st.binary(max_size=12).map(lambda b: {"b64": base64.b64encode(b).decode()}),
    st.sampled_from([{"b64": "!!"}, {"b64": "aGVsbG8"}, {"b64": 3}, {"b64": "a", "c": 1}]),
)
JSON_LEAF = st.none() | st.booleans() | INTS | FLOATS | TEXT | B64
# Nested values JSON holds, fixed (a recursive strategy costs more to draw than the calls
# cost to run): wrong types, ragged and empty lists, objects, b64 look-alikes, deep nests.
NESTED = [
    [], {}, [[]], [{}], [1, [2]], [[1.0], [2.0, 3.0]], [[1, 2], [3]], [None], [True, 1.0],
    ["a", 1], [{"b64": "aGk="}], {"a": [1, {"b": None}]}, {"": ""}, [[[[[]]]]],
    {"b64": "aGk=", "x": 1}, [[1.0], "x"], [[[1.0]], [2.0]], [float("nan"), float("inf")],
    [2**64, -(2**63) - 1], ["\ud800"], {"\ud800": 1}, [[[[[[[[[[1.0]]]]]]]]]],
]  # fmt: skip
JSON = JSON_LEAF | st.sampled_from(NESTED)
GOOD_LEAF = {
    "DT_FLOAT": st.floats(-1e6, 1e6, width=32) | st.integers(-100, 100),
    "DT_INT64": st.integers(-(2**63), 2**63 - 1),
    "DT_STRING": st.text(max_size=5) | B64,
    "DT_BOOL": st.booleans(),
}
# Feature name → good JSON value, for the models' tf.Example features.
GOOD_FEATURES = {
    "x": st.floats(-1e3, 1e3),
    "image": st.lists(st.floats(0, 1), min_size=1, max_size=2).map(lambda v: (v * 16)[:16]),
    "monthly_charges": st.floats(0, 200),
    "tenure_months": st.integers(0, 100),
    "age": st.floats(18, 90),
    "plan": st.sampled_from(["basic", "standard", "premium", "", "gold"]),
}
FEATURES = {
    "half_plus_two": ["x"],
    "flowers_tf1": ["image"],
    "tabular_churn": ["monthly_charges", "tenure_months", "age", "plan"],
}


def _often(draw: st.DrawFn, rare: int = 8) -> bool:
    """True about (rare-1)/rare of the time."""
    return draw(_ints(0, rare - 1)) != rare - 1


@functools.cache
def _exactly(leaf: st.SearchStrategy[Any], size: int) -> st.SearchStrategy[list[Any]]:
    return st.lists(leaf, min_size=size, max_size=size)


ANY_SHAPE = st.lists(st.integers(0, 3), max_size=4)


def _leaves(draw: st.DrawFn, leaf: st.SearchStrategy[Any], size: int) -> list[Any]:
    # A few drawn values repeated (each draw costs Hypothesis more than a request costs
    # TensorFlow), and now and then one odd leaf at a drawn place.
    pool = draw(_exactly(leaf, min(size, 3))) if size else []
    leaves = [pool[i % len(pool)] for i in range(size)]
    if size and not _often(draw, 10):
        leaves[draw(_ints(0, size - 1))] = draw(JSON_LEAF)
    return leaves


def _nest(leaves: list[Any], shape: list[int]) -> Any:
    if not shape:
        return leaves[0]
    size = math.prod(shape[1:])
    return [_nest(leaves[i * size : (i + 1) * size], shape[1:]) for i in range(shape[0])]


def shape(draw: st.DrawFn, declared: tuple[int | None, ...] | None, batch: bool) -> list[int]:
    """The declared shape (unknown dimensions 1-3; no batch dimension in a row), or any."""
    if declared is None or not _often(draw):
        return draw(ANY_SHAPE)
    dims = [d if d is not None else draw(_ints(1, 3)) for d in declared]
    return dims if batch else dims[1:]


def tensor(draw: st.DrawFn, dtype: str, dims: list[int]) -> Any:
    """Nested lists of ``dtype`` values, sometimes mutated into something invalid."""
    if dtype in ("SPARSE", "RAGGED"):
        return (sparse_value if dtype == "SPARSE" else ragged_value)(draw)
    leaf = GOOD_LEAF.get(dtype, JSON_LEAF) if _often(draw, 10) else JSON_LEAF
    if dtype == "DT_STRING" and _often(draw, 2):
        leaf = SERIALIZED_EXAMPLES
    value = _nest(_leaves(draw, leaf, math.prod(dims)), dims)
    mutation = _pick(draw, *["none"] * 10, "ragged", "deeper", "junk", "scalar")
    if mutation == "ragged" and isinstance(value, list) and value:
        value = [*value, value[0] if not isinstance(value[0], list) else value[0][:-1]]
    elif mutation == "deeper":
        for _ in range(_pick(draw, 1, 2, 63, 64, 65, 1_000)):
            value = [value]
    elif mutation == "junk":
        value = draw(JSON)
    elif mutation == "scalar":
        value = draw(leaf)
    return value


ODD_NAMES = {
    model: st.lists(st.sampled_from([*names, "bogus", "\ud800", ""]), max_size=5)
    for model, names in FEATURES.items()
}


def example(draw: st.DrawFn, model: str) -> Any:
    """A tf.Example as JSON: the model's features with good values, now and then not."""
    if not _often(draw, 20):
        return draw(JSON)
    names = FEATURES[model] if _often(draw, 4) else draw(ODD_NAMES[model])
    return {
        n: draw(GOOD_FEATURES[n]) if n in GOOD_FEATURES and _often(draw) else draw(JSON)
        for n in names
    }


@st.composite
def serialized_examples(draw: st.DrawFn) -> Any:
    """``{"b64": <serialized tf.Example>}``, what a string input parsing examples wants."""
    try:
        features = example(draw, _pick(draw, *FEATURES))
        data = tf_example.example_from_json(features).SerializeToString()
    except ExplorerError:
        data = b"\x80 not an example"
    return {"b64": base64.b64encode(data).decode()}


SERIALIZED_EXAMPLES = serialized_examples()


def _signature_names(draw: st.DrawFn, real: str) -> dict[str, Any]:
    choice = _pick(draw, *["real"] * 6, "omit", "text", "junk")
    if choice == "real":
        return {"signature_name": real}
    if choice == "omit":
        return {}
    return {"signature_name": draw(TEXT if choice == "text" else JSON)}


@st.composite
def as_sent(draw: st.DrawFn, body: dict[str, Any]) -> Any:
    """The body as a dict, JSON text or bytes, and now and then broken on the way."""
    form = _pick(draw, *["dict", "text", "bytes"] * 3, "broken")
    if form == "dict":
        return body
    try:
        text = json.dumps(body, allow_nan=True, ensure_ascii=draw(st.booleans()))
    except (ValueError, TypeError):
        return body
    if form == "text":
        return text
    data = text.encode("utf-8", "surrogatepass")
    if form == "bytes":
        return data
    cut = draw(_ints(0, len(data)))
    breakage = _pick(draw, "truncate", "insert", "replace", "junk")
    if breakage == "truncate":
        return data[:cut]
    if breakage == "insert":
        extra = _pick(draw, b"\xff", b"\xc3", b"}", b",", b"[", b" x", b"\\ud800")
        return data[:cut] + extra + data[cut:]
    if breakage == "replace":
        return data[:cut] + b"\x80" + data[cut + 1 :]
    return draw(JUNK_BODY)


JUNK_BODY = st.binary(max_size=20) | st.text(max_size=20)
Target = tuple[str, str, dict[str, tuple[str, Any]]]


def predict_targets(models: dict[str, ModelInfo]) -> list[Target]:
    """(model, signature key, {input alias: (dtype, declared shape)}) of every signature;
    a sparse input's dtype is "SPARSE", a ragged one's "RAGGED"."""
    kinds = {"coo_sparse": "SPARSE", "composite_tensor": "RAGGED"}
    targets = []
    for name, model in models.items():
        for sig in model.meta_graph().callable_signatures:
            inputs = {t.key: (kinds.get(t.encoding, t.dtype), t.shape) for t in sig.inputs}
            targets.append((name, sig.key, inputs))
    return targets


SMALL_INTS = st.integers(-2, 4) | st.sampled_from([10**12, 2**63, -(2**63) - 1, 2.5, "1"])


def sparse_value(draw: st.DrawFn) -> Any:
    """``{"indices", "values", "dense_shape"}``, now and then with a bad part."""
    count, rank = draw(_ints(0, 3)), _pick(draw, 2, 2, 2, 1, 0, 3)
    value: dict[str, Any] = {
        "indices": [[draw(_ints(0, 2)) for _ in range(rank)] for _ in range(count)],
        "values": [draw(_ints(-5, 5)) for _ in range(count)],
        "dense_shape": [draw(_ints(1, 4)) for _ in range(rank)],
    }
    if not _often(draw, 3):
        part = _pick(draw, "indices", "values", "dense_shape")
        if _often(draw, 4):
            value[part] = draw(JSON) if _often(draw, 2) else [draw(SMALL_INTS)] * rank
        else:
            del value[part]
    return value


def ragged_value(draw: st.DrawFn) -> Any:
    """Rows of floats of varying length, now and then not."""
    rows = [[draw(FLOATS)] * draw(_ints(0, 3)) for _ in range(draw(_ints(0, 3)))]
    return rows if _often(draw, 6) else draw(JSON)


@st.composite
def predict_bodies(draw: st.DrawFn, targets: list[Target]) -> Any:
    model, key, inputs = _pick(draw, *targets)
    body = _signature_names(draw, key)
    names = list(inputs)
    picked = _pick(draw, *["all"] * 8, "missing", "extra")
    if picked == "missing":
        names = names[1:]
    elif picked == "extra":
        names = [*names, _pick(draw, "bogus", "", "x", "inputs")]
    specs = {n: inputs.get(n, ("DT_FLOAT", None)) for n in names}
    form = _pick(draw, *["instances", "inputs"] * 4, "both", "neither")
    if form in ("instances", "both"):
        rows = draw(_ints(1, 3)) if _often(draw, 10) else 0
        row_shapes = {n: shape(draw, specs[n][1], batch=False) for n in names}
        plain = len(names) == 1 and _often(draw, 2)

        def row() -> Any:
            if plain:
                return tensor(draw, specs[names[0]][0], row_shapes[names[0]])
            return {n: tensor(draw, specs[n][0], row_shapes[n]) for n in names}

        # Mostly one row repeated (fewer draws); rows drawn apart test mixed rows.
        body["instances"] = [row()] * rows if _often(draw, 3) else [row() for _ in range(rows)]
    if form in ("inputs", "both"):
        batch = draw(_ints(1, 3))
        column_shapes = {
            n: [batch, *shape(draw, specs[n][1], batch=False)] if specs[n][1] else [] for n in names
        }
        if len(names) == 1 and _often(draw, 2):
            body["inputs"] = tensor(draw, specs[names[0]][0], column_shapes[names[0]])
        else:
            body["inputs"] = {n: tensor(draw, specs[n][0], column_shapes[n]) for n in names}
    if not _often(draw, 10):
        body[draw(TEXT)] = draw(JSON)
    return model, draw(as_sent(body))


EXAMPLE_TARGETS = {
    "classify": [
        ("half_plus_two", "classify_x_to_y"),
        ("flowers_tf1", "classify_images"),
        ("tabular_churn", "serving_default"),
    ],
    "regress": [
        ("half_plus_two", "regress_x_to_y"),
        ("flowers_tf1", "regress_brightness"),
        ("tabular_churn", "regress_lifetime_value"),
    ],
}


@st.composite
def example_bodies(draw: st.DrawFn, verb: str) -> Any:
    model, key = _pick(draw, *EXAMPLE_TARGETS[verb])
    body = _signature_names(draw, key)
    form = _pick(draw, *["list"] * 12, "missing", "empty", "junk")
    if form == "list":
        body["examples"] = [example(draw, model) for _ in range(draw(_ints(1, 3)))]
    elif form == "empty":
        body["examples"] = []
    elif form == "junk":
        body["examples"] = draw(JSON)
    if not _often(draw, 4):
        body["context"] = example(draw, model)
    return model, draw(as_sent(body))


NUMPY_DTYPES = {
    "DT_FLOAT": np.float32,
    "DT_INT64": np.int64,
    "DT_STRING": object,
    "DT_BOOL": np.bool_,
}
OTHER_DTYPES = [np.float64, np.int32, np.int64, np.bool_, object, np.str_, np.float16]


BYTES_LEAF = st.binary(max_size=4) | SERIALIZED_EXAMPLES.map(lambda b: base64.b64decode(b["b64"]))
ODD_OBJECT = st.integers(0, 3) | st.none()
STR_LEAF = st.text(max_size=3) | SURROGATES
JUNK_VALUES = (None, object(), {1, 2}, b"\xff", Path("/no/such.npy"))
FILTERS = st.lists(st.sampled_from(["y", "scores", "bad", ""]))
EXTRA_FETCHES = st.lists(
    st.sampled_from(["pool:0", "x:0", "serving_default_x", "a:b", ":", "", "\ud800", 7])
)


def array_value(draw: st.DrawFn, dtype: str, declared: Any) -> Any:
    kind = _pick(draw, *["array"] * 6, "list", "scalar", "junk")
    dims = shape(draw, declared, batch=True)
    if dtype in ("SPARSE", "RAGGED") and kind == "array":
        kind = "list"  # sparse/ragged values are dicts or nested lists
    if kind == "list":
        return tensor(draw, dtype, dims)
    if kind == "scalar":
        return draw(GOOD_LEAF.get(dtype, JSON_LEAF))
    if kind == "junk":
        return _pick(draw, *JUNK_VALUES)
    target = NUMPY_DTYPES.get(dtype, np.float32)
    if not _often(draw, 5):
        target = _pick(draw, *OTHER_DTYPES)
    if target is object:
        leaf = BYTES_LEAF if _often(draw, 10) else ODD_OBJECT
        flat = _leaves(draw, leaf, math.prod(dims))
        array = np.empty(len(flat), dtype=object)
        array[:] = flat
        return array.reshape(dims)
    if target is np.str_:
        return np.full(dims, draw(STR_LEAF))
    return np.full(dims, draw(_ints(-3, 3))).astype(target)


@st.composite
def array_requests(draw: st.DrawFn, targets: list[Target]) -> Any:
    model, key, inputs = _pick(draw, *targets)
    names: list[Any] = list(inputs)
    if not _often(draw, 5):
        names = draw(st.lists(st.sampled_from([*names, "bogus", 7]), max_size=4))
    values = {n: array_value(draw, *inputs.get(n, ("DT_FLOAT", None))) for n in names}
    options: dict[str, Any] = {"row_format": draw(st.booleans())}
    if not _often(draw, 4):
        options["output_filter"] = draw(FILTERS)
    if not _often(draw, 4):
        options["extra_fetches"] = draw(EXTRA_FETCHES)
    signature = key if _often(draw, 6) else _pick(draw, None, "nope", "")
    return model, values, signature, options


# --- the properties -----------------------------------------------------------------------
# One request in 8 runs under a budget of 3 elements, so the budget's checks meet every
# request shape too.
BUDGETS = st.sampled_from([None] * 7 + [3])
