"""Variables a signature reads that nothing sets when TF Serving loads the model.

TF Serving's loader runs the restore op (``saver_def.restore_op_name``, fed with the
``variables/`` checkpoint) and the init op, then serves. A variable the signature reads
must be set by one of them; if neither touches it, the model loads and then *every*
request fails at run time: "Could not find variable …" for a resource variable,
"Attempting to use uninitialized value …" for a TF1 one. Keras 3 models passed straight
to ``tf.saved_model.save`` are written this way (their checkpoint restores copies of the
variables, not the ones the serving function reads); ``model.export(path,
format="tf_saved_model")`` writes models TF Serving can serve.

The check follows the top-level graph only, as the Session does before calling into
functions: a variable is read when its handle (or the ref variable itself) feeds the
signature's slice, and set when it feeds the restore op's or an init op's slice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.constants import INIT_OP_SIGNATURE_KEY
from explorer.model.info import SignatureInfo
from explorer.serving.graph_cache import GraphCache

if TYPE_CHECKING:
    from explorer.model.proto_types import MetaGraphDef, NodeDef

# Nodes that own a variable: resource handles (TF2) and ref variables (TF1).
VARIABLE_OPS = frozenset({"VarHandleOp", "VariableV2", "Variable", "AutoReloadVariable"})
_RESOURCE_OPS = frozenset({"VarHandleOp"})
# Run at load by TF1 loaders besides the init-op signature.
_INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "table_initializer")
_SHOWN = 3


@dataclass(frozen=True, slots=True)
class UnsetVariables:
    """What a signature reads and nothing sets at load."""

    signature: str
    names: tuple[str, ...]  # the variables' names (their shared_name where they have one)
    resource: bool  # resource variables (TF2) rather than TF1 ref variables

    def message(self) -> str:
        """Why every request fails, with TF Serving's runtime words and the fix."""
        shown = ", ".join(self.names[:_SHOWN]) + (
            f" and {len(self.names) - _SHOWN} more" if len(self.names) > _SHOWN else ""
        )
        words = (
            f"Could not find variable {self.names[0]}"
            if self.resource
            else f"Attempting to use uninitialized value {self.names[0]}"
        )
        return (
            f'Every request to "{self.signature}" fails at Session::Run: it reads '
            f"{len(self.names)} variable(s) that neither the restore op nor the init op sets "
            f'({shown}); TF Serving loads the model, then answers "{words}". Keras 3 models '
            "given to tf.saved_model.save are written so: export with model.export(path, "
            'format="tf_saved_model").'
        )


def unset_variables(signature: SignatureInfo) -> UnsetVariables | None:
    """The variables ``signature`` reads that loading leaves unset, or None if it reads
    none such (or was read without its graph, ``SignatureInfo.graph``)."""
    if signature.graph is None:
        return None
    graph = _GRAPHS.get(signature.graph)
    read = graph.variables_feeding(
        _node(name) for tensor in signature.outputs for name in tensor.tensor_names
    )
    unset = sorted(read - graph.set_at_load, key=graph.variable_name)
    if not unset:
        return None
    resource = any(graph.nodes[n].op in _RESOURCE_OPS for n in unset)
    return UnsetVariables(signature.key, tuple(graph.variable_name(n) for n in unset), resource)


class _Graph:
    def __init__(self, proto: MetaGraphDef) -> None:
        self.nodes: dict[str, NodeDef] = {n.name: n for n in proto.graph_def.node}
        starts = [proto.saver_def.restore_op_name] if proto.saver_def.restore_op_name else []
        if INIT_OP_SIGNATURE_KEY in proto.signature_def:
            init = proto.signature_def[INIT_OP_SIGNATURE_KEY]
            starts.extend(t.name for t in init.outputs.values())
        for collection in _INIT_COLLECTIONS:
            if collection in proto.collection_def:
                starts.extend(proto.collection_def[collection].node_list.value)
        self.set_at_load = self.variables_feeding(_node(s) for s in starts)

    def variables_feeding(self, starts: Iterable[str]) -> set[str]:
        """Variable nodes among the slice of ``starts`` or feeding a node in it."""
        seen: set[str] = set()
        stack = list(starts)
        while stack:
            name = stack.pop()
            if name in seen or name not in self.nodes:
                continue
            seen.add(name)
            stack.extend(_node(ref) for ref in self.nodes[name].input)
        return {n for n in seen if self.nodes[n].op in VARIABLE_OPS}

    def variable_name(self, node: str) -> str:
        attrs = self.nodes[node].attr
        shared = attrs["shared_name"].s if "shared_name" in attrs else b""
        return shared.decode("utf-8", "replace") if shared else node


_GRAPHS = GraphCache(_Graph)


def _node(ref: str) -> str:
    name = ref.lstrip("^")
    head, _, port = name.rpartition(":")
    return head if head and port.isdigit() else name
