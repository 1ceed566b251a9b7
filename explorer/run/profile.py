"""Where a call's time went, op by op: TensorFlow's step stats mapped onto the graph.

A run traced with ``RunOptions.FULL_TRACE`` returns ``RunMetadata.step_stats``: one entry
per kernel that ran, named as the Session ran it. TensorFlow inlines library functions
before it runs them, naming each inlined op by its call chain and its name in the
function (``StatefulPartitionedCall_1/StatefulPartitionedCall/dense/MatMul``); that name
maps back to the signature graph's op id (``StatefulPartitionedCall_1::
StatefulPartitionedCall::dense/MatMul``), so the drawing can colour ops and groups by
time. Ops Grappler made (fused or folded ones) keep the place of the call they were made
in. Parsing needs no TensorFlow.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, replace
from typing import Any

from explorer.model import protos
from explorer.model.info import Shape
from explorer.run.call_tree import CallTree, op_id

# "name = Conv2D(a, b)", after an optional "[mklcpu 1.5MB 1.5MB] " prefix.
_LABEL = re.compile(r"^(?:\[[^\]]*\]\s*)?\S+\s*=\s*(?P<op>[A-Za-z0-9_>]+)\(")
# TensorFlow lowers If and While to dataflow before it runs them, and names a branch's
# inlined ops "<call>/<then|else|body|cond>/_<n>/<op>"; the branch attrs they come from:
_LOWERED = {"then_branch": "then", "else_branch": "else", "body": "body", "cond": "cond"}
_LOWERED_FRAME = re.compile(r"/(then|else|body|cond)/_\d+/")
# Bookkeeping nodes of the executor, not ops of the model.
_INTERNAL = ("_SOURCE", "_SINK", "_retval", "_arg", "_Recv", "_Send")


@dataclass(frozen=True, slots=True)
class OpTime:
    """One kernel's run."""

    name: str  # as TensorFlow ran it (inlined: the call chain, "/", the op's name)
    id: str  # the op's id in the signature graph; a call's id for ops Grappler made
    op: str  # op type
    micros: int  # the kernel's own time, over every time it ran (loop iterations)
    shapes: tuple[Shape, ...] = ()  # its outputs' shapes (the last time it ran)
    exact: bool = True  # False: ``id`` is the call the op was made in, not the op
    count: int = 1  # how many times it ran in this call
    # The kernel that ran, when Grappler replaced the op (a BiasAdd fused with its
    # convolution runs as _FusedConv2D); "" when it ran as itself.
    kernel: str = ""

    @property
    def ran_as(self) -> str:
        """The op type, and the kernel that ran it when that differs."""
        return f"{self.op} → {self.kernel}" if self.kernel else self.op


@dataclass(frozen=True, slots=True)
class Profile:
    """A traced call's per-op times."""

    ops: tuple[OpTime, ...]  # slowest first
    total_ms: float  # the ops' times added up (ops on parallel threads overlap)
    span_ms: float  # from the first op's start to the last op's end
    execution_ms: float  # the run as measured around it

    def top(self, count: int = 10) -> tuple[OpTime, ...]:
        return self.ops[:count]

    def ms_by_id(self) -> dict[str, float]:
        """Milliseconds per graph op id (ops Grappler made count for their call)."""
        times: dict[str, float] = {}
        for op in self.ops:
            times[op.id] = times.get(op.id, 0.0) + op.micros / 1000
        return times

    def ms_within(self, prefix: str) -> float:
        """Milliseconds of every op whose id starts with ``prefix`` (a group or a call)."""
        return sum(op.micros for op in self.ops if op.id.startswith(prefix)) / 1000

    def as_dict(self, count: int | None = None) -> dict[str, Any]:
        return {
            "total_ms": self.total_ms,
            "span_ms": self.span_ms,
            "execution_ms": self.execution_ms,
            "ops": [
                {
                    "name": o.name,
                    "id": o.id,
                    "op": o.op,
                    "ms": o.micros / 1000,
                    "shapes": [list(s) if s is not None else None for s in o.shapes],
                    "exact": o.exact,
                    "count": o.count,
                    "kernel": o.kernel,
                }
                for o in (self.ops if count is None else self.ops[:count])
            ],
        }


def from_run_metadata(data: bytes, tree: CallTree, execution_ms: float) -> Profile:
    """The profile in a serialized ``RunMetadata``, its ops mapped onto ``tree``'s ids."""
    metadata = protos.message_class("tensorflow.RunMetadata").FromString(data)
    names, calls = _NAMES.get(tree) or _NAMES.setdefault(tree, _inlined_names(tree))
    ops: dict[str, OpTime] = {}
    starts, ends = [], []
    for device in metadata.step_stats.dev_stats:
        for stats in device.node_stats:
            name = stats.node_name
            if name.startswith(_INTERNAL):
                continue
            micros = (
                stats.op_end_rel_micros - stats.op_start_rel_micros
                if stats.op_end_rel_micros
                else stats.all_end_rel_micros
            )
            starts.append(stats.all_start_micros)
            ends.append(stats.all_start_micros + stats.all_end_rel_micros)
            shapes = tuple(_shape(o.tensor_description.shape) for o in stats.output)
            before = ops.get(name)
            if before is not None:  # the same op again: a loop's next iteration
                ops[name] = replace(
                    before, micros=before.micros + micros, shapes=shapes, count=before.count + 1
                )
                continue
            match = _LABEL.match(stats.timeline_label)
            kernel = match["op"] if match else ""
            known = names.get(_normalized(name))
            if known is not None:
                ran = kernel if kernel and kernel != known[1] else ""
                ops[name] = OpTime(name, known[0], known[1], micros, shapes, kernel=ran)
                continue
            where = _nearest_call(_normalized(name), calls)
            ops[name] = OpTime(name, where, kernel, micros, shapes, False)
    ranked = sorted(ops.values(), key=lambda o: (-o.micros, o.name))
    span = (max(ends) - min(starts)) / 1000 if starts else 0.0
    return Profile(tuple(ranked), sum(o.micros for o in ranked) / 1000, span, execution_ms)


# Per call tree (kept per graph and signature by the caller): a model's names are mapped
# once, not on every profiled run.
_NAMES: weakref.WeakKeyDictionary[CallTree, tuple[dict[str, tuple[str, str]], dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def _inlined_names(tree: CallTree) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Inlined op name (as :func:`_normalized`) → (op id, op type), and inlined call
    prefix → the call's id."""
    names = {name: (name, node.op) for name, node in tree.top.items()}
    calls: dict[str, str] = {}
    for path in tree.chains():
        if any(h.role and h.role not in _LOWERED for h in path):
            continue  # a Case branch: its lowered names are not predictable
        prefix = "/".join(f"{h.call}@{_LOWERED[h.role]}" if h.role else h.call for h in path)
        calls[prefix] = op_id(path[:-1], path[-1].call)
        for node in tree.library[path[-1].callee].node_def:
            names[f"{prefix}/{node.name}"] = (op_id(path, node.name), node.op)
    return names, calls


def _normalized(name: str) -> str:
    """An op name with lowered control flow's frames (``while/body/_38/``) written as the
    branch they run (``while@body/``)."""
    return _LOWERED_FRAME.sub(r"@\1/", name)


def _nearest_call(name: str, calls: dict[str, str]) -> str:
    prefix = name
    while "/" in prefix:
        prefix = prefix.rpartition("/")[0]
        if prefix in calls:
            return calls[prefix]
    return ""


def _shape(shape: Any) -> Shape:
    if shape.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in shape.dim)
