"""Human-readable listing of a model: what ``saved_model_cli show --all`` prints, plus verdicts.

Every text the model provides (names, keys, tags, dtypes it declares, TF Serving's words
quoting them) has its control characters escaped here, line breaks included: a key holding
``\n`` cannot start a line of its own and pass for the listing's (the CLI escapes the rest
of a block's controls when it prints it).
"""

from __future__ import annotations

import re

from explorer.constants import MethodKind
from explorer.model.controls import visible_controls as _v
from explorer.model.info import MetaGraphInfo, ModelInfo, TensorInfo, format_size
from explorer.serving.rules import check_signature

_DUMP_START = re.compile(r"[:\s]*\b[a-z_]+ \{$")  # "…: inputs {", a SignatureDef's dump


def model_listing(model: ModelInfo, meta_graphs: tuple[MetaGraphInfo, ...]) -> str:
    """Every MetaGraph's facts and SignatureDefs, with TF Serving verdicts per API."""
    head = [f"Model: {_v(model.name)}  ({_v(model.path)})"]
    if model.version is not None:
        versions = ", ".join(map(str, model.available_versions))
        head.append(f"Version: {model.version}  (available: {versions})")
    head.append(
        f"Format: {model.file_format}, schema version {model.saved_model_schema_version}, "
        f"variables {format_size(model.variables_size_bytes)}"
    )
    blocks = ["\n".join(head)]
    blocks.extend(meta_graph_listing(mg) for mg in meta_graphs)
    return "\n\n".join(blocks) + "\n"


def meta_graph_listing(meta_graph: MetaGraphInfo) -> str:
    lines = [
        f"MetaGraphDef with tag-set: '{_v(meta_graph.tag_set)}' contains the following "
        "SignatureDefs:",
        f"  written by TensorFlow {_v(meta_graph.tensorflow_version or 'unknown')}; "
        f"{meta_graph.node_count} nodes, {meta_graph.function_count} library functions "
        f"({meta_graph.function_node_count} nodes)",
    ]
    top_ops = ", ".join(f"{_v(op)} {n}" for op, n in meta_graph.op_histogram[:8])
    if top_ops:
        lines.append(f"  ops: {top_ops}")
    for asset in meta_graph.assets:
        lines.append(f"  asset: {_v(asset.filename)} ({format_size(asset.size_bytes)})")
    for sig in meta_graph.signatures:
        lines.append("")
        lines.append(f"signature_def['{_v(sig.key)}']:")
        if sig.is_init_op:
            lines.append("  (the model's initializer, run at load time; not a callable signature)")
        lines.append("  The given SavedModel SignatureDef contains the following input(s):")
        lines.extend(_tensor_lines("inputs", t, default=t.key in sig.defaults) for t in sig.inputs)
        lines.append("  The given SavedModel SignatureDef contains the following output(s):")
        lines.extend(_tensor_lines("outputs", t) for t in sig.outputs)
        lines.append(f"  Method name is: {_v(sig.method_name)}")
        if sig.is_init_op:
            continue
        lines.append("  TF Serving (default / --enable_signature_method_name_check):")
        for method in MethodKind:
            lines.append(f"    {method.value:<9}{_verdict_text(sig, method)}")
    return "\n".join(lines)


def _verdict_text(sig, method: MethodKind) -> str:  # type: ignore[no-untyped-def]
    default = check_signature(sig, method)
    strict = check_signature(sig, method, method_name_check=True)
    parts = []
    if default.accepted:
        parts.append("accepted" if strict.accepted else "accepted (rejected with the check)")
    else:
        parts.append("rejected: " + _first_line(default.reason))
    if default.accepted and not strict.accepted:
        parts.append(f"      with the check: {_first_line(strict.reason)}")
    for issue in default.request_time_issues:
        parts.append(f"      at request time: {_v(issue)}")
    for note in default.notes:
        parts.append(f"      note: {_v(note)}")
    return "\n    ".join(parts)


def _tensor_lines(kind: str, tensor: TensorInfo, *, default: bool = False) -> str:
    shape = "unknown_rank" if tensor.shape is None else tensor.shape_text
    lines = [
        f"    {kind}['{_v(tensor.key)}'] tensor_info:"
        + ("  (has a default value)" if default else ""),
        f"        dtype: {_v(tensor.dtype)} ({tensor.numpy_dtype})",
        f"        shape: {_v(shape)}",
    ]
    if tensor.encoding == "name":
        lines.append(f"        name: {_v(tensor.name or '')}")
    elif tensor.sparse_tensors:
        values, indices, dense_shape = tensor.sparse_tensors
        lines.append("        encoding: coo_sparse")
        lines.append(
            f"        values: {_v(values)}  indices: {_v(indices)}  dense_shape: {_v(dense_shape)}"
        )
    else:
        lines.append(f"        encoding: composite_tensor {_v(str(tensor.composite_spec))}")
        lines.append(f"        components: {_v(', '.join(tensor.component_names))}")
    return "\n".join(lines)


def verdict_headline(reason: str) -> str:
    """The sentence of TF Serving's rejection that fits a line or a table cell: its first
    line, without the start of the SignatureDef dump some messages end with (``…: inputs
    {``); "…" says the full message has more."""
    first = reason.split("\n", 1)[0]
    headline = _DUMP_START.sub("", first)
    return f"{headline} …" if headline != first or "\n" in reason else headline


def _first_line(text: str | None) -> str:
    return _v(verdict_headline(text or ""))
