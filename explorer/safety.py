"""The unsafe-op scan: which ops reach outside TensorFlow, and which signatures reach them.

Works on the parsed ``MetaGraphDef`` alone (no TensorFlow import). Every node of the
top-level graph and of every library function is looked up in :mod:`explorer.unsafe_ops`,
then judged by what can actually run it:

* a **signature** runs the top-level nodes its outputs depend on (data and control
  inputs, as a TF1 Session prunes the graph) and, through every function-valued attr
  (``f``, ``then_branch``, ``body``, ``branches``, dataset ``f`` ...), whole library
  functions, recursively: TensorFlow keeps a function's stateful ops even when no
  output depends on them;
* the **init op** (``__saved_model_init_op``, ``saved_model_main_op``,
  ``legacy_init_op``, ``table_initializer``) runs at load, before any signature;
* the **restore op** (``saver_def.restore_op_name``) runs at load too. Its RestoreV2 is the
  saver every SavedModel carries: no finding. Serving never saves, so SaveV2 and
  MergeV2Checkpoints are no finding unless something that does run reaches them.

Unsafe ops nothing reaches are still reported, with the lower severity "unreachable".
A vocabulary read (InitializeTableFromTextFile) by the init op of a file that traces back
to the model's own asset (an ``asset_file_def`` the loader points into ``assets/``) is
expected: it goes to ``expected_asset_reads``, not findings.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from explorer import protos
from explorer.errors import UnsafeModelError
from explorer.model_info import MetaGraphInfo, ModelInfo
from explorer.unsafe_ops import ASSET_READ_OPS, RESTORE_OPS, SAVE_OPS, UnsafeOp, unsafe_op

INIT_OP = "init op"
RESTORE_OP = "restore op"
# Run at load by TF1 loaders; table_initializer is usually in main_op, but not always.
_INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "table_initializer")
_CACHE_SIZE = 32


@dataclass(frozen=True, slots=True)
class UnsafeOpFinding:
    """One node whose op reaches outside TensorFlow."""

    op: str
    node: str
    # The library function holding the node; None for the top-level graph.
    function: str | None
    category: str
    what_it_does: str
    # Signature keys that run the node, plus "init op" / "restore op" when loading
    # does; empty: present but unreachable from any signature (lower severity).
    reachable_from: tuple[str, ...]

    @property
    def reachable(self) -> bool:
        return bool(self.reachable_from)

    @property
    def severity(self) -> str:
        """``"reachable"`` (blocks a run) or ``"unreachable"`` (reported only)."""
        return "reachable" if self.reachable else "unreachable"

    @property
    def location(self) -> str:
        """Where the node lives, in words: ``function F, node N`` or ``graph node N``."""
        where = "graph" if self.function is None else f"function {self.function},"
        return f"{where} node {self.node}"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The scan of one MetaGraph."""

    tag_set: str
    # Reachable findings first, then unreachable ones; each group by function and node.
    findings: tuple[UnsafeOpFinding, ...]
    # Callable signatures a finding can run in (all of them when the init or restore op
    # reaches one, since loading runs those before any call).
    signatures_affected: tuple[str, ...]
    # Vocabulary reads of the model's own assets by the init op: expected, not findings.
    expected_asset_reads: tuple[UnsafeOpFinding, ...] = ()

    @property
    def clean(self) -> bool:
        """True when no signature, init op or restore op reaches an unsafe op."""
        return not self.reachable_findings

    @property
    def reachable_findings(self) -> tuple[UnsafeOpFinding, ...]:
        return tuple(f for f in self.findings if f.reachable)

    @property
    def unreachable_findings(self) -> tuple[UnsafeOpFinding, ...]:
        return tuple(f for f in self.findings if not f.reachable)

    def findings_for(self, signature_key: str) -> tuple[UnsafeOpFinding, ...]:
        """Findings that run when ``signature_key`` is called (load-time ones included)."""
        keys = {signature_key, INIT_OP, RESTORE_OP}
        return tuple(f for f in self.findings if keys.intersection(f.reachable_from))


