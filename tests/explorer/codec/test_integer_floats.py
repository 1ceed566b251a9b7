"""An integer token sent to a float input is rounded as rapidjson's GetFloat() rounds it:
to a double first, then to a float — twice, not once (2^60 + 2^36 + 1 shows the
difference) — whichever way the body is read."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.codec.json_tensor import fast_array, fill

# Integers whose float32 differs when rounded once from when rounded through a double.
TWICE = [2**60 + 2**36 + 1, 2**62 + 2**38 + 1, -(2**60 + 2**36 + 1)]


@pytest.mark.parametrize("number", TWICE)
def test_an_integer_is_rounded_through_a_double(number: int) -> None:
    expected = np.float32(np.float64(number))
    once = np.array([number], np.int64).astype(np.float32)[0]
    assert expected != once  # rounding once (int64 straight to float32) gives another
    fast = fast_array([[number]], [1, 1], "DT_FLOAT", False)
    assert fast is not None
    assert fast.view(np.uint32)[0, 0] == expected.view(np.uint32)
    exact = np.zeros(1, np.float32)
    values: list[float] = []
    fill([number], 0, [1], "DT_FLOAT", values)
    exact[:] = values
    assert exact.view(np.uint32)[0] == expected.view(np.uint32)
