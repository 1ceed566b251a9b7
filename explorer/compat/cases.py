"""Replayable test cases: a request and TF Serving's answer to it, kept in a JSON-lines file.

A case is one REST exchange (``classify``/``regress``/``predict`` body → response JSON or
``{"error": ...}``) saved under a name. A cases file (one JSON object per line) lives next
to a model in version control; ``explorer.compat.replay`` sends every request again.
Loading and saving import neither numpy nor TensorFlow.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from explorer.compat.case_diff import Difference, compare_responses
from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY, MethodKind
from explorer.errors import CasesFileError
from explorer.model.info import MetaGraphInfo, ModelInfo

ModelTarget = ModelInfo | MetaGraphInfo | str | os.PathLike[str]

__all__ = [
    "CasesFileError",
    "Difference",
    "TestCase",
    "cases_text",
    "compare_responses",
    "load_cases",
    "make_case",
    "parse_cases",
    "save_cases",
    "with_case",
]


@dataclass(frozen=True, slots=True)
class TestCase:
    """One saved exchange: the REST request body and the answer TF Serving gave."""

    __test__ = False  # not a pytest test class, despite its name

    name: str
    method: str  # "classify", "regress" or "predict"
    # The signature the request names (its "signature_name", else serving_default).
    signature_name: str
    # The REST body: a JSON object, or the raw text when it was not one (a case can
    # record that TF Serving rejects malformed JSON).
    request: Any
    # The response JSON, or {"error": message}.
    response: Mapping[str, Any]
    # When it was saved (ISO 8601, UTC); None for generated cases.
    created: str | None = None

    @property
    def expects_error(self) -> bool:
        return set(self.response) == {"error"}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"response": dict(self.response)}


def make_case(
    name: str,
    method: MethodKind | str,
    request: Any,
    response: Mapping[str, Any] | str,
    *,
    signature_name: str | None = None,
    created: str | None = "now",
) -> TestCase:
    """A case from a request (text or object) and its answer (text or object).

    Args:
        name: the case's name, unique within its file.
        method: classify, regress or predict.
        request: the REST body as sent: JSON text (kept as an object when it is one) or
            an already parsed object.
        response: the response JSON or ``{"error": ...}``, as text or parsed.
        signature_name: the signature the request runs when it names none (default
            serving_default); when it names one, the same name or None.
        created: an ISO timestamp; "now" stamps the current UTC time, None leaves it out.

    Returns:
        The case.

    Raises:
        CasesFileError: empty name, unknown method, a response that is not a JSON object,
            or a ``signature_name`` other than the one the request names.
    """
    if isinstance(request, (str, bytes)):
        text = request.decode("utf-8", "replace") if isinstance(request, bytes) else request
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            parsed = None
        request = parsed if isinstance(parsed, dict) else text
    if isinstance(response, str):
        try:
            response = json.loads(response)
        except (ValueError, RecursionError) as exc:
            raise CasesFileError(
                f"Case {name!r}: the response is not JSON ({_json_problem(exc)})."
            ) from exc
    if created == "now":
        created = datetime.now(UTC).replace(microsecond=0).isoformat()
    return _checked(
        {
            "name": name,
            "method": str(method),
            "signature_name": signature_name,
            "request": request,
            "response": response,
            "created": created,
        },
        f"case {name!r}",
    )


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "it nests arrays or objects too deeply to read"
    return getattr(exc, "msg", None) or str(exc)


def parse_cases(text: str | bytes, *, source: str = "cases file") -> tuple[TestCase, ...]:
    """Cases from JSON lines (one object per line; a JSON array of objects also works).

    Raises:
        CasesFileError: a line is not JSON or not a case, or two cases share a name; the
            message names the line.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CasesFileError(f"{source} is not UTF-8 text: {exc}") from exc
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            raise CasesFileError(f"{source} is not valid JSON: {_json_problem(exc)}") from exc
        entries = [(f"{source} item {i}", item) for i, item in enumerate(items, 1)]
    else:
        entries = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entries.append((f"{source} line {number}", json.loads(line)))
            except (ValueError, RecursionError) as exc:
                raise CasesFileError(
                    f"{source} line {number} is not a JSON object: {_json_problem(exc)}. Each "
                    "line of a cases file holds one case."
                ) from exc
    cases: list[TestCase] = []
    seen: dict[str, str] = {}
    for where, item in entries:
        case = _checked(item, where)
        if case.name in seen:
            raise CasesFileError(
                f'{where}: case name "{case.name}" is already used ({seen[case.name]}); '
                "names must be unique."
            )
        seen[case.name] = where
        cases.append(case)
    return tuple(cases)


