"""Writing GraphDefs, FunctionDefs and MetaGraphDefs node by node, without TensorFlow, for
the hostile models: each node gets every attr TensorFlow's importer requires, so the
models load and run in TensorFlow exactly as written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from explorer.model import protos

DT_FLOAT = 1
DT_INT32 = 3
DT_STRING = 7
DT_INT64 = 9
DT_RESOURCE = 20
# Any producer TensorFlow still accepts; this is TensorFlow 2.21's.
GRAPH_DEF_VERSION = 2474


def message(type_name: str, **fields: Any) -> Any:
    return protos.message_class(f"tensorflow.{type_name}")(**fields)


def func(name: str, **attrs: Any) -> Any:
    """A NameAttrList: a function name and the attrs it is instantiated with."""
    value = message("NameAttrList", name=name)
    for key, attr in attrs.items():
        value.attr[key].CopyFrom(attr)
    return value


def attr_func(name: str, **attrs: Any) -> Any:
    return message("AttrValue", func=func(name, **attrs))


def attr_funcs(*names: str) -> Any:
    value = message("AttrValue")
    for name in names:
        value.list.func.add().name = name
    return value


def attr_types(*types: int) -> Any:
    value = message("AttrValue")
    value.list.type.extend(types)
    value.list.SetInParent()  # an empty list is still a list
    return value


def attr_type(dtype: int) -> Any:
    return message("AttrValue", type=dtype)


def attr_s(text: str) -> Any:
    return message("AttrValue", s=text.encode())


def attr_i(number: int) -> Any:
    return message("AttrValue", i=number)


def attr_placeholder(name: str) -> Any:
    """An attr a function body takes from the attrs the function is instantiated with."""
    return message("AttrValue", placeholder=name)


def attr_shape(*dims: int) -> Any:
    value = message("AttrValue")
    for size in dims:
        value.shape.dim.add(size=size)
    value.shape.SetInParent()
    return value


def attr_strings(*texts: str) -> Any:
    value = message("AttrValue")
    value.list.s.extend(t.encode() for t in texts)
    value.list.SetInParent()
    return value


def string_tensor(*texts: str, vector: bool = False) -> Any:
    tensor = message("TensorProto", dtype=DT_STRING)
    tensor.string_val.extend(t.encode() for t in texts)
    if vector:
        tensor.tensor_shape.dim.add(size=len(texts))
    else:
        tensor.tensor_shape.SetInParent()
    return tensor


def int_tensor(number: int) -> Any:
    tensor = message("TensorProto", dtype=DT_INT32)
    tensor.int_val.append(number)
    tensor.tensor_shape.SetInParent()
    return tensor


class Nodes:
    """Appends nodes to a GraphDef's ``node`` or a FunctionDef's ``node_def`` list."""

    # Inside a function body a node's output is ``node:output_name:index``.
    body = False

    def __init__(self, container: Any) -> None:
        self._container = container

    def out(self, node: str, output: str = "output") -> str:
        """The first tensor of ``node``'s output ``output`` as an input reference."""
        return f"{node}:{output}:0" if self.body else node

    def add(self, name: str, op: str, *inputs: str, **attrs: Any) -> str:
        node = self._container.add(name=name, op=op)
        node.input.extend(inputs)
        for key, value in attrs.items():
            node.attr[key].CopyFrom(value)
        return name

    def const(self, name: str, *texts: str, vector: bool = False) -> str:
        value = message("AttrValue", tensor=string_tensor(*texts, vector=vector))
        return self.add(name, "Const", dtype=attr_type(DT_STRING), value=value)

    def int_const(self, name: str, number: int) -> str:
        value = message("AttrValue", tensor=int_tensor(number))
        return self.add(name, "Const", dtype=attr_type(DT_INT32), value=value)

    def placeholder(self, name: str, dtype: int, *dims: int) -> str:
        return self.add(name, "Placeholder", dtype=attr_type(dtype), shape=attr_shape(*dims))

    def identity(self, name: str, source: str, dtype: int, *after: str) -> str:
        return self.add(name, "Identity", source, *(f"^{a}" for a in after), T=attr_type(dtype))

    def call(
        self,
        name: str,
        function: Any,
        inputs: Sequence[str],
        tin: Sequence[int],
        tout: Sequence[int],
    ) -> str:
        """A StatefulPartitionedCall of ``function`` (a name or a NameAttrList)."""
        target = func(function) if isinstance(function, str) else function
        return self.add(
            name,
            "StatefulPartitionedCall",
            *inputs,
            Tin=attr_types(*tin),
            Tout=attr_types(*tout),
            f=message("AttrValue", func=target),
            config=attr_s(""),
            config_proto=attr_s(""),
            executor_type=attr_s(""),
        )

    def var_handle(self, name: str, shared_name: str, dtype: int = DT_STRING) -> str:
        return self.add(
            name,
            "VarHandleOp",
            dtype=attr_type(dtype),
            shape=attr_shape(),
            shared_name=attr_s(shared_name),
            container=attr_s(""),
            allowed_devices=attr_strings(),
        )

    def assign(
        self, name: str, handle: str, value: str, *after: str, dtype: int = DT_STRING
    ) -> str:
        return self.add(
            name,
            "AssignVariableOp",
            handle,
            value,
            *(f"^{a}" for a in after),
            dtype=attr_type(dtype),
        )

    def read(self, name: str, handle: str, *after: str, dtype: int = DT_STRING) -> str:
        return self.add(
            name, "ReadVariableOp", handle, *(f"^{a}" for a in after), dtype=attr_type(dtype)
        )

    def write_file(self, name: str, target: Path, *after: str) -> str:
        path = self.const(f"{name}/path", str(target))
        text = self.const(f"{name}/text", "written by a hostile model")
        return self.add(
            name, "WriteFile", self.out(path), self.out(text), *(f"^{a}" for a in after)
        )


