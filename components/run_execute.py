"""Run one request for the Run tab, in this process or on a TF Serving, as a RunOutcome.

Every failure becomes the outcome (TF Serving's error text, or why the explorer refused),
never an exception, so the page keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from components.result_panel import RunOutcome
from explorer.codec.exchange import (
    INLINE_BODY_LIMIT,
    body_text,
    compact_text,
    curl_command,
    error_text,
    serving_url,
)
from explorer.constants import MethodKind
from explorer.errors import ExplorerError, ServingRuleError
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.run import calls
from explorer.serving import rules

if TYPE_CHECKING:
    from explorer.remote.target import RemoteTarget


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the editors hold: a body (form) or the raw REST text, ready or not."""

    body: dict[str, Any] | None = None
    text: str | None = None
    # Predict form only: the values, and defaulted inputs left out (sent the gRPC way).
    values: dict[str, Any] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()
    row_format: bool = True

    @property
    def ready(self) -> bool:
        return self.body is not None or self.text is not None


def execute(
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    api: MethodKind,
    request: RunRequest,
    *,
    output_filter: tuple[str, ...],
    extra_fetches: tuple[str, ...],
    allow_unsafe: bool,
    method_name_check: bool,
    remote: RemoteTarget | None = None,
) -> RunOutcome:
    """One call, sent to ``remote`` when given, else through explorer.run.calls in this process;
    every failure becomes the answer, never a crash."""
    if remote is not None:
        from components.remote_panel import remote_outcome

        return remote_outcome(
            remote,
            api,
            body=request.body,
            text=request.text,
            output_filter=output_filter,
            extra_fetches=extra_fetches,
        )
    # REST mode sends the text as typed; the form sends its body (shown indented, and on
    # one line in the curl command: the same JSON either way).
    raw = request.text is not None
    sent = request.text if raw else body_text(request.body)
    on_the_wire = sent if raw else compact_text(request.body)
    payload: Any = request.text if raw else request.body
    url = serving_url(model.name, api, version=model.version)
    options: dict[str, Any] = {
        "method_name_check": method_name_check,
        "allow_unsafe": allow_unsafe,
        "extra_fetches": extra_fetches,
        "tags": meta_graph.tag_set,
    }
    notes = _notes(request, output_filter, extra_fetches)
    unsaveable = (
        "this run used gRPC-only features, so its REST request would not get the same answer"
        if request.left_out or output_filter or extra_fetches
        else None
    )
    fed_components = rules.component_fed_note(signature)
    if api is MethodKind.PREDICT and fed_components is not None:
        notes = (*notes, fed_components)
        unsaveable = "TF Serving cannot answer it (inputs fed through their components)"
    result, error, status = None, None, 200
    try:
        if api is MethodKind.PREDICT and request.left_out:
            result = calls.predict_arrays(
                model,
                request.values,
                signature=signature.key,
                output_filter=output_filter,
                row_format=request.row_format,
                **options,
            )
        elif api is MethodKind.PREDICT:
            result = calls.predict(model, payload, output_filter=output_filter, **options)
        elif api is MethodKind.CLASSIFY:
            result = calls.classify(model, payload, **options)
        else:
            result = calls.regress(model, payload, **options)
    except ServingRuleError as err:
        error, status = str(err), calls.rest_status(err.code)
    except ExplorerError as err:  # not TF Serving's answer: the explorer refused to run
        error, status = str(err), None
    except Exception as err:  # a bug here must not end the session
        error, status = f"Unexpected error ({type(err).__name__}): {err}", None
    return RunOutcome(
        method=api,
        request_text=sent,
        url=url,
        curl=curl_command(url, on_the_wire),
        response_text=error_text(error) if error is not None else result.response_text,
        status=status,
        error=error,
        result=result,
        notes=notes,
        unsaveable=unsaveable,
        big_request=len(on_the_wire) > INLINE_BODY_LIMIT,
        extra_fetches=extra_fetches,
        created=datetime.now().astimezone(),
    )


def _notes(
    request: RunRequest, output_filter: tuple[str, ...], extra_fetches: tuple[str, ...]
) -> tuple[str, ...]:
    notes = []
    if request.left_out:
        notes.append(
            f"Left out {', '.join(request.left_out)}: the signature's default was fed, as gRPC "
            "Predict does. TF Serving's REST API needs every input: replayed with curl, this "
            "body is rejected."
        )
    if output_filter:
        notes.append("output_filter is a gRPC option: over REST, TF Serving returns every output.")
    if extra_fetches:
        notes.append("Extra tensors are fetched by Signature Explorer only, not by TF Serving.")
    return tuple(notes)