_cache: OrderedDict[int, tuple[Any, ScanResult]] = OrderedDict()
_cache_lock = threading.Lock()


def scan_meta_graph(meta_graph: MetaGraphInfo) -> ScanResult:
    """Scan one MetaGraph for unsafe ops and judge which signatures reach them.

    The result is cached per parsed proto (the same object the reader returns), so the
    runner can call this before every run for free.

    Args:
        meta_graph: a MetaGraph from :func:`explorer.reader.read_model`.

    Returns:
        Every finding, reachable ones first, and the signatures they affect.

    Raises:
        Nothing: dangling node or function names in the proto are skipped.
    """
    key = id(meta_graph.proto)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key][1]
    result = _scan(meta_graph)
    with _cache_lock:
        # Holding the proto keeps its id from being reused by another object.
        _cache[key] = (meta_graph.proto, result)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def scan_model(model: ModelInfo) -> dict[str, ScanResult]:
    """Scan every MetaGraph of a model.

    Args:
        model: a model from :func:`explorer.reader.read_model`.

    Returns:
        Tag-set (``"serve"``, ``"serve,gpu"``) → its scan, in the model's order.

    Raises:
        Nothing beyond :func:`scan_meta_graph`.
    """
    return {mg.tag_set: scan_meta_graph(mg) for mg in model.meta_graphs}


def require_safe(meta_graph: MetaGraphInfo, *, allow_unsafe: bool) -> None:
    """Refuse to run a MetaGraph that can reach an unsafe op, unless the user opted in.

    Args:
        meta_graph: the MetaGraph about to be loaded and run.
        allow_unsafe: the user's explicit "I trust this model" / ``--allow-unsafe-ops``.

    Raises:
        UnsafeModelError: a signature, the init op or the restore op reaches an unsafe
            op and ``allow_unsafe`` is False; ``.findings`` lists the reachable ones.
    """
    if allow_unsafe:
        return
    result = scan_meta_graph(meta_graph)
    if not result.clean:
        raise UnsafeModelError(result.reachable_findings)


def _scan(meta_graph: MetaGraphInfo) -> ScanResult:
    proto = meta_graph.proto
    graph = _Graph(proto.graph_def)
    candidates = list(graph.unsafe_nodes())
    if not candidates:
        return ScanResult(meta_graph.tag_set, (), ())

    callable_keys = [s.key for s in meta_graph.callable_signatures]
    # Kept apart from the load-time roots, so a signature named "init op" cannot pass
    # for one.
    by_signature = {
        sig.key: graph.reach(name for t in sig.outputs for name in t.tensor_names)
        for sig in meta_graph.callable_signatures
    }
    at_load = {
        INIT_OP: graph.reach(_init_nodes(meta_graph)),
        RESTORE_OP: graph.reach([proto.saver_def.restore_op_name]),
    }
    asset_tensors = _asset_tensor_names(proto)

    findings: list[UnsafeOpFinding] = []
    asset_reads: list[UnsafeOpFinding] = []
    for function, node, row in candidates:
        signatures = _reached_by(by_signature, function, node.name)
        loads = _reached_by(at_load, function, node.name)
        if node.op in RESTORE_OPS and not signatures and INIT_OP not in loads:
            continue  # loading the variables, or a dormant saver nothing runs
        if node.op in SAVE_OPS and not signatures and not loads:
            continue  # the save half of the saver: serving never runs it
        finding = UnsafeOpFinding(
            row.op, node.name, function, str(row.category), row.what_it_does, signatures + loads
        )
        if (
            node.op in ASSET_READ_OPS
            and not signatures
            and RESTORE_OP not in loads
            and graph.traces_to_asset(function, node, asset_tensors)
        ):
            asset_reads.append(finding)
            continue
        findings.append(finding)

    findings.sort(key=lambda f: (not f.reachable, f.function or "", f.node))
    loaded = any(_reached_by(at_load, f.function, f.node) for f in findings)
    direct = {k for f in findings for k in _reached_by(by_signature, f.function, f.node)}
    affected = tuple(k for k in callable_keys if loaded or k in direct)
    return ScanResult(meta_graph.tag_set, tuple(findings), affected, tuple(asset_reads))


