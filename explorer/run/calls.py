"""Classify, Regress and Predict a SavedModel in-process, with TF Serving's exact semantics.

``predict`` / ``classify`` / ``regress`` take a TF Serving REST body (text or dict) and
return a :class:`CallResult` whose ``response_json`` is what ``POST .../models/m:predict``
would answer. ``predict_arrays`` / ``classify_examples`` / ``regress_examples`` take numpy
values or feature dicts directly (TF Serving's gRPC view: arrays keep their own dtype).
A request TF Serving rejects raises a ServingRuleError (InputError, ExecutionError) with
its message; :func:`call_rest` returns ``{"error": ...}`` instead, as the REST API does.
Checks run in the server's order (``json_tensor.cc`` first, then ``classifier.cc`` /
``regressor.cc`` / ``predict_util.cc``), so the first error reported is TF Serving's too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from explorer.codec import limits, rest_request, tf_example
from explorer.codec.arrays import array_values, split_composites, take_composite
from explorer.codec.limits import ElementBudget
from explorer.codec.rest_request import rest_status
from explorer.constants import Kernels, MethodKind
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run import templates
from explorer.run.result import ArrayRequest, CallOptions, CallResult, CallTiming, RunContext
from explorer.run.steps import run_examples, run_predict
from explorer.run.target import ModelTarget, resolve_target
from explorer.serving import rules

__all__ = [
    "CallResult",
    "CallTiming",
    "classify",
    "classify_examples",
    "predict",
    "predict_arrays",
    "regress",
    "regress_examples",
    "request_template",
    "rest_status",
]

Body = str | bytes | Mapping[str, Any]


def predict(
    target: ModelTarget,
    request: Body,
    *,
    signature: str | None = None,
    output_filter: Sequence[str] | None = None,
    method_name_check: bool = False,
    allow_unsafe: bool = False,
    kernels: Kernels | None = None,
    extra_fetches: Sequence[str] = (),
    taps: Sequence[str] = (),
    profile: bool = False,
    tags: str | None = None,
    max_request_elements: int | None = None,
) -> CallResult:
    """TF Serving's REST Predict: ``{"instances": ...}`` (rows) or ``{"inputs": ...}``.

    Args:
        target: a ModelInfo, one of its MetaGraphInfos, or a model path.
        request: the REST body: text, bytes or an already parsed dict.
        signature: overrides the body's ``signature_name`` (default ``serving_default``).
        output_filter: gRPC's output_filter (REST itself always fetches every output).
        method_name_check: TF Serving's ``--enable_signature_method_name_check``.
        allow_unsafe: run even if the model reaches unsafe ops.
        kernels: "standard" (TF Serving's standard CPU build) or "mkl" (its oneDNN build);
            default ``EXPLORER_KERNELS``, else "standard".
        extra_fetches: other tensors of the top-level graph to fetch, for debugging.
        taps: op outputs to return beside the answer, at top level or inside functions:
            ``NODE[:INDEX]``, NODE an op id as the signature graph names it
            (``StatefulPartitionedCall::dense/MatMul``) or a plain op name (every place it
            runs). Read them from ``result.taps`` / ``result.tap(name)``.
        profile: time every op of the run (``result.profile``).
        tags: the MetaGraph's tag-set when ``target`` is a model or a path.
        max_request_elements: refuse a request whose tensors would hold more elements
            (counted before anything is allocated); default the environment variable
            ``EXPLORER_MAX_REQUEST_ELEMENTS``, else 10,000,000; 0 for no limit.

    Returns:
        ``predictions`` for a row request, ``outputs`` for a columnar one, and the arrays.

    Raises:
        ServingRuleError: TF Serving would reject the request (InputError for the body,
            ExecutionError from the runtime), with TF Serving's message.
        UnsafeModelError: the model reaches unsafe ops and ``allow_unsafe`` is False.
        ExplorerError: ``target`` is not a readable model.
    """
    budget = ElementBudget(max_request_elements)
    meta_graph, model_dir = resolve_target(target, tags)
    start = time.perf_counter()
    doc, may_hold_bools = limits.parse_request(request)
    name = signature or rest_request.request_signature_name(doc)
    sig = rules.resolve_signature(meta_graph, name, MethodKind.PREDICT, rest=True)
    rest_request.require_input_map(sig, name)
    dense_doc, dense_sig, inputs = split_composites(doc, sig)
    for info in sig.inputs:
        if info.key in inputs:
            take_composite(budget, info, inputs[info.key])
    row_format = "instances" in doc
    if dense_sig.inputs:
        converted = rest_request.predict_inputs(
            dense_doc, dense_sig, may_hold_bools=may_hold_bools, budget=budget
        )
        inputs.update(converted.tensors)
        row_format = converted.row_format
    options = CallOptions(
        method_name_check, allow_unsafe, tuple(extra_fetches), kernels, tuple(taps), profile
    )
    run = RunContext(meta_graph, model_dir, sig, start, options)
    return run_predict(run, inputs, doc, row_format=row_format, output_filter=output_filter)


def predict_arrays(
    target: ModelTarget,
    inputs: Mapping[str, Any],
    *,
    signature: str | None = None,
    output_filter: Sequence[str] | None = None,
    row_format: bool = False,
    method_name_check: bool = False,
    allow_unsafe: bool = False,
    kernels: Kernels | None = None,
    extra_fetches: Sequence[str] = (),
    taps: Sequence[str] = (),
    profile: bool = False,
    tags: str | None = None,
    max_request_elements: int | None = None,
) -> CallResult:
    """TF Serving's gRPC Predict with Python values: ``predict_arrays(mg, {"x": array})``.

    numpy arrays are fed with their own dtype and shape, as a gRPC TensorProto would be
    (a float64 array for a float input fails as it does in TF Serving); lists and scalars
    are converted to the input's dtype first, like REST JSON; a ``pathlib.Path`` is read
    as a ``.npy`` file (its header is checked against the element budget first). Inputs
    left out take the signature's ``defaults``. Sparse inputs take ``{"indices",
    "values", "dense_shape"}``, ragged ones nested lists (see ``explorer.codec.arrays``).

    Args:
        target: as :func:`predict`.
        inputs: input alias → value.
        signature: the signature key (default ``serving_default``).
        output_filter: outputs to fetch (default all), checked as TF Serving does.
        row_format: answer ``{"predictions": ...}`` instead of ``{"outputs": ...}``.
        method_name_check: as :func:`predict`.
        allow_unsafe: as :func:`predict`.
        kernels: as :func:`predict`.
        extra_fetches: as :func:`predict`.
        taps: as :func:`predict`.
        profile: as :func:`predict`.
        tags: as :func:`predict`.
        max_request_elements: as :func:`predict` (arrays count their ``size``).

    Returns:
        The result; ``request_json`` shows the equivalent columnar REST body.

    Raises:
        ServingRuleError: TF Serving's gRPC Predict errors (FAILED_PRECONDITION for an
            unknown signature), verbatim.
        UnsafeModelError: as :func:`predict`.
    """
    budget = ElementBudget(max_request_elements)
    meta_graph, model_dir = resolve_target(target, tags)
    start = time.perf_counter()
    sig = rules.resolve_signature(meta_graph, signature, MethodKind.PREDICT, rest=False)
    values = array_values(sig, inputs, budget)
    options = CallOptions(
        method_name_check, allow_unsafe, tuple(extra_fetches), kernels, tuple(taps), profile
    )
    sent = {t.key for t in sig.inputs} <= set(inputs)
    request = ArrayRequest(signature, "inputs", dict(inputs), rows=row_format, whole=sent)
    run = RunContext(meta_graph, model_dir, sig, start, options)
    return run_predict(run, values, request, row_format=row_format, output_filter=output_filter)


def classify(
    target: ModelTarget,
    request: Body,
    *,
    signature: str | None = None,
    method_name_check: bool = False,
    allow_unsafe: bool = False,
    kernels: Kernels | None = None,
    extra_fetches: Sequence[str] = (),
    taps: Sequence[str] = (),
    profile: bool = False,
    tags: str | None = None,
    max_request_elements: int | None = None,
) -> CallResult:
    """TF Serving's REST Classify: ``{"examples": [...], "context": {...}}`` → ``results``.

    Args: as :func:`predict`, less ``output_filter``; ``max_request_elements`` counts
    the examples plus every feature value (a context's once per example).

    Returns:
        ``{"results": [[[label, score], ...], ...]}`` and the fetched classes/scores.

    Raises:
        ServingRuleError: as :func:`predict`, with classifier.cc's messages.
        UnsafeModelError: as :func:`predict`.
    """
    options = CallOptions(
        method_name_check, allow_unsafe, tuple(extra_fetches), kernels, tuple(taps), profile
    )
    budget = ElementBudget(max_request_elements)
    return _examples_call(MethodKind.CLASSIFY, target, request, signature, options, tags, budget)


def regress(
    target: ModelTarget,
    request: Body,
    *,
    signature: str | None = None,
    method_name_check: bool = False,
    allow_unsafe: bool = False,
    kernels: Kernels | None = None,
    extra_fetches: Sequence[str] = (),
    taps: Sequence[str] = (),
    profile: bool = False,
    tags: str | None = None,
    max_request_elements: int | None = None,
) -> CallResult:
    """TF Serving's REST Regress: ``{"examples": [...]}`` → ``{"results": [v, ...]}``.

    Args: as :func:`classify`.

    Returns:
        One float per example and the fetched ``outputs`` array.

    Raises:
        ServingRuleError: as :func:`predict`, with regressor.cc's messages.
        UnsafeModelError: as :func:`predict`.
    """
    options = CallOptions(
        method_name_check, allow_unsafe, tuple(extra_fetches), kernels, tuple(taps), profile
    )
    budget = ElementBudget(max_request_elements)
    return _examples_call(MethodKind.REGRESS, target, request, signature, options, tags, budget)


def classify_examples(
    target: ModelTarget,
    examples: Sequence[Any],
    *,
    context: Any = None,
    signature: str | None = None,
    method: MethodKind | str = MethodKind.CLASSIFY,
    method_name_check: bool = False,
    allow_unsafe: bool = False,
    kernels: Kernels | None = None,
    extra_fetches: Sequence[str] = (),
    taps: Sequence[str] = (),
    profile: bool = False,
    tags: str | None = None,
    max_request_elements: int | None = None,
) -> CallResult:
    """Classify feature dicts, ``tf.Example`` messages or serialized bytes (gRPC's Input).

    Args:
        examples: the examples; an empty list is TF Serving's ``Input is empty.``.
        context: shared features merged under every example (the example wins).
        method: ``"regress"`` to regress instead.
        (others as :func:`classify`)

    Returns:
        As :func:`classify` (or :func:`regress`).

    Raises:
        ServingRuleError: as :func:`classify`.
        UnsafeModelError: as :func:`predict`.
    """
    budget = ElementBudget(max_request_elements)
    meta_graph, model_dir = resolve_target(target, tags)
    start = time.perf_counter()
    kind = MethodKind(method)
    sig = rules.resolve_signature(meta_graph, signature, kind)
    rules.require_accepted(sig, kind, method_name_check=method_name_check)
    _charge_examples(budget, list(examples), context)
    batch = tf_example.serialize_examples(list(examples), context)
    options = CallOptions(
        method_name_check, allow_unsafe, tuple(extra_fetches), kernels, tuple(taps), profile
    )
    request = ArrayRequest(signature, "examples", (list(examples), context))
    return run_examples(
        kind, RunContext(meta_graph, model_dir, sig, start, options), batch, request
    )


def regress_examples(target: ModelTarget, examples: Sequence[Any], **options: Any) -> CallResult:
    """:func:`classify_examples` for Regress.

    Args:
        target: as :func:`predict`.
        examples: feature dicts, ``tf.Example`` messages or serialized bytes.
        **options: the keyword options of :func:`classify_examples`.

    Returns:
        ``{"results": [v, ...]}`` and the fetched ``outputs`` array.

    Raises:
        ServingRuleError: as :func:`regress`.
    """
    return classify_examples(target, examples, method=MethodKind.REGRESS, **options)


def request_template(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, method: MethodKind | str
) -> dict[str, Any]:
    """A prefilled REST body for ``signature``, ready to edit and send.

    Args:
        meta_graph: the MetaGraph holding the signature (its graph gives tf.Example features).
        signature: the signature to call.
        method: the API the body is for.

    Returns:
        Classify/Regress: one example from the graph's ParseExample defaults (zeros for
        required features). Predict: one instance of zeros, or a serialized template
        example as ``{"b64": ...}`` when the input is parsed as tf.Examples.

    Raises:
        ValueError: ``method`` is not a MethodKind.
    """
    return templates.template(meta_graph, signature, MethodKind(method))


# --- shared steps -------------------------------------------------------------------------


def _charge_examples(budget: ElementBudget, examples: list[Any], context: Any) -> None:
    # The batch holds one string per example; the parsed features, every value of each
    # example plus the context's values once per example.
    values = sum(map(tf_example.value_count, examples))
    values += len(examples) * tf_example.value_count(context)
    budget.take("examples", len(examples) + values)


def _examples_call(
    method: MethodKind,
    target: ModelTarget,
    request: Body,
    signature: str | None,
    options: CallOptions,
    tags: str | None,
    budget: ElementBudget,
) -> CallResult:
    meta_graph, model_dir = resolve_target(target, tags)
    start = time.perf_counter()
    doc, _ = limits.parse_request(request)
    name = signature or rest_request.request_signature_name(doc)
    if isinstance(doc.get("examples"), list):
        _charge_examples(budget, doc["examples"], doc.get("context"))
    # json_tensor.cc converts the context before it looks at "examples".
    prefix = b""
    if "context" in doc:
        prefix = tf_example.example_from_json(doc["context"]).SerializeToString()
    _, examples = rest_request.example_lists(doc)
    batch = [prefix + tf_example.example_from_json(e).SerializeToString() for e in examples]
    sig = rules.resolve_signature(meta_graph, name, method)
    rules.require_accepted(sig, method, method_name_check=options.method_name_check)
    return run_examples(method, RunContext(meta_graph, model_dir, sig, start, options), batch, doc)
