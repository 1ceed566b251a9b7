"""TensorFlow's protobuf message classes, built without importing TensorFlow.

``import tensorflow.core.protobuf.saved_model_pb2`` imports all of TensorFlow (~6 s).
Every generated ``*_pb2.py`` module TensorFlow installs carries its schema as a
serialized ``FileDescriptorProto`` literal. We read those literals with ``ast`` (never
executing the modules), add them to a private ``DescriptorPool`` in dependency order, and
get message classes with the same full names, fields and JSON mapping as TensorFlow's own.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_ROOT_PACKAGE = "tensorflow"
_WELL_KNOWN_PREFIX = "google/protobuf/"
_lock = threading.Lock()


class ProtoSchemaError(RuntimeError):
    """TensorFlow's generated protobuf modules could not be found or read."""


def message_class(full_name: str) -> type[Any]:
    """The message class for a TensorFlow proto, e.g. ``"tensorflow.SavedModel"``."""
    pool = _pool()
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


def SavedModel() -> Any:
    return message_class("tensorflow.SavedModel")()


@cache
def _site_root() -> Path:
    # find_spec on a top-level package locates it without executing its __init__.
    spec = importlib.util.find_spec(_ROOT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ProtoSchemaError(
            "TensorFlow is not installed: it provides the SavedModel schema. "
            "Install the project's requirements (pip install -r requirements.txt)."
        )
    return Path(next(iter(spec.submodule_search_locations))).parent


_ENTRY_PROTOS = (
    "tensorflow/core/protobuf/saved_model.proto",
    "tensorflow/core/example/example.proto",
    "tensorflow/core/framework/tensor.proto",
)


@cache
def _pool() -> descriptor_pool.DescriptorPool:
    with _lock:
        pool = descriptor_pool.DescriptorPool()
        added: set[str] = set()
        for proto in _ENTRY_PROTOS:
            _add_file(pool, proto, added)
        return pool


def _add_file(pool: descriptor_pool.DescriptorPool, proto_path: str, added: set[str]) -> None:
    if proto_path in added:
        return
    serialized = _serialized_descriptor(proto_path)
    file_proto = descriptor_pb2.FileDescriptorProto.FromString(serialized)
    for dependency in file_proto.dependency:
        _add_file(pool, dependency, added)
    pool.Add(file_proto)
    added.add(proto_path)


def _serialized_descriptor(proto_path: str) -> bytes:
    if proto_path.startswith(_WELL_KNOWN_PREFIX):
        # Protobuf's own well-known types are cheap to import and always present.
        module = importlib.import_module("google.protobuf." + Path(proto_path).stem + "_pb2")
        return bytes(module.DESCRIPTOR.serialized_pb)
    module_file = _site_root() / (proto_path[: -len(".proto")] + "_pb2.py")
    try:
        source = module_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtoSchemaError(f"Cannot read {module_file} for {proto_path}: {exc}") from exc
    for node in ast.walk(ast.parse(source, filename=str(module_file))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ):
            return node.args[0].value
    raise ProtoSchemaError(f"No serialized descriptor in {module_file}")
