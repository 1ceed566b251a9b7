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
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from explorer.graph import attrs
from explorer.graph.flat import Endpoint, FlatEdge, FlatGraph, FlatNode, Frame
from explorer.graph.functions import callees, cf_inputs

if TYPE_CHECKING:
    from explorer.model.proto_types import FunctionDef, MetaGraphDef

_MAX_DEPTH = 48  # deeper nesting is left as an opaque call (guards against recursion)


def slice_graph(
    meta_graph: MetaGraphDef,
    inputs: tuple[str, ...],
    outputs: tuple[str, ...],
    *,
    depth: int = _MAX_DEPTH,
    forced: frozenset[str] = frozenset(),
) -> tuple[FlatGraph, dict[str, tuple[Endpoint, ...]]]:
    """Slice ``meta_graph`` between signature tensors (``"x:0"``, ``"NoOp"``).

    Args:
        meta_graph: a parsed ``MetaGraphDef``.
        inputs: the signature's input tensor names (fed, so not sliced past).
        outputs: the signature's output tensor names.
        depth: calls are followed this many frames deep; deeper ones stay one op each,
            except the calls (by node id) in ``forced``.

    Returns:
        The flat graph and, for each input and output tensor name, the ops it resolves to
        (through calls) as endpoints; unknown tensor names resolve to nothing.

    Raises:
        Nothing for a well-formed proto: dangling inputs and missing functions are left
        out (a call to a missing function stays one opaque op).
    """
    slicer = _Slicer(meta_graph, inputs)
    slicer.depth, slicer.forced = min(depth, _MAX_DEPTH), forced
    for tensor in outputs:
        slicer.demand(slicer.top, tensor)
    slicer.run()
    for tensor in inputs:
        slicer.add_fed(tensor)
    endpoints = {t: slicer.resolve(slicer.top, t) for t in (*inputs, *outputs)}
    return slicer.finish(), endpoints


