"""What a call returns (:class:`CallResult`, :class:`CallTiming`) and what carries it
through the steps (:class:`CallOptions`, :class:`RunContext`), and a request given as
Python values written back as the REST body it stands for.

How Python values, ``.npy`` files and sparse/ragged inputs become feeds is
``explorer.codec.arrays``; prefilled request bodies are ``explorer.run.templates``;
pandas views of a result are ``explorer.run.frames``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np

from explorer.codec import tf_example
from explorer.codec.json_tensor import value_json
from explorer.constants import Kernels, MethodKind
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run import frames
from explorer.run.profile import Profile
from explorer.run.tap_values import TapValue


@dataclass(frozen=True, slots=True)
class ArrayRequest:
    """A request given as Python values (``predict_arrays``, ``classify_examples``)."""

    signature_name: str | None
    # "inputs" (alias → value) or "examples" (examples, context).
    kind: Literal["inputs", "examples"]
    payload: Any
    # Predict answered in row format ("predictions"): its body is written as instances.
    rows: bool = False
    # Every input of the signature is given (none left out for its default).
    whole: bool = True


@dataclass(frozen=True, slots=True)
class CallTiming:
    """Where the time went, in milliseconds."""

    # JSON parsing, conversion to arrays or tf.Examples, and writing the response.
    conversion_ms: float
    # The Session run alone.
    execution_ms: float
    # Loading the model into a Session (0.0 once it is loaded).
    load_ms: float = 0.0
    # Carrying the feeds to the model's worker process and the fetches back.
    transfer_ms: float = 0.0


class ResponseJson(Mapping[str, Any]):
    """A response body, read-only, that notebooks show as JSON: a collapsible tree where the
    front end renders ``application/json`` (JupyterLab, VS Code), indented JSON text
    elsewhere (never ``mappingproxy({...})``). Equal to a dict of the same content.

    Made from a body's text (:meth:`of_text`), it is parsed when first read: a call's
    answer is its text, and parsing it back (30 ms for an image-sized output) is paid only
    by whoever looks at the parsed form."""

    __slots__ = ("_loaded", "_text")

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self._loaded: Mapping[str, Any] | None = doc
        self._text = ""

    @classmethod
    def of_text(cls, text: str) -> ResponseJson:
        """The body ``text`` (JSON of an object), parsed on first use."""
        made = cls({})
        made._loaded, made._text = None, text
        return made

    @property
    def _doc(self) -> Mapping[str, Any]:
        if self._loaded is None:  # two threads may both parse it: the same result
            self._loaded = json.loads(self._text)
        return self._loaded

    def __getitem__(self, key: str) -> Any:
        return self._doc[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._doc)

    def __len__(self) -> int:
        return len(self._doc)

    def __repr__(self) -> str:
        return json.dumps(dict(self._doc), indent=2, ensure_ascii=False, default=str)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_json_(self) -> tuple[dict[str, Any], dict[str, Any]]:
        # A small body opens expanded; a big one shows its top level only.
        return dict(self._doc), {"expanded": len(repr(self)) < 4_000, "root": "response"}


@dataclass(frozen=True, slots=True)
class CallResult:
    """One call: TF Serving's exact REST response plus the arrays behind it."""

    method: MethodKind
    signature_key: str
    # The response body byte for byte (rapidjson PrettyWriter layout, TF Serving's floats).
    response_text: str
    # The same, parsed: {"predictions"|"outputs"|"results": ...}.
    response_json: Mapping[str, Any]
    # Fetched signature outputs by alias (classify: "classes" and/or "scores").
    outputs: Mapping[str, Any]
    # extra_fetches: graph tensor name → array.
    extra: Mapping[str, Any]
    timing: CallTiming
    # The body as given, or an ArrayRequest for predict_arrays / *_examples.
    request: Any = field(repr=False)
    # Whose CPU kernels ran it (TF Serving's standard build, or its mkl build); None for an
    # answer from a running TF Serving, whose own build it is.
    kernels: Kernels | None = None
    # Tapped op outputs, one per place each tapped op ran (``taps=``); never part of the
    # answer above, which stays TF Serving's.
    taps: tuple[TapValue, ...] = ()
    # Per-op times of the run (``profile=True``).
    profile: Profile | None = None
    # Predict inputs sent in a shape the signature does not declare, said in one line
    # (``explorer.serving.sent_line.shape_misfit``); None when every shape fits.
    shape_misfit: str | None = None

    def __post_init__(self) -> None:
        # Whoever built it (a local run, a server's reply), the body displays as JSON.
        if not isinstance(self.response_json, ResponseJson):
            object.__setattr__(self, "response_json", ResponseJson(self.response_json))

    def tap(self, name: str) -> np.ndarray[Any, Any] | None:
        """The value of a tap as asked for (or of one place's op id); None if that place
        did not run for this request.

        Raises:
            KeyError: no tap of that name, or a tap that ran in several places (ask for
                one place's op id, or read :attr:`taps`).
        """
        found = [t for t in self.taps if name in (t.site.tap, t.site.id)]
        if len(found) != 1:
            places = ", ".join(t.site.id for t in found) or "none"
            raise KeyError(f"{name!r} names {len(found)} tapped places ({places})")
        return found[0].value

    @property
    def request_json(self) -> dict[str, Any]:
        """The request as a TF Serving REST body (arrays and tf.Examples written as JSON)."""
        return request_json_for(self.method, self.signature_key, self.request)

    def to_dataframes(self) -> dict[str, Any]:
        """pandas DataFrames: ``results`` for classify/regress, one per output for predict,
        and ``extra:<tensor>`` per extra fetch."""
        return frames.dataframes(self.method, self.response_json, self.outputs, self.extra)


