"""A node's output args exactly, from the OpDefs the MetaGraph itself carries.

Every exported MetaGraph holds the OpDef of each op it uses (``meta_info_def.
stripped_op_list``): the output args, their types and counts, and the defaults of the attrs
that the exporter stripped from the nodes. With them a node's outputs are known exactly —
what a graph rewrite needs, where :mod:`explorer.graph.attrs`' rules of thumb are enough
to label an edge. An op that is a library function's name has that function's outputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.errors import GraphError
from explorer.graph.attrs import type_name
from explorer.model import protos

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, MetaGraphDef, NodeDef


@dataclass(frozen=True, slots=True)
class OutputArg:
    """One output arg of a node: its name and the DT_ names of the tensors it holds."""

    name: str
    dtypes: tuple[str, ...]


class OpOutputs:
    """Output args of the nodes of one MetaGraph (its OpDefs and function library)."""

    def __init__(self, proto: MetaGraphDef) -> None:
        self._op_defs: dict[str, Any] = {
            op.name: op for op in proto.meta_info_def.stripped_op_list.op
        }
        self._functions = {f.signature.name: f for f in proto.graph_def.library.function}

    def missing(self, ops: Iterable[str]) -> set[str]:
        """Which of these op types neither an OpDef here nor a function defines."""
        return {op for op in ops if op not in self._op_defs and op not in self._functions}

    def add_op_defs(self, serialized: Mapping[str, bytes]) -> None:
        """Add OpDefs the MetaGraph lacks (exporters leave some out: e.g. ops only used
        inside a While body), serialized, by op name."""
        op_def_class = protos.message_class("tensorflow.OpDef")
        for name, data in serialized.items():
            self._op_defs[name] = op_def_class.FromString(data)

    def args(self, node: NodeDef) -> tuple[OutputArg, ...]:
        """The node's output args in order.

        Raises:
            GraphError: the MetaGraph carries no OpDef for the node's op (a graph written
                without ``stripped_op_list``), or an attr the OpDef needs is missing.
        """
        function = self._functions.get(node.op)
        if function is not None:
            return function_outputs(function)
        op_def = self._op_defs.get(node.op)
        if op_def is None:
            raise GraphError(
                f'The MetaGraph carries no OpDef for op "{node.op}" (node "{node.name}"): its '
                "meta_info_def.stripped_op_list lacks it, so its outputs cannot be known. "
                "Export the model with TensorFlow's saved_model APIs, which write it."
            )
        defaults = {a.name: a.default_value for a in op_def.attr if a.HasField("default_value")}
        return tuple(
            OutputArg(arg.name, _arg_dtypes(node, arg, defaults)) for arg in op_def.output_arg
        )

    def flat_index(self, node: NodeDef, arg_name: str, index: int) -> int:
        """The flat output number of ``node:arg_name:index`` (FunctionDef tensor syntax).

        Raises:
            GraphError: the node has no such output.
        """
        position = 0
        for arg in self.args(node):
            if arg.name == arg_name:
                if index < len(arg.dtypes):
                    return position + index
                break
            position += len(arg.dtypes)
        raise GraphError(f'Node "{node.name}" has no output "{arg_name}:{index}".')

    def output(self, node: NodeDef, port: int) -> tuple[str, int, str]:
        """Flat output ``port`` as (arg name, index within the arg, DT_ name).

        Raises:
            GraphError: the node has fewer outputs.
        """
        position = 0
        args = self.args(node)
        for arg in args:
            if port < position + len(arg.dtypes):
                return arg.name, port - position, arg.dtypes[port - position]
            position += len(arg.dtypes)
        raise GraphError(
            f'Node "{node.name}" ({node.op}) has {position} output(s); there is no output '
            f"{port}. Outputs are numbered from 0."
        )

    def count(self, node: NodeDef) -> int:
        """How many tensors the node outputs."""
        return sum(len(arg.dtypes) for arg in self.args(node))


def function_outputs(function: FunctionDef) -> tuple[OutputArg, ...]:
    """A library function's outputs: one tensor per output arg, as SavedModels write them.

    Raises:
        GraphError: an output arg whose type is an attr of the function (a polymorphic
            function, which no SavedModel signature calls).
    """
    outputs = []
    for arg in function.signature.output_arg:
        if arg.number_attr or arg.type_list_attr or arg.type_attr:
            raise GraphError(
                f'Function "{function.signature.name}" has a polymorphic output '
                f'"{arg.name}": its type is set by the caller, which this view does not follow.'
            )
        outputs.append(OutputArg(arg.name, (type_name(arg.type),)))
    return tuple(outputs)


def type_number(dtype: str) -> int:
    """``"DT_FLOAT"`` → its DataType number.

    Raises:
        GraphError: no DataType has that name.
    """
    enum = protos.message_class("tensorflow.AttrValue").DESCRIPTOR.fields_by_name["type"]
    value = enum.enum_type.values_by_name.get(dtype)
    if value is None:
        raise GraphError(f'"{dtype}" is not a TensorFlow DataType (expected e.g. "DT_FLOAT").')
    return int(value.number)


def _arg_dtypes(node: NodeDef, arg: Any, defaults: dict[str, Any]) -> tuple[str, ...]:
    def attr(name: str) -> Any:
        if name in node.attr:
            return node.attr[name]
        if name in defaults:
            return defaults[name]
        raise GraphError(
            f'Node "{node.name}" ({node.op}) lacks attr "{name}", which sizes its output '
            f'"{arg.name}".'
        )

    if arg.type_list_attr:
        return tuple(type_name(t) for t in attr(arg.type_list_attr).list.type)
    dtype = type_name(attr(arg.type_attr).type) if arg.type_attr else type_name(arg.type)
    copies = int(attr(arg.number_attr).i) if arg.number_attr else 1
    return (dtype,) * copies
