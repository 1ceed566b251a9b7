"""Prefilled REST bodies for a signature: one example (classify/regress) or one instance
(predict) that runs as it opens."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from explorer.codec import tf_example
from explorer.codec.arrays import RAGGED_SPEC, tf_dtype
from explorer.constants import MethodKind
from explorer.graph.example_features import example_template, expected_features
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo

_ZERO = {"DT_STRING": "", "DT_BOOL": False, "DT_FLOAT": 0.0, "DT_DOUBLE": 0.0, "DT_HALF": 0.0}


def template(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, method: MethodKind
) -> dict[str, Any]:
    """A prefilled REST body: one example (classify/regress) or instance (predict).

    A predict input that the graph parses as tf.Examples gets a serialized template
    example as ``{"b64": ...}``, so the template runs as it is.
    """
    body: dict[str, Any] = {"signature_name": signature.key}
    example = example_template(expected_features(meta_graph, signature))
    if method is not MethodKind.PREDICT:
        body["examples"] = [example]
        return body
    row_form = bool(signature.inputs) and all(
        t.encoding == "composite_tensor" or (t.encoding == "name" and t.shape != ())
        for t in signature.inputs
    )
    values = {t.key: _template_value(t, row_form) for t in signature.inputs}
    if example and len(values) == 1:
        serialized = tf_example.example_from_json(example).SerializeToString()
        key = signature.inputs[0].key
        values[key] = {"b64": base64.b64encode(serialized).decode("ascii")}
        if not row_form and signature.inputs[0].shape:
            values[key] = [values[key]]
    if row_form:
        body["instances"] = [values if len(values) > 1 else next(iter(values.values()))]
    else:
        body["inputs"] = values if len(values) != 1 else next(iter(values.values()))
    return body


def _template_value(info: TensorInfo, row_form: bool) -> Any:
    zero = _ZERO.get(info.dtype, 0)
    if info.encoding == "coo_sparse":
        rank = len(info.shape) if info.shape else 2
        return {"indices": [[0] * rank], "values": [zero], "dense_shape": [1] * rank}
    if info.encoding == "composite_tensor":
        match = RAGGED_SPEC.match(info.composite_spec or "")
        leaf = _ZERO.get(tf_dtype(match[1]), 0) if match else 0
        return [leaf] if row_form else [[leaf]]
    dims = [] if info.shape is None else [d or 1 for d in info.shape]
    return np.full(dims[1:] if row_form and dims else dims, zero).tolist()
