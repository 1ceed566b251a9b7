"""A MetaGraph rewritten so that tapped op outputs are tensors of the top-level graph.

TensorFlow can fetch only top-level tensors, and in a TF2 SavedModel every interesting op
lives inside library functions. For each tap site (:mod:`explorer.run.taps`) the tapped
tensor becomes an extra output of its function, and of every call on the way up, until
it is an output of a top-level node the Session can fetch:

* a plain call (``StatefulPartitionedCall``, ``PartitionedCall``, an op named after a
  function): the function gains an output arg and a ``ret`` entry; the call node's
  ``Tout`` gains its dtype;
* an If/Case branch: every branch gains the output (the branches that do not hold the
  tap return a zero of its dtype), plus a boolean saying whether the tapped branch ran;
* a While body: a new loop variable carries the value out, so it holds the last
  iteration's; a second one says whether the body ran at all.

Functions on a tap's path are changed in copies (``<name>__tap``) that only the calls on
the path use: everything else, the function library's originals included, is untouched,
and the signature's own outputs keep their indices, because outputs are only appended.
The rewritten graph runs the same ops as the original plus nothing but constants, and is
scanned like any other before it loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.errors import TapError
from explorer.graph.attrs import CALL_OPS, type_name
from explorer.graph.op_outputs import function_outputs, type_number
from explorer.model import protos
from explorer.run.call_tree import Hop
from explorer.run.taps import TapSite

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, MetaGraphDef, NodeDef

_WHILE_OPS = frozenset({"While", "StatelessWhile"})
_BRANCH_OPS = frozenset({"If", "StatelessIf", "Case", "StatelessCase"})
# Attrs that let Grappler swap a function for another implementation: a tapped copy must
# stay what it is.
_SWAP_ATTRS = ("api_implements", "api_preferred_device")
_ITEM_BYTES = {
    "DT_FLOAT": 4,
    "DT_DOUBLE": 8,
    "DT_HALF": 2,
    "DT_BFLOAT16": 2,
    "DT_INT8": 1,
    "DT_INT16": 2,
    "DT_INT32": 4,
    "DT_INT64": 8,
    "DT_UINT8": 1,
    "DT_UINT16": 2,
    "DT_UINT32": 4,
    "DT_UINT64": 8,
    "DT_BOOL": 1,
    "DT_COMPLEX64": 8,
    "DT_COMPLEX128": 16,
}


@dataclass(frozen=True, slots=True)
class TapFetch:
    """Where a tap site's value can be fetched in the rewritten graph."""

    site: TapSite
    tensor: str  # the top-level tensor holding the value
    # Top-level booleans, one per If/Case/While on the way: all true when the value is
    # this request's (false: its branch did not run, or its loop ran no iteration).
    ran: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rewritten:
    """The rewritten MetaGraph and where each tap is fetched from."""

    proto: MetaGraphDef
    fetches: tuple[TapFetch, ...]
    # Each copied function's name → the function it copies (for errors that name them).
    copies: tuple[tuple[str, str], ...] = ()


def rewrite(proto: MetaGraphDef, sites: Sequence[TapSite]) -> Rewritten:
    """The MetaGraph with every site's tensor exposed at the top level.

    Raises:
        TapError: a tensor whose dtype cannot be carried through an If/While (no zero to
            stand in for it), or a call this rewrite cannot extend.
    """
    new = protos.message_class("tensorflow.MetaGraphDef")()
    new.CopyFrom(proto)
    writer = _Writer(new)
    fetches = [writer.expose(site) for site in sites]
    writer.finish()
    copies = tuple((name, copy.original) for name, copy in writer.holders.items())
    return Rewritten(new, tuple(fetches), copies)


