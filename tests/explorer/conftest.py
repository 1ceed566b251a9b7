"""Fixtures of the request tests: the sample models and TF Serving's half_plus_two."""

from __future__ import annotations

import pytest

from explorer.model.info import ModelInfo
from tests.explorer.request_models import load_models


@pytest.fixture(scope="module")
def models() -> dict[str, ModelInfo]:
    return load_models()
