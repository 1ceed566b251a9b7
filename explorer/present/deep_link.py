"""Deep links: one view of the app (model, signature, inputs) as URL query parameters.

A link names a bundled sample (``sample=flowers_tf1``) or a server folder
(``folder=/models/churn``), then optionally ``version``, ``tags`` (the tag-set),
``signature``, ``method`` (classify/regress/predict), the request as inline compact JSON
(``inputs=``) or a saved test case by name (``case=``), ``run=1`` to run it on open and
``view=presentation``. Uploaded archives live in a private temp folder of one session,
so they cannot be linked.

Everything here is checked as text only: whether the sample, folder, version, tag-set
or signature exists, and whether a folder lies inside the allowed roots, is decided by
the app when it opens the model, exactly as for a typed path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from explorer.constants import MethodKind
from explorer.errors import DeepLinkError

SOURCE_SAMPLE = "sample"
SOURCE_FOLDER = "folder"
SourceKind = Literal["sample", "folder"]

# Inline inputs above this many URL-encoded characters must be saved as a case: with the
# rest of the URL they would pass the ~8 kB some browsers, proxies and chat tools keep.
MAX_INLINE_INPUTS = 2_048
_MAX_TEXT = 1_024  # a folder path, tag-set, signature key or case name

# In the order a link writes them.
PARAMS = (
    "sample",
    "folder",
    "version",
    "tags",
    "signature",
    "method",
    "case",
    "inputs",
    "run",
    "view",
)
VIEW_PRESENTATION = "presentation"
VIEW_FULL = "full"

_SAMPLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_VIEWS = {VIEW_PRESENTATION: True, VIEW_FULL: False}
UPLOAD_MESSAGE = (
    "An uploaded archive cannot be linked: it is unpacked into a private folder of one "
    "browser session. Put the model in a folder on the server (inside the allowed roots) "
    "and link that folder instead."
)


@dataclass(frozen=True, slots=True)
class ViewState:
    """One view of the app, as a link describes it. Fields left None take the app's default.

    Constructing one checks every field, so a ViewState always makes a valid link.
    """

    # "sample" or "folder"; None for a link that names no model (e.g. only view=).
    source: SourceKind | None = None
    # The sample's name, or the folder path as typed (checked against the allowed roots
    # by the app, like any typed path).
    model: str | None = None
    version: int | None = None
    # Comma-separated tags, as MetaGraphInfo.tag_set writes them ("serve", "serve,gpu").
    tag_set: str | None = None
    signature: str | None = None
    method: MethodKind | None = None
    # The REST request body as compact JSON text (at most MAX_INLINE_INPUTS URL-encoded).
    inputs: str | None = None
    # A saved test case of the model, by name: for requests too big for the link.
    case: str | None = None
    # Run the request as soon as the link is opened.
    run: bool = False
    presentation: bool = False

    def __post_init__(self) -> None:
        _check_state(self)

    @property
    def names_model(self) -> bool:
        """Whether the link points at a model (else it only sets the view mode)."""
        return self.source is not None


def to_query_params(state: ViewState) -> dict[str, str]:
    """The query parameters of a view, defaults left out, in a stable order.

    Args:
        state: the view.

    Returns:
        Parameter name → value, ready for ``st.query_params.from_dict`` or :func:`link_url`.

    Raises:
        Nothing: a ViewState is checked when it is made.
    """
    values = {
        "sample": state.model if state.source == SOURCE_SAMPLE else None,
        "folder": state.model if state.source == SOURCE_FOLDER else None,
        "version": None if state.version is None else str(state.version),
        "tags": state.tag_set,
        "signature": state.signature,
        "method": None if state.method is None else state.method.value,
        "case": state.case,
        "inputs": state.inputs,
        "run": "1" if state.run else None,
        "view": VIEW_PRESENTATION if state.presentation else None,
    }
    return {name: value for name, value in values.items() if value is not None}


def from_query_params(params: Mapping[str, str | Sequence[str]]) -> ViewState:
    """Read a view from query parameters (unknown parameters are ignored).

    Args:
        params: ``st.query_params.to_dict()`` or ``AppTest.query_params``; for a repeated
            parameter the last value counts, as in ``st.query_params``.

    Returns:
        The view; ``ViewState()`` when no parameter of a link is present.

    Raises:
        DeepLinkError: a parameter is malformed (version not a number, unknown method,
            inputs not a JSON object or over MAX_INLINE_INPUTS, both sample and folder,
            an upload, a tag-set or signature without a model...); ``param`` names it.
    """
    given = {name: _last(value) for name, value in params.items()}
    if "upload" in given:
        raise DeepLinkError(UPLOAD_MESSAGE, param="upload")
    if "sample" in given and "folder" in given:
        raise DeepLinkError(
            "A link names either a sample or a folder, not both: remove sample= or folder=.",
            param="folder",
        )
    source: SourceKind | None = "sample" if "sample" in given else None
    if "folder" in given:
        source = "folder"
    version = given.get("version")
    if version is not None and not (version.isascii() and version.isdigit() and len(version) < 19):
        raise _bad("version", "a version number such as 2", version)
    method = given.get("method")
    if method is not None and method.lower() not in {m.value for m in MethodKind}:
        raise _bad("method", "classify, regress or predict", method)
    return ViewState(
        source=source,
        model=given.get("sample", given.get("folder")),
        version=None if version is None else int(version),
        tag_set=given.get("tags"),
        signature=given.get("signature"),
        method=None if method is None else MethodKind(method.lower()),
        inputs=given.get("inputs"),
        case=given.get("case"),
        run=_choice("run", given.get("run"), _FLAGS, "1 or 0"),
        presentation=_choice("view", given.get("view"), _VIEWS, "presentation or full"),
    )


def unknown_params(params: Mapping[str, object]) -> tuple[str, ...]:
    """Parameters a link may not carry (typos such as ``signatur=``), to point them out."""
    return tuple(name for name in params if name not in PARAMS and name != "upload")


def link_inputs(body: str | Mapping[str, Any]) -> str:
    """A REST request body as the compact JSON a link carries.

    Args:
        body: the body as text (JSON) or as a parsed object.

    Returns:
        One-line JSON without spaces between tokens.

    Raises:
        DeepLinkError: the text is not a JSON object, or the result is longer than
            MAX_INLINE_INPUTS once URL-encoded (save it as a test case and link that).
    """
    doc = _json_object(body) if isinstance(body, str) else dict(body)
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    _check_inputs_size(text)
    return text


def inputs_fit(body: str | Mapping[str, Any]) -> bool:
    """Whether a body can go into a link inline (see :func:`link_inputs`)."""
    try:
        link_inputs(body)
    except DeepLinkError:
        return False
    return True


def link_url(base_url: str, state: ViewState) -> str:
    """The full link: ``base_url`` with its own query and fragment replaced by the view.

    Args:
        base_url: the app's address, e.g. ``st.context.url`` (``http://host:8501/``).
        state: the view.

    Returns:
        The URL to share.

    Raises:
        Nothing.
    """
    parts = urlsplit(base_url)
    query = urlencode(to_query_params(state), quote_via=quote, safe="/:,")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def _check_state(state: ViewState) -> None:
    source: str | None = state.source  # any text at run time: a caller builds the state
    if source == "upload":
        raise DeepLinkError(UPLOAD_MESSAGE, param="upload")
    if state.source not in (None, SOURCE_SAMPLE, SOURCE_FOLDER):
        raise _bad("sample", '"sample" or "folder" as the source', str(state.source))
    named = {
        "version": state.version,
        "tags": state.tag_set,
        "signature": state.signature,
        "method": state.method,
        "inputs": state.inputs,
        "case": state.case,
        "run": state.run or None,
    }
    if state.source is None:
        for name, value in named.items():
            if value is not None:
                raise DeepLinkError(
                    f'Link parameter "{name}" needs a model: add sample=<name> or folder=<path>.',
                    param=name,
                )
        return
    model = state.model or ""
    if state.source == SOURCE_SAMPLE and not _SAMPLE_NAME.fullmatch(model):
        raise _bad(
            "sample",
            "the name of a bundled sample (letters, digits, _ . -); link a server folder "
            "with folder= instead",
            model,
        )
    for name, value in (
        (state.source, model),
        ("tags", state.tag_set),
        ("signature", state.signature),
        ("case", state.case),
    ):
        if value is not None and (not value.strip() or len(value) > _MAX_TEXT or "\0" in value):
            raise _bad(name, f"a non-empty value of at most {_MAX_TEXT} characters", value)
    version = state.version
    if version is not None and (type(version) is not int or version < 0):
        raise _bad("version", "a version number such as 2", str(version))
    if state.method is not None and not isinstance(state.method, MethodKind):
        raise _bad("method", "classify, regress or predict", str(state.method))
    if state.inputs is not None:
        if state.case is not None:
            raise DeepLinkError(
                "A link carries either inputs= or case=, not both: remove one of them.",
                param="inputs",
            )
        _json_object(state.inputs)
        _check_inputs_size(state.inputs)


def _check_inputs_size(text: str) -> None:
    size = len(quote(text, safe=""))
    if size > MAX_INLINE_INPUTS:
        raise DeepLinkError(
            f'Link parameter "inputs": expected at most {MAX_INLINE_INPUTS:,} characters '
            f"once URL-encoded, got {size:,}. Save the request as a test case and link it "
            "with case=<name> instead.",
            param="inputs",
        )


def _json_object(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(
            "inputs", f"a REST request body in JSON ({exc.msg} at character {exc.pos})", text
        ) from exc
    if not isinstance(doc, dict):
        raise _bad("inputs", 'a JSON object such as {"instances": [...]}', text)
    return doc


def _choice(param: str, text: str | None, values: Mapping[str, bool], expected: str) -> bool:
    if text is None or text == "":
        return False
    if text.lower() not in values:
        raise _bad(param, expected, text)
    return values[text.lower()]


def _bad(param: str, expected: str, got: str) -> DeepLinkError:
    shown = got if len(got) <= 80 else got[:80] + "..."
    return DeepLinkError(
        f'Link parameter "{param}": expected {expected}, got {shown!r}.',
        param=param,
    )


def _last(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return value
    return value[-1] if value else ""
