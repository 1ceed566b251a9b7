"""Rich HTML for Jupyter: models, MetaGraphs, signatures, graphs and call results.

The data classes know nothing of their views: :data:`HTML_VIEWS` maps each class to its
view, and ``explorer/__init__.py`` registers them with IPython's HTML formatter by class
name (deferred, so a notebook pays for this module only when it shows one of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from explorer.constants import MethodKind
from explorer.errors import GraphvizError
from explorer.graph.dot import to_dot
from explorer.graph.elements import SignatureGraph
from explorer.graph.layout import layout, scene_dict
from explorer.graph.svg import scene_svg
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo, TensorInfo, format_size
from explorer.present.assets import standalone_html
from explorer.present.text import html_text
from explorer.run.result import CallResult
from explorer.serving.listing import verdict_headline
from explorer.serving.rules import check_signature

_STYLE = (
    "<style>.se-t{border-collapse:collapse;margin:4px 0 10px}"
    ".se-t th,.se-t td{border:1px solid #ccc;padding:2px 8px;text-align:left;"
    "font-family:monospace;font-size:12px}.se-t th{background:#f3f3f3}"
    ".se-ok{color:#137333}.se-no{color:#b3261e}.se-msg{white-space:pre-wrap;margin:0}</style>"
)


def model_html(model: ModelInfo) -> str:
    """A model: name, version, path, and every MetaGraph's signatures."""
    version = f" · version {model.version}" if model.version is not None else ""
    parts = [
        _STYLE,
        f"<b>{html_text(model.name)}</b>{version} · <code>{html_text(model.path)}</code> · "
        f"variables {format_size(model.variables_size_bytes)}",
    ]
    parts.extend(meta_graph_html(mg) for mg in model.meta_graphs)
    return "".join(parts)


def meta_graph_html(meta_graph: MetaGraphInfo) -> str:
    """One MetaGraph: its facts and one row per signature with TF Serving verdicts."""
    rows = []
    for sig in meta_graph.signatures:
        verdicts = []
        for method in MethodKind:
            verdict = check_signature(sig, method)
            verdicts.append(
                "initializer" if sig.is_init_op else _mark(verdict.accepted, verdict.reason)
            )
        inputs = ", ".join(t.key for t in sig.inputs)
        outputs = ", ".join(t.key for t in sig.outputs)
        rows.append(
            [
                html_text(sig.key),
                html_text(sig.method_name),
                html_text(inputs),
                html_text(outputs),
                *verdicts,
            ]
        )
    head = (
        f"<p>tag-set <code>{html_text(meta_graph.tag_set)}</code> · TensorFlow "
        f"{html_text(meta_graph.tensorflow_version or '?')} · {meta_graph.node_count:,} nodes · "
        f"{meta_graph.function_count} functions</p>"
    )
    return head + _table(
        ["signature", "method_name", "inputs", "outputs", "Classify", "Regress", "Predict"], rows
    )


def signature_html(signature: SignatureInfo) -> str:
    """A signature: method name, input and output TensorInfos, and verdicts for both modes."""
    verdict_rows = []
    for method in MethodKind:
        default = check_signature(signature, method)
        strict = check_signature(signature, method, method_name_check=True)
        verdict_rows.append(
            [
                method.value,
                _mark(default.accepted, default.reason),
                _mark(strict.accepted, strict.reason),
                html_text(" • ".join(default.request_time_issues)),
            ]
        )
    return (
        _STYLE
        + f"<b>{html_text(signature.key)}</b> · <code>{html_text(signature.method_name)}</code>"
        + "<br>inputs"
        + _tensor_table(signature.inputs)
        + "outputs"
        + _tensor_table(signature.outputs)
        + _table(
            ["API", "TF Serving default", "method-name check on", "fails at request time"],
            verdict_rows,
        )
        + "".join(f"<p>{html_text(note)}</p>" for note in _notes(signature))
    )


