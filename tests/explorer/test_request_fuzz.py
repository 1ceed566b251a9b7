"""Property-based requests against every call path: each ends in a result or an ExplorerError.

Hypothesis builds requests near the valid ones (right keys and dtypes, small tensors)
and mutates them: malformed or truncated JSON text, non-UTF-8 bytes, lone surrogates,
wrong JSON types, ragged or over-nested lists, NaN/Infinity, integers past int64 and
double, bad base64, unknown/missing keys, wrong signature names, examples mixing feature
kinds. At least 5,000 requests per verb run in-process on the sample models and TF
Serving's half_plus_two; after each property a good request must still get the right
answer (a failed request must not break the loaded model). The element budget and the
nesting limit have their own deterministic tests below.
"""

from __future__ import annotations

import base64
import functools
import gc
import json
import math
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer import calls, tf_example
from explorer.array_inputs import read_npy
from explorer.errors import ExplorerError, InputError
from explorer.model_info import ModelInfo
from explorer.reader import read_model
from explorer.request_limits import MAX_ELEMENTS_ENV, ElementBudget
from tests.conftest import HALF_PLUS_TWO_CPU, SAMPLES

BATCH = 5  # requests per Hypothesis example
EXAMPLES = 1_000  # Hypothesis examples per verb: BATCH * EXAMPLES requests
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
MODEL_NAMES = (
    "portable_linear",
    "flowers_tf1",
    "tabular_churn",
    "keras_multi_io",
    "sparse_ragged_tf1",  # sparse and ragged inputs, fed through their components
)


@pytest.fixture(scope="module")
def models() -> dict[str, ModelInfo]:
    found = {name: read_model(SAMPLES / name) for name in MODEL_NAMES}
    # y = 0.5x + 2 (version 3, newer, takes two features per row)
    found["portable_linear"] = read_model(SAMPLES / "portable_linear", version=2)
    found["half_plus_two"] = read_model(HALF_PLUS_TWO_CPU)
    _check_usable(found)  # loads every model (and TensorFlow) before Hypothesis starts
    return found


def _check_usable(models: dict[str, ModelInfo]) -> None:
    """Good requests still get the right answers after thousands of bad ones."""
    assert calls.predict(models["portable_linear"], '{"instances": [[2.0]]}').response_json == {
        "predictions": [[3.0]]
    }
    cpu = models["half_plus_two"]
    assert calls.predict(cpu, {"inputs": {"x": [[4.0]]}}).response_json == {"outputs": [[4.0]]}
    example = {"examples": [{"x": 2.0}]}
    assert calls.classify(cpu, example, signature="classify_x_to_y").response_json == {
        "results": [[["", 3.0]]]
    }
    assert calls.regress(cpu, example, signature="regress_x_to_y").response_json == {
        "results": [3.0]
    }
    x = np.array([[6.0]], np.float32)
    assert calls.predict_arrays(models["portable_linear"], {"x": x}).outputs["y"].tolist() == [
        [5.0]
    ]
    flowers = models["flowers_tf1"]
    bright = {"signature_name": "regress_brightness", "examples": [{"image": [0.25] * 16}]}
    assert calls.regress(flowers, bright).response_json == {"results": [0.25]}
    churn = {"examples": [{"monthly_charges": 70.0, "tenure_months": 3}]}
    (classes,) = calls.classify(models["tabular_churn"], churn).response_json["results"]
    assert [label for label, _ in classes] == ["stay", "churn"]
    multi = {"age": [[30.0]], "clicks": [[3]], "country": [["fr"]]}
    result = calls.predict_arrays(models["keras_multi_io"], multi)
    assert result.outputs["probability"].shape == (1, 1)


