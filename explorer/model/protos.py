"""TensorFlow's protobuf message classes, built without importing TensorFlow.

``import tensorflow.core.protobuf.saved_model_pb2`` imports all of TensorFlow (~6 s).
Every generated ``*_pb2.py`` module TensorFlow installs carries its schema as a
serialized ``FileDescriptorProto`` literal. We read those literals with ``ast`` (never
executing the modules), add them to a private ``DescriptorPool`` in dependency order, and
get message classes with the same full names, fields and JSON mapping as TensorFlow's own.
TF Serving's API messages (``tensorflow_serving/apis``, which import TensorFlow's the same
way) are added to the same pool on first use, so a gRPC client needs no TensorFlow either.
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

from explorer.errors import DependencyError

_WELL_KNOWN_PREFIX = "google/protobuf/"
_INSTALLED_BY = {"tensorflow": "tensorflow", "tensorflow_serving": "tensorflow-serving-api"}
_REINSTALL = "python3 -m pip install --force-reinstall -r requirements.txt"
# The pool is built once, whole, under the lock: two first calls racing must not build two
# pools (the second would find every file "already added" and stay empty).
_lock = threading.Lock()
_added: set[str] = set()  # proto files already in the pool
_built: descriptor_pool.DescriptorPool | None = None


def message_class(full_name: str) -> type[Any]:
    """The message class for a TensorFlow proto, e.g. ``"tensorflow.SavedModel"``."""
    pool = _pool()
    on_demand = _ON_DEMAND.get(full_name)
    if on_demand is not None:
        with _lock:
            _add_file(pool, on_demand)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


def SavedModel() -> Any:
    return message_class("tensorflow.SavedModel")()


def serving_message_class(full_name: str) -> type[Any]:
    """A TF Serving API message class, e.g. ``"tensorflow.serving.PredictRequest"``.

    Raises:
        DependencyError: tensorflow-serving-api (or TensorFlow) is not installed.
    """
    pool = _pool()
    with _lock:
        for proto in _SERVING_PROTOS:
            _add_file(pool, proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


@cache
def _package_root(package: str) -> Path:
    # find_spec on a top-level package locates it without executing its __init__.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        distribution = _INSTALLED_BY.get(package, package)
        raise DependencyError(
            f"{distribution} (it provides the {package} message schemas)",
            f"python3 -m pip install {distribution}",
        )
    return Path(next(iter(spec.submodule_search_locations))).parent


_ENTRY_PROTOS = (
    "tensorflow/core/protobuf/saved_model.proto",
    "tensorflow/core/example/example.proto",
    "tensorflow/core/framework/tensor.proto",
)
# Schemas only some features read, added on first use so that reading a model stays
# cheap: a traced run's RunMetadata (the per-op profile).
_ON_DEMAND = {"tensorflow.RunMetadata": "tensorflow/core/protobuf/config.proto"}
# The gRPC services' files (they import every request and response message), the warmup
# file's PredictionLog and the --model_config_file's ModelServerConfig.
_SERVING_PROTOS = (
    "tensorflow_serving/apis/prediction_service.proto",
    "tensorflow_serving/apis/model_service.proto",
    "tensorflow_serving/apis/prediction_log.proto",
    "tensorflow_serving/config/model_server_config.proto",
)


def _pool() -> descriptor_pool.DescriptorPool:
    global _built
    pool = _built
    if pool is not None:
        return pool
    with _lock:
        if _built is None:
            pool = descriptor_pool.DescriptorPool()
            for proto in _ENTRY_PROTOS:
                _add_file(pool, proto)
            _built = pool  # published only once complete
        return _built


def _add_file(
    pool: descriptor_pool.DescriptorPool, proto_path: str, module: str | None = None
) -> None:
    """Add ``proto_path`` (and first its dependencies) from the generated module that
    holds it: ``module`` (dotted) when the importing file named it, else the module
    at the proto's own path."""
    if proto_path in _added:
        return
    serialized, imports = _serialized_descriptor(proto_path, module)
    file_proto = descriptor_pb2.FileDescriptorProto.FromString(serialized)
    for dependency in file_proto.dependency:
        # A vendored dependency lives elsewhere than its proto path says: TensorFlow keeps
        # "xla/tsl/protobuf/*.proto" in tensorflow.compiler.xla.tsl.protobuf.
        _add_file(pool, dependency, imports.get(_module_alias(dependency)))
    pool.Add(file_proto)
    _added.add(proto_path)


def _module_alias(proto_path: str) -> str:
    """The name protoc's Python generator imports a dependency as."""
    stem = proto_path[: -len(".proto")] if proto_path.endswith(".proto") else proto_path
    return stem.replace("_", "__").replace("/", "_dot_") + "__pb2"


def _serialized_descriptor(proto_path: str, module: str | None) -> tuple[bytes, dict[str, str]]:
    """The file's serialized descriptor, and its imports as {alias: dotted module}."""
    if proto_path.startswith(_WELL_KNOWN_PREFIX):
        # Protobuf's own well-known types are cheap to import and always present.
        loaded = importlib.import_module("google.protobuf." + Path(proto_path).stem + "_pb2")
        return bytes(loaded.DESCRIPTOR.serialized_pb), {}
    relative = (module.replace(".", "/") + ".py") if module else proto_path[:-6] + "_pb2.py"
    module_file = _package_root(relative.split("/", 1)[0]) / relative
    try:
        source = module_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DependencyError(
            f"The {proto_path} schema", _REINSTALL, detail=f"cannot read {module_file}: {exc}"
        ) from exc
    serialized = None
    imports: dict[str, str] = {}
    for node in ast.walk(ast.parse(source, filename=str(module_file))):
        if isinstance(node, ast.ImportFrom) and node.module:
            imports.update({a.asname: f"{node.module}.{a.name}" for a in node.names if a.asname})
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ):
            serialized = node.args[0].value
    if serialized is None:
        raise DependencyError(
            f"The {proto_path} schema",
            _REINSTALL,
            detail=f"no serialized descriptor in {module_file}",
        )
    return serialized, imports