def graph_html(graph: SignatureGraph) -> str:
    """The graph as the app draws it (the same script and layout: zoom, pan, minimap), with
    the static SVG for viewers that run no script; without
    Graphviz's ``dot`` program, a note and the DOT text.
    """
    stats = graph.stats
    caption = (
        f"<p><b>{html_text(graph.signature_key)}</b>: {stats.visible_nodes} boxes for "
        f"{stats.slice_nodes:,} ops (of {stats.metagraph_nodes:,}), {stats.levels} levels "
        f"of groups; {stats.collapsed_groups} group(s) closed</p>"
    )
    try:
        scene = layout(graph)
    except GraphvizError as err:
        dot = to_dot(graph)
        return (
            f"{caption}<p>{html_text(str(err))}</p><details><summary>DOT</summary>"
            f"<pre>{html_text(dot)}</pre></details>"
        )
    data = {"scene": scene_dict(scene), "height": 480, "key": graph.signature_key}
    return caption + standalone_html(data) + f"<noscript>{scene_svg(scene)}</noscript>"


def call_result_html(result: CallResult) -> str:
    """A call's answer: one table per result or output, then timing and the response JSON."""
    timing = result.timing
    parts = [
        _STYLE,
        f"<b>{html_text(result.method.value)}</b> on <code>{html_text(result.signature_key)}</code>"
        f" · conversion {timing.conversion_ms:.1f} ms · execution {timing.execution_ms:.1f} ms",
    ]
    if result.shape_misfit is not None:
        parts.append(f'<p class="se-no">{html_text(result.shape_misfit)}</p>')
    for name, frame in result.to_dataframes().items():
        parts.append(f"<p><b>{html_text(name)}</b></p>{frame.to_html(classes='se-t', border=0)}")
    parts.append(
        "<details><summary>TF Serving's response JSON</summary>"
        f"<pre>{html_text(result.response_text)}</pre></details>"
    )
    return "".join(parts)


def _tensor_table(tensors: tuple[TensorInfo, ...]) -> str:
    rows = [
        [
            html_text(t.key),
            html_text(t.name or ", ".join(t.tensor_names)),
            html_text(t.dtype),
            html_text(t.shape_text),
            html_text(t.encoding if t.encoding != "composite_tensor" else str(t.composite_spec)),
        ]
        for t in tensors
    ]
    return _table(["key", "tensor", "dtype", "shape", "encoding"], rows)


def _mark(accepted: bool, reason: str | None) -> str:
    if accepted:
        return '<span class="se-ok">✓ accepted</span>'
    text = reason or ""
    headline = f'<span class="se-no">✗ {html_text(verdict_headline(text))}</span>'
    if "\n" not in text and verdict_headline(text) == text:
        return headline
    # The whole message, folded: a SignatureDef dump is long, but it is TF Serving's answer.
    return (
        f"{headline}<details><summary>TF Serving's message</summary>"
        f'<pre class="se-msg">{html_text(text)}</pre></details>'
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="se-t"><tr>{head}</tr>{body}</table>'


HTML_VIEWS: dict[type, Callable[[Any], str]] = {
    ModelInfo: model_html,
    MetaGraphInfo: meta_graph_html,
    SignatureInfo: signature_html,
    SignatureGraph: graph_html,
    CallResult: call_result_html,
}


def html_view(value: Any) -> str:
    """The HTML view of any object in :data:`HTML_VIEWS`.

    Raises:
        TypeError: ``value`` has no HTML view (a caller's bug).
    """
    view = HTML_VIEWS.get(type(value))
    if view is None:
        raise TypeError(f"No HTML view for {type(value).__name__}")
    return view(value)


def _notes(signature: SignatureInfo) -> dict[str, None]:
    # TensorInfos that declare another dtype than the graph's tensor, once each.
    return dict.fromkeys(n for m in MethodKind for n in check_signature(signature, m).notes)
