"""The notebook widget itself (anywidget): a model's signatures and verdicts, the graph
drawing, and the run form, with the answer coming back to Python.

The browser side is ``assets/widget.js``; it draws the graph with the app's own script,
``assets/graph_view.js``, which it receives as text (the ``_graph_js`` trait) and imports
from a Blob URL: one drawing for the app and the notebook, loaded unchanged. Python does all
the work a click asks for, with the explorer's functions (``widget_graph``, ``widget_form``,
``widget_answer``), and sends back data; model text is never markup on either side.

This module imports anywidget, an optional dependency: ``explorer.present.widget.explore``
imports it when a widget is made, so ``import explorer`` never needs it.
"""

from __future__ import annotations

import json
from typing import Any

import anywidget
import traitlets

from explorer.constants import MethodKind
from explorer.errors import ExplorerError
from explorer.graph.build import OpRef, SignatureSlice, prepare_signature
from explorer.graph.elements import SignatureGraph
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.present import assets, widget_answer, widget_form
from explorer.present.html import meta_graph_html, signature_html
from explorer.present.widget_graph import (
    GraphState,
    after_click,
    after_goto,
    build_view,
    drawing_data,
)
from explorer.run import calls
from explorer.run.result import CallResult
from explorer.safety.scan import scan_meta_graph


