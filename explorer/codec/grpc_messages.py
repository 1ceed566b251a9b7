"""REST bodies ⇄ TF Serving's gRPC messages, as TF Serving's own REST handler converts them.

``http_rest_api_handler.cc`` turns a REST body into a gRPC request (``FillPredictRequestFromJson``
with the signature's declared dtypes, ``FillClassificationRequestFromJson``) and the gRPC
response back into REST JSON (``MakeJsonFromTensors``, ``MakeJsonFromClassificationResult``,
...). These functions do the same with the explorer's converters (``rest_json``,
``tf_example``, ``tensor_proto``) and TF Serving's own message classes, so a
gRPC target answers with the very text a REST target would, errors in TF Serving's words.
The message classes are :func:`messages` (built on first use from the schemas
``tensorflow-serving-api`` installs, without importing it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np
from google.protobuf import json_format

from explorer.codec import rest_request, tf_example
from explorer.codec.tensor_proto import fill_tensor_proto, tensor_proto_to_array
from explorer.constants import MethodKind
from explorer.errors import MalformedReplyError
from explorer.model import protos
from explorer.model.info import MetaGraphInfo
from explorer.serving import rules
from explorer.serving.metadata import signature_def_json

# gRPC method → (request, response) message names, as in prediction_service.proto and
# model_service.proto.
MESSAGES = {
    "Predict": ("PredictRequest", "PredictResponse"),
    "Classify": ("ClassificationRequest", "ClassificationResponse"),
    "Regress": ("RegressionRequest", "RegressionResponse"),
    "GetModelMetadata": ("GetModelMetadataRequest", "GetModelMetadataResponse"),
    "GetModelStatus": ("GetModelStatusRequest", "GetModelStatusResponse"),
}
_OTHER_MESSAGES = ("SignatureDefMap",)


@cache
def messages() -> SimpleNamespace:
    """TF Serving's message classes by short name (``messages().PredictRequest``) and
    protobuf's ``json_format``, built once.

    Raises:
        DependencyError: tensorflow-serving-api (or TensorFlow) is not installed.
    """
    names = [n for pair in MESSAGES.values() for n in pair] + list(_OTHER_MESSAGES)
    classes = {n: protos.serving_message_class(f"tensorflow.serving.{n}") for n in names}
    return SimpleNamespace(json_format=json_format, **classes)


# (model name, version, label): the model spec of every request.
Target = tuple[str, int | None, str | None]


def fill_model_spec(
    spec: Any, model: str, version: int | None, label: str | None, signature_name: str = ""
) -> None:
    """``FillModelSpecWithNameVersionAndLabel`` plus the signature name."""
    spec.name = model
    if version is not None:
        spec.version.value = version
    if label is not None:
        spec.version_label = label
    if signature_name:
        spec.signature_name = signature_name


def predict_request(
    doc: Mapping[str, Any],
    meta_graph: MetaGraphInfo,
    target: Target,
    output_filter: Sequence[str] = (),
) -> tuple[Any, bool]:
    """The PredictRequest TF Serving's REST handler builds from a body, and its format.

    Args:
        doc: the parsed REST body.
        meta_graph: the server's signatures (the body's values take their declared dtypes).
        target: (model, version, label).
        output_filter: gRPC's output_filter.

    Returns:
        (request, row_format): row_format is True for ``instances``.

    Raises:
        ServingRuleError: the body fails TF Serving's REST conversion (its words).
    """
    name = rest_request.request_signature_name(doc)
    signature = rules.resolve_signature(meta_graph, name, MethodKind.PREDICT, rest=True)
    rest_request.require_input_map(signature, name)
    converted = rest_request.predict_inputs(doc, signature)
    request = messages().PredictRequest()
    fill_model_spec(request.model_spec, *target, signature_name=name)
    for alias, array in converted.tensors.items():
        fill_tensor_proto(request.inputs[alias], array)
    request.output_filter.extend(output_filter)
    return request, converted.row_format


def predict_answer(response: Any, *, row_format: bool) -> tuple[str, dict[str, np.ndarray]]:
    """The REST body TF Serving writes for a PredictResponse (``MakeJsonFromTensors``).

    Raises:
        ServingRuleError: outputs REST cannot write (TF Serving's message).
        InputError: an output TensorProto that cannot be read.
    """
    arrays = {alias: tensor_proto_to_array(proto) for alias, proto in response.outputs.items()}
    return rest_request.predict_response_text(arrays, row_format=row_format), arrays


def examples_request(method: MethodKind, doc: Mapping[str, Any], target: Target) -> Any:
    """The Classification/RegressionRequest for a ``{"examples", "context"}`` body.

    Raises:
        InputError: a body TF Serving's JSON layer rejects (context first, as it checks).
    """
    api = messages()
    name = rest_request.request_signature_name(doc)
    context = tf_example.example_from_json(doc["context"]) if "context" in doc else None
    _, examples = rest_request.example_lists(doc)
    serialized = [tf_example.example_from_json(e).SerializeToString() for e in examples]
    if method is MethodKind.CLASSIFY:
        request = api.ClassificationRequest()
    else:
        request = api.RegressionRequest()
    fill_model_spec(request.model_spec, *target, signature_name=name)
    # explorer's tf.Example class lives in its own descriptor pool: cross over as bytes.
    if context is None:
        holder = request.input.example_list.examples
    else:
        with_context = request.input.example_list_with_context
        with_context.context.ParseFromString(context.SerializeToString())
        holder = with_context.examples
    for data in serialized:
        holder.add().ParseFromString(data)
    return request


def classify_answer(response: Any) -> str:
    """``MakeJsonFromClassificationResult`` over a ClassificationResponse."""
    classifications = response.result.classifications
    labels = [[c.label for c in item.classes] for item in classifications]
    scores = [[c.score for c in item.classes] for item in classifications]
    return rest_request.classify_response_text(labels, scores)


def regress_answer(response: Any) -> str:
    """``MakeJsonFromRegressionResult`` over a RegressionResponse."""
    values = np.array([r.value for r in response.result.regressions], dtype=np.float32)
    return rest_request.regress_response_text(values)


def metadata_request(target: Target) -> Any:
    request = messages().GetModelMetadataRequest()
    fill_model_spec(request.model_spec, *target)
    request.metadata_field.append("signature_def")
    return request


def metadata_json(response: Any, server: str) -> dict[str, Any]:
    """``GET /v1/models/NAME/metadata``'s JSON for a GetModelMetadataResponse.

    Raises:
        MalformedReplyError: no ``signature_def`` entry, or one that is not a SignatureDefMap.
    """
    api = messages()
    signature_defs = api.SignatureDefMap()
    packed = response.metadata.get("signature_def")
    if packed is None or not packed.Unpack(signature_defs):
        raise MalformedReplyError(
            f"{server}'s GetModelMetadata answer holds no SignatureDefMap under "
            '"signature_def"; is it TF Serving?',
            server=server,
        )
    printed = api.json_format.MessageToDict(
        response.model_spec,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    # The key order explorer.serving.metadata writes, so local and remote print alike.
    order = ("name", "signature_name", "version", "version_label")
    spec = {k: printed[k] for k in order if k in printed}
    spec.update((k, v) for k, v in printed.items() if k not in spec)
    defs = {k: signature_def_json(v) for k, v in sorted(signature_defs.signature_def.items())}
    return {"model_spec": spec, "metadata": {"signature_def": {"signature_def": defs}}}


def status_request(target: Target) -> Any:
    request = messages().GetModelStatusRequest()
    fill_model_spec(request.model_spec, *target)
    return request


def status_json(response: Any) -> dict[str, Any]:
    """``GET /v1/models/NAME``'s JSON (protobuf's printer, default fields printed)."""
    result: dict[str, Any] = messages().json_format.MessageToDict(
        response, always_print_fields_with_no_presence=True
    )
    return result
