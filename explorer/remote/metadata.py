"""A server's metadata JSON as the explorer's ModelInfo, and REST outputs back to arrays.

TF Serving's metadata holds only the SignatureDefMap, so the ModelInfo built here has one
MetaGraph (tag-set ``serve``, TF Serving's default ``--saved_model_tags``) whose proto is a
``MetaGraphDef`` with nothing but ``signature_def`` filled: no graph, no assets, no folder
(``model_dir`` is ""). Everything that reads signatures (tables, verdicts, forms) works on
it as on a local model; the graph views have nothing to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from google.protobuf import json_format

from explorer.codec import rest_request
from explorer.constants import SERVE_TAG
from explorer.errors import ExplorerError, MalformedReplyError
from explorer.model import protos
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.model.reader import signature_info_from_proto

# ModelInfo.file_format for a model known only from a server's metadata.
REMOTE_FORMAT = "TF Serving metadata"


def model_info_from_metadata(
    doc: Mapping[str, Any], *, source: str, available_versions: tuple[int, ...] = ()
) -> ModelInfo:
    """Build a ModelInfo from ``GET /v1/models/NAME/metadata``'s JSON.

    Args:
        doc: ``{"model_spec": {...}, "metadata": {"signature_def": {"signature_def": ...}}}``.
        source: where it came from (the model's URL), kept as ``ModelInfo.path``.
        available_versions: the server's versions of the model, if known.

    Returns:
        One MetaGraph holding the server's SignatureDefs, sorted by key.

    Raises:
        MalformedReplyError: the JSON is not TF Serving's metadata.
    """
    try:
        spec = doc["model_spec"]
        signature_map = doc["metadata"]["signature_def"]["signature_def"]
        if not isinstance(spec, Mapping) or not isinstance(signature_map, Mapping):
            raise TypeError("model_spec and signature_def must be objects")
        version = int(spec["version"]) if spec.get("version") not in (None, "") else None
        name = str(spec.get("name", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedReplyError(
            f"{source}: the metadata is not TF Serving's ({type(exc).__name__}: {exc}); "
            'expected {"model_spec": ..., "metadata": {"signature_def": {"signature_def": '
            "...}}}."
        ) from exc
    meta_graph_def = protos.message_class("tensorflow.MetaGraphDef")()
    meta_graph_def.meta_info_def.tags.append(SERVE_TAG)
    for key, value in signature_map.items():
        try:
            json_format.ParseDict(value, meta_graph_def.signature_def[str(key)])
        except (json_format.ParseError, TypeError, ValueError) as exc:
            raise MalformedReplyError(
                f'{source}: signature "{key}" in the metadata is not a SignatureDef ({exc}).'
            ) from exc
    signatures = tuple(
        signature_info_from_proto(key, meta_graph_def.signature_def[key])
        for key in sorted(meta_graph_def.signature_def)
    )
    meta_graph = MetaGraphInfo(
        tags=(SERVE_TAG,),
        tensorflow_version="",
        tensorflow_git_version="",
        signatures=signatures,
        node_count=0,
        function_count=0,
        function_node_count=0,
        assets=(),
        proto=meta_graph_def,
        model_dir="",
    )
    return ModelInfo(
        path=source,
        name=name,
        version=version,
        available_versions=available_versions,
        meta_graphs=(meta_graph,),
        saved_model_schema_version=1,
        variables_size_bytes=0,
        file_format=REMOTE_FORMAT,
    )


def decode_outputs(
    response: Mapping[str, Any], model: ModelInfo, signature_key: str
) -> dict[str, np.ndarray]:
    """A REST predict answer's outputs as arrays of the signature's declared dtypes.

    A single output's alias is left out of the JSON; the signature supplies it.

    Args:
        response: ``{"predictions": ...}`` or ``{"outputs": ...}``.
        model: the server's metadata.
        signature_key: the signature called.

    Returns:
        Output alias → array; empty when the answer cannot be mapped to the signature.

    Raises:
        Nothing: values that do not convert stay as numpy object/number arrays.
    """
    signature = next((s for s in model.meta_graphs[0].signatures if s.key == signature_key), None)
    if signature is None or not signature.outputs:
        return {}
    dtypes = {t.key: t.dtype for t in signature.outputs}
    if "outputs" in response:
        value = response["outputs"]
        columns = value if len(dtypes) > 1 and isinstance(value, dict) else None
        if columns is None:
            columns = {next(iter(dtypes)): value} if len(dtypes) == 1 else {}
    elif isinstance(response.get("predictions"), list):
        rows = response["predictions"]
        if len(dtypes) == 1:
            columns = {next(iter(dtypes)): rows}
        elif all(isinstance(r, dict) for r in rows):
            columns = {k: [r.get(k) for r in rows] for k in dtypes if all(k in r for r in rows)}
        else:
            columns = {}
    else:
        return {}
    return {k: _array(v, dtypes.get(k, "DT_INVALID")) for k, v in columns.items()}


def _array(value: Any, dtype: str) -> np.ndarray:
    try:
        return rest_request.to_array(value, dtype)
    except ExplorerError:
        return np.asarray(value, dtype=object)