class ExplorerWidget(anywidget.AnyWidget):
    """One model in a notebook: Signatures, Graph and Run tabs.

    Read back in Python: :attr:`result` (the last call's CallResult), :attr:`request` (the
    REST body it sent), :attr:`answer` (what the Run tab shows), :attr:`signature` and
    :attr:`tag_set` (what is chosen). :meth:`run` sends a request as the Run button does.
    """

    _esm = assets.text("widget.js")
    _css = assets.text("graph_view.css") + assets.text("widget.css")
    # The app's drawing, as text: the browser side imports it (one source, not a copy).
    _graph_js = traitlets.Unicode(assets.text("graph_view.js")).tag(sync=True)
    _graph_html = traitlets.Unicode(assets.text("graph_view.html")).tag(sync=True)

    overview = traitlets.Dict().tag(sync=True)
    tag_set = traitlets.Unicode().tag(sync=True)
    signature = traitlets.Unicode().tag(sync=True)
    details = traitlets.Dict().tag(sync=True)
    graph = traitlets.Dict().tag(sync=True)
    form = traitlets.Dict().tag(sync=True)
    request = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    # {} before the first call.
    answer = traitlets.Dict().tag(sync=True)
    # "Running…" while a call from the form runs (the kernel is busy meanwhile).
    busy = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        model: ModelInfo,
        *,
        tag_set: str | None = None,
        signature: str | None = None,
        allow_unsafe: bool = False,
    ) -> None:
        self._model = model
        self._allow_unsafe = allow_unsafe
        self._result: CallResult | None = None
        self._slice: SignatureSlice | None = None
        self._view: SignatureGraph | None = None
        self._state = GraphState()
        meta_graph = model.meta_graph(tag_set)
        super().__init__(
            overview=widget_answer.overview(model),
            tag_set=meta_graph.tag_set,
            signature=_first_signature(meta_graph, signature),
        )
        self._show_signature()
        self.on_msg(self._on_message)

    # ---- what Python reads back ----

    @property
    def result(self) -> CallResult | None:
        """The last call's result (None before a call, or when the last one failed)."""
        return self._result

    @property
    def model(self) -> ModelInfo:
        """The model shown."""
        return self._model

    @property
    def meta_graph(self) -> MetaGraphInfo:
        """The MetaGraph chosen (by :attr:`tag_set`)."""
        return self._model.meta_graph(self.tag_set)

    @property
    def chosen(self) -> SignatureInfo:
        """The signature chosen (by :attr:`signature`)."""
        return self.meta_graph.signature(self.signature)

    def run(self, request: dict[str, Any] | str, *, method: MethodKind | str | None = None) -> Any:
        """Send a REST body for the chosen signature, as the Run tab's button does, and show
        the answer. ``method`` defaults to the one the form has chosen.

        Returns:
            The CallResult, or None when the call was refused (:attr:`answer` says why).
        """
        verb = MethodKind(method or self.form.get("method") or MethodKind.PREDICT.value)
        body = json.loads(request) if isinstance(request, str) else dict(request)
        body.setdefault("signature_name", self.signature)
        self._call(verb, body)
        return self._result

    # ---- what the browser asks ----

    @traitlets.observe("tag_set")
    def _tag_set_changed(self, change: dict[str, Any]) -> None:
        if change["old"] and change["new"] != change["old"]:
            self.signature = _first_signature(self.meta_graph, None)

    @traitlets.observe("signature")
    def _signature_changed(self, change: dict[str, Any]) -> None:
        if change["old"] and change["new"] != change["old"]:
            self._show_signature()

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        kind = content.get("type")
        if kind == "graph":
            self._graph_event(str(content.get("event")), str(content.get("id") or ""))
        elif kind == "highlight":
            key = content.get("key") or None
            self._state = GraphState(
                self._state.expand, self._state.collapse, key, self._state.selected
            )
            self._draw()
        elif kind == "run":
            self._run_form(content)

    def _graph_event(self, event: str, element_id: str) -> None:
        if not element_id or self._slice is None or self._view is None:
            return
        if event == "clicked":
            self._state = after_click(self._state, self._view, element_id)
        elif event == "goto":
            self._state = after_goto(self._state, self._slice, element_id)
        self._draw()

    def _run_form(self, content: dict[str, Any]) -> None:
        verb = MethodKind(str(content.get("method")))
        meta_graph, signature = self.meta_graph, self.chosen
        if content.get("mode") == "json":
            text = str(content.get("text", ""))
            try:
                body = json.loads(text)
            except json.JSONDecodeError as exc:
                self.answer = widget_answer.problems(
                    (f"The REST JSON is not JSON: {exc.msg} at line {exc.lineno}.",)
                )
                return
            if not isinstance(body, dict):
                self.answer = widget_answer.problems(("The REST JSON must be an object {…}.",))
                return
            self._call(verb, body)
            return
        if verb is MethodKind.PREDICT:
            made = widget_form.predict_body(meta_graph, signature, dict(content.get("inputs", {})))
        else:
            made = widget_form.examples_body(meta_graph, signature, list(content.get("rows", [])))
        if made.body is None:
            self.answer = widget_answer.problems(made.problems)
            return
        self._call(verb, made.body)

    # ---- work ----

    def _call(self, verb: MethodKind, body: dict[str, Any]) -> None:
        call = {
            MethodKind.CLASSIFY: calls.classify,
            MethodKind.REGRESS: calls.regress,
            MethodKind.PREDICT: calls.predict,
        }[verb]
        self.busy = True
        self.request = body
        try:
            self._result = call(self.meta_graph, body, allow_unsafe=self._allow_unsafe)
        except ExplorerError as err:  # TF Serving's rejection, an unsafe model, a bad body
            self._result = None
            self.answer = widget_answer.failure(err, body)
        else:
            self.answer = widget_answer.answer(self._result)
        finally:
            self.busy = False

    def _show_signature(self) -> None:
        signature = self.chosen
        self.details = widget_answer.signature_details(signature)
        self.form = widget_form.form_spec(self.meta_graph, signature)
        self.answer = {}
        self._state = GraphState()
        try:
            self._slice = prepare_signature(self.meta_graph, signature.key)
        except ExplorerError as err:
            self._slice = None
            self.graph = {"error": str(err)}
            return
        self._draw()

    def _draw(self) -> None:
        prepared = self._slice
        if prepared is None:
            return
        findings: frozenset[OpRef] = frozenset(
            (f.function or "", f.node)
            for f in scan_meta_graph(self.meta_graph).findings_for(prepared.signature.key)
        )
        try:
            self._view = build_view(prepared, self._state, findings)
        except ExplorerError as err:
            self._state = GraphState(problem=str(err))
            self._view = build_view(prepared, self._state, findings)
        key = f"{self._model.path}.{self.tag_set}.{prepared.signature.key}"
        self.graph = drawing_data(self.meta_graph, prepared, self._view, self._state, key)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # Where no widget runs (an exported notebook, GitHub), the static tables stand in.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["text/html"] = meta_graph_html(self.meta_graph) + signature_html(self.chosen)
        return data, metadata


def _first_signature(meta_graph: MetaGraphInfo, wanted: str | None) -> str:
    """``wanted`` (checked), else serving_default, else the first signature that is not the
    initializer."""
    if wanted is not None:
        return meta_graph.signature(wanted).key
    keys = [s.key for s in meta_graph.signatures if not s.is_init_op]
    if "serving_default" in keys:
        return "serving_default"
    return keys[0] if keys else meta_graph.signatures[0].key