class MetaGraph:
    """One ``serve`` MetaGraphDef: its graph, library, signatures, saver and assets."""

    def __init__(self) -> None:
        self.saved_model = protos.SavedModel()
        self.saved_model.saved_model_schema_version = 1
        self.proto = self.saved_model.meta_graphs.add()
        self.proto.meta_info_def.tags.append("serve")
        self.proto.graph_def.versions.producer = GRAPH_DEF_VERSION
        self.graph = GraphNodes(self.proto.graph_def.node)

    def function(
        self,
        name: str,
        inputs: Sequence[tuple[str, int]],
        outputs: Sequence[tuple[str, str, int]],
        **attrs: Any,
    ) -> FunctionNodes:
        """A library function: ``outputs`` are (name, body tensor, dtype); ``attrs`` its
        function-level attrs (``api_implements`` ...)."""
        fn = self.proto.graph_def.library.function.add()
        fn.signature.name = name
        fn.signature.is_stateful = True
        for arg, dtype in inputs:
            fn.signature.input_arg.add(name=arg, type=dtype)
        for arg, tensor, dtype in outputs:
            fn.signature.output_arg.add(name=arg, type=dtype)
            fn.ret[arg] = tensor
        for key, value in attrs.items():
            fn.attr[key].CopyFrom(value)
        return FunctionNodes(fn)

    def signature(
        self, key: str, inputs: dict[str, str], outputs: dict[str, tuple[str, int]]
    ) -> None:
        sig = self.proto.signature_def[key]
        sig.method_name = "tensorflow/serving/predict"
        for alias, name in inputs.items():
            sig.inputs[alias].name = name
            sig.inputs[alias].dtype = DT_FLOAT
            sig.inputs[alias].tensor_shape.dim.add(size=-1)
        for alias, (name, dtype) in outputs.items():
            sig.outputs[alias].name = name
            sig.outputs[alias].dtype = dtype
            sig.outputs[alias].tensor_shape.unknown_rank = True

    def main_op(self, node: str) -> None:
        self.proto.collection_def["saved_model_main_op"].node_list.value.append(node)

    def asset(self, tensor: str, filename: str, *, legacy: bool = False) -> None:
        """Declare ``tensor`` an asset fed with ``assets/filename`` (``legacy``: in the
        old ``saved_model_assets`` collection instead of ``asset_file_def``)."""
        entry = message("AssetFileDef", filename=filename)
        entry.tensor_info.name = tensor
        entry.tensor_info.dtype = DT_STRING
        if legacy:
            self.proto.collection_def["saved_model_assets"].any_list.value.add().Pack(entry)
        else:
            self.proto.asset_file_def.append(entry)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "saved_model.pb").write_bytes(self.saved_model.SerializeToString())
        return folder


class GraphNodes(Nodes):
    """The top-level graph: inputs are ``node`` or ``node:index``."""


class FunctionNodes(Nodes):
    """A function body: inputs are ``arg`` or ``node:output_name:index``."""

    body = True

    def __init__(self, function: Any) -> None:
        super().__init__(function.node_def)
        self.function = function