def _reached_by(
    reach: dict[str, tuple[set[str], set[str]]], function: str | None, node: str
) -> tuple[str, ...]:
    """The labels whose reach holds the node (a whole function counts as reached)."""
    return tuple(
        label
        for label, (nodes, functions) in reach.items()
        if (function in functions if function is not None else node in nodes)
    )


def _init_nodes(meta_graph: MetaGraphInfo) -> list[str]:
    sigs = meta_graph.signatures
    starts = [n for s in sigs if s.is_init_op for t in s.outputs for n in t.tensor_names]
    collections = meta_graph.proto.collection_def
    return starts + [
        name
        for c in _INIT_COLLECTIONS
        if c in collections
        for name in collections[c].node_list.value
    ]


def _asset_tensor_names(proto: Any) -> frozenset[str]:
    """Tensors the loader feeds with a file inside the model's ``assets/`` folder.

    Only ``asset_file_def`` entries (and the older ``saved_model_assets`` collection of
    AssetFileDefs) are fed so; a name in the ``asset_filepaths`` collection alone keeps the
    path written in the graph, which may be any file on the server. A filename that is not
    a plain name (``../../etc/passwd``) would be joined out of ``assets/``: not an asset.
    """
    entries = list(proto.asset_file_def)
    legacy = proto.collection_def.get("saved_model_assets")
    if legacy is not None:
        for packed in legacy.any_list.value:
            entry = protos.message_class("tensorflow.AssetFileDef")()
            if packed.Unpack(entry):
                entries.append(entry)
    return frozenset(
        _tensor_name(e.tensor_info.name)
        for e in entries
        if e.tensor_info.name and _plain_file_name(e.filename)
    )


def _plain_file_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _node_name(ref: str) -> str:
    """``"^a"``, ``"a:1"``, ``"a:output:0"`` → ``"a"``."""
    return ref.lstrip("^").split(":", 1)[0]


def _tensor_name(ref: str) -> str:
    name, _, index = ref.partition(":")
    return f"{name}:{index or 0}"


def _data_inputs(node: Any) -> list[str]:
    return [ref for ref in node.input if not ref.startswith("^")]


def _callees(node: Any, functions: dict[str, Any]) -> Iterator[str]:
    """Names of the library functions a node calls: by op type or any function attr."""
    if node.op in functions:
        yield node.op
    for value in node.attr.values():
        kind = value.WhichOneof("value")
        if kind == "func":
            yield value.func.name
        elif kind == "list":
            for func in value.list.func:
                yield func.name


# Ops whose output is their first input, for tracing a vocabulary file name to an asset.
_PASS_THROUGH = frozenset({"Identity", "Snapshot", "StopGradient", "ReadVariableOp"})
# Call ops whose data inputs map onto the callee's arguments, after this many inputs.
_ARG_OFFSET = {"PartitionedCall": 0, "StatefulPartitionedCall": 0, "If": 1, "StatelessIf": 1}
_Sites = dict[str, list[tuple[str | None, list[str] | None]]]


