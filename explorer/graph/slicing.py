"""Slice a MetaGraph down to what one signature runs, inlining the function library.

The slice starts at the signature's output tensors and walks inputs backwards. It stops
at the input tensors, because TF Serving feeds them and nothing above them runs, so in a
TF1 graph ``regress_x2_to_y3`` (fed at ``x2:0``) never runs ``ParseExample``. What it
reaches is the ops on the input→output paths plus the constants and variables that
feed them, and never an unrelated op such as the saver's.

TF2 graphs hide the model in the function library: the top-level graph holds a
``StatefulPartitionedCall`` whose ``f`` attr names a FunctionDef. A call is followed into
its function (recursively, with a frame per call): call input i is the function's i-th
``input_arg``, call output k is the ``ret`` of its k-th ``output_arg``, and only the rets
that are asked for are sliced further. If/While/Case bodies become frames too; a While
body's results, read by the body and condition on the next iteration, are kept apart as
loop edges (as data edges they would make the drawing a cycle). Edges are resolved
through calls, so every edge joins two real ops; the grouping step can still draw a
whole call as one box.

Control inputs (``^x``) are followed and kept as control edges, except the NoOp that
``tf.function`` adds to gate a body's results on its stateful ops: those ops are the
body's ``control_ret`` and sliced as such, and the gate would only tie every variable
read of a model to one node.

The walk is iterative (ResNet chains run a thousand ops deep) and touches each op once.
It works on node numbers of the bodies the ``Library`` read once (``bodies``), and a
reference is parsed once per body, however many frames run that body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer.graph import attrs
from explorer.graph.bodies import ARG, CONTROL, DATA, GATE, Body, Ref
from explorer.graph.flat import Endpoint, FlatGraph, Frame
from explorer.graph.library import Library
from explorer.graph.resolving import Resolver

if TYPE_CHECKING:
    from explorer.model.proto_types import MetaGraphDef

_MAX_DEPTH = 48  # deeper nesting is left as an opaque call (guards against recursion)
_BRANCHING = frozenset({"If", "StatelessIf", "Case", "StatelessCase"})

# Walk tasks besides visiting an op: a reference number of the frame's body, a reference
# as written, a call or control-flow node waited on.
_REF, _RAW, _WAIT = 0, 1, 2
_SHIFT = 32  # an op to visit: frame number << _SHIFT | node
_STRIDE, _NODE_MASK = 1 << _SHIFT, (1 << _SHIFT) - 1


def slice_graph(
    meta_graph: MetaGraphDef,
    inputs: tuple[str, ...],
    outputs: tuple[str, ...],
    *,
    depth: int = _MAX_DEPTH,
    forced: frozenset[str] = frozenset(),
    library: Library | None = None,
) -> tuple[FlatGraph, dict[str, tuple[Endpoint, ...]]]:
    """Slice ``meta_graph`` between signature tensors (``"x:0"``, ``"NoOp"``).

    Args:
        meta_graph: a parsed ``MetaGraphDef``.
        inputs: the signature's input tensor names (fed, so not sliced past).
        outputs: the signature's output tensor names.
        depth: calls are followed this many frames deep; deeper ones stay one op each,
            except the calls (by node id) in ``forced``.
        library: ``meta_graph``'s bodies, read before (else read here).

    Returns:
        The flat graph and, for each input and output tensor name, the ops it resolves to
        (through calls) as endpoints; unknown tensor names resolve to nothing.

    Raises:
        Nothing for a well-formed proto: dangling inputs and missing functions are left
        out (a call to a missing function stays one opaque op).
    """
    slicer = _Slicer(library if library is not None else Library(meta_graph), inputs)
    slicer.depth, slicer.forced = min(depth, _MAX_DEPTH), forced
    for tensor in outputs:
        slicer.stack.append((_RAW, slicer.top, tensor))
    slicer.run()
    for tensor in inputs:
        slicer.add_fed(tensor)
    flat, resolver = slicer.finish()
    endpoints = {t: resolver.resolve(slicer.top, t) for t in (*inputs, *outputs)}
    return flat, endpoints


class _Slicer:
    def __init__(self, library: Library, inputs: tuple[str, ...]) -> None:
        self.library = library
        body = library.top
        self.top = Frame(id="", parent=None, function="", body=body, flat=[-1] * len(body))
        self.visited: dict[str, bytearray] = {"": bytearray(len(body))}
        # (node, port) pairs TF Serving feeds, and the nodes among them.
        self.fed: set[tuple[int, int | None]] = set()
        for tensor in inputs:
            name, port = attrs.split_graph_ref(tensor)
            if name in body.index:
                self.fed.add((body.index[name], port))
        self.fed_nodes = {node for node, _ in self.fed}
        # The ops, as columns (see ``FlatGraph``).
        self.ids: list[str] = []
        self.names: list[str] = []
        self.ops: list[str] = []
        self.frame_of: list[Frame] = []
        self.local: list[int] = []
        self.fed_col: list[bool] = []
        # Op id → flat index, kept only once a name with "::" in it could make two ops
        # of different frames share an id (they are then one op, as ids say).
        self.index: dict[str, int] | None = None
        self.frames: dict[str, Frame] = {"": self.top}
        self.calls: dict[str, tuple[Frame, ...]] = {}
        self.stack: list[Any] = []
        self.numbered: list[Frame] = [self.top]  # by ``Frame.number``
        # Tasks that fan out (into several branches) are done once per reference.
        self.seen: set[tuple[str, str, object]] = set()
        self.depth, self.forced = _MAX_DEPTH, frozenset[str]()
        self._watch(body)

    def _watch(self, body: Body) -> None:
        if self.index is None and body.double_colon:
            self.index = dict(zip(self.ids, range(len(self.ids)), strict=True))

    def run(self) -> None:
        """Walk the tasks on the stack: an op to visit (an int: frame number × ``_STRIDE``
        + node, so the common case allocates nothing), or a tuple: a reference (a
        number of the frame's body or one as written) needing the op making it, or a
        call or control-flow node waited on."""
        stack = self.stack
        pop, push = stack.pop, stack.append
        top, fed_nodes, visited, frames = self.top, self.fed_nodes, self.visited, self.numbered
        ids, names, ops, frame_of = self.ids, self.names, self.ops, self.frame_of
        local, fed_col = self.local, self.fed_col
        # What visiting an op of the frame last visited reads, looked up once per change
        # of frame rather than once per op (most ops follow an op of their own frame), and
        # again after any other task (which may make frames).
        current: Frame | None = None
        while stack:
            task = pop()
            if task.__class__ is not int:
                kind, frame, value = task
                if kind == _REF:
                    body = frame.body
                    ref = (body.ref_text[value], body.ref_kind[value])
                    self._tensor(frame, (*ref, body.ref_node[value], body.ref_port[value]))
                elif kind == _WAIT:
                    children = self._children(frame, value)
                    if children is None:
                        push(frame.number * _STRIDE + value)
                    elif ("c", frame.id, value) not in self.seen:
                        self.seen.add(("c", frame.id, value))
                        self._demand_all(children)
                else:
                    self._tensor(frame, frame.body.ref(value))
                current = None
                continue
            # Visit an op: add it, then need its inputs.
            if task < _STRIDE:
                frame, node = top, task
            else:
                frame, node = frames[task >> _SHIFT], task & _NODE_MASK
            if frame is not current:
                current, body = frame, frame.body
                seen, flat, prefix = visited[frame.id], frame.flat, frame.prefix
                body_names, body_ops, start = body.names, body.ops, body.ref_start
                kinds, nodes, plain = body.ref_kind, body.ref_node, body.ref_plain
                base = frame.number * _STRIDE
                fed_here = fed_nodes if frame is top else ()
                unique_ids = self.index is None
            if seen[node]:
                continue
            seen[node] = 1
            if flat[node] < 0:
                if unique_ids:
                    flat[node] = len(ids)
                    name = body_names[node]
                    ids.append(prefix + name)
                    names.append(name)
                    ops.append(body_ops[node])
                    frame_of.append(frame)
                    local.append(node)
                    fed_col.append(False)
                else:
                    self._add(frame, node)
            for k in range(start[node], start[node + 1]):
                target = plain[k]
                if target >= 0 and not (target in fed_here and kinds[k] == DATA):
                    # An ordinary op of the same body; at the top (base 0) the number
                    # itself, which makes no new int object.
                    push(base + target if base else target)
                elif kinds[k] == CONTROL:
                    if nodes[k] >= 0:
                        push((_WAIT, frame, nodes[k]))
                elif kinds[k] != GATE:
                    push((_REF, frame, k))

    def _tensor(self, frame: Frame, ref: Ref) -> None:
        """A tensor is needed: the op making it, or the arg or call result it stands for."""
        while True:
            text, kind, node, port = ref
            if kind == ARG:  # a function argument: the caller's tensor
                caller = frame.parent
                assert caller is not None  # only a function's body has args
                frame, ref = caller, caller.body.ref(frame.arg_refs[node])
                continue
            if node < 0:
                return
            if frame is self.top and (node, port) in self.fed:
                self._add(frame, node, fed=True)
                return
            children = self._children(frame, node)
            if children is None:
                self._visit(frame, node)
                return
            if len(children) == 1 and children[0].role == "":
                child = children[0]
                if port is None or port >= len(child.body.outputs):
                    return
                frame = child
                ref = child.body.ref(child.body.rets.get(child.body.outputs[port], ""))
                continue
            if ("t", frame.id, text) not in self.seen:
                self.seen.add(("t", frame.id, text))
                self._demand_all(children)
            return

    def _visit(self, frame: Frame, node: int) -> None:
        """The op ``node`` of ``frame`` runs: add it, then need its inputs (as ``run``)."""
        self.stack.append(frame.number * _STRIDE + node)

    def _demand_all(self, children: tuple[Frame, ...]) -> None:
        first = children[0]
        parent = first.parent
        if first.role and parent is not None:
            # The control-flow op stays as an op inside its cluster: it takes the
            # predicate (If) or branch index (Case) that no branch sees.
            body = parent.body
            call = body.index[first.owner[len(parent.prefix) :]]
            self._add(parent, call)
            for k in body.branch_refs(call):
                if body.ref_kind[k] in (CONTROL, GATE):
                    if body.ref_node[k] >= 0:
                        self.stack.append((_WAIT, parent, body.ref_node[k]))
                else:
                    self.stack.append((_REF, parent, k))
        for child in children:
            for text in child.body.rets.values():
                self.stack.append((_RAW, child, text))

    def add_fed(self, tensor: str) -> None:
        name, _ = attrs.split_graph_ref(tensor)
        node = self.top.body.index.get(name)
        if node is not None:
            self._add(self.top, node, fed=True)

    def _add(self, frame: Frame, node: int, *, fed: bool = False) -> None:
        found = frame.flat[node]
        if found < 0:
            name = frame.body.names[node]
            node_id = frame.prefix + name
            if self.index is not None:
                found = self.index.get(node_id, -1)  # a name with "::" in it may say so
            if found < 0:
                found = frame.flat[node] = len(self.ids)
                if self.index is not None:
                    self.index[node_id] = found
                self.ids.append(node_id)
                self.names.append(name)
                self.ops.append(frame.body.ops[node])
                self.frame_of.append(frame)
                self.local.append(node)
                self.fed_col.append(fed)
                return
            frame.flat[node] = found
        if fed:
            self.fed_col[found] = True

    def _children(self, frame: Frame, node: int) -> tuple[Frame, ...] | None:
        """The frames a call or control-flow node runs, created on first use; None for an
        ordinary op (or a call we leave opaque)."""
        body = frame.body
        targets = body.calls.get(node)
        if targets is None:
            return None
        found = frame.children.get(node)
        if found is not None:
            return found or None
        node_id = frame.prefix + body.names[node]
        if (
            frame.depth >= _MAX_DEPTH
            or (frame.depth >= self.depth and node_id not in self.forced)
            or any(fn in _ancestor_functions(frame) for _, fn in targets)
        ):
            frame.children[node] = ()
            return None
        data_inputs = tuple(
            body.ref_text[k] for k in body.refs(node) if body.ref_kind[k] not in (CONTROL, GATE)
        )
        skip = 1 if body.ops[node] in _BRANCHING else 0
        found = tuple(
            self._new_frame(frame, node, role, name, data_inputs[skip:]) for role, name in targets
        )
        frame.children[node] = found
        self.calls[node_id] = found
        return found

    def _new_frame(
        self, parent: Frame, call: int, role: str, function: str, refs: tuple[str, ...]
    ) -> Frame:
        body = self.library.body(function)
        owner = parent.prefix + parent.body.names[call]
        frame_id = f"{owner}@{role}" if role else owner
        frame = Frame(
            id=frame_id,
            parent=parent,
            function=function,
            body=body,
            arg_refs=refs,
            owner=owner,
            role=role,
            depth=parent.depth + 1,
            prefix=frame_id + "::",
            flat=[-1] * len(body),
            number=len(self.numbered),
        )
        self.numbered.append(frame)
        self.frames[frame.id] = frame
        self.visited[frame.id] = bytearray(len(body))
        self._watch(body)
        for name in sorted(body.control_rets):
            node = body.index.get(name)
            if node is not None:
                self.stack.append((_WAIT, frame, node))
        return frame

    def finish(self) -> tuple[FlatGraph, Resolver]:
        """The slice, with its edges resolved (and the resolver, for the endpoints)."""
        resolver = Resolver(self.top, self.fed, self.frame_of, self.calls)
        src, port, dst, tensor, loops = resolver.edges(self.local, self.fed_col)
        closed = sorted(
            at
            for frame in self.frames.values()
            for node in frame.body.calls
            if (at := frame.flat[node]) >= 0 and not frame.children.get(node)
        )
        flat = FlatGraph(
            ids=self.ids,
            names=self.names,
            ops=self.ops,
            frame_of=self.frame_of,
            local=self.local,
            fed=self.fed_col,
            src=src,
            port=port,
            dst=dst,
            tensor=tensor,
            frames=self.frames,
            calls=self.calls,
            top=self.top,
            loops=loops,
            closed_calls=closed,
            _index=self.index,
            _ends=resolver.ends,
        )
        return flat, resolver


def _ancestor_functions(frame: Frame) -> set[str]:
    return {f.function for f in frame.lineage()}