@dataclass(frozen=True, slots=True)
class CallOptions:
    """The options every method shares."""

    method_name_check: bool
    allow_unsafe: bool
    extra_fetches: tuple[str, ...]
    # None: EXPLORER_KERNELS, else TF Serving's standard kernels.
    kernels: Kernels | None = None
    # Op outputs to return beside the answer (``explorer.run.taps``), and whether to time
    # every op of the run.
    taps: tuple[str, ...] = ()
    profile: bool = False


class RunContext(NamedTuple):
    """What every step of one call needs."""

    meta_graph: MetaGraphInfo
    model_dir: str
    signature: SignatureInfo
    # time.perf_counter() when the call began (for CallTiming.conversion_ms).
    start: float
    options: CallOptions


def request_json_for(method: MethodKind, signature_key: str, request: Any) -> dict[str, Any]:
    """The REST body equivalent to a call's request (as given, or built from arrays)."""
    if not isinstance(request, ArrayRequest):
        return dict(request)
    body: dict[str, Any] = {"signature_name": request.signature_name or signature_key}
    if request.kind == "examples":
        examples, context = request.payload
        if context is not None:
            body["context"] = _example_json(context)
        body["examples"] = [_example_json(e) for e in examples]
        return body
    columns = {k: value_json(v) for k, v in request.payload.items()}
    sizes = {len(c) if isinstance(c, list) else -1 for c in columns.values()}
    if not request.rows or not columns or len(sizes) != 1 or -1 in sizes:
        # Columns; also for rows none can carry (a value without a batch dimension, or
        # batches of different sizes: the form refuses row format for them).
        body["inputs"] = columns
        return body
    # Row format splits every input along its batch dimension: one instance per item, a
    # bare value when the signature's one input is sent (TF Serving's short form), else
    # a named object.
    if len(columns) == 1 and request.whole:
        body["instances"] = next(iter(columns.values()))
    else:
        (count,) = sizes
        body["instances"] = [{k: c[i] for k, c in columns.items()} for i in range(count)]
    return body


def _example_json(example: Any) -> Any:
    if isinstance(example, (bytes, bytearray)) or hasattr(example, "SerializeToString"):
        return tf_example.example_to_json(example)
    return example
