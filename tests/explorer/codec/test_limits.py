"""The element budget and the nesting limit: requests refused before anything is allocated."""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from explorer.codec.arrays import read_npy
from explorer.codec.limits import MAX_ELEMENTS_ENV, ElementBudget
from explorer.errors import InputError
from explorer.run import calls
from explorer.run.local import call_rest
from tests.explorer.request_models import check_usable


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
    assert call_rest(model, "predict", body)["error"] == str(error)


@pytest.mark.parametrize("name", ["portable_linear", "sparse_ragged_tf1"])
def test_deep_bodies_get_an_answer_not_a_crash(models, name: str) -> None:
    # Each was a RecursionError (the CLI's "internal error", no answer from serve): a note
    # on the answer read the body again with Python's json. Now it reads it as the call
    # did, and only for a model that has sparse or ragged inputs (sparse_ragged_tf1).
    model = models[name]
    deep = '{"instances": ' + "[" * 990 + "1.0" + "]" * 990 + "}"
    answer = call_rest(model, "predict", deep)["error"]
    if name == "portable_linear":  # the two-input model refuses rows that are not objects
        assert "nested more than 64 levels deep" in answer
    unclosed = '{"instances": ' + "[" * 200_000
    assert call_rest(model, "predict", unclosed) == {
        "error": "JSON Parse error: Invalid value. at offset: 200014"
    }


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
    assert MAX_ELEMENTS_ENV in call_rest(model, "predict", rows)["error"]


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
        (calls.predict, '{"inputs": ' + "[" * 900 + "2.0" + "]" * 900 + "}"),
        (calls.predict_arrays, {"x": deep}),
    ]:
        assert "levels deep" in str(_refused(call, model, request))
    # rapidjson's iterative parser has no depth limit: a deep body parses, and TF Serving
    # answers that it is not an object, quoting its first 256 bytes.
    text = "[" * 100_000 + "]" * 100_000
    assert str(_refused(calls.predict, model, text)) == f"JSON Value: {'[' * 256} Is not object"
    nested_dict: Any = {}
    for _ in range(100_000):
        nested_dict = {"a": nested_dict}
    assert "JSON Value" in str(_refused(calls.predict, model, {"inputs": [[nested_dict]]}))
    cpu = models["half_plus_two"]
    context = {"context": nested_dict, "examples": [{"x": deep}]}
    assert "unexpected JSON type" in str(_refused(calls.regress, cpu, context))
    check_usable(models)


def test_rapidjson_text_errors_python_would_miss(models) -> None:
    model = models["portable_linear"]
    for text, message in [
        ('{"instances": ["\\ud800"]}', "The surrogate pair in string is invalid. at offset: 16"),
        # rapidjson 1.1.0 keeps a lone low surrogate; the high one after it has no partner.
        ('{"instances": ["\\udc00\\ud800"]}', "surrogate pair in string is invalid. at offset: 22"),
        ('{"a": "\\\\ud800", "instances": [[1.0]]}', None),
        ('{"a": "\\ud83d\\ude00", "instances": [[1.0]]}', None),
        ('{"instances": [[' + "9" * 5_000 + "]]}", "Number too big to be stored in double"),
        # No encoding validation: the bytes are a string, which a float input refuses.
        ('{"instances": ["\ud800"]}', '"\ufffd\ufffd\ufffd" Type: String is not of expected'),
    ]:
        outcome = call_rest(model, "predict", text)
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
