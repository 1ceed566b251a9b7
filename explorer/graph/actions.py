"""What a click on a drawn signature graph asks for, decided from the graph alone.

A box stands for an op, a closed group, a signature key or a tensor, and an open group is
drawn as a cluster around its boxes. Clicking an op (or a tensor, for the op producing
it) inspects it; clicking a closed group, call, control-flow op or "constants &
variables" box opens it; clicking an open cluster's label closes it; clicking a key
highlights its path, and clicking the highlighted key again clears the highlight. The app
applies the answer to its graph options and node inspector; nothing here draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from explorer.errors import UnknownGraphElementError
from explorer.graph.elements import SignatureGraph

ActionKind = Literal["inspect", "expand", "collapse", "highlight", "clear_highlight"]

_INSPECTED_KINDS = frozenset({"op", "const", "variable", "placeholder"})
_OPENED_KINDS = frozenset({"group", "function_call", "control_flow", "parameters"})
_KEY_KINDS = frozenset({"input_key", "output_key"})


@dataclass(frozen=True, slots=True)
class GraphAction:
    """One click's meaning.

    ``target`` is the op's name inside its graph or function (inspect), the group's id as
    ``build_signature_graph(expand=..., collapse=...)`` takes it (expand, collapse), or the
    signature key (highlight, clear_highlight). ``function`` is the FunctionDef holding the
    inspected op, "" for the top-level graph.
    """

    kind: ActionKind
    target: str
    function: str = ""


def action_for(graph: SignatureGraph, element_id: str) -> GraphAction:
    """The action a click on ``element_id`` (a box's or an open cluster's id) asks for.

    Raises:
        UnknownGraphElementError: ``graph`` draws nothing with that id.
    """
    node = graph.node(element_id)
    if node is None:
        if any(c.id == element_id and not c.collapsed for c in graph.clusters):
            return GraphAction("collapse", element_id)
        raise UnknownGraphElementError(element_id, graph.signature_key)
    if node.kind in _KEY_KINDS:
        kind: ActionKind = "clear_highlight" if graph.highlight == node.name else "highlight"
        return GraphAction(kind, node.name)
    if node.kind in _OPENED_KINDS:
        return GraphAction("expand", node.id)
    if node.kind == "tensor":
        # "StatefulPartitionedCall:0" is output 0 of the op "StatefulPartitionedCall".
        return GraphAction("inspect", node.name.split(":", 1)[0], node.function)
    if node.kind in _INSPECTED_KINDS:
        return GraphAction("inspect", node.name, node.function)
    raise UnknownGraphElementError(element_id, graph.signature_key)