def _outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one request: a result or an ExplorerError with a message; anything else fails."""
    try:
        return call(*args, **kwargs)
    except ExplorerError as exc:
        error = exc
    assert str(error).strip(), f"{type(error).__name__} without a message"
    return error


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


def _predict_targets(models: dict[str, ModelInfo]) -> list[Target]:
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


def _tally(outcomes: list[Any]) -> None:
    """At least 5,000 requests, and enough of them answered to have reached the Session."""
    answered = sum(not isinstance(o, ExplorerError) for o in outcomes)
    assert len(outcomes) >= BATCH * EXAMPLES
    assert answered >= len(outcomes) // 10, f"only {answered} of {len(outcomes)} answered"


def _fuzz_rest(models: dict[str, ModelInfo], verb: str, strategy: Any) -> None:
    call = {"predict": calls.predict, "classify": calls.classify, "regress": calls.regress}[verb]
    outcomes: list[Any] = []

    @FUZZ
    @given(st.lists(st.tuples(strategy, BUDGETS), min_size=BATCH, max_size=BATCH))
    def prop(requests: list[tuple[tuple[str, Any], int | None]]) -> None:
        for (model, body), budget in requests:
            outcome = _outcome(call, models[model], body, max_request_elements=budget)
            outcomes.append(outcome)
            if not isinstance(outcome, ExplorerError):  # (NaN != NaN: compare as text)
                assert json.dumps(json.loads(outcome.response_text)) == json.dumps(
                    dict(outcome.response_json)
                )
                rest = calls.call_rest(models[model], verb, body, max_request_elements=budget)
                assert set(rest) == set(outcome.response_json)

    prop()
    _tally(outcomes)


def test_predict_rest_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    _fuzz_rest(models, "predict", predict_bodies(_predict_targets(models)))
    _check_usable(models)


def test_classify_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    _fuzz_rest(models, "classify", example_bodies("classify"))
    _check_usable(models)


def test_regress_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    _fuzz_rest(models, "regress", example_bodies("regress"))
    _check_usable(models)


def test_predict_arrays_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    outcomes: list[Any] = []
    strategy = st.tuples(array_requests(_predict_targets(models)), BUDGETS)

    @FUZZ
    @given(st.lists(strategy, min_size=BATCH, max_size=BATCH))
    def prop(requests: list[tuple[tuple[str, dict[str, Any], Any, dict[str, Any]], Any]]) -> None:
        for (model, values, signature, options), budget in requests:
            outcomes.append(
                _outcome(
                    calls.predict_arrays,
                    models[model],
                    values,
                    signature=signature,
                    max_request_elements=budget,
                    **options,
                )
            )

    prop()
    _tally(outcomes)
    _check_usable(models)


# --- element budget and nesting ---------------------------------------------------------------


def _refused(call: Any, *args: Any, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value


def test_an_oversized_request_is_refused_before_anything_is_allocated(models) -> None:
    model = models["portable_linear"]
    row = [0.0] * 1_000
    body = {"inputs": [row] * 20_001}  # 20,001,000 elements, all one shared list
    tracemalloc.start()
    try:
        error = _refused(calls.predict, model, body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # an array would take 80 MB
    assert str(error).startswith('Input "x" is too large: 20,001,000 elements (shape [20001,1000])')
    assert "at most 10,000,000" in str(error)
    assert MAX_ELEMENTS_ENV in str(error)
    assert (error.key, error.code) == ("x", "RESOURCE_EXHAUSTED")
    assert calls.call_rest(model, "predict", body)["error"] == str(error)


def test_the_budget_is_a_keyword_option_and_an_environment_variable(models, monkeypatch) -> None:
    model = models["portable_linear"]
    rows = {"instances": [[1.0], [2.0], [3.0]]}
    assert "at most 2." in str(_refused(calls.predict, model, rows, max_request_elements=2))
    assert calls.predict(model, rows, max_request_elements=3).response_json == {
        "predictions": [[2.5], [3.0], [3.5]]
    }
    monkeypatch.setenv(MAX_ELEMENTS_ENV, "2")
    assert "at most 2." in str(_refused(calls.predict, model, json.dumps(rows)))
    assert calls.predict(model, rows, max_request_elements=0).response_json  # 0: no limit
    x = np.zeros((3, 1), np.float32)
    assert '"x" is too large: 3 elements (shape [3,1])' in str(
        _refused(calls.predict_arrays, model, {"x": x})
    )
    cpu = models["half_plus_two"]
    examples = {"examples": [{"x": 1.0}, {"x": 2.0}]}  # 2 examples + 2 values
    error = _refused(calls.regress, cpu, examples, signature="regress_x_to_y")
    assert str(error).startswith('Input "examples" is too large: 4 elements;')
    context = {"context": {"x": [1.0, 2.0]}, "examples": [{}]}  # 1 + 2 context values
    assert "3 elements" in str(_refused(calls.classify, cpu, context, signature="classify_x_to_y"))
    monkeypatch.setenv(MAX_ELEMENTS_ENV, "lots")
    assert MAX_ELEMENTS_ENV in calls.call_rest(model, "predict", rows)["error"]


def test_multi_input_rows_count_every_input(models) -> None:
    rows = {"instances": [{"age": [1.0], "clicks": [2], "country": ["a"]}] * 2}
    error = _refused(calls.predict, models["keras_multi_io"], rows, max_request_elements=5)
    assert "which brings the request to 6" in str(error)


def test_npy_files_are_checked_from_their_header(models, tmp_path: Path) -> None:
    model = models["portable_linear"]
    good = tmp_path / "good.npy"
    np.save(good, np.array([[2.0], [4.0]], np.float32))
    assert calls.predict_arrays(model, {"x": good}).outputs["y"].tolist() == [[3.0], [4.0]]
    # The same check for a file's bytes (what an app upload holds).
    assert read_npy(good.read_bytes(), budget=ElementBudget()).tolist() == [[2.0], [4.0]]
    with pytest.raises(InputError, match="at most 1"):
        read_npy(good.read_bytes(), key="x", budget=ElementBudget(1))
    huge = tmp_path / "huge.npy"
    header = {"descr": "<f4", "fortran_order": False, "shape": (100_000, 100_000)}
    with huge.open("wb") as stream:  # a header promising 40 GB, and no data
        np.lib.format.write_array_header_1_0(stream, header)
    error = _refused(calls.predict_arrays, model, {"x": huge})
    assert "10,000,000,000 elements (shape [100000,100000])" in str(error)
    negative = tmp_path / "negative.npy"
    negative.write_bytes(huge.read_bytes().replace(b"(100000, 100000)", b"(-5, 100000)    "))
    assert "negative dimension" in str(_refused(calls.predict_arrays, model, {"x": negative}))
    short = tmp_path / "short.npy"
    short.write_bytes(good.read_bytes()[:-3])
    assert "not a readable .npy array" in str(_refused(calls.predict_arrays, model, {"x": short}))
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert "Python objects" in str(_refused(calls.predict_arrays, model, {"x": pickled}))


def test_deep_nesting_is_an_input_error_not_a_recursion_error(models) -> None:
    model = models["portable_linear"]
    deep: Any = [2.0]
    for _ in range(100_000):
        deep = [deep]
    for call, request in [
        (calls.predict, {"instances": deep}),
        (calls.predict, {"inputs": {"x": deep}}),
        (calls.predict, "[" * 100_000 + "]" * 100_000),
        (calls.predict, '{"inputs": ' + "[" * 900 + "2.0" + "]" * 900 + "}"),
        (calls.predict_arrays, {"x": deep}),
    ]:
        message = str(_refused(call, model, request))
        assert "levels deep" in message or "nesting too deep" in message
    nested_dict: Any = {}
    for _ in range(100_000):
        nested_dict = {"a": nested_dict}
    assert "JSON Value" in str(_refused(calls.predict, model, {"inputs": [[nested_dict]]}))
    cpu = models["half_plus_two"]
    context = {"context": nested_dict, "examples": [{"x": deep}]}
    assert "unexpected JSON type" in str(_refused(calls.regress, cpu, context))
    _check_usable(models)


def test_rapidjson_text_errors_python_would_miss(models) -> None:
    model = models["portable_linear"]
    for text, message in [
        ('{"instances": ["\\ud800"]}', "The surrogate pair in string is invalid. at offset: 16"),
        ('{"instances": ["\\udc00\\ud800"]}', "surrogate pair in string is invalid. at offset: 16"),
        ('{"a": "\\\\ud800", "instances": [[1.0]]}', None),
        ('{"a": "\\ud83d\\ude00", "instances": [[1.0]]}', None),
        ('{"instances": [[' + "9" * 5_000 + "]]}", "Number too big to be stored in double"),
        ('{"instances": ["\ud800"]}', "Invalid encoding in string. at offset: 16"),
    ]:
        outcome = calls.call_rest(model, "predict", text)
        if message is None:
            assert outcome == {"predictions": [[2.5]]}
        else:
            assert message in outcome["error"]


def test_a_big_text_body_parses_and_leaves_the_collector_on(models) -> None:
    rows = 200_000  # ~1.4 MB of text: parsed with the cyclic collector paused
    text = '{"instances": [' + ", ".join(["[2.0]"] * rows) + "]}"
    result = calls.predict(models["portable_linear"], text)
    assert result.outputs["y"].shape == (rows, 1)
    assert set(result.outputs["y"].ravel().tolist()) == {3.0}
    assert gc.isenabled()
