"""The unsafe-op scan: which ops reach outside TensorFlow, and which signatures reach them.

Works on the parsed ``MetaGraphDef`` alone (no TensorFlow import). Every node of the
top-level graph and of every library function is looked up in :mod:`explorer.safety.ops`,
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
from dataclasses import dataclass
from typing import Any

from explorer.errors import UnsafeModelError
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.safety.index import SafetyGraph, asset_tensor_names
from explorer.safety.ops import ASSET_READ_OPS, RESTORE_OPS, SAVE_OPS

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
        meta_graph: a MetaGraph from :func:`explorer.model.reader.read_model`.

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
        model: a model from :func:`explorer.model.reader.read_model`.

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
        raise UnsafeModelError(f.op for f in result.reachable_findings)


def _scan(meta_graph: MetaGraphInfo) -> ScanResult:
    proto = meta_graph.proto
    graph = SafetyGraph(proto.graph_def)
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
    asset_tensors = asset_tensor_names(proto)

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
