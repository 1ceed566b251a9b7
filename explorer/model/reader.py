"""Read a SavedModel's ``saved_model.pb`` (or ``.pbtxt``) into ModelInfo, without TensorFlow.

Only the graph definition is parsed: no variables are loaded and no session is made, so
reading metadata costs milliseconds even for large models. The model file must be a
regular file inside the model's allowed folders (``locate``): a FIFO or a device is
refused before it is opened, never read. A ``saved_model.pbtxt`` is parsed only up to
``EXPLORER_MAX_PBTXT_BYTES`` (default 64 MiB): Python's text parser takes about a second per
4 MB and far more memory than the text, while binary ``saved_model.pb`` parses in
milliseconds (up to protobuf's own 2 GiB limit).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from google.protobuf import message

from explorer.constants import SAVED_MODEL_PB, SAVED_MODEL_PBTXT
from explorer.errors import InvalidSavedModelError, ModelLimitError, ModelSourceError
from explorer.model import protos
from explorer.model.bounds import ENV_MAX_PBTXT_BYTES, ModelBounds
from explorer.model.info import (
    AssetInfo,
    MetaGraphInfo,
    ModelInfo,
    Shape,
    SignatureInfo,
    TensorInfo,
)
from explorer.model.locate import ModelLocation, contained, data_files, locate_model
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

# Protobuf parses no message larger than 2 GiB; a bigger file is refused unread.
_MAX_PB_BYTES = 2**31 - 1


def read_model(
    path: str | os.PathLike[str],
    *,
    version: int | None = None,
    roots: Iterable[str | os.PathLike[str]] | None = None,
) -> ModelInfo:
    """Read every MetaGraph and SignatureDef of a SavedModel.

    Args:
        path: a SavedModel folder, a version folder, or a TF Serving base folder.
        version: for a base folder, which version; default the newest.
        roots: folders links inside the model may lead into besides its own folder;
            default those in ``EXPLORER_ALLOWED_ROOTS`` (see ``locate``).

    Returns:
        The model's typed metadata; each MetaGraphInfo keeps its parsed proto.

    Raises:
        ModelSourceError: the path does not lead to a SavedModel, or a file of it is a
            link leading outside its folder or not a regular file.
        ModelLimitError: a saved_model.pbtxt past ``EXPLORER_MAX_PBTXT_BYTES``.
        InvalidSavedModelError: saved_model.pb(.txt) is truncated, corrupt or empty.
    """
    location = locate_model(path, version=version, roots=roots)
    saved_model, file_format = read_saved_model_proto(location.directory, location.within)
    return _model_info(location, saved_model, file_format)


def read_saved_model_proto(
    directory: Path, within: tuple[Path, ...] = ()
) -> tuple[SavedModel, str]:
    """Parse the SavedModel proto of a folder; returns it and the file it came from.

    Args:
        directory: the SavedModel folder.
        within: resolved folders the model file may lead into (empty: anywhere).

    Raises:
        ModelSourceError: the file leads outside ``within``, or is not a regular file.
        ModelLimitError: a saved_model.pbtxt past ``EXPLORER_MAX_PBTXT_BYTES``.
        InvalidSavedModelError: the file cannot be parsed or holds no MetaGraph.
    """
    saved_model = protos.SavedModel()
    pb_path = directory / SAVED_MODEL_PB
    if os.path.lexists(pb_path) or not os.path.lexists(directory / SAVED_MODEL_PBTXT):
        file_path, file_format = pb_path, SAVED_MODEL_PB
        data = _read_model_file(pb_path, within, _MAX_PB_BYTES, None)
        try:
            saved_model.ParseFromString(data)
        except (message.DecodeError, RuntimeError, ValueError) as exc:
            raise InvalidSavedModelError(str(pb_path), f"cannot parse protobuf: {exc}") from exc
    else:
        file_path, file_format = directory / SAVED_MODEL_PBTXT, SAVED_MODEL_PBTXT
        limit = ModelBounds.from_env().max_pbtxt_bytes
        data = _read_model_file(file_path, within, limit, ENV_MAX_PBTXT_BYTES)
        # Imported here: text SavedModels are rare, and the import is 10 ms of every
        # command's start (the binary reader's path must stay as short as it is).
        from google.protobuf import text_format

        try:
            text_format.Parse(
                data.decode("utf-8"), saved_model, descriptor_pool=saved_model.DESCRIPTOR.file.pool
            )
        except (text_format.ParseError, UnicodeDecodeError) as exc:
            raise InvalidSavedModelError(str(file_path), f"cannot parse text proto: {exc}") from exc
    if not saved_model.meta_graphs:
        raise InvalidSavedModelError(
            str(file_path), "it holds no MetaGraph (empty or truncated file)"
        )
    return saved_model, file_format


def _read_model_file(path: Path, within: tuple[Path, ...], limit: int, env: str | None) -> bytes:
    """The bytes of a model file that is a regular file inside ``within`` and no larger
    than ``limit`` (0: no limit), checked on the open file before a byte is read."""
    what = f"{path.name} in {path.parent}"
    real = contained(path, within, what)
    # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below);
    # O_NOFOLLOW: the resolved path cannot be swapped for a link in between.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError:
        raise ModelSourceError(f"{what} is a symbolic link to nothing.") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket cannot be opened at all
            raise _not_regular(what, "a socket") from exc
        raise ModelSourceError(f"Cannot read {what}: {exc.strerror}.") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _not_regular(what, _KINDS.get(stat.S_IFMT(info.st_mode), "a special file"))
    with os.fdopen(fd, "rb") as file:
        if limit and info.st_size > limit:
            if env is None:
                raise InvalidSavedModelError(
                    str(path), f"{info.st_size:,} bytes, past protobuf's limit of {limit:,}"
                )
            raise ModelLimitError(
                f"{what} is {info.st_size:,} bytes, past the limit of {limit:,} bytes ({env}) "
                "for a text SavedModel: parsing text takes about a second per 4 MB and "
                "several times its size in memory. Convert it to saved_model.pb, or raise "
                f"{env} (0 turns the limit off).",
                limit=env,
            )
        try:
            return file.read(info.st_size)  # no more than was checked, should it grow
        except OSError as exc:
            raise ModelSourceError(f"Cannot read {what}: {exc.strerror}.") from exc


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _not_regular(what: str, kind: str) -> ModelSourceError:
    # TensorFlow's loader would wait on a FIFO forever, or read a device without end.
    return ModelSourceError(
        f"{what} is not a regular file ({kind}): a model file must be a plain file. Copy the "
        "real file there."
    )


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
    files = {f.relative: f.size_bytes for f in data_files(location)}
    return ModelInfo(
        path=str(location.directory),
        name=location.name,
        version=location.version,
        available_versions=location.available_versions,
        meta_graphs=tuple(
            _meta_graph_info(mg, location.directory, files) for mg in saved_model.meta_graphs
        ),
        saved_model_schema_version=int(saved_model.saved_model_schema_version),
        variables_size_bytes=sum(
            size for name, size in files.items() if name.startswith("variables/")
        ),
        file_format=file_format,
    )


def _meta_graph_info(
    meta_graph: MetaGraphDef, directory: Path, files: dict[str, int]
) -> MetaGraphInfo:
    info = meta_graph.meta_info_def
    nodes = meta_graph.graph_def.node
    functions = meta_graph.graph_def.library.function
    return MetaGraphInfo(
        tags=tuple(info.tags),
        tensorflow_version=info.tensorflow_version,
        tensorflow_git_version=info.tensorflow_git_version,
        signatures=tuple(
            signature_info_from_proto(key, sig, graph=meta_graph)
            for key, sig in sorted(meta_graph.signature_def.items())
        ),
        node_count=len(nodes),
        function_count=len(functions),
        function_node_count=sum(len(f.node_def) for f in functions),
        assets=_assets(meta_graph, files),
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


def _assets(meta_graph: MetaGraphDef, files: dict[str, int]) -> tuple[AssetInfo, ...]:
    """The declared assets with their sizes (None when missing), then the other files
    directly in ``assets/`` (old TF1 exports list assets only in a collection)."""
    declared = [
        AssetInfo(
            filename=asset.filename,
            tensor_name=asset.tensor_info.name,
            size_bytes=files.get(f"assets/{asset.filename}"),
        )
        for asset in meta_graph.asset_file_def
    ]
    named = {a.filename for a in declared}
    extra = [
        AssetInfo(filename=name, tensor_name="", size_bytes=size)
        for relative, size in sorted(files.items())
        if relative.count("/") == 1
        and relative.startswith("assets/")
        and (name := relative.removeprefix("assets/")) not in named
    ]
    return tuple(declared + extra)
