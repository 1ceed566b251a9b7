"""One call after its request is parsed: TF Serving's checks around ``Session::Run``, the
run itself, and the :class:`CallResult`.

Predict follows ``predict_util.cc`` and TensorFlow's ``saved_model::GetInputValues``
(input count, defaults, unknown names, ``output_filter``); Classify and Regress check the
fetched tensors as ``PostProcessClassificationResult`` (``classifier.cc``) and
``PostProcessRegressionResult`` (``regressor.cc``) do; reference §1.4, §2 and §3. Every
check runs in the server's order and raises with the server's words.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np

from explorer.codec import rest_request
from explorer.codec.arrays import component_feeds
from explorer.constants import CLASSIFY_OUTPUT_CLASSES, CLASSIFY_OUTPUT_SCORES, MethodKind
from explorer.errors import ExecutionError, InputError, ServingRuleError
from explorer.model.bounds import check_bounds
from explorer.model.info import SignatureInfo
from explorer.run import runner, sandbox
from explorer.run.inspection import Inspection, Inspector
from explorer.run.result import CallResult, CallTiming, ResponseJson, RunContext
from explorer.safety.scan import require_safe, scan_meta_graph
from explorer.serving import rules
from explorer.serving.sent_line import sent_against_declared, shape_misfit

_DT_NAMES = {
    "object": "DT_STRING",
    "float16": "DT_HALF",
    "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE",
}


def run_examples(
    method: MethodKind, run: RunContext, batch: list[bytes], request: Any
) -> CallResult:
    """Feed a serialized tf.Example batch to an accepted Classify/Regress signature.

    Args:
        method: classify or regress.
        run: the call's model, signature, start time and options.
        batch: one serialized tf.Example per example.
        request: kept on the result as the request.

    Returns:
        The result with ``results`` as TF Serving writes them.

    Raises:
        ServingRuleError: the runtime failed or the outputs fail TF Serving's checks.
    """
    sig = run.signature
    if method is MethodKind.CLASSIFY:
        aliases = [a for a in (CLASSIFY_OUTPUT_CLASSES, CLASSIFY_OUTPUT_SCORES) if sig.output(a)]
    else:
        aliases = ["outputs"]
    feeds = {sig.inputs[0].name or "": np.array(batch, dtype=object)}
    fetched, extra, timing, inspection = _execute(run, feeds, aliases)
    if method is MethodKind.CLASSIFY:
        labels, scores = classification(fetched, len(batch))
        text = rest_request.classify_response_text(labels, scores)
    else:
        values = regression(fetched["outputs"], len(batch))
        text = rest_request.regress_response_text(values)
    return _result(method, run, text, fetched, extra, timing, request, inspection)


def run_predict(
    run: RunContext,
    inputs: dict[str, Any],
    request: Any,
    *,
    row_format: bool,
    output_filter: Sequence[str] | None,
) -> CallResult:
    """Predict with converted inputs: predict_util.cc's method check, input count,
    GetInputValues (defaults), output_filter, then the run.

    Args:
        run: the call's model, signature, start time and options.
        inputs: input alias → array (or raw value of a sparse/ragged input).
        request: kept on the result as the request.
        row_format: write ``predictions`` (rows) rather than ``outputs`` (columns).
        output_filter: aliases to fetch; None or empty fetches every output.

    Returns:
        The result.

    Raises:
        ServingRuleError: any of those steps, in TF Serving's order and words.
    """
    sig, options = run.signature, run.options
    rules.require_accepted(sig, MethodKind.PREDICT, method_name_check=options.method_name_check)
    check_input_count(sig, inputs)
    missing = {t.key for t in sig.inputs} - set(inputs)
    defaults = runner.signature_defaults(sig) if missing else {}
    feeds = input_feeds(sig, inputs, defaults)
    aliases = output_aliases(sig, output_filter)
    try:
        fetched, extra, timing, inspection = _execute(run, feeds, aliases)
    except ExecutionError as err:  # TF Serving's words, and a line on what was sent
        err.explanation = sent_against_declared(sig, inputs, sandboxed=bool(err.sandbox_note))
        raise
    text = rest_request.predict_response_text(fetched, row_format=row_format)
    result = _result(MethodKind.PREDICT, run, text, fetched, extra, timing, request, inspection)
    misfit = shape_misfit(sig, inputs)
    return result if misfit is None else replace(result, shape_misfit=misfit)


def _execute(
    run: RunContext, feeds: dict[str, Any], aliases: list[str]
) -> tuple[dict[str, Any], dict[str, Any], runner.RunOutput, Inspection]:
    meta_graph, model_dir, sig, _, options = run
    names = []
    for alias in aliases:
        info = sig.output(alias)
        if info is None or info.encoding != "name":
            raise ServingRuleError(
                f'Output "{alias}" is a {info.encoding if info else "missing"} TensorInfo: TF '
                "Serving fetches outputs by tensor name and this one has none."
            )
        names.append(info.name or "")
    for name in options.extra_fetches:
        if not isinstance(name, str):
            raise InputError(f"extra_fetches: {name!r} is not a tensor name (a string).")
    # What an extra fetch runs needs the opt-in as much as what the signature runs.
    # A model past the bounds is refused before anything else measures it (the scan of a
    # million-node graph costs seconds; the bounds are counted in one pass).
    check_bounds(meta_graph)
    require_safe(meta_graph, allow_unsafe=options.allow_unsafe, extra_fetches=options.extra_fetches)
    model, load_ms = runner.load(
        model_dir, meta_graph, allow_unsafe=options.allow_unsafe, kernels=options.kernels
    )
    inspector = Inspector(run, model)  # taps run in a copy of the graph that returns them
    model, load_ms = inspector.model, load_ms + inspector.load_ms
    # An extra fetch or a tap of a fed tensor (a signature's input) returns the fed value:
    # TensorFlow refuses to fetch a tensor it is fed.
    fed = {_tensor_name(n): v for n, v in feeds.items()}
    asked = [*options.extra_fetches, *inspector.fetches]
    besides = [n for n in asked if _tensor_name(n) not in fed]
    for name in options.extra_fetches:
        if _tensor_name(name) not in fed and not model.has_tensor(name):
            raise InputError(
                f'extra_fetches: "{name}" is not a tensor of the top-level graph '
                '(expected "op_name:output_index").',
                key=name,
            )
    try:
        ran = model.run(feeds, [*names, *besides], trace=inspector.trace)
    except ExecutionError as error:
        restored = inspector.untapped(error)
        # Opted in despite the scan's findings: it ran in the sandbox, where an op reaching
        # outside fails although TF Serving would run it. The answer must say so.
        flagged = options.allow_unsafe and not scan_meta_graph(meta_graph).clean
        restored.sandbox_note = sandbox.outside_note(flagged=flagged)
        if restored is error:
            raise
        raise restored from error
    values = ran.values
    output = runner.RunOutput(values, load_ms, ran.run_ms, ran.transfer_ms, ran.kernels)
    fetched = {a: np.asarray(v) for a, v in zip(aliases, values, strict=False)}
    answered = dict(zip(besides, values[len(aliases) :], strict=True))
    answered |= {n: fed[_tensor_name(n)] for n in asked if _tensor_name(n) in fed}
    extra = {n: np.asarray(answered[n]) for n in options.extra_fetches}
    inspection = inspector.read([answered[n] for n in inspector.fetches], ran)
    return fetched, extra, output, inspection


def _tensor_name(name: str) -> str:
    return name if ":" in name else name + ":0"


def _result(
    method: MethodKind,
    run: RunContext,
    text: str,
    fetched: dict[str, Any],
    extra: dict[str, Any],
    output: runner.RunOutput,
    request: Any,
    inspection: Inspection,
) -> CallResult:
    total = (time.perf_counter() - run.start) * 1000
    conversion = max(total - output.run_ms - output.load_ms - output.transfer_ms, 0.0)
    return CallResult(
        method=method,
        signature_key=run.signature.key,
        response_text=text,
        response_json=ResponseJson.of_text(text),
        outputs=MappingProxyType(fetched),
        extra=MappingProxyType(extra),
        timing=CallTiming(conversion, output.run_ms, output.load_ms, output.transfer_ms),
        request=request,
        kernels=output.kernels,
        taps=inspection.taps,
        profile=inspection.profile,
    )


def check_input_count(signature: SignatureInfo, sent: Iterable[str]) -> None:
    """``VerifyRequestInputsSize``: too many inputs, or too few and no ``defaults``.

    Args:
        signature: the signature called.
        sent: the input aliases of the request.

    Raises:
        InputError: TF Serving's "input size does not match signature" message.
    """
    sent_keys, sig_keys = set(sent), {t.key for t in signature.inputs}
    if len(sent_keys) > len(sig_keys) or (
        len(sent_keys) < len(sig_keys) and not signature.defaults
    ):
        raise InputError(
            f"input size does not match signature: {len(sent_keys)}!={len(sig_keys)} "
            f"len({{{_join(sent_keys)}}}) != len({{{_join(sig_keys)}}}). "
            f"Sent extra: {{{_join(sent_keys - sig_keys)}}}. "
            f"Missing but required: {{{_join(sig_keys - sent_keys)}}}."
        )


def input_feeds(
    signature: SignatureInfo, inputs: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``GetInputValues``: graph tensor name → value, from the request or ``defaults``.

    Args:
        signature: the signature called.
        inputs: the request's input alias → value.
        defaults: the signature's default values by alias.

    Returns:
        The feeds (sparse/ragged inputs as their component tensors).

    Raises:
        InputError: an input neither sent nor defaulted, or a request key the signature
            does not have (TF Serving's messages).
    """
    feeds: dict[str, Any] = {}
    for info in signature.inputs:
        if info.key in inputs:
            value = inputs[info.key]
        elif info.key in defaults:
            value = defaults[info.key]
        else:
            raise InputError(
                f"Signature input alias: {info.key}(feed name: {info.name or ''}) not found "
                "in request and no default value provided. Inputs expected to be in the "
                f"request {{{_join(inputs)}}}, or default input alias set: "
                f"{_join(signature.defaults)}",
                key=info.key,
            )
        feeds.update(component_feeds(info, value))
    unused = set(inputs) - {t.key for t in signature.inputs}
    if inputs and unused:
        raise InputError(
            "Inputs contains invalid name. Used request inputs: "
            f"{_join(set(inputs) - unused)}, request input: {_join(inputs)}"
        )
    return feeds


