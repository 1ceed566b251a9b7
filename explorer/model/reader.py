"""Read a SavedModel's ``saved_model.pb`` (or ``.pbtxt``) into ModelInfo, without TensorFlow.

Only the graph definition is parsed: no variables are loaded and no session is made, so
reading metadata costs milliseconds even for large models.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from google.protobuf import message, text_format

from explorer.constants import SAVED_MODEL_PB, SAVED_MODEL_PBTXT
from explorer.errors import InvalidSavedModelError
from explorer.model import protos
from explorer.model.info import (
    AssetInfo,
    MetaGraphInfo,
    ModelInfo,
    Shape,
    SignatureInfo,
    TensorInfo,
)
from explorer.model.locate import ModelLocation, locate_model
from explorer.model.structured_value import describe_type_spec

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from explorer.model.proto_types import (
        MetaGraphDef,
        SavedModel,
        SignatureDef,
        TensorInfoProto,
        TensorShapeProto,
    )


def read_model(path: str | os.PathLike[str], *, version: int | None = None) -> ModelInfo:
    """Read every MetaGraph and SignatureDef of a SavedModel.

    Args:
        path: a SavedModel folder, a version folder, or a TF Serving base folder.
        version: for a base folder, which version; default the newest.

    Returns:
        The model's typed metadata; each MetaGraphInfo keeps its parsed proto.

    Raises:
        ModelSourceError: the path does not lead to a SavedModel.
        InvalidSavedModelError: saved_model.pb(.txt) is truncated, corrupt or empty.
    """
    location = locate_model(path, version=version)
    saved_model, file_format = read_saved_model_proto(location.directory)
    return _model_info(location, saved_model, file_format)


def read_saved_model_proto(directory: Path) -> tuple[SavedModel, str]:
    """Parse the SavedModel proto of a folder; returns it and the file it came from.

    Raises:
        InvalidSavedModelError: the file cannot be parsed or holds no MetaGraph.
    """
    saved_model = protos.SavedModel()
    pb_path = directory / SAVED_MODEL_PB
    if pb_path.is_file():
        file_path, file_format = pb_path, SAVED_MODEL_PB
        try:
            saved_model.ParseFromString(pb_path.read_bytes())
        except (message.DecodeError, RuntimeError, ValueError) as exc:
            raise InvalidSavedModelError(str(pb_path), f"cannot parse protobuf: {exc}") from exc
    else:
        file_path, file_format = directory / SAVED_MODEL_PBTXT, SAVED_MODEL_PBTXT
        try:
            text_format.Parse(
                file_path.read_text(encoding="utf-8"),
                saved_model,
                descriptor_pool=saved_model.DESCRIPTOR.file.pool,
            )
        except (text_format.ParseError, UnicodeDecodeError) as exc:
            raise InvalidSavedModelError(str(file_path), f"cannot parse text proto: {exc}") from exc
    if not saved_model.meta_graphs:
        raise InvalidSavedModelError(
            str(file_path), "it holds no MetaGraph (empty or truncated file)"
        )
    return saved_model, file_format


def tensor_info_from_proto(key: str, info: TensorInfoProto) -> TensorInfo:
    """A ``meta_graph_pb2.TensorInfo`` as our TensorInfo."""
    dtype = dtype_name(info, info.dtype)
    shape = shape_from_proto(info.tensor_shape) if info.HasField("tensor_shape") else None
    encoding = info.WhichOneof("encoding") or "name"
    if encoding == "coo_sparse":
        sparse = info.coo_sparse
        return TensorInfo(
            key=key,
            encoding=encoding,
            name=None,
            dtype=dtype,
            shape=shape,
            sparse_tensors=(
                sparse.values_tensor_name,
                sparse.indices_tensor_name,
                sparse.dense_shape_tensor_name,
            ),
        )
    if encoding == "composite_tensor":
        composite = info.composite_tensor
        return TensorInfo(
            key=key,
            encoding=encoding,
            name=None,
            dtype=dtype,
            shape=shape,
            composite_spec=describe_type_spec(composite.type_spec),
            component_names=tuple(c.name for c in composite.components),
        )
    return TensorInfo(key=key, encoding="name", name=info.name, dtype=dtype, shape=shape)


def shape_from_proto(shape: TensorShapeProto) -> Shape:
    """``TensorShapeProto`` → tuple (None for a -1 dim), or None for unknown rank."""
    if shape.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in shape.dim)


def dtype_name(owner: Message, number: int) -> str:
    """The DataType enum name (``DT_FLOAT``) for a dtype number found on ``owner``."""
    enum = owner.DESCRIPTOR.fields_by_name["dtype"].enum_type
    value = enum.values_by_number.get(number) if enum is not None else None
    return value.name if value is not None else f"DT_UNKNOWN_{number}"


def _model_info(location: ModelLocation, saved_model: SavedModel, file_format: str) -> ModelInfo:
    return ModelInfo(
        path=str(location.directory),
        name=location.name,
        version=location.version,
        available_versions=location.available_versions,
        meta_graphs=tuple(
            _meta_graph_info(mg, location.directory) for mg in saved_model.meta_graphs
        ),
        saved_model_schema_version=int(saved_model.saved_model_schema_version),
        variables_size_bytes=_folder_size(location.directory / "variables"),
        file_format=file_format,
    )


def _meta_graph_info(meta_graph: MetaGraphDef, directory: Path) -> MetaGraphInfo:
    info = meta_graph.meta_info_def
    nodes = meta_graph.graph_def.node
    functions = meta_graph.graph_def.library.function
    histogram = Counter(node.op for node in nodes)
    return MetaGraphInfo(
        tags=tuple(info.tags),
        tensorflow_version=info.tensorflow_version,
        tensorflow_git_version=info.tensorflow_git_version,
        signatures=tuple(
            signature_info_from_proto(key, sig, graph=meta_graph)
            for key, sig in sorted(meta_graph.signature_def.items())
        ),
        op_histogram=tuple(sorted(histogram.items(), key=lambda kv: (-kv[1], kv[0]))),
        node_count=len(nodes),
        function_count=len(functions),
        function_node_count=sum(len(f.node_def) for f in functions),
        assets=_assets(meta_graph, directory),
        proto=meta_graph,
        model_dir=str(directory),
    )


def signature_info_from_proto(
    key: str, signature: SignatureDef, *, graph: MetaGraphDef | None = None
) -> SignatureInfo:
    """A ``meta_graph_pb2.SignatureDef`` as our SignatureInfo (keys sorted); ``graph`` is
    the MetaGraphDef holding it, when there is one."""
    return SignatureInfo(
        key=key,
        method_name=signature.method_name,
        inputs=tuple(tensor_info_from_proto(k, v) for k, v in sorted(signature.inputs.items())),
        outputs=tuple(tensor_info_from_proto(k, v) for k, v in sorted(signature.outputs.items())),
        defaults=tuple(sorted(signature.defaults.keys())),
        proto=signature,
        graph=graph,
    )


def _assets(meta_graph: MetaGraphDef, directory: Path) -> tuple[AssetInfo, ...]:
    declared = [
        AssetInfo(
            filename=asset.filename,
            tensor_name=asset.tensor_info.name,
            size_bytes=_file_size(directory / "assets" / asset.filename),
        )
        for asset in meta_graph.asset_file_def
    ]
    # Old TF1 exports list assets only in a collection: show the files that are there.
    named = {a.filename for a in declared}
    folder = directory / "assets"
    extra = [
        AssetInfo(filename=f.name, tensor_name="", size_bytes=f.stat().st_size)
        for f in (sorted(folder.iterdir()) if folder.is_dir() else ())
        if f.is_file() and f.name not in named
    ]
    return tuple(declared + extra)


def _folder_size(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _file_size(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None
