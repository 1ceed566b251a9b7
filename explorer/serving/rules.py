"""TF Serving's signature rules for Classify, Regress and Predict, in its own words.

One place implements ``classifier.cc``/``regressor.cc``/``predict_util.cc``'s checks so the
app's verdicts, the runner's refusals and the CLI all agree. Messages are TF Serving's
sentences verbatim (users match them against server logs); see
``shared/reference/tfserving-semantics.md`` §1–4.

What fails only when a request runs is judged on the graph's own tensors where the graph
states their dtype (``explorer.serving.graph_tensors``): TF Serving feeds and fetches by
tensor name, so a TensorInfo that declares another dtype misleads clients but not the
server. Such a TensorInfo is reported as a note.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from google.protobuf import text_format

from explorer.constants import (
    CLASSIFY_INPUTS,
    CLASSIFY_METHOD_NAME,
    CLASSIFY_OUTPUT_CLASSES,
    CLASSIFY_OUTPUT_SCORES,
    DEFAULT_SERVING_SIGNATURE_KEY,
    PREDICT_METHOD_NAME,
    REGRESS_INPUTS,
    REGRESS_METHOD_NAME,
    REGRESS_OUTPUTS,
    MethodKind,
)
from explorer.errors import ServingRuleError
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo, format_shape
from explorer.serving.graph_tensors import declared_otherwise, graph_dtype
from explorer.serving.variables import unset_variables

# Dtypes TF Serving's REST JSON can read (json_tensor.cc); others are UNIMPLEMENTED.
_JSON_INPUT_DTYPES = frozenset(
    [
        "DT_FLOAT",
        "DT_DOUBLE",
        "DT_INT32",
        "DT_INT16",
        "DT_INT8",
        "DT_UINT8",
        "DT_INT64",
        "DT_UINT32",
        "DT_UINT64",
        "DT_BOOL",
        "DT_STRING",
    ]
)
# json_tensor.cc's writer has the same cases (AddSingleValueAndAdvance): no DT_UINT16.
_JSON_OUTPUT_DTYPES = _JSON_INPUT_DTYPES


@dataclass(frozen=True, slots=True)
class ServingVerdict:
    """Would TF Serving accept this signature for one API, and if not, why."""

    method: MethodKind
    method_name_check: bool
    accepted: bool
    # TF Serving's rejection sentence, None when accepted.
    reason: str | None
    # gRPC status TF Serving answers with when it rejects.
    code: str | None
    # What passes the signature check but fails when a request runs.
    request_time_issues: tuple[str, ...] = ()
    # Findings that change no answer: TensorInfos that declare another dtype than the
    # graph's tensor of that name has.
    notes: tuple[str, ...] = ()


def check_signature(
    signature: SignatureInfo, method: MethodKind, *, method_name_check: bool = False
) -> ServingVerdict:
    """Judge a signature for one TF Serving API the way the server does.

    Args:
        signature: the SignatureDef to judge.
        method: Classify, Regress or Predict.
        method_name_check: as TF Serving's ``--enable_signature_method_name_check``
            (off by default since 2.4, so TF2 signatures can serve Classify/Regress).

    Returns:
        The verdict, with TF Serving's sentence when rejected.
    """
    try:
        require_accepted(signature, method, method_name_check=method_name_check)
    except ServingRuleError as err:
        return ServingVerdict(method, method_name_check, False, str(err), err.code)
    return ServingVerdict(
        method,
        method_name_check,
        True,
        None,
        None,
        _request_time_issues(signature, method),
        _declaration_notes(signature, method),
    )


def check_all(signature: SignatureInfo) -> tuple[ServingVerdict, ...]:
    """Verdicts for Classify, Regress and Predict, method-name check off then on."""
    return tuple(
        check_signature(signature, method, method_name_check=check)
        for check in (False, True)
        for method in MethodKind
    )


def require_accepted(
    signature: SignatureInfo, method: MethodKind, *, method_name_check: bool = False
) -> None:
    """Raise TF Serving's error if it would refuse this signature for ``method``.

    Raises:
        ServingRuleError: with TF Serving's exact message and status code.
    """
    if method is MethodKind.CLASSIFY:
        _require_classify(signature, method_name_check)
    elif method is MethodKind.REGRESS:
        _require_regress(signature, method_name_check)
    elif method_name_check and signature.method_name not in (
        PREDICT_METHOD_NAME,
        CLASSIFY_METHOD_NAME,
        REGRESS_METHOD_NAME,
    ):
        raise ServingRuleError(
            "Expected prediction signature method_name to be one of "
            f"{{{PREDICT_METHOD_NAME}, {CLASSIFY_METHOD_NAME}, {REGRESS_METHOD_NAME}}}. "
            f"Was: {signature.method_name}",
            code="INTERNAL",
        )


def resolve_signature(
    meta_graph: MetaGraphInfo, name: str | None, method: MethodKind, *, rest: bool = True
) -> SignatureInfo:
    """Find the signature a request names (empty → ``serving_default``), as TF Serving does.

    Args:
        meta_graph: the loaded MetaGraph.
        name: the request's signature_name; None or "" means ``serving_default``.
        method: the API called; each words "not found" its own way.
        rest: Predict over REST words it differently from gRPC.

    Raises:
        ServingRuleError: no signature of that name, in TF Serving's words.
    """
    key = name or DEFAULT_SERVING_SIGNATURE_KEY
    for signature in meta_graph.signatures:
        if signature.key == key:
            return signature
    if method is not MethodKind.PREDICT:
        error = ServingRuleError(f"No signature was found with the name: {key}")
    elif rest:
        error = ServingRuleError(f'Serving signature name: "{key}" not found in signature def')
    else:
        error = ServingRuleError(
            f'Serving signature key "{key}" not found.', code="FAILED_PRECONDITION"
        )
    error.explanation = _signatures_there(meta_graph, key)
    raise error


def _signatures_there(meta_graph: MetaGraphInfo, key: str) -> str:
    """What a person needs after a "not found": the keys there are, and the nearest."""
    keys = [s.key for s in meta_graph.signatures if not s.is_init_op]
    if not keys:
        return "This MetaGraph has no signature a request can call."
    near = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    hint = f' Did you mean "{near[0]}"?' if near else ""
    shown = ", ".join(f'"{k}"' for k in keys[:20]) + (
        f" and {len(keys) - 20} more" if len(keys) > 20 else ""
    )
    return f"The signatures of this MetaGraph: {shown}.{hint}"


def debug_string(signature: SignatureInfo) -> str:
    """The SignatureDef as C++ ``DebugString()`` prints it (TF Serving quotes it in errors)."""
    if signature.proto is None:
        return ""
    return text_format.MessageToString(signature.proto)


def _require_classify(signature: SignatureInfo, method_name_check: bool) -> None:
    if method_name_check and signature.method_name != CLASSIFY_METHOD_NAME:
        raise ServingRuleError(
            "Expected classification signature method_name to be "
            f"{CLASSIFY_METHOD_NAME}. Was: {signature.method_name}"
        )
    if len(signature.inputs) != 1:
        raise ServingRuleError("Expected one input Tensor.")
    if not 1 <= len(signature.outputs) <= 2:
        raise ServingRuleError(
            f"Expected one or two output Tensors, found {len(signature.outputs)}"
        )
    if signature.input(CLASSIFY_INPUTS) is None:
        raise ServingRuleError(
            f"No classification inputs found in SignatureDef: {debug_string(signature)}"
        )
    if (
        signature.output(CLASSIFY_OUTPUT_CLASSES) is None
        and signature.output(CLASSIFY_OUTPUT_SCORES) is None
    ):
        raise ServingRuleError(
            'Expected classification signature outputs to contain at least one of "classes" '
            f'or "scores". Signature was: {debug_string(signature)}'
        )


def _require_regress(signature: SignatureInfo, method_name_check: bool) -> None:
    if method_name_check and signature.method_name != REGRESS_METHOD_NAME:
        raise ServingRuleError(
            "Expected regression signature method_name to be "
            f"{REGRESS_METHOD_NAME}. Was: {signature.method_name}"
        )
    if len(signature.inputs) != 1:
        raise ServingRuleError("Expected one input Tensor.")
    if len(signature.outputs) != 1:
        raise ServingRuleError("Expected one output Tensor.")
    if signature.input(REGRESS_INPUTS) is None:
        raise ServingRuleError(
            f"No regression inputs found in SignatureDef: {debug_string(signature)}"
        )
    if signature.output(REGRESS_OUTPUTS) is None:
        raise ServingRuleError(
            f"No regression outputs found in SignatureDef: {debug_string(signature)}"
        )


def _request_time_issues(signature: SignatureInfo, method: MethodKind) -> tuple[str, ...]:
    if signature.is_init_op:
        return (
            "This is the model's initializer (__saved_model_init_op), not a callable "
            "signature: it runs when the model loads and returns no tensor.",
        )
    unset = unset_variables(signature)
    loading = (unset.message(),) if unset is not None else ()
    if method is MethodKind.CLASSIFY:
        return (*loading, *_classify_issues(signature))
    if method is MethodKind.REGRESS:
        return (*loading, *_regress_issues(signature))
    return (*loading, *_predict_issues(signature))


def _examples_input_issue(signature: SignatureInfo, tensor: TensorInfo) -> list[str]:
    real = graph_dtype(signature, tensor) or tensor.dtype
    if real == "DT_STRING" and tensor.encoding == "name":
        return []
    where = "the graph's tensor" if real != tensor.dtype else "it"
    return [
        f'Input "inputs" ({tensor.name or tensor.encoding}) is {real}'
        + (f" ({where}; its TensorInfo says {tensor.dtype})" if real != tensor.dtype else "")
        + ", but TF Serving feeds it a DT_STRING batch of serialized tf.Examples: every "
        "request fails at Session::Run."
    ]


def _classify_issues(signature: SignatureInfo) -> tuple[str, ...]:
    issues = _examples_input_issue(signature, signature.inputs[0])
    classes = signature.output(CLASSIFY_OUTPUT_CLASSES)
    scores = signature.output(CLASSIFY_OUTPUT_SCORES)
    for tensor, dtype in ((classes, "DT_STRING"), (scores, "DT_FLOAT")):
        if tensor is None:
            continue
        if tensor.shape is not None and len(tensor.shape) != 2:
            issues.append(
                "Expected Tensor shape: [batch_size num_classes] but got "
                f'{_debug_shape(tensor)} (output "{tensor.key}")'
            )
        real = graph_dtype(signature, tensor) or tensor.dtype
        if real != dtype:
            issues.append(f"Expected {tensor.key} Tensor of {dtype}. Got: {real}")
    if classes and scores and classes.shape and scores.shape:
        c, s = classes.shape[-1], scores.shape[-1]
        if len(classes.shape) == len(scores.shape) == 2 and None not in (c, s) and c != s:
            issues.append(f"Tensors class and score should match in dim_size(1). Got {c} vs. {s}")
    if scores is None:
        issues.append('No "scores" output: TF Serving returns every score as 0.0.')
    if classes is None:
        issues.append('No "classes" output: TF Serving returns every label as "".')
    return tuple(issues)


def _regress_issues(signature: SignatureInfo) -> tuple[str, ...]:
    issues = _examples_input_issue(signature, signature.inputs[0])
    out = signature.output(REGRESS_OUTPUTS)
    assert out is not None  # guaranteed by _require_regress
    shape = out.shape
    if shape is not None and not (len(shape) == 1 or (len(shape) == 2 and shape[1] in (1, None))):
        issues.append(
            "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
            f"{_debug_shape(out)}"
        )
    real = graph_dtype(signature, out) or out.dtype
    if real != "DT_FLOAT":
        issues.append(f"Expected output Tensor of DT_FLOAT.  Got: {real}")
    return tuple(issues)


def component_fed_note(signature: SignatureInfo) -> str | None:
    """What to tell a user whose Predict fed sparse or ragged inputs by their component
    tensors (an explorer extension): TF Serving cannot, so it would not give this answer."""
    inputs = [t for t in signature.inputs if t.encoding != "name"]
    if not inputs:
        return None
    named = ", ".join(f'"{t.key}" ({t.encoding})' for t in inputs)
    return (
        f"TF Serving would not give this answer: it feeds each input by its TensorInfo name, "
        f"and {named} {'has' if len(inputs) == 1 else 'have'} none, so there the request "
        "fails at Session::Run. Signature Explorer fed the component tensors instead."
    )


def _predict_issues(signature: SignatureInfo) -> tuple[str, ...]:
    issues = []
    for tensor in signature.inputs:
        real = declared_otherwise(signature, tensor)
        if tensor.encoding != "name":
            issues.append(
                f'Input "{tensor.key}" is {tensor.encoding}: Predict feeds inputs by tensor '
                "name and this TensorInfo has none, so requests fail at Session::Run."
            )
        elif tensor.dtype not in _JSON_INPUT_DTYPES:
            issues.append(
                f'Input "{tensor.key}" is {tensor.dtype}: the REST API cannot convert JSON to '
                "it (UNIMPLEMENTED); use gRPC with a TensorProto."
            )
        elif real is not None:
            issues.append(
                f'Input "{tensor.key}" is declared {tensor.dtype}, but the graph\'s tensor '
                f"{tensor.name} is {real}: REST Predict converts JSON to the declared "
                f"{tensor.dtype}, which the graph refuses at Session::Run, so every REST "
                f"request fails; a gRPC request must send {real}."
            )
    for tensor in signature.outputs:
        real = graph_dtype(signature, tensor) or tensor.dtype
        if tensor.encoding == "name" and real not in _JSON_OUTPUT_DTYPES:
            issues.append(
                f'Output "{tensor.key}" is {real}: the REST API fails with '
                f'"Failed to write JSON value for tensor type: {_tf_name(real)}".'
            )
        if tensor.shape == ():
            issues.append(
                f'Output "{tensor.key}" is a scalar: row-format ("instances") requests fail '
                f'("Tensor name: {tensor.key} has no shape information"); use "inputs".'
            )
    return tuple(issues)


def _declaration_notes(signature: SignatureInfo, method: MethodKind) -> tuple[str, ...]:
    """TensorInfos whose declared dtype is not the graph tensor's (the graph wins)."""
    if signature.is_init_op:
        return ()
    notes = []
    for kind, tensor in [
        *(("input", t) for t in signature.inputs),
        *(("output", t) for t in signature.outputs),
    ]:
        real = declared_otherwise(signature, tensor)
        if real is None:
            continue
        if method is MethodKind.PREDICT and kind == "input":
            continue  # a request-time issue there: REST converts to the declared dtype
        notes.append(
            f'The TensorInfo of {kind} "{tensor.key}" declares {tensor.dtype}, but the '
            f"graph's tensor {tensor.name} is {real}. TF Serving feeds and fetches by tensor "
            f"name, so {real} is what it meets; its metadata tells clients {tensor.dtype}."
        )
    return tuple(notes)


def _tf_name(dtype: str) -> str:
    # DataTypeString, as TF Serving's error texts print a dtype: DT_HALF → half.
    return "INVALID" if dtype == "DT_INVALID" else dtype.removeprefix("DT_").lower()


def _debug_shape(tensor: TensorInfo) -> str:
    if tensor.shape is None:
        return format_shape(None)
    return "[" + ",".join("?" if d is None else str(d) for d in tensor.shape) + "]"


def preferred_method(
    signature: SignatureInfo, verdicts: dict[MethodKind, ServingVerdict]
) -> MethodKind:
    """The API a signature is made for, as the app and the notebook widget first offer it:
    its method_name if TF Serving accepts it, else Classify, then Regress (TF2 signatures
    shaped for them: TF2 always writes the predict method_name), else Predict."""
    declared = {CLASSIFY_METHOD_NAME: MethodKind.CLASSIFY, REGRESS_METHOD_NAME: MethodKind.REGRESS}
    method = declared.get(signature.method_name)
    if method is not None and verdicts[method].accepted:
        return method
    for method in (MethodKind.CLASSIFY, MethodKind.REGRESS):
        if verdicts[method].accepted:
            return method
    return MethodKind.PREDICT
