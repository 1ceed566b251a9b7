"""TF Serving's REST JSON bodies: requests → tensors/examples, tensors → response text.

Mirrors ``tensorflow_serving/util/json_tensor.cc`` (reference §5): ``signature_name``,
the row (``instances``) and columnar (``inputs``) predict forms, the classify/regress
``examples`` list, and the three response writers (``predictions``/``outputs``,
``results``), with TF Serving's error texts, which users match against server logs. One
value ⇄ one tensor is ``explorer.json_tensor``; the text level (rapidjson's parse errors,
its PrettyWriter, float formatting) is ``explorer.rest_text``; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.errors import InputError, ServingRuleError
from explorer.json_tensor import (
    as_bytes,
    decode_b64,
    dense_shape,
    fast_array,
    fill,
    from_flat,
    is_b64,
    shape_text,
    to_array,
    write_tensor,
)
from explorer.model_info import SignatureInfo
from explorer.rest_text import (
    PrettyWriter,
    decimal_texts,
    json_type,
    json_value_text,
    parse_body,
    quote,
    require_object,
)

__all__ = [
    "PredictInputs",
    "classify_response_text",
    "decimal_texts",
    "decode_b64",
    "example_lists",
    "json_value_text",
    "parse_body",
    "predict_inputs",
    "predict_response_text",
    "regress_response_text",
    "request_signature_name",
    "require_object",
    "rest_status",
    "to_array",
]


@dataclass(frozen=True, slots=True)
class PredictInputs:
    """A predict body converted to tensors, and which form it used."""

    tensors: dict[str, Any]
    # True for "instances" (answer with "predictions"), False for "inputs" ("outputs").
    row_format: bool


def request_signature_name(doc: Mapping[str, Any]) -> str:
    """The optional ``signature_name`` ("" when absent), as ``FillSignature`` checks it.

    Args:
        doc: the parsed body.

    Returns:
        The name, or "" (TF Serving then uses ``serving_default``).

    Raises:
        InputError: ``signature_name`` is present but not a string.
    """
    name = doc.get("signature_name", "")
    if not isinstance(name, str):
        raise InputError(
            f"JSON Value: {json_value_text(doc)} not formatted correctly. "
            "'signature_name' key must be a string value.",
            key="signature_name",
            expected="a string",
            got=json_type(name),
        )
    return name


def example_lists(doc: Mapping[str, Any]) -> tuple[Any, list[Any]]:
    """The ``examples`` list (and raw ``context``) of a classify/regress body.

    Args:
        doc: the parsed body.

    Returns:
        (context or None, examples), both still JSON.

    Raises:
        InputError: ``examples`` missing, not a list, or empty (TF Serving's words).
    """
    examples = doc.get("examples")
    if "examples" not in doc:
        raise _format_error(
            doc, "When method is classify, key 'examples' is expected and was not found"
        )
    if not isinstance(examples, list):
        raise _format_error(doc, "Expecting 'examples' value to be an list/array")
    if not examples:
        raise _format_error(doc, "'examples' value is an empty array")
    return doc.get("context"), examples


def predict_inputs(
    doc: Mapping[str, Any], signature: SignatureInfo, *, may_hold_bools: bool = True
) -> PredictInputs:
    """Convert a predict body's ``instances`` or ``inputs`` to arrays of the declared dtypes.

    Args:
        doc: the parsed body.
        signature: the signature whose inputs name and type the tensors.
        may_hold_bools: False when the body text has no ``true``/``false`` token, which lets
            numeric inputs skip a leaf-type scan.

    Returns:
        Arrays keyed by input alias (DT_STRING as object arrays of bytes).

    Raises:
        InputError: any request TF Serving's JSON layer rejects, with its message.
    """
    infos = {t.key: t.dtype for t in signature.inputs}
    if "instances" in doc:
        if "inputs" in doc:
            message = "Not formatted correctly expecting only one of 'inputs' or 'instances'"
            raise _format_error(doc, message + " keys to exist ")
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise _format_error(doc, "Expecting 'instances' to be an list/array")
        if not instances:
            raise _format_error(doc, "No values in 'instances' array")
        return PredictInputs(_rows(instances, infos, may_hold_bools), True)
    if "inputs" not in doc:
        raise InputError("Missing 'inputs' or 'instances' key")
    value = doc["inputs"]
    if not isinstance(value, dict) or is_b64(value):
        if len(infos) > 1:
            raise InputError(
                "inputs is a plain value/list, but expecting an object as multiple input "
                "tensors required as per tensorinfo_map"
            )
        name = next(iter(infos))
        return PredictInputs({name: to_array(value, infos[name], may_hold_bools)}, False)
    tensors = {}
    for name, dtype in infos.items():
        if name not in value:
            raise InputError(f"Missing named input: {name} in 'inputs' object.", key=name)
        tensors[name] = to_array(value[name], dtype, may_hold_bools)
    return PredictInputs(tensors, False)


# --- request conversion -------------------------------------------------------------------


def _rows(instances: list[Any], infos: dict[str, str], may_hold_bools: bool) -> dict[str, Any]:
    first = instances[0]
    if not isinstance(first, dict) and len(infos) > 1:
        raise InputError(
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map"
        )
    objects = _is_element_object(first)
    names = set(infos)
    if objects and all(_is_element_object(e) and e.keys() == names for e in instances):
        fast = {n: _fast_rows([e[n] for e in instances], infos[n], may_hold_bools) for n in infos}
    elif not objects and not any(_is_element_object(e) for e in instances):
        name = next(iter(infos))
        fast = {name: _fast_rows(instances, infos[name], may_hold_bools)}
    else:
        fast = {}
    if fast and all(a is not None for a in fast.values()):
        return fast
    return _exact_rows(instances, infos, objects)


def _fast_rows(column: list[Any], dtype: str, may_hold_bools: bool) -> np.ndarray | None:
    dims = [len(column), *dense_shape(column[0])]
    return fast_array(column, dims, dtype, may_hold_bools)


def _exact_rows(instances: list[Any], infos: dict[str, str], objects: bool) -> dict[str, Any]:
    flats: dict[str, list[Any]] = {}
    shapes: dict[str, list[int]] = {}
    for i, element in enumerate(instances):
        if objects:
            if not _is_element_object(element):
                raise InputError(f"Expecting object but got list at item {i} of input list")
            for name, item in element.items():
                try:
                    _add_instance_item(item, name, infos, flats, shapes)
                except ServingRuleError as exc:
                    raise InputError(
                        f"Failed to process element: {i} key: {name} of 'instances' list. "
                        f"Error: {exc.code}: {exc}", key=name,
                    ) from exc  # fmt: skip
            if set(element) != set(infos):
                raise InputError(
                    f"Failed to process element: {i} of 'instances' list. JSON object: "
                    f"{json_value_text(element)} keys must be equal to: {','.join(sorted(infos))}"
                )
        else:
            if _is_element_object(element):
                raise InputError(f"Expecting value/list but got object at item {i} of input list")
            try:
                _add_instance_item(element, next(iter(infos)), infos, flats, shapes)
            except ServingRuleError as exc:
                raise InputError(
                    f"Failed to process element: {i} of 'instances' list. Error: {exc.code}: {exc}"
                ) from exc
    return {n: from_flat(flats[n], [len(instances), *shapes[n]], infos[n]) for n in flats}


def _add_instance_item(item, name, infos, flats, shapes) -> None:  # type: ignore[no-untyped-def]
    if name not in infos:
        raise InputError(f"JSON object: does not have named input: {name}", key=name)
    dims = dense_shape(item)
    flat: list[Any] = []
    fill(item, 0, dims, infos[name], flat)
    if name not in shapes:
        shapes[name], flats[name] = dims, flat
        return
    expected_size = int(np.prod(shapes[name], dtype=np.int64))
    if len(flat) != expected_size:
        raise InputError(f"Expecting tensor size: {expected_size} but got: {len(flat)}", key=name)
    if dims != shapes[name]:
        raise InputError(
            f"Expecting shape {shape_text(shapes[name])} but got: {shape_text(dims)}", key=name
        )
    flats[name].extend(flat)


def _is_element_object(value: Any) -> bool:
    return isinstance(value, dict) and not is_b64(value)


def _format_error(doc: Any, message: str) -> InputError:
    return InputError(f"JSON Value: {json_value_text(doc)} {message}")


def rest_status(code: str) -> int:
    """The HTTP status TF Serving's REST API answers for a canonical error code.

    Args:
        code: ``ServingRuleError.code``, e.g. ``INVALID_ARGUMENT`` (→ 400).

    Returns:
        The HTTP status (500 for codes TF Serving maps to an internal error).

    Raises:
        Nothing.
    """
    statuses = {
        "OK": 200, "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400,
        "NOT_FOUND": 404, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
        "CANCELLED": 499, "ALREADY_EXISTS": 409, "ABORTED": 409, "PERMISSION_DENIED": 403,
        "UNAUTHENTICATED": 401, "RESOURCE_EXHAUSTED": 429,
    }  # fmt: skip
    return statuses.get(code, 500)


def predict_response_text(tensors: Mapping[str, np.ndarray], *, row_format: bool) -> str:
    """``MakeJsonFromTensors``: the exact response body for predict outputs.

    Args:
        tensors: output alias → array.
        row_format: ``predictions`` (per batch item) rather than ``outputs`` (whole tensors).

    Returns:
        The body text, in rapidjson PrettyWriter's layout.

    Raises:
        ServingRuleError: no outputs, a scalar or mismatched batch in row form, or a dtype
            JSON cannot hold (TF Serving's messages).
    """
    if not tensors:
        raise ServingRuleError("Cannot convert empty tensor map to JSON")
    names = sorted(tensors)
    arrays = {n: np.asarray(tensors[n]) for n in names}
    writer = PrettyWriter()
    writer.start_object()
    multi = len(names) > 1
    if not row_format:
        writer.key("outputs")
        if multi:
            writer.start_object()
        for name in names:
            if multi:
                writer.key(name)
            write_tensor(writer, arrays[name], as_bytes(name, arrays[name]))
        if multi:
            writer.end_object()
        writer.end_object()
        return writer.text()
    batch = None
    for name in names:
        if arrays[name].ndim == 0:
            raise ServingRuleError(f"Tensor name: {name} has no shape information ")
        size = arrays[name].shape[0]
        if batch is not None and size != batch:
            raise ServingRuleError(
                f"Tensor name: {name} has inconsistent batch size: {size} expecting: {batch}"
            )
        batch = size
    writer.key("predictions")
    writer.start_array()
    for item in range(batch or 0):
        if multi:
            writer.start_object()
        writer.single_line = True
        for name in names:
            if multi:
                writer.key(name)
            write_tensor(writer, arrays[name][item, ...], as_bytes(name, arrays[name]))
        writer.single_line = False
        if multi:
            writer.end_object()
    writer.end_array()
    writer.end_object()
    return writer.text()


def classify_response_text(labels: list[list[str]], scores: list[list[float]]) -> str:
    """``MakeJsonFromClassificationResult``: ``{"results": [[[label, score], ...], ...]}``.

    Args:
        labels: per example, one label per class.
        scores: per example, one score per class.

    Returns:
        The body text.

    Raises:
        ServingRuleError: no examples (``Cannot convert empty ClassificationResults``).
    """
    if not labels:
        raise ServingRuleError("Cannot convert empty ClassificationResults to JSON")
    writer = PrettyWriter()
    writer.start_object()
    writer.key("results")
    writer.start_array()
    for example_labels, example_scores in zip(labels, scores, strict=True):
        writer.single_line = True
        writer.start_array()
        for label, score in zip(
            example_labels, decimal_texts(np.asarray(example_scores, np.float32)), strict=True
        ):
            writer.start_array()
            writer.raw(quote(label))
            writer.raw(score)
            writer.end_array()
        writer.end_array()
        writer.single_line = False
    writer.end_array()
    writer.end_object()
    return writer.text()


def regress_response_text(values: np.ndarray) -> str:
    """``MakeJsonFromRegressionResult``: ``{"results": [v1, v2, ...]}``.

    Args:
        values: one float per example.

    Returns:
        The body text.

    Raises:
        ServingRuleError: no values (``Cannot convert empty RegressionResults to JSON``).
    """
    if len(values) == 0:
        raise ServingRuleError("Cannot convert empty RegressionResults to JSON")
    writer = PrettyWriter()
    writer.start_object()
    writer.key("results")
    writer.single_line = True
    writer.raw_array(decimal_texts(np.asarray(values, np.float32)))
    writer.end_object()
    return writer.text()
