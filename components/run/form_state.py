"""What the Run panel's form holds between reruns: its last request (for the presentation
view, deep links and the REST editor's prefill), and a fingerprint of a request that tells
whether an answer on screen still belongs to the form above it.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import streamlit as st

from components import keys
from components.run.predict_form import PredictForm
from components.run.tensor_value import TensorValue, fingerprint
from explorer.codec.exchange import body_text
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run import calls
from explorer.run.dispatch import CallRequest
from explorer.run.templates import input_plans


def keep_form_request(
    scope: str, api: MethodKind, request: CallRequest, form: PredictForm | None = None
) -> None:
    """Remember the form's request (and a Predict form's values); its REST text too, when
    it is small enough to be text."""
    state = st.session_state
    state[keys.run_key(scope, keys.RUN_FORM_REQUEST, api.value)] = request
    state[keys.run_key(scope, keys.RUN_FORM_TENSORS, api.value)] = form
    if request.arrays is None and isinstance(request.body, dict):
        state[keys.run_key(scope, keys.RUN_FORM_BODY, api.value)] = body_text(request.body)
    else:
        state.pop(keys.run_key(scope, keys.RUN_FORM_BODY, api.value), None)


def kept_form(scope: str, api: MethodKind) -> PredictForm | None:
    """The Predict form's values when it was last drawn (None before, or for classify)."""
    form = st.session_state.get(keys.run_key(scope, keys.RUN_FORM_TENSORS, api.value))
    return form if isinstance(form, PredictForm) else None


def kept_tensors(scope: str, api: MethodKind) -> dict[str, TensorValue]:
    """What the form's compact editors held when it was last drawn (images, summaries)."""
    form = kept_form(scope, api)
    return dict(form.tensors) if form is not None else {}


def in_rest_mode(scope: str, api: MethodKind) -> bool:
    """Whether the user edits this API's request as REST JSON text."""
    return st.session_state.get(keys.run_key(scope, keys.RUN_MODE, api.value)) == keys.MODE_REST


def current_request(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> CallRequest:
    """The request the Run panel would send: the REST text in REST mode, else the form's
    last request, else the prefill (for a panel not drawn yet)."""
    state = st.session_state
    if in_rest_mode(scope, api):
        text = state.get(keys.run_key(scope, keys.RUN_REST_BODY, api.value))
        if text:
            return CallRequest(api, body=str(text))
    kept = state.get(keys.run_key(scope, keys.RUN_FORM_REQUEST, api.value))
    if isinstance(kept, CallRequest):
        return kept
    prefill = text_prefill(meta_graph, signature, api)
    return CallRequest(api, body=prefill if prefill is not None else "{}")


def small_request_text(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> str | None:
    """The request as REST text, or None when it carries arrays (images, big tensors) that
    are not written out as text in the page."""
    request = current_request(meta_graph, signature, scope, api)
    if request.arrays is not None and request.body is None:
        return None
    return request.shown_text()


def text_prefill(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, api: MethodKind
) -> str | None:
    """The REST text a request starts from, or None when an input is an image or a big
    tensor (never written into the page)."""
    if api is MethodKind.PREDICT and any(
        p.kind in ("tensor", "image") for p in input_plans(meta_graph, signature)
    ):
        return None
    return body_text(calls.request_template(meta_graph, signature, api))


def request_fingerprint(request: CallRequest) -> str:
    """What a request asks, as a short digest: same digest, same answer. A body typed as
    text counts by its JSON (the same body laid out otherwise is the same request)."""
    body: Any = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        # Not JSON: TF Serving answers it with a parse error, and it counts as text.
        with contextlib.suppress(ValueError):
            body = json.loads(body)
    parts: list[Any] = [
        request.verb.value,
        request.signature,
        request.output_filter,
        request.extra_fetches,
        request.row_format,
        request.left_out,
        body,
        dict(request.arrays) if isinstance(request.arrays, dict) else request.arrays,
    ]
    return fingerprint({str(i): part for i, part in enumerate(parts)})
