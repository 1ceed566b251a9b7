"""TF Serving's REST JSON request bodies → tensors and examples.

Mirrors ``tensorflow_serving/util/json_tensor.cc`` (reference §5): ``signature_name``,
the row (``instances``) and columnar (``inputs``) predict forms and the classify/regress
``examples`` list, with TF Serving's error texts, which users match against server logs.
One value ⇄ one tensor is ``explorer.codec.json_tensor``; the response writers are
``explorer.codec.rest_response``; the text level (rapidjson's parse errors, its PrettyWriter,
float formatting) is ``explorer.codec.rest_text``. The public names of all are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.codec.fast_request import FastDoc
from explorer.codec.json_document import members
from explorer.codec.json_tensor import (
    decode_b64,
    dense_shape,
    fast_array,
    fill,
    from_flat,
    is_b64,
    shape_text,
    to_array,
)
from explorer.codec.limits import (
    MAX_RANK,
    ElementBudget,
    element_count,
    parse_body,
    require_object,
    too_deep,
    value_text,
)
from explorer.codec.rest_response import (
    classify_response_text,
    predict_response_text,
    regress_response_text,
    rest_status,
)
from explorer.codec.rest_text import decimal_texts, json_value_text
from explorer.errors import InputError, ServingRuleError
from explorer.model.info import SignatureInfo

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


def require_input_map(signature: SignatureInfo, name: str | None) -> None:
    """TF Serving's REST handler refuses a signature without inputs before reading values.

    Raises:
        InputError: ``signature`` has no inputs (``name``: the request's signature_name).
    """
    if not signature.inputs:
        raise InputError(f"Failed to get input map for signature: {name or 'DEFAULT'}")


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
    if isinstance(name, bytes):  # not UTF-8: can never name a signature, say it as is
        return name.decode("utf-8", "surrogateescape")
    if not isinstance(name, str):
        raise InputError(
            f"JSON Value: {value_text(doc)} not formatted correctly. "
            "'signature_name' key must be a string value.",
            key="signature_name",
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
    doc: Mapping[str, Any],
    signature: SignatureInfo,
    *,
    may_hold_bools: bool = True,
    budget: ElementBudget | None = None,
) -> PredictInputs:
    """Convert a predict body's ``instances`` or ``inputs`` to arrays of the declared dtypes.

    Args:
        doc: the parsed body.
        signature: the signature whose inputs name and type the tensors.
        may_hold_bools: False when the body text has no ``true``/``false`` token, which lets
            numeric inputs skip a leaf-type scan.
        budget: the request's element budget, charged from the nesting before any array
            is built (default: ``EXPLORER_MAX_REQUEST_ELEMENTS``, else 10M).

    Returns:
        Arrays keyed by input alias (DT_STRING as object arrays of bytes).

    Raises:
        InputError: any request TF Serving's JSON layer rejects, with its message.
    """
    infos = {t.key: t.dtype for t in signature.inputs}
    budget = budget if budget is not None else ElementBudget()
    if isinstance(doc, FastDoc):
        fast = doc.tensors(infos)
        if fast is not None:
            for name, (_, dims) in fast.items():  # charged as the exact path charges
                budget.take(name, element_count(dims), dims)
            return PredictInputs({n: array for n, (array, _) in fast.items()}, doc.row_format)
        doc = doc.exact()
    if "instances" in doc:
        if "inputs" in doc:
            message = "Not formatted correctly expecting only one of 'inputs' or 'instances'"
            raise _format_error(doc, message + " keys to exist ")
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise _format_error(doc, "Expecting 'instances' to be an list/array")
        if not instances:
            raise _format_error(doc, "No values in 'instances' array")
        return PredictInputs(_rows(instances, infos, may_hold_bools, budget), True)
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
        array = to_array(value, infos[name], may_hold_bools, key=name, budget=budget)
        return PredictInputs({name: array}, False)
    tensors = {}
    for name, dtype in infos.items():
        if name not in value:
            raise InputError(f"Missing named input: {name} in 'inputs' object.", key=name)
        tensors[name] = to_array(value[name], dtype, may_hold_bools, key=name, budget=budget)
    return PredictInputs(tensors, False)


# --- request conversion -------------------------------------------------------------------


def _charge_rows(instances: list[Any], infos: dict[str, str], budget: ElementBudget) -> None:
    # Every row is taken to be shaped as the first (the conversion checks that they are).
    first = instances[0]
    columns = first.items() if _is_element_object(first) else [(next(iter(infos)), first)]
    for name, value in columns:
        if name in infos:
            dims = [len(instances), *_row_shape(value, name)]
            budget.take(name, element_count(dims), dims)


def _row_shape(value: Any, name: str) -> list[int]:
    # One row of a batch: the batch dimension takes one of numpy's 64.
    dims = dense_shape(value, name)
    if len(dims) >= MAX_RANK:
        raise too_deep(name, MAX_RANK - 1)
    return dims


def _rows(
    instances: list[Any], infos: dict[str, str], may_hold_bools: bool, budget: ElementBudget
) -> dict[str, Any]:
    first = instances[0]
    if not isinstance(first, dict) and len(infos) > 1:
        raise InputError(
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map"
        )
    _charge_rows(instances, infos, budget)
    objects = _is_element_object(first)
    names = set(infos)
    # A row with a repeated member takes the exact path (its values are appended).
    if objects and all(type(e) is dict and e.keys() == names for e in instances):
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
            for name, item in members(element):  # a repeated name adds its values again
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
                    f"{value_text(element)} keys must be equal to: {','.join(sorted(infos))}"
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
    tensors = {}
    for name, flat in flats.items():
        dims = [len(instances), *shapes[name]]
        # A repeated member's values went in too; Tensor::FromProto keeps the first ones
        # (as many as the shape holds).
        tensors[name] = from_flat(flat[: element_count(dims)], dims, infos[name])
    return tensors


def _add_instance_item(item, name, infos, flats, shapes) -> None:  # type: ignore[no-untyped-def]
    if name not in infos:
        raise InputError(f"JSON object: does not have named input: {name}", key=name)
    dims = _row_shape(item, name)
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
    return InputError(f"JSON Value: {value_text(doc)} {message}")
