"""SavedModels that would crash or exhaust TensorFlow, built in milliseconds with the
explorer's TensorFlow-free proto classes (never committed).

Each builder returns a ``SavedModel`` message whose ``serving_default`` signature feeds a
float placeholder ``x`` and fetches one tensor, so it is a model the explorer would
otherwise load and run. :func:`write` puts one in a folder as ``saved_model.pb``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from explorer.model import protos

FLOAT, STRING = 1, 7


def _model() -> tuple[Any, Any]:
    saved_model = protos.SavedModel()
    saved_model.saved_model_schema_version = 1
    meta_graph = saved_model.meta_graphs.add()
    meta_graph.meta_info_def.tags.append("serve")
    x = meta_graph.graph_def.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = FLOAT
    x.attr["shape"].shape.unknown_rank = True
    return saved_model, meta_graph


def _signature(meta_graph: Any, output: str) -> Any:
    signature = meta_graph.signature_def["serving_default"]
    signature.method_name = "tensorflow/serving/predict"
    signature.inputs["x"].name = "x:0"
    signature.inputs["x"].dtype = FLOAT
    signature.outputs["y"].name = output
    signature.outputs["y"].dtype = FLOAT
    return signature


def _identity(nodes: Any, name: str, source: str) -> None:
    node = nodes.add(name=name, op="Identity", input=[source])
    node.attr["T"].type = FLOAT


def _call(nodes: Any, name: str, source: str, function: str) -> None:
    node = nodes.add(name=name, op="PartitionedCall", input=[source])
    node.attr["f"].func.name = function
    node.attr["Tin"].list.type.append(FLOAT)
    node.attr["Tout"].list.type.append(FLOAT)


def _function(meta_graph: Any, name: str, calls: tuple[str, ...] = ()) -> Any:
    """``name(a) -> out``: the sum of calling each of ``calls`` on ``a``, or ``a`` itself."""
    function = meta_graph.graph_def.library.function.add()
    function.signature.name = name
    function.signature.input_arg.add(name="a", type=FLOAT)
    function.signature.output_arg.add(name="out", type=FLOAT)
    if not calls:
        _identity(function.node_def, "same", "a")
        function.ret["out"] = "same:output:0"
        return function
    for i, callee in enumerate(calls):
        _call(function.node_def, f"call{i}", "a", callee)
    last = "call0:output:0"
    for i in range(1, len(calls)):
        add = function.node_def.add(name=f"sum{i}", op="AddV2", input=[last, f"call{i}:output:0"])
        add.attr["T"].type = FLOAT
        last = f"sum{i}:z:0"
    function.ret["out"] = last
    return function


def _calling(meta_graph: Any, function: str) -> Any:
    _call(meta_graph.graph_def.node, "call", "x", function)
    return _signature(meta_graph, "call:0")


def self_call() -> Any:
    """A function that calls itself."""
    saved_model, meta_graph = _model()
    _function(meta_graph, "again", ("again",))
    _calling(meta_graph, "again")
    return saved_model


def mutual_calls() -> Any:
    """Two functions that call each other."""
    saved_model, meta_graph = _model()
    _function(meta_graph, "ping", ("pong",))
    _function(meta_graph, "pong", ("ping",))
    _calling(meta_graph, "ping")
    return saved_model


def nested_attr_cycle() -> Any:
    """A cycle only visible through a function named inside another function attr's
    attrs (``NameAttrList.attr``), as a forwarded function argument is."""
    saved_model, meta_graph = _model()
    outer = _function(meta_graph, "outer")
    node = outer.node_def.add(name="map", op="PartitionedCall", input=["a"])
    node.attr["f"].func.name = "same"
    node.attr["f"].func.attr["inner"].func.name = "outer"
    _function(meta_graph, "same")
    _calling(meta_graph, "outer")
    return saved_model


def call_chain(depth: int) -> Any:
    """``f0`` calls ``f1`` calls ... ``f{depth-1}``: calls nested ``depth`` deep."""
    saved_model, meta_graph = _model()
    for i in range(depth):
        _function(meta_graph, f"f{i}", (f"f{i + 1}",) if i + 1 < depth else ())
    _calling(meta_graph, "f0")
    return saved_model


def fan_out(depth: int) -> Any:
    """Each function calls the next twice: 2**depth copies once inlined, ~4*depth written."""
    saved_model, meta_graph = _model()
    for i in range(depth):
        _function(meta_graph, f"f{i}", (f"f{i + 1}",) * 2 if i + 1 < depth else ())
    _calling(meta_graph, "f0")
    return saved_model


def node_chain(length: int, *, in_function: bool = False) -> Any:
    """``length`` Identity ops one after the other, at top level or inside one function."""
    saved_model, meta_graph = _model()
    if in_function:
        function = _function(meta_graph, "long")
        del function.node_def[:]
        previous = "a"
        for i in range(length):
            _identity(function.node_def, f"n{i}", previous)
            previous = f"n{i}:output:0"
        function.ret["out"] = previous
        _calling(meta_graph, "long")
        return saved_model
    previous = "x"
    for i in range(length):
        _identity(meta_graph.graph_def.node, f"n{i}", previous)
        previous = f"n{i}"
    _signature(meta_graph, f"{previous}:0")
    return saved_model


def wide(count: int) -> Any:
    """``count`` Identity ops side by side, each reading ``x``: many nodes, depth 2."""
    saved_model, meta_graph = _model()
    nodes = meta_graph.graph_def.node
    for i in range(count):
        _identity(nodes, f"n{i}", "x")
    _signature(meta_graph, "n0:0")
    return saved_model


def big_const(shape: tuple[int, ...], dtype: int = FLOAT, value: Any = 1.0) -> Any:
    """A Const holding one value that its shape repeats (``x + c`` is fetched)."""
    saved_model, meta_graph = _model()
    const = meta_graph.graph_def.node.add(name="c", op="Const")
    const.attr["dtype"].type = dtype
    tensor = const.attr["value"].tensor
    _fill(tensor, shape, dtype, value)
    add = meta_graph.graph_def.node.add(name="y", op="AddV2", input=["x", "c"])
    add.attr["T"].type = FLOAT
    _signature(meta_graph, "y:0")
    return saved_model


def big_default(shape: tuple[int, ...]) -> Any:
    """A signature whose ``defaults`` entry for ``x`` is one float repeated over ``shape``."""
    saved_model, meta_graph = _model()
    _identity(meta_graph.graph_def.node, "y", "x")
    signature = _signature(meta_graph, "y:0")
    _fill(signature.defaults["x"], shape, FLOAT, 0.5)
    return saved_model


def _fill(tensor: Any, shape: tuple[int, ...], dtype: int, value: Any) -> None:
    tensor.dtype = dtype
    for size in shape:
        tensor.tensor_shape.dim.add(size=size)
    if dtype == STRING:
        tensor.string_val.append(value)
    else:
        tensor.float_val.append(value)


def write(saved_model: Any, folder: Path) -> Path:
    """``folder/saved_model.pb``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    return folder