@dataclass(slots=True)
class _Copy:
    """A tapped copy of a library function."""

    function: FunctionDef
    outputs: int  # output args of the original
    original: str  # the original's name
    by_ref: dict[str, int] = field(default_factory=dict)  # exposed ref → output index
    consts: int = 0

    @property
    def name(self) -> str:
        return self.function.signature.name

    def add_output(self, ref: str, dtype: str) -> int:
        if ref in self.by_ref:
            return self.by_ref[ref]
        index = len(self.function.signature.output_arg)
        arg = self.function.signature.output_arg.add()
        arg.name = f"explorer_tap_{index - self.outputs}"
        arg.type = type_number(dtype)  # type: ignore[assignment]
        self.function.ret[arg.name] = ref
        self.by_ref[ref] = index
        return index

    def add_input(self, dtype: str) -> str:
        arg = self.function.signature.input_arg.add()
        arg.name = f"explorer_tap_in_{len(self.function.signature.input_arg)}"
        arg.type = type_number(dtype)  # type: ignore[assignment]
        if "_input_shapes" in self.function.attr:
            self.function.attr["_input_shapes"].list.shape.add().unknown_rank = True
        return arg.name

    def add_const(self, dtype: str, value: bool | None) -> str:
        self.consts += 1
        node = self.function.node_def.add()
        node.CopyFrom(_const(f"explorer_tap_const_{self.consts}", dtype, value))
        return f"{node.name}:output:0"

    @property
    def added(self) -> list[str]:
        return [type_name(a.type) for a in self.function.signature.output_arg[self.outputs :]]


@dataclass(slots=True)
class _Group:
    """The copies one kind of call runs (a call's function, an If's branches, a While's
    cond and body), and the call nodes that must run them."""

    kind: str  # "call", "branches" or "while"
    copies: dict[str, _Copy]  # role → copy
    originals: int  # outputs of the call before the rewrite
    calls: list[tuple[str, str]] = field(default_factory=list)  # (holder, node name)
    by_ref: dict[tuple[str, str], int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)  # tapped role → its flag output