def output_aliases(signature: SignatureInfo, output_filter: Sequence[str] | None) -> list[str]:
    """The outputs to fetch: all of them, or ``output_filter`` checked as TF Serving does.

    Args:
        signature: the signature called.
        output_filter: the requested aliases, or None/empty for all.

    Returns:
        Output aliases in fetch order.

    Raises:
        InputError: an alias not in the signature, or one named twice.
    """
    if not output_filter:
        return [t.key for t in signature.outputs]
    aliases: list[str] = []
    for alias in output_filter:
        if signature.output(alias) is None:
            raise InputError(
                f"output tensor alias not found in signature: {alias} Outputs expected to be "
                f"in the set {{{_join(t.key for t in signature.outputs)}}}.",
                key=alias,
            )
        if alias in aliases:
            raise InputError(f"duplicate output tensor alias: {alias}", key=alias)
        aliases.append(alias)
    return aliases


def classification(
    fetched: Mapping[str, Any], num_examples: int
) -> tuple[list[list[str]], list[list[float]]]:
    """Labels and scores per example from the fetched ``classes``/``scores``.

    A missing ``classes`` output gives empty labels, a missing ``scores`` zero scores.

    Args:
        fetched: ``classes`` and/or ``scores`` arrays.
        num_examples: the batch size sent.

    Returns:
        (labels, scores), one list per example with one entry per class.

    Raises:
        ServingRuleError: a shape, dtype or batch size classifier.cc rejects.
    """
    classes = fetched.get(CLASSIFY_OUTPUT_CLASSES)
    scores = fetched.get(CLASSIFY_OUTPUT_SCORES)
    for alias, array, dtype in (
        (CLASSIFY_OUTPUT_CLASSES, classes, "DT_STRING"),
        (CLASSIFY_OUTPUT_SCORES, scores, "DT_FLOAT"),
    ):
        if array is None:
            continue
        if np.ndim(array) != 2:
            raise ServingRuleError(
                f"Expected Tensor shape: [batch_size num_classes] but got {_shape(array)}"
            )
        if dt_name(array) != dtype:
            raise ServingRuleError(f"Expected {alias} Tensor of {dtype}. Got: {dt_name(array)}")
        if np.shape(array)[0] != num_examples:
            raise ServingRuleError(
                f"Expected {alias} output batch size of {num_examples}. Got: {np.shape(array)[0]}"
            )
    if classes is not None and scores is not None and classes.shape[1] != scores.shape[1]:
        raise ServingRuleError(
            "Tensors class and score should match in dim_size(1). "
            f"Got {classes.shape[1]} vs. {scores.shape[1]}"
        )
    shown = classes if classes is not None else scores
    assert shown is not None  # the signature has classes or scores: classify accepted it
    width = shown.shape[1]
    labels = (
        [[_label(v) for v in row] for row in classes.tolist()]
        if classes is not None
        else [[""] * width for _ in range(num_examples)]
    )
    values = scores.tolist() if scores is not None else [[0.0] * width for _ in range(num_examples)]
    return labels, values


