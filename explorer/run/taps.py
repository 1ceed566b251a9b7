"""Taps: which op outputs a call also returns, and where each one runs in the call tree.

A tap names an op output as the signature graph names the op (``explorer.graph.elements``):
its id is the chain of calls down to it, ``StatefulPartitionedCall::StatefulPartitionedCall
::dense/MatMul``, where an If/While/Case step names its branch (``cond@then_branch``); an
optional ``:N`` picks output N (default 0). A plain op name not at the top level is looked
for in the functions the signature runs, and taps it at every place it runs: a function
called twice gives two values.

Only ops the signature runs can be tapped, so a tap can never make the model run anything
the signature would not (the rewritten graph is scanned like any other before it loads).
Resolving is TensorFlow-free; :mod:`explorer.run.tap_rewrite` turns the places into extra
outputs of the graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from explorer.errors import GraphError, TapError
from explorer.graph.attrs import CALL_OPS, split_graph_ref
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run.call_tree import CallTree, Hop, Place, op_id

if TYPE_CHECKING:
    from explorer.model.proto_types import NodeDef

# Places a plain op name may resolve to; more would make a call's answer unreadable.
MAX_SITES = 64
_WHILE_OPS = ("While", "StatelessWhile")
_UNFETCHABLE = frozenset({"DT_RESOURCE", "DT_VARIANT"})
_SPEC = re.compile(r"^(?P<op>[^:]+(?:::[^:]+)*?)(?::(?P<port>\d+))?$")
# Names of ops → their serialized OpDefs (from TensorFlow's op registry, in the worker).
OpDefSource = Callable[[Sequence[str]], Mapping[str, bytes]]


@dataclass(frozen=True, slots=True)
class TapSite:
    """One place a tapped op runs: the calls leading to it, the node and its output."""

    tap: str  # the tap as asked for, e.g. "StatefulPartitionedCall::dense/MatMul:0"
    id: str  # this place's op id in the signature graph
    path: tuple[Hop, ...]
    node: str
    port: int
    dtype: str
    # The output as a function body names it: ``node:arg:index`` (arg and index).
    arg: str = ""
    arg_index: int = 0

    @property
    def function(self) -> str:
        """The function holding the node ("" for the top-level graph)."""
        return self.path[-1].callee if self.path else ""

    @property
    def in_loop(self) -> bool:
        """Inside a While body: the value returned is the last iteration's."""
        return any(h.op in _WHILE_OPS for h in self.path)


def resolve(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    taps: Sequence[str],
    op_defs: OpDefSource | None = None,
) -> list[TapSite]:
    """Every place each tap runs when ``signature`` is called, in the order asked.

    Args:
        meta_graph: the MetaGraph called.
        signature: the signature called.
        taps: ``NODE[:INDEX]`` each, NODE an op id or a plain op name.
        op_defs: serialized OpDefs of ops the MetaGraph's ``stripped_op_list`` lacks, by
            name (TensorFlow's op registry has them; exporters leave some out).

    Raises:
        TapError: a tap that is malformed, names no op the signature runs, has no such
            output, or whose output cannot be fetched (a resource or variant handle, or a
            While loop's condition).
    """
    tree = CallTree(meta_graph.proto, signature)
    asked = [(tap.strip(), *_places(tree, tap, signature)) for tap in taps]
    if op_defs is not None:
        missing = tree.outputs.missing(n.op for _, _, places in asked for _, n in places)
        if missing:
            tree.outputs.add_op_defs(op_defs(sorted(missing)))
    return [
        _site(tree, tap, path, node, port)
        for tap, port, places in asked
        for path, node in sorted(places, key=lambda p: [h.segment for h in p[0]])
    ]


def _places(tree: CallTree, tap: str, signature: SignatureInfo) -> tuple[int, list[Place]]:
    match = _SPEC.match(tap.strip())
    if match is None:
        raise TapError(
            f'Tap "{tap}" is not NODE or NODE:INDEX (e.g. "dense/MatMul:0", or an op id '
            'from the graph such as "StatefulPartitionedCall::dense/MatMul").'
        )
    op, port = match["op"], int(match["port"] or 0)
    places = tree.places(op)
    if not places:
        raise TapError(
            f'Tap "{tap}": signature "{signature.key}" runs no op "{op}". Give the op id '
            "the graph shows (graph --format json, or the node inspector)."
        )
    if len(places) > MAX_SITES:
        raise TapError(
            f'Tap "{tap}": op "{op}" runs in {len(places)} places (more than {MAX_SITES}); '
            "give one place's full op id instead."
        )
    return port, places


def _site(tree: CallTree, tap: str, path: tuple[Hop, ...], node: NodeDef, port: int) -> TapSite:
    if path and path[-1].op in _WHILE_OPS and path[-1].role == "cond":
        raise TapError(
            f'Tap "{tap}": "{node.name}" is in a While loop\'s condition, whose only output is '
            "the loop's verdict; tap an op of its body instead."
        )
    try:
        arg, arg_index, dtype = tree.outputs.output(node, port)
    except GraphError as exc:  # no such output, or no OpDef to tell
        raise TapError(f'Tap "{tap}": {exc}') from exc
    if dtype in _UNFETCHABLE:
        raise TapError(
            f'Tap "{tap}": output {port} of "{node.name}" is a {dtype} handle, not a value; '
            "tap the op that reads it (e.g. ReadVariableOp) instead."
        )
    return TapSite(tap, op_id(path, node.name), path, node.name, port, dtype, arg, arg_index)


def output_op(meta_graph: MetaGraphInfo, signature: SignatureInfo, key: str) -> str:
    """The tap (op id and output) of the op that computes a signature output: followed
    through the calls that return it and the Identity ops that pass it on (a TF2 output
    is a call's output; the op that computes it is inside).

    Raises:
        TapError: no such output key, or one not named by a single tensor.
    """
    info = signature.output(key)
    if info is None or not info.name:
        keys = ", ".join(t.key for t in signature.outputs)
        raise TapError(f'Signature "{signature.key}" has no dense output "{key}" (it has {keys}).')
    tree = CallTree(meta_graph.proto, signature)
    name, port = split_graph_ref(info.name)
    nodes, path, top = tree.top, [], True
    while name in nodes:
        node = nodes[name]
        if node.op in CALL_OPS:
            function = tree.library.get(node.attr["f"].func.name)
            if function is None or port >= len(function.signature.output_arg):
                break
            ref = function.ret[function.signature.output_arg[port].name]
            if ref.count(":") != 2:
                break  # the function returns one of its inputs: the call is where it is made
            path.append(name)
            nodes, top = tree.bodies[function.signature.name], False
        elif node.op == "Identity" and node.input and not node.input[0].startswith("^"):
            ref = node.input[0]
            if not top and ref.count(":") != 2:
                break  # passes on the function's input
        else:
            break
        if top:
            name, port = split_graph_ref(ref)
        else:
            inner, arg, index = ref.split(":")
            name, port = inner, tree.outputs.flat_index(nodes[inner], arg, int(index))
    return "::".join([*path, name]) + f":{port}"