class _Writer:
    def __init__(self, proto: MetaGraphDef) -> None:
        self.proto = proto
        self.library: dict[str, FunctionDef] = {
            f.signature.name: f for f in proto.graph_def.library.function
        }
        self.groups: dict[tuple[str, ...], _Group] = {}
        self.holders: dict[str, _Copy] = {}  # copy name → copy
        self.consts = 0

    def expose(self, site: TapSite) -> TapFetch:
        if not site.path:
            return TapFetch(site, f"{site.node}:{site.port}")
        refs = [(f"{site.node}:{site.arg}:{site.arg_index}", site.dtype)]
        for depth in range(len(site.path) - 1, -1, -1):
            refs = self._through(site, depth, refs)
        return TapFetch(site, refs[0][0], tuple(r for r, _ in refs[1:]))

    def finish(self) -> None:
        """Point every call on a tap's path at its copies, with the added outputs."""
        for group in self.groups.values():
            for holder, name in group.calls:
                node = self._node(holder, name)
                if group.kind == "call":
                    self._finish_call(node, group)
                elif group.kind == "branches":
                    self._finish_branches(node, group)
                else:
                    self._finish_while(holder, node, group)
        for copy in self.holders.values():
            self.proto.graph_def.library.function.add().CopyFrom(copy.function)

    # -- one hop up ------------------------------------------------------------------

    def _through(
        self, site: TapSite, depth: int, refs: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        hop = site.path[depth]
        holder = self._holder(site.path, depth)
        group = self._group(hop, holder)
        top = holder == ""
        call = hop.call
        if group.kind == "call":
            copy = group.copies[""]
            indices = [copy.add_output(ref, dtype) for ref, dtype in refs]
            if hop.op in CALL_OPS:
                return [(_out(call, i, top), d) for i, (_, d) in zip(indices, refs, strict=True)]
            names = [copy.function.signature.output_arg[i].name for i in indices]
            return [
                (f"{call}:{i}" if top else f"{call}:{n}:0", d)
                for i, n, (_, d) in zip(indices, names, refs, strict=True)
            ]
        if group.kind == "branches":
            out = [self._branch_output(group, hop.role, ref, dtype) for ref, dtype in refs]
            flag = self._branch_flag(group, hop.role)
            return [
                *((_out(call, i, top), d) for i, (_, d) in zip(out, refs, strict=True)),
                (_out(call, flag, top), "DT_BOOL"),
            ]
        body, cond = group.copies["body"], group.copies["cond"]
        result = []
        for ref, dtype in [*refs, ("", "DT_BOOL")]:
            key = ("body", ref or "<ran>")
            if key not in group.by_ref:
                _require_zero(site, dtype)
                body.add_input(dtype)
                cond.add_input(dtype)
                value = ref or body.add_const("DT_BOOL", True)
                group.by_ref[key] = body.add_output(value, dtype)
            result.append((_out(call, group.by_ref[key], top), dtype))
        return result

    def _branch_output(self, group: _Group, role: str, ref: str, dtype: str) -> int:
        key = (role, ref)
        if key not in group.by_ref:
            if len(group.copies) > 1 and dtype not in _ITEM_BYTES and dtype != "DT_STRING":
                raise TapError(
                    f"A {dtype} tensor inside an If/Case branch cannot be tapped: the other "
                    "branches would need a stand-in value of that type."
                )
            indices = {
                r: c.add_output(ref if r == role else c.add_const(dtype, None), dtype)
                for r, c in group.copies.items()
            }
            group.by_ref[key] = indices[role]
        return group.by_ref[key]

    def _branch_flag(self, group: _Group, role: str) -> int:
        if role not in group.flags:
            indices = {
                r: c.add_output(c.add_const("DT_BOOL", r == role), "DT_BOOL")
                for r, c in group.copies.items()
            }
            group.flags[role] = indices[role]
        return group.flags[role]

    # -- copies, groups and holders ------------------------------------------------

    def _group(self, hop: Hop, holder: str) -> _Group:
        node = self._node(holder, hop.call)
        if hop.op in _WHILE_OPS:
            roles = {"cond": node.attr["cond"].func.name, "body": node.attr["body"].func.name}
            kind, originals = "while", len(node.attr["T"].list.type)
        elif hop.op in _BRANCH_OPS:
            if "branches" in node.attr:
                roles = {
                    f"branches_{i}": f.name for i, f in enumerate(node.attr["branches"].list.func)
                }
            else:
                roles = {r: node.attr[r].func.name for r in ("then_branch", "else_branch")}
            kind, originals = "branches", len(node.attr["Tout"].list.type)
        else:
            roles = {"": hop.callee}
            kind = "call"
            originals = len(function_outputs(self.library[hop.callee]))
        key = (kind, *sorted(f"{r}={f}" for r, f in roles.items()))
        group = self.groups.get(key)
        if group is None:
            copies = {role: self._copy(name) for role, name in roles.items()}
            group = self.groups[key] = _Group(kind, copies, originals)
        if (holder, hop.call) not in group.calls:
            group.calls.append((holder, hop.call))
        return group

    def _copy(self, name: str) -> _Copy:
        function = protos.message_class("tensorflow.FunctionDef")()
        function.CopyFrom(self.library[name])
        base = f"{name}__tap"
        unique, n = base, 1
        while unique in self.library or unique in self.holders:
            n += 1
            unique = f"{base}{n}"
        function.signature.name = unique
        for attr in _SWAP_ATTRS:
            if attr in function.attr:
                del function.attr[attr]
        copy = _Copy(function, len(function.signature.output_arg), name)
        self.holders[unique] = copy
        return copy

    def _holder(self, path: tuple[Hop, ...], depth: int) -> str:
        """The copy (by name) that holds hop ``depth``'s call node ("" for the top level)."""
        if depth == 0:
            return ""
        hop = path[depth - 1]
        group = self._group(hop, self._holder(path, depth - 1))
        return group.copies[hop.role].name

    def _node(self, holder: str, name: str) -> NodeDef:
        nodes = self.holders[holder].function.node_def if holder else self.proto.graph_def.node
        for node in nodes:
            if node.name == name:
                return node
        raise TapError(f'No node "{name}" in {holder or "the top-level graph"}.')  # a bug

    # -- pointing calls at the copies ----------------------------------------------

    def _finish_call(self, node: NodeDef, group: _Group) -> None:
        copy = group.copies[""]
        if node.op in CALL_OPS:
            node.attr["f"].func.name = copy.name
            _extend_types(node.attr["Tout"].list.type, copy.added)
        else:
            node.op = copy.name
        _unknown_shapes(node, "_output_shapes", group.originals, len(copy.added))

    def _finish_branches(self, node: NodeDef, group: _Group) -> None:
        if "branches" in node.attr:
            funcs = node.attr["branches"].list.func
            for i, func in enumerate(funcs):
                func.name = group.copies[f"branches_{i}"].name
        else:
            for role in ("then_branch", "else_branch"):
                node.attr[role].func.name = group.copies[role].name
        added = next(iter(group.copies.values())).added
        _extend_types(node.attr["Tout"].list.type, added)
        for attr in ("output_shapes", "_output_shapes"):
            _unknown_shapes(node, attr, group.originals, len(added))

    def _finish_while(self, holder: str, node: NodeDef, group: _Group) -> None:
        body = group.copies["body"]
        node.attr["body"].func.name = body.name
        node.attr["cond"].func.name = group.copies["cond"].name
        added = body.added
        inits = [self._add_const(holder, d, False if d == "DT_BOOL" else None) for d in added]
        data = [r for r in node.input if not r.startswith("^")]
        control = [r for r in node.input if r.startswith("^")]
        del node.input[:]
        node.input.extend([*data, *inits, *control])
        _extend_types(node.attr["T"].list.type, added)
        for attr in ("output_shapes", "_output_shapes"):
            _unknown_shapes(node, attr, group.originals, len(added))

    def _add_const(self, holder: str, dtype: str, value: bool | None) -> str:
        if holder:
            return self.holders[holder].add_const(dtype, value)
        self.consts += 1
        node = self.proto.graph_def.node.add()
        node.CopyFrom(_const(f"explorer_tap_const_{self.consts}", dtype, value))
        return f"{node.name}:0"


def _out(call: str, index: int, top: bool) -> str:
    return f"{call}:{index}" if top else f"{call}:output:{index}"


def _extend_types(types: Any, dtypes: list[str]) -> None:
    """Append DT_ names to a repeated DataType field (a list attr's ``type``)."""
    types.extend(type_number(d) for d in dtypes)


def _unknown_shapes(node: NodeDef, attr: str, originals: int, added: int) -> None:
    """Extend a list of output shapes that described every output, with unknown ones."""
    if attr not in node.attr:
        return
    shapes = node.attr[attr].list.shape
    if len(shapes) == originals:
        for _ in range(added):
            shapes.add().unknown_rank = True


def _require_zero(site: TapSite, dtype: str) -> None:
    if dtype not in _ITEM_BYTES and dtype != "DT_STRING":
        raise TapError(
            f'Tap "{site.tap}": a {dtype} tensor inside a While loop cannot be tapped: the '
            "loop needs a starting value of that type."
        )


def _const(name: str, dtype: str, value: bool | None) -> Any:
    """A scalar Const: ``value`` for a bool, else the dtype's zero ("" for strings)."""
    node = protos.message_class("tensorflow.NodeDef")()
    node.name = name
    node.op = "Const"
    node.attr["dtype"].type = type_number(dtype)
    tensor = node.attr["value"].tensor
    tensor.dtype = type_number(dtype)
    tensor.tensor_shape.SetInParent()
    if dtype == "DT_STRING":
        tensor.string_val.append(b"")
    elif dtype == "DT_BOOL":
        tensor.bool_val.append(bool(value))
    else:
        tensor.tensor_content = b"\0" * _ITEM_BYTES[dtype]
    return node
