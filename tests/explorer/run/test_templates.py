"""How the Run tab's form edits each predict input, and prefills that run as they open:
serialized tf.Examples, sparse inputs inside their declared dense shape, ragged ones as
values and row splits, images and big tensors never as text."""

from __future__ import annotations

import base64

import pytest

from explorer.codec import tf_example
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo
from explorer.model.reader import read_model
from explorer.run.templates import input_plans, ragged_nested, template
from tests.conftest import SAMPLES


def _plans(sample: str, key: str) -> dict[str, object]:
    meta_graph = read_model(SAMPLES / sample).meta_graph()
    return {p.key: p for p in input_plans(meta_graph, meta_graph.signature(key))}


def test_a_predict_input_of_serialized_examples_is_edited_as_examples() -> None:
    (plan,) = _plans("tabular_churn", "serving_default").values()
    assert plan.kind == "examples"
    assert plan.start == {"age": 40.0, "monthly_charges": 0.0, "plan": "basic", "tenure_months": 0}
    assert [f.name for f in plan.features] == ["age", "monthly_charges", "plan", "tenure_months"]
    meta_graph = read_model(SAMPLES / "tabular_churn").meta_graph()
    body = template(meta_graph, meta_graph.signature("serving_default"), MethodKind.PREDICT)
    (instance,) = body["instances"]
    example = tf_example.example_to_json(base64.b64decode(instance["b64"]))
    assert example["plan"] == "basic"


def test_sparse_and_ragged_inputs_start_consistent_and_labelled() -> None:
    plans = _plans("sparse_ragged_tf1", "serving_default")
    sparse, ragged = plans["item_ids"], plans["ratings"]
    assert sparse.kind == "sparse"
    # One value at the origin of a batch of one, in as many dimensions as declared.
    assert sparse.start == {"indices": [[0, 0]], "values": [0], "dense_shape": [1, 1]}
    assert ragged.kind == "ragged"
    assert ragged.start == {"values": [0.0], "row_splits": [0, 1]}
    assert ragged_nested([1.0, 2.0, 3.0], [0, 2, 2, 3]) == [[1.0, 2.0], [], [3.0]]
    with pytest.raises(ValueError, match="the splits end at 2"):
        ragged_nested([1.0, 2.0, 3.0], [0, 2])
    with pytest.raises(ValueError, match="never go down"):
        ragged_nested([1.0], [0, 2, 1])


def test_a_declared_dense_shape_is_kept_in_the_sparse_prefill() -> None:
    info = TensorInfo("ids", "coo_sparse", None, "DT_INT64", (None, 10), ("v:0", "i:0", "s:0"))
    signature = SignatureInfo("s", "tensorflow/serving/predict", (info,), ())
    meta_graph = read_model(SAMPLES / "flowers_tf1").meta_graph()
    (plan,) = input_plans(meta_graph, signature)
    assert plan.start["dense_shape"] == [1, 10]


def test_images_and_big_tensors_are_never_text() -> None:
    meta_graph = read_model(SAMPLES / "flowers_tf1").meta_graph()

    def plan(dtype: str, shape: tuple[int | None, ...]) -> object:
        info = TensorInfo("x", "name", "x:0", dtype, shape)
        signature = SignatureInfo("s", "tensorflow/serving/predict", (info,), ())
        return input_plans(meta_graph, signature)[0]

    image = plan("DT_FLOAT", (None, 224, 224, 3))
    assert (image.kind, image.shape, image.start) == ("image", (1, 224, 224, 3), None)
    big = plan("DT_FLOAT", (None, 5000))
    assert (big.kind, big.shape, big.start) == ("tensor", (1, 5000), None)
    assert plan("DT_FLOAT", (None, 8)).kind == "table"
    assert plan("DT_INT64", ()).kind == "scalar"
    assert plan("DT_FLOAT", (None, 3, 3)).kind == "json"
    assert _plans("flowers_tf1", "predict_images")["images"].kind == "image"


def test_every_sample_signature_has_a_plan_per_input() -> None:
    for sample in ("flowers_tf1", "tabular_churn", "keras_multi_io", "sparse_ragged_tf1"):
        meta_graph: MetaGraphInfo = read_model(SAMPLES / sample).meta_graph()
        for signature in meta_graph.callable_signatures:
            plans = input_plans(meta_graph, signature)
            assert [p.key for p in plans] == [t.key for t in signature.inputs]
