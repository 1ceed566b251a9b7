"""One REST call to TF Serving written out: its URL, a ready ``curl`` command, the error body.

The app shows every run as the exchange a client would have with ``tensorflow_model_server
--rest_api_port=8501``, so a user can replay it against a real server. Pure text, no
TensorFlow, no Streamlit.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from explorer.constants import MethodKind

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8501
# Above this size the body goes to a file (`-d @request.json`): a shell line of megabytes
# is hard to copy and may pass the system's argument-length limit.
INLINE_BODY_LIMIT = 8_000
REQUEST_FILE_NAME = "request.json"


def serving_url(
    model_name: str,
    method: MethodKind | str,
    *,
    version: int | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
) -> str:
    """The REST endpoint TF Serving routes the call to.

    Args:
        model_name: TF Serving's model name (``--model_name``; the model folder's name).
        method: classify, regress or predict.
        version: the numeric version folder; None addresses the newest version.
        host: server host.
        port: the ``--rest_api_port``.

    Returns:
        E.g. ``http://localhost:8501/v1/models/flowers/versions/2:predict``.

    Raises:
        ValueError: ``method`` is not classify, regress or predict.
    """
    verb = MethodKind(method).value
    versioned = f"/versions/{version}" if version is not None else ""
    return f"http://{host}:{port}/v1/models/{model_name}{versioned}:{verb}"


def curl_command(url: str, body: str, *, inline_limit: int = INLINE_BODY_LIMIT) -> str:
    """A shell command that POSTs ``body`` to ``url`` as TF Serving's REST API expects.

    Args:
        url: from :func:`serving_url`.
        body: the request body exactly as it should be sent.
        inline_limit: bodies longer than this are read from ``request.json`` instead.

    Returns:
        A copyable command (POSIX shell quoting).
    """
    data = shlex.quote(body) if len(body) <= inline_limit else shlex.quote(f"@{REQUEST_FILE_NAME}")
    lines = [
        f"curl -X POST {shlex.quote(url)}",
        "  -H 'Content-Type: application/json'",
        f"  -d {data}",
    ]
    return " \\\n".join(lines)


def body_text(body: Any) -> str:
    """A request body as readable JSON text: objects indented, lists of numbers or strings
    (however nested) kept on one line, floats with their decimal point (``2.0``, so TF
    Serving reads a float feature), non-ASCII as is, NaN/Infinity as rapidjson accepts."""
    return _pretty(body, 0)


def compact_text(body: Any) -> str:
    """The same JSON on one line (for a curl command)."""
    return json.dumps(body, ensure_ascii=False)


def error_text(message: str) -> str:
    """TF Serving's REST error body (``MakeJsonFromStatus``: rapidjson PrettyWriter, 4 spaces)."""
    return json.dumps({"error": message}, indent=4, ensure_ascii=False)


def _pretty(value: Any, depth: int) -> str:
    pad = "  " * (depth + 1)
    if isinstance(value, dict) and value and not _is_leaf(value):
        items = [f"{pad}{json.dumps(str(k))}: {_pretty(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list) and value and not _is_leaf(value):
        items = [pad + _pretty(v, depth + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]"
    return json.dumps(value, ensure_ascii=False)


def _is_leaf(value: Any) -> bool:
    # Scalars, {"b64": ...} and lists nesting only those: written on one line.
    if isinstance(value, dict):
        return set(value) == {"b64"}
    if isinstance(value, list):
        return all(_is_leaf(v) for v in value)
    return True
