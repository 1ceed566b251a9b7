"""Which library functions an op runs, and which of its inputs stay outside them.

A ``StatefulPartitionedCall``/``PartitionedCall`` runs the function in its ``f`` attr, an
op whose type is a library function's name runs that function, and If/While/Case run
their branch/body functions. A branch is named by the attr holding it
(``then_branch``, ``body``), or ``branches_<i>`` for Case, both in signature-graph ids
and in ``node_inspector``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.graph import attrs

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, NodeDef


def callees(node: NodeDef, library: dict[str, FunctionDef]) -> list[tuple[str, str]]:
    """(role, function name) pairs a node runs: "" for a plain call, the branch attr for
    control flow; empty for an ordinary op or one whose function is missing."""
    op = node.op
    if op in attrs.CALL_OPS:
        name = node.attr["f"].func.name if "f" in node.attr else ""
        return [("", name)] if name in library else []
    if op in library:
        return [("", op)]
    branch_attrs = attrs.CONTROL_FLOW_ATTRS.get(op)
    if branch_attrs is None:
        return []
    found = []
    for attr in branch_attrs:
        if attr not in node.attr:
            continue
        value = node.attr[attr]
        funcs = list(value.list.func) if value.HasField("list") else [value.func]
        for i, func in enumerate(funcs):
            role = f"{attr}_{i}" if value.HasField("list") else attr
            found.append((role, func.name))
    return found if found and all(name in library for _, name in found) else []


def cf_inputs(node: NodeDef) -> list[str]:
    """Inputs of a control-flow op that its branches do not take: the If predicate or
    Case index, and control inputs."""
    first = 1 if node.op in ("If", "StatelessIf", "Case", "StatelessCase") else 0
    refs = list(node.input)
    return refs[:first] + [r for r in refs if r.startswith("^")]
