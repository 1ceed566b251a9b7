"""A slice's edges: each input of a sliced op resolved to the real ops behind it.

An input names a tensor of its own body, a function argument (the caller's tensor), a
call's result (the function's ``ret``) or a node waited on (``^x``); resolving follows
args and calls until it reaches ops (``Endpoint``s). ``explorer.graph.slicing`` walks
which ops run; this module ties them, once the walk is done.
"""

from __future__ import annotations

import numpy as np

from explorer.graph.bodies import ARG, CONTROL, DATA, GATE
from explorer.graph.flat import Endpoint, FlatEdge, Frame

# (sources, ports (-1: control), destinations, tensors, While loop hand-overs)
_Edges = tuple[list[int], list[int], list[int], list[str], list[FlatEdge]]
# Ops from which a slice of the top-level graph alone is tied by arrays, not a loop.
_ARRAYS_FROM = 1024


class Resolver:
    """Resolves a finished walk's references (memoised per frame and reference)."""

    def __init__(
        self,
        top: Frame,
        fed: set[tuple[int, int | None]],
        frame_of: list[Frame],
        calls: dict[str, tuple[Frame, ...]],
    ) -> None:
        self.top, self.fed, self.frame_of, self.calls = top, fed, frame_of, calls
        self.resolved: dict[tuple[str, str], tuple[Endpoint, ...]] = {}
        # The edges' sources and destinations as arrays, when ``edges`` made them so
        # (``FlatGraph.edge_ends``: not made again from the lists).
        self.ends: tuple[np.ndarray, np.ndarray] | None = None

    def resolve(self, frame: Frame, ref: str) -> tuple[Endpoint, ...]:
        """The real ops behind a tensor reference, looking through args and calls."""
        key = (frame.id, ref)
        cached = self.resolved.get(key)
        if cached is not None:
            return cached
        _, kind, node, port = frame.body.ref(ref)
        result: tuple[Endpoint, ...] = ()
        if kind in (CONTROL, GATE):
            result = self._resolve_control(frame, node, ref)
        elif kind == ARG and frame.parent is not None:
            result = self.resolve(frame.parent, frame.arg_refs[node])
        elif node >= 0:
            children = frame.children.get(node)
            fed = frame is self.top and (node, port) in self.fed
            if children and not fed:
                rets: list[Endpoint] = []
                for child in children:
                    outputs = child.body.outputs
                    if child.role in ("cond",) or port is None or port >= len(outputs):
                        continue
                    rets.extend(self.resolve(child, child.body.rets.get(outputs[port], "")))
                result = tuple(rets)
            elif frame.flat[node] >= 0:
                result = ((frame.flat[node], -1 if port is None else port, ref),)
        self.resolved[key] = result
        return result

    def _resolve_control(self, frame: Frame, node: int, ref: str) -> tuple[Endpoint, ...]:
        if node < 0:
            return ()
        children = frame.children.get(node)
        if not children:
            found_at = frame.flat[node]
            return () if found_at < 0 else ((found_at, -1, ref),)
        found: list[Endpoint] = []
        for child in children:
            # Waiting on a call means waiting on its results; stateful ops listed only as
            # control outputs stand in when there are no results.
            body = child.body
            refs = list(body.rets.values()) or ["^" + n for n in body.control_rets]
            for text in refs:
                found.extend((i, -1, t) for i, _, t in self.resolve(child, text))
        return tuple(found)

    def edges(self, local: list[int], fed_ops: list[bool]) -> _Edges:
        """Every sliced op's inputs resolved to edges, in op order (its inputs in order,
        then the ties to its branches for a control-flow op), and the While loops'
        hand-overs apart."""
        if not self.calls and len(local) >= _ARRAYS_FROM:
            found = _top_edges(self.top, local, fed_ops)
            if found is not None:
                columns, self.ends = found
                return (*columns, [])
        src: list[int] = []
        ports: list[int] = []
        dst_col: list[int] = []
        tensors: list[str] = []
        loops: list[FlatEdge] = []
        top, fed, resolve = self.top, self.fed, self.resolve
        add_src, add_port, add_dst, add_tensor = (
            src.append,
            ports.append,
            dst_col.append,
            tensors.append,
        )
        current = None
        for dst, (frame, node, is_fed) in enumerate(
            zip(self.frame_of, local, fed_ops, strict=True)
        ):
            if is_fed:
                continue
            if frame is not current:  # looked up once per run of ops of one frame
                current, body, flat, children = frame, frame.body, frame.flat, frame.children
                kinds, sources, texts = body.ref_kind, body.ref_node, body.ref_text
                start, ref_ports = body.ref_start, body.ref_port
            branches = children.get(node) if children else None
            for k in body.branch_refs(node) if branches else range(start[node], start[node + 1]):
                kind, source = kinds[k], sources[k]
                if kind == DATA and source >= 0 and not (children and children.get(source)):
                    # The common case: an op of the same body.
                    at = flat[source]
                    if at >= 0:
                        port = ref_ports[k]
                        add_src(at)
                        add_port(-1 if port is None else port)
                        add_dst(dst)
                        add_tensor(texts[k])
                    continue
                if kind == GATE:
                    continue
                text, port = texts[k], ref_ports[k]
                ends: tuple[Endpoint, ...]
                if kind == DATA and source >= 0 and frame is top and (source, port) in fed:
                    at = flat[source]
                    ends = ((at, -1 if port is None else port, text),) if at >= 0 else ()
                else:
                    ends = resolve(frame, text)
                control = kind == CONTROL
                for end, end_port, tensor in ends:
                    add_src(end)
                    add_port(-1 if control else end_port)
                    add_dst(dst)
                    add_tensor(tensor)
                if kind == ARG:
                    loops.extend(self._loop_edges(frame, text, dst))
            if branches:
                for edge in self._branch_edges(dst, branches):
                    add_src(edge[0])
                    add_port(edge[1])
                    add_dst(edge[2])
                    add_tensor(edge[3])
        return src, ports, dst_col, tensors, loops

    def _loop_edges(self, frame: Frame, ref: str, dst: int) -> list[FlatEdge]:
        """A While body's or condition's op reading loop variable k: the body's k-th
        result, computed inside the body, is what it reads from the second iteration on."""
        if frame.role not in ("body", "cond") or ref not in frame.body.args:
            return []
        body = next((f for f in self.calls.get(frame.owner, ()) if f.role == "body"), None)
        position = frame.body.args[ref]
        if body is None or position >= len(body.body.outputs):
            return []
        result = body.body.rets.get(body.body.outputs[position], "")
        return [
            (src, port, dst, tensor)
            for src, port, tensor in self.resolve(body, result)
            if port >= 0 and _inside(self.frame_of[src], body)
        ]

    def _branch_edges(self, op: int, branches: tuple[Frame, ...]) -> list[FlatEdge]:
        """Control edges tying a control-flow op to its branches: the op (holding the
        predicate) → each branch's results; a While's loop condition → the op."""
        edges = []
        for frame in branches:
            for ref in frame.body.rets.values():
                for end, port, tensor in self.resolve(frame, ref):
                    if not _inside(self.frame_of[end], frame):
                        continue  # a loop variable the body passes through unchanged
                    if frame.role == "cond":
                        edges.append((end, port, op, tensor))
                    else:
                        edges.append((op, -1, end, tensor))
        return edges