class _Graph:
    """Name indexes over a GraphDef and its function library, built once per scan."""

    def __init__(self, graph_def: Any) -> None:
        self.nodes: dict[str, Any] = {n.name: n for n in graph_def.node}
        self.functions: dict[str, Any] = {f.signature.name: f for f in graph_def.library.function}
        self._edges: dict[str, tuple[list[str], list[str]]] = {}
        self._closures: dict[str, frozenset[str]] = {}
        self._traced: dict[tuple[str | None, str], bool] = {}
        self._sites: _Sites | None = None

    def unsafe_nodes(self) -> Iterator[tuple[str | None, Any, UnsafeOp]]:
        """(function or None, NodeDef, table row) for every unsafe node anywhere."""
        scoped = [(None, self.nodes.values())]
        scoped += [(name, f.node_def) for name, f in self.functions.items()]
        for scope, nodes in scoped:
            for node in nodes:
                row = unsafe_op(node)
                if row is not None:
                    yield scope, node, row

    def reach(self, starts: Iterable[str]) -> tuple[set[str], set[str]]:
        """Top-level nodes and library functions that running ``starts`` can execute."""
        seen: set[str] = set()
        functions: set[str] = set()
        nodes, edges, lib = self.nodes, self._edges, self.functions
        stack = [_node_name(ref) for ref in starts if ref]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            entry = edges.get(name)
            if entry is None:
                node = nodes.get(name)
                if node is None:
                    continue
                # Parsed once per scan (inlined: this loop dominates the scan's time).
                inputs = [ref.partition(":")[0].lstrip("^") for ref in node.input]
                called = [f for c in _callees(node, lib) for f in self._closure(c)] if lib else ()
                entry = edges[name] = (inputs, called)
            seen.add(name)
            stack += entry[0]
            functions.update(entry[1])
        return seen, functions

    def traces_to_asset(self, function: str | None, node: Any, assets: frozenset[str]) -> bool:
        """Whether a vocabulary op's filename (input 1) is one of the model's assets."""
        data = _data_inputs(node)
        return len(data) > 1 and self._trace(function, data[1], assets)

    def _closure(self, name: str) -> frozenset[str]:
        if name not in self._closures:
            found: set[str] = set()
            stack = [name]
            while stack:
                current = stack.pop()
                if current not in found and current in self.functions:
                    found.add(current)
                    body = self.functions[current].node_def
                    stack.extend(c for n in body for c in _callees(n, self.functions))
            self._closures[name] = frozenset(found)
        return self._closures[name]

    def _trace(self, scope: str | None, ref: str, assets: frozenset[str]) -> bool:
        key = (scope, ref)
        if key not in self._traced:
            self._traced[key] = False  # a cycle back here proves nothing
            self._traced[key] = self._trace_step(scope, ref, assets)
        return self._traced[key]

    def _trace_step(self, scope: str | None, ref: str, assets: frozenset[str]) -> bool:
        if scope is None and _tensor_name(ref) in assets:
            return True
        if scope is not None and ":" not in ref:  # a function argument: check every caller
            args = list(self.functions[scope].signature.input_arg)
            index = next((i for i, a in enumerate(args) if a.name == ref), None)
            if index is None or any(a.number_attr or a.type_list_attr for a in args[: index + 1]):
                return False
            sites = self._call_sites().get(scope, [])
            return bool(sites) and all(
                inputs is not None
                and index < len(inputs)
                and self._trace(caller, inputs[index], assets)
                for caller, inputs in sites
            )
        name = _node_name(ref)
        nodes = self.nodes if scope is None else {n.name: n for n in self.functions[scope].node_def}
        node = nodes.get(name)
        if node is None:
            return False
        if node.op in _PASS_THROUGH:
            data = _data_inputs(node)
            return bool(data) and self._trace(scope, data[0], assets)
        if node.op == "VarHandleOp" and scope is None:
            # TF2 keeps an asset's path in a variable assigned from the asset placeholder.
            assigned = [
                _data_inputs(n)[1:2]
                for n in self.nodes.values()
                if n.op == "AssignVariableOp" and _node_name(next(iter(n.input), "")) == name
            ]
            return bool(assigned) and all(v and self._trace(None, v[0], assets) for v in assigned)
        return False

    def _call_sites(self) -> _Sites:
        """Function → (calling scope, data inputs mapped onto its arguments, or None)."""
        if self._sites is None:
            self._sites = {}
            scoped = [(None, n) for n in self.nodes.values()]
            scoped += [(name, n) for name, f in self.functions.items() for n in f.node_def]
            for scope, node in scoped:
                data = _data_inputs(node)
                offset = 0 if node.op in self.functions else _ARG_OFFSET.get(node.op)
                for callee in _callees(node, self.functions):
                    args = data[offset:] if offset is not None else None
                    self._sites.setdefault(callee, []).append((scope, args))
        return self._sites