def load_cases(path: str | os.PathLike[str]) -> tuple[TestCase, ...]:
    """Read a cases file (JSON lines).

    Raises:
        CasesFileError: the file cannot be read, or a line is not a valid case.
    """
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CasesFileError(f"Cannot read the cases file {file}: {exc.strerror or exc}") from exc
    return parse_cases(data, source=str(file))


def cases_text(cases: Iterable[TestCase]) -> str:
    """The JSON-lines text of a cases file: one case per line, in order."""
    return "".join(json.dumps(c.as_dict(), ensure_ascii=False) + "\n" for c in cases)


def save_cases(path: str | os.PathLike[str], cases: Iterable[TestCase]) -> Path:
    """Write a cases file (JSON lines); returns its path.

    Raises:
        CasesFileError: the file cannot be written.
    """
    file = Path(path).expanduser()
    try:
        file.write_text(cases_text(cases), encoding="utf-8")
    except OSError as exc:
        raise CasesFileError(f"Cannot write the cases file {file}: {exc.strerror or exc}") from exc
    return file


def with_case(cases: Sequence[TestCase], case: TestCase) -> tuple[TestCase, ...]:
    """The cases with ``case`` added, or replacing the one of the same name in place."""
    names = [c.name for c in cases]
    if case.name in names:
        return tuple(case if c.name == case.name else c for c in cases)
    return (*cases, case)


# --- helpers ------------------------------------------------------------------------------


def _checked(item: Any, where: str) -> TestCase:
    if not isinstance(item, dict):
        raise CasesFileError(f"{where}: expected a JSON object, got {type(item).__name__}.")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CasesFileError(f'{where}: "name" must be a non-empty string.')
    method = item.get("method")
    if method not in {m.value for m in MethodKind}:
        raise CasesFileError(
            f'{where}: "method" must be classify, regress or predict, got {method!r}.'
        )
    request = item.get("request")
    if not isinstance(request, (dict, str)):
        raise CasesFileError(f'{where}: "request" must be the REST body (a JSON object).')
    response = item.get("response")
    if not isinstance(response, dict):
        raise CasesFileError(
            f'{where}: "response" must be the response JSON object (or {{"error": ...}}).'
        )
    given = item.get("signature_name")
    created = item.get("created")
    if not (given is None or isinstance(given, str)) or not (
        created is None or isinstance(created, str)
    ):
        raise CasesFileError(f'{where}: "signature_name" and "created" must be strings.')
    signature_name = _signature_of(request, given or None, where)
    return TestCase(name.strip(), method, signature_name, request, response, created)


def _signature_of(request: Any, given: str | None, where: str) -> str:
    """The signature a case's request runs: the one its body names (replay sends the body
    as it is), else the case's own ``signature_name``, else serving_default."""
    named = request.get("signature_name") if isinstance(request, dict) else None
    if not isinstance(named, str) or not named:  # none, or one TF Serving refuses
        return given or DEFAULT_SERVING_SIGNATURE_KEY
    if given is not None and given != named:
        raise CasesFileError(
            f'{where}: "signature_name" is {given!r} but its request names {named!r}, and the '
            "request's is the one that runs. Make them agree, or leave the case's out."
        )
    return named
