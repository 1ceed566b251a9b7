"""Big tensors filled by rule (zeros, a constant, seeded random values) within the element
budget, typed cells refused when their dtype cannot hold them, and arrays summarized."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.codec.cells import CellError, parse_cell
from explorer.codec.fills import TensorFill, filled_array, summarize
from explorer.codec.limits import ElementBudget
from explorer.errors import InputError


def test_fills_make_the_shape_and_dtype_asked() -> None:
    budget = ElementBudget(None)
    zeros = filled_array((1, 224, 224, 3), "DT_FLOAT", TensorFill(), budget=budget)
    assert (zeros.shape, zeros.dtype, zeros.any()) == ((1, 224, 224, 3), np.float32, False)
    sevens = filled_array((2, 3), "DT_INT64", TensorFill("constant", 7), budget=budget)
    assert sevens.tolist() == [[7, 7, 7], [7, 7, 7]]
    words = filled_array((2,), "DT_STRING", TensorFill("constant", "hi"), budget=budget)
    assert words.tolist() == [b"hi", b"hi"]
    uniform = TensorFill("random", low=-1.0, high=1.0, seed=3)
    first = filled_array((1000,), "DT_FLOAT", uniform, budget=budget)
    assert first.min() >= -1.0
    assert first.max() <= 1.0
    # Seeded: the same fill is the same request every time.
    assert (first == filled_array((1000,), "DT_FLOAT", uniform, budget=budget)).all()
    counts = filled_array((500,), "DT_UINT8", TensorFill("random", low=0, high=3), budget=budget)
    assert set(counts.tolist()) == {0, 1, 2, 3}


def test_fills_refuse_what_cannot_be_built() -> None:
    with pytest.raises(InputError, match="too large"):
        filled_array(
            (100_000, 100_000), "DT_FLOAT", TensorFill(), key="x", budget=ElementBudget(10)
        )
    with pytest.raises(InputError, match="DT_UINT8 holds whole numbers from 0 to 255; got 300"):
        filled_array((2,), "DT_UINT8", TensorFill("constant", 300), key="x", budget=ElementBudget())
    with pytest.raises(InputError, match="needs low < high"):
        filled_array((2,), "DT_FLOAT", TensorFill("random", low=1, high=1), budget=ElementBudget())
    with pytest.raises(InputError, match="beyond what DT_HALF can hold"):
        filled_array((2,), "DT_HALF", TensorFill("constant", 1e6), budget=ElementBudget())


def test_summaries_count_nan_and_inf_apart() -> None:
    values = np.array([[1.0, np.nan, np.inf], [3.0, -1.0, 0.0]], np.float32)
    summary = summarize(values, "DT_FLOAT")
    assert (summary.minimum, summary.maximum, summary.nan_count, summary.inf_count) == (
        -1.0,
        3.0,
        1,
        1,
    )
    assert summary.describe() == (
        "shape [2, 3] · DT_FLOAT · 6 values · min -1 · max 3 · mean 0.75 · 1 NaN · 1 ±Inf"
    )
    assert summarize(np.array([b"a"], object), "DT_STRING").describe() == (
        "shape [1] · DT_STRING · 1 values"
    )


@pytest.mark.parametrize(
    ("text", "dtype", "message"),
    [
        ("abc", "DT_INT64", '"abc" is not a whole number: an int64 cell holds whole numbers'),
        ("2.5", "DT_INT32", '"2.5" is not a whole number'),
        ("300", "DT_UINT8", "300 is out of range: uint8 holds whole numbers from 0 to 255"),
        ("1e39", "DT_FLOAT", '"1e39" is beyond what float32 holds'),
        ("ten", "DT_FLOAT", '"ten" is not a number: a float32 cell holds numbers such as 0.5'),
        ("", "DT_FLOAT", "the cell is empty"),
        ("maybe", "DT_BOOL", '"maybe" is not true or false'),
    ],
)
def test_cells_refuse_what_their_dtype_cannot_hold(text: str, dtype: str, message: str) -> None:
    with pytest.raises(CellError, match=message.replace("(", r"\(")):
        parse_cell(text, dtype)


def test_cells_give_the_json_kind_of_their_dtype() -> None:
    assert parse_cell(" 42 ", "DT_INT64") == 42
    assert parse_cell("3.0", "DT_INT64") == 3
    assert parse_cell("2", "DT_FLOAT") == 2.0
    assert isinstance(parse_cell("2", "DT_FLOAT"), float)
    assert parse_cell("TRUE", "DT_BOOL") is True
    assert parse_cell("x y", "DT_STRING") == "x y"