def _top_edges(
    top: Frame, local: list[int], fed_ops: list[bool]
) -> tuple[tuple[list[int], list[int], list[int], list[str]], tuple[np.ndarray, np.ndarray]] | None:
    """``Resolver.edges`` for a slice of the top-level graph alone (no call inlined), by
    array arithmetic: every input then names an op of the same body (data, or ``^``
    control: no gate outside a function) or nothing, so no reference needs resolving.
    The same edges in the same order as the loop (and their ends as arrays). None when a
    port does not fit 64 bits (the loop takes those)."""
    body = top.body
    try:
        ref_port = np.asarray(body.ref_port, dtype=np.int64)
    except TypeError:  # an unknown port (None) among them: -1, as the loop writes it
        ref_port = np.asarray([-1 if p is None else p for p in body.ref_port], dtype=np.int64)
    except OverflowError:
        return None
    ops = np.asarray(local, dtype=np.int64)
    wanted = np.flatnonzero(~np.asarray(fed_ops, dtype=bool))  # a fed op's inputs do not run
    ref_start = np.asarray(body.ref_start, dtype=np.int64)
    first = ref_start[ops[wanted]]
    counts = ref_start[ops[wanted] + 1] - first
    # Each op's reference numbers in order, one op after the other.
    refs = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(
        int(counts.sum()), dtype=np.int64
    )
    kind = np.asarray(body.ref_kind, dtype=np.int64)[refs]
    source = np.asarray(body.ref_node, dtype=np.int64)[refs]
    at = np.where(source >= 0, np.asarray(top.flat, dtype=np.int64)[source], -1)
    keep = (at >= 0) & ((kind == DATA) | (kind == CONTROL))
    refs, kind = refs[keep], kind[keep]
    port = np.where(kind == DATA, ref_port[refs], -1)
    dst = np.repeat(wanted, counts)[keep]
    # Picked as an array of objects: no Python int is made per reference.
    tensors = np.asarray(body.ref_text, dtype=object)[refs].tolist()
    src = at[keep]
    return (src.tolist(), port.tolist(), dst.tolist(), tensors), (src, dst)


def _inside(frame: Frame, outer: Frame) -> bool:
    return any(f is outer for f in frame.lineage())