class _Slicer:
    def __init__(self, meta_graph: MetaGraphDef, inputs: tuple[str, ...]) -> None:
        graph = meta_graph.graph_def
        self.library = {f.signature.name: f for f in graph.library.function}
        self.top = Frame(id="", parent=None, function="", nodes={n.name: n for n in graph.node})
        self.fed = {attrs.split_graph_ref(t) for t in inputs}
        self.nodes: list[FlatNode] = []
        self.index: dict[str, int] = {}
        self.frames: dict[str, Frame] = {"": self.top}
        self.calls: dict[str, tuple[Frame, ...]] = {}
        self.stack: list[tuple[str, Frame, str]] = []
        self.seen: set[tuple[str, str, str]] = set()
        self.resolved: dict[tuple[str, str], tuple[Endpoint, ...]] = {}
        self.depth, self.forced = _MAX_DEPTH, frozenset[str]()

    def demand(self, frame: Frame, ref: str) -> None:
        self.stack.append(("t", frame, ref))

    def run(self) -> None:
        stack = self.stack
        seen = self.seen
        while stack:
            task, frame, ref = stack.pop()
            key = (task, frame.id, ref)
            if key in seen:
                continue
            seen.add(key)
            if task == "n":
                self._visit_node(frame, ref)
            elif task == "c":
                children = self._children(frame, ref)
                if children is None:
                    stack.append(("n", frame, ref))
                else:
                    self._demand_all(children)
            else:
                self._visit_tensor(frame, ref)

    def _visit_tensor(self, frame: Frame, ref: str) -> None:
        if ref in frame.args:
            self.stack.append(("t", frame.parent, frame.arg_refs[frame.args[ref]]))  # type: ignore[arg-type]
            return
        name, port = self._split(frame, ref)
        if frame is self.top and (name, port) in self.fed:
            self._add(frame, name, fed=True)
            return
        children = self._children(frame, name)
        if children is None:
            self.stack.append(("n", frame, name))
        elif len(children) == 1 and children[0].role == "":
            child = children[0]
            if port is not None and port < len(child.outputs):
                self.stack.append(("t", child, child.rets.get(child.outputs[port], "")))
        else:
            self._demand_all(children)

    def _visit_node(self, frame: Frame, name: str) -> None:
        node = frame.nodes.get(name)
        if node is None:
            return
        self._add(frame, name)
        for ref in node.input:
            if ref.startswith("^"):
                if not self._is_gate(frame, ref[1:]):
                    self.stack.append(("c", frame, ref[1:]))
            else:
                self.stack.append(("t", frame, ref))

    def _is_gate(self, frame: Frame, name: str) -> bool:
        """A function body's automatic-control-dependency NoOp: it only waits for the
        body's stateful ops, which are its control outputs and sliced as such. Drawing
        it would tie every variable read of a model to one node."""
        if frame is self.top:
            return False
        node = frame.nodes.get(name)
        return node is not None and node.op == "NoOp" and all(r.startswith("^") for r in node.input)

    def _demand_all(self, children: tuple[Frame, ...]) -> None:
        first = children[0]
        if first.role and first.parent is not None:
            # The control-flow op stays as an op inside its cluster: it takes the
            # predicate (If) or branch index (Case) that no branch sees.
            name = first.owner[len(first.parent.prefix) :]
            self._add(first.parent, name)
            for ref in cf_inputs(first.parent.nodes[name]):
                self.stack.append(
                    ("c" if ref.startswith("^") else "t", first.parent, ref.removeprefix("^"))
                )
        for child in children:
            for ref in child.rets.values():
                self.stack.append(("t", child, ref))

    def add_fed(self, tensor: str) -> None:
        name, _ = attrs.split_graph_ref(tensor)
        if name in self.top.nodes:
            self._add(self.top, name, fed=True)

    def _add(self, frame: Frame, name: str, *, fed: bool = False) -> None:
        node_id = frame.prefix + name
        if node_id in self.index:
            if fed:
                self.nodes[self.index[node_id]].fed = True
            return
        node = frame.nodes.get(name)
        if node is None:
            return
        self.index[node_id] = len(self.nodes)
        self.nodes.append(FlatNode(node_id, name, node, frame, fed))

    def _children(self, frame: Frame, name: str) -> tuple[Frame, ...] | None:
        """The frames a call or control-flow node runs, created on first use; None for an
        ordinary op (or a call we leave opaque)."""
        node_id = frame.prefix + name
        if node_id in self.calls:
            return self.calls[node_id] or None
        node = frame.nodes.get(name)
        if node is None:
            self.calls[node_id] = ()
            return None
        targets = callees(node, self.library)
        if (
            not targets
            or frame.depth >= _MAX_DEPTH
            or (frame.depth >= self.depth and node_id not in self.forced)
            or any(fn in _ancestor_functions(frame) for _, fn in targets)
        ):
            self.calls[node_id] = ()
            return None
        data_inputs = tuple(r for r in node.input if not r.startswith("^"))
        skip = 1 if node.op in ("If", "StatelessIf", "Case", "StatelessCase") else 0
        children = []
        for role, fn_name in targets:
            children.append(
                self._new_frame(frame, name, role, self.library[fn_name], data_inputs[skip:])
            )
        self.calls[node_id] = tuple(children)
        return self.calls[node_id]

    def _new_frame(
        self, parent: Frame, call: str, role: str, function: FunctionDef, refs: tuple[str, ...]
    ) -> Frame:
        signature = function.signature
        owner = parent.prefix + call
        frame = Frame(
            id=f"{owner}@{role}" if role else owner,
            parent=parent,
            function=signature.name,
            nodes={n.name: n for n in function.node_def},
            args={arg.name: i for i, arg in enumerate(signature.input_arg)},
            arg_refs=refs,
            outputs=tuple(arg.name for arg in signature.output_arg),
            rets=dict(function.ret),
            control_rets=tuple(function.control_ret.values()),
            owner=owner,
            role=role,
            depth=parent.depth + 1,
        )
        self.frames[frame.id] = frame
        for name in sorted(frame.control_rets):
            self.stack.append(("c", frame, name))
        return frame

    def _split(self, frame: Frame, ref: str) -> tuple[str, int | None]:
        if frame is self.top:
            return attrs.split_graph_ref(ref)
        parts = ref.split(":")
        if len(parts) < 3:
            return parts[0], 0
        node = frame.nodes.get(parts[0])
        if node is None:
            return parts[0], None
        index = int(parts[2])
        if node.op not in self.library:
            return parts[0], attrs.output_index(node, parts[1], index)
        outputs = [a.name for a in self.library[node.op].signature.output_arg]
        return parts[0], outputs.index(parts[1]) + index if parts[1] in outputs else None

    def resolve(self, frame: Frame, ref: str) -> tuple[Endpoint, ...]:
        """The real ops behind a tensor reference, looking through args and calls."""
        key = (frame.id, ref)
        cached = self.resolved.get(key)
        if cached is not None:
            return cached
        result: tuple[Endpoint, ...] = ()
        if ref.startswith("^"):
            result = self._resolve_control(frame, ref[1:])
        elif ref in frame.args and frame.parent is not None:
            result = self.resolve(frame.parent, frame.arg_refs[frame.args[ref]])
        else:
            name, port = self._split(frame, ref)
            children = self.calls.get(frame.prefix + name)
            fed = frame is self.top and (name, port) in self.fed
            if children and not fed:
                rets: list[Endpoint] = []
                for child in children:
                    if child.role in ("cond",) or port is None or port >= len(child.outputs):
                        continue
                    rets.extend(self.resolve(child, child.rets.get(child.outputs[port], "")))
                result = tuple(rets)
            elif frame.prefix + name in self.index:
                result = ((self.index[frame.prefix + name], -1 if port is None else port, ref),)
        self.resolved[key] = result
        return result

    def _resolve_control(self, frame: Frame, name: str) -> tuple[Endpoint, ...]:
        children = self.calls.get(frame.prefix + name)
        if not children:
            idx = self.index.get(frame.prefix + name)
            return () if idx is None else ((idx, -1, "^" + name),)
        found: list[Endpoint] = []
        for child in children:
            # Waiting on a call means waiting on its results; stateful ops listed only as
            # control outputs stand in when there are no results.
            refs = list(child.rets.values()) or ["^" + n for n in child.control_rets]
            for ref in refs:
                found.extend((i, -1, t) for i, _, t in self.resolve(child, ref))
        return tuple(found)

    def finish(self) -> FlatGraph:
        edges: list[FlatEdge] = []
        loops: list[FlatEdge] = []
        for dst, flat in enumerate(self.nodes):
            if flat.fed:
                continue
            refs = cf_inputs(flat.node) if self.calls.get(flat.id) else flat.node.input
            for ref in refs:
                if ref.startswith("^") and self._is_gate(flat.frame, ref[1:]):
                    continue
                for src, port, tensor in self.resolve(flat.frame, ref):
                    edges.append((src, -1 if ref.startswith("^") else port, dst, tensor))
                loops.extend(self._loop_edges(flat.frame, ref, dst))
            if self.calls.get(flat.id):
                edges.extend(self._branch_edges(dst, self.calls[flat.id]))
        calls = {k: v for k, v in self.calls.items() if v}
        return FlatGraph(self.nodes, edges, self.index, self.frames, calls, self.top, loops)

    def _loop_edges(self, frame: Frame, ref: str, dst: int) -> list[FlatEdge]:
        """A While body's or condition's op reading loop variable k: the body's k-th
        result, computed inside the body, is what it reads from the second iteration on."""
        if frame.role not in ("body", "cond") or ref not in frame.args:
            return []
        body = next((f for f in self.calls.get(frame.owner, ()) if f.role == "body"), None)
        position = frame.args[ref]
        if body is None or position >= len(body.outputs):
            return []
        result = body.rets.get(body.outputs[position], "")
        return [
            (src, port, dst, tensor)
            for src, port, tensor in self.resolve(body, result)
            if port >= 0 and _inside(self.nodes[src].frame, body)
        ]

    def _branch_edges(self, op: int, branches: tuple[Frame, ...]) -> list[FlatEdge]:
        """Control edges tying a control-flow op to its branches: the op (holding the
        predicate) → each branch's results; a While's loop condition → the op."""
        edges = []
        for frame in branches:
            for ref in frame.rets.values():
                for end, port, tensor in self.resolve(frame, ref):
                    if not _inside(self.nodes[end].frame, frame):
                        continue  # a loop variable the body passes through unchanged
                    if frame.role == "cond":
                        edges.append((end, port, op, tensor))
                    else:
                        edges.append((op, -1, end, tensor))
        return edges


def _lineage(frame: Frame | None) -> Iterator[Frame]:
    """``frame``, the frame that called it, and so on up to the top-level graph."""
    while frame is not None:
        yield frame
        frame = frame.parent


def _inside(frame: Frame, outer: Frame) -> bool:
    return any(f is outer for f in _lineage(frame))


def _ancestor_functions(frame: Frame) -> set[str]:
    return {f.function for f in _lineage(frame)}
