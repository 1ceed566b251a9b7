"""The JSON TF Serving's ``GET /v1/models/NAME/metadata`` returns for a model."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format

from explorer.model.info import MetaGraphInfo, ModelInfo


def metadata_response(model: ModelInfo, meta_graph: MetaGraphInfo) -> dict[str, Any]:
    """``{"model_spec": ..., "metadata": {"signature_def": {"signature_def": ...}}}``.

    The SignatureDefMap is protobuf's JSON mapping with TF Serving's printer options:
    proto field names, default-valued fields printed, int64 as strings. ``model_spec``
    carries the folder's TF Serving name and, when versioned, its version.
    """
    model_spec: dict[str, Any] = {"name": model.name, "signature_name": ""}
    if model.version is not None:
        model_spec["version"] = str(model.version)
    # Protobuf map order is a per-process hash order (TF Serving's too): sort for stable output.
    signature_defs = {
        key: signature_def_json(signature)
        for key, signature in sorted(meta_graph.proto.signature_def.items())
    }
    return {
        "model_spec": model_spec,
        "metadata": {"signature_def": {"signature_def": signature_defs}},
    }


def signature_def_json(signature_def: Any) -> dict[str, Any]:
    """One SignatureDef as TF Serving prints it."""
    result: dict[str, Any] = json_format.MessageToDict(
        signature_def,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    for map_field in ("inputs", "outputs", "defaults"):
        result[map_field] = dict(sorted(result[map_field].items()))
    return result


def dumps(response: dict[str, Any]) -> str:
    """Serialized with TF Serving's whitespace (one-space indent), newline-terminated."""
    return json.dumps(response, indent=1, ensure_ascii=False) + "\n"