def regression(array: Any, num_examples: int) -> np.ndarray:
    """One value per example from the fetched ``outputs``.

    Args:
        array: the fetched ``outputs`` tensor.
        num_examples: the batch size sent.

    Returns:
        The values, flattened to one per example.

    Raises:
        ServingRuleError: a shape, batch size or dtype regressor.cc rejects (its order).
    """
    array = np.asarray(array)
    if not (array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1)):
        raise ServingRuleError(
            "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but "
            f"got {_shape(array)}"
        )
    if array.shape[0] != num_examples:
        raise ServingRuleError(
            f"Input batch size did not match output batch size: {num_examples} vs. {array.shape[0]}"
        )
    if dt_name(array) != "DT_FLOAT":
        raise ServingRuleError(f"Expected output Tensor of DT_FLOAT.  Got: {dt_name(array)}")
    flat: np.ndarray = array.reshape(-1)
    return flat


def dt_name(array: Any) -> str:
    """TensorFlow's DataType name for a fetched array (``float32`` → ``DT_FLOAT``)."""
    name = np.asarray(array).dtype.name
    if name.startswith(("bytes", "str")):
        return "DT_STRING"
    return _DT_NAMES.get(name) or f"DT_{name.upper()}"


def _label(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _shape(array: Any) -> str:
    # TensorShape::DebugString: [2,3,10], [] for a scalar.
    return "[" + ",".join(map(str, np.shape(array))) + "]"


def _join(keys: Iterable[str]) -> str:
    return ",".join(sorted(keys))
