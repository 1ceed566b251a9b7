"""The models the request tests share, and the check that they still answer right."""

from __future__ import annotations

import numpy as np

from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run import calls
from tests.conftest import HALF_PLUS_TWO_CPU, SAMPLES

MODEL_NAMES = (
    "portable_linear",
    "flowers_tf1",
    "tabular_churn",
    "keras_multi_io",
    "sparse_ragged_tf1",  # sparse and ragged inputs, fed through their components
)


def load_models() -> dict[str, ModelInfo]:
    found = {name: read_model(SAMPLES / name) for name in MODEL_NAMES}
    # y = 0.5x + 2 (version 3, newer, takes two features per row)
    found["portable_linear"] = read_model(SAMPLES / "portable_linear", version=2)
    found["half_plus_two"] = read_model(HALF_PLUS_TWO_CPU)
    check_usable(found)  # loads every model (and TensorFlow) before Hypothesis starts
    return found


def check_usable(models: dict[str, ModelInfo]) -> None:
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
