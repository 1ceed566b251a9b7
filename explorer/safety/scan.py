"""The unsafe-op scan: which ops reach outside TensorFlow, and which signatures reach them.

Works on the parsed ``MetaGraphDef`` alone (no TensorFlow import). Every node of the
top-level graph and of every library function is looked up in :mod:`explorer.safety.ops`,
then judged by what can actually run it:

* a **signature** runs the top-level nodes its outputs depend on (data and control
  inputs, as a TF1 Session prunes the graph) and every library function those nodes can
  run, as :mod:`explorer.safety.callgraph` follows them: by op type and through every
  function-valued attr at any depth, the functions Grappler may swap in for them
  (``api_implements``) and, once a gradient is instantiated, the ``gradient`` map. A
  function runs whole: TensorFlow keeps its stateful ops even when no output needs them;
* the **init op** (``__saved_model_init_op``, ``saved_model_main_op``,
  ``legacy_init_op``, ``table_initializer``) runs at load, before any signature;
* the **restore op** (``saver_def.restore_op_name``) runs at load too. A restore under it
  whose checkpoint prefix traces to the saver's filename tensor (which the loader feeds
  with ``variables/variables``) is the saver every SavedModel carries: no finding. A
  restore from any other prefix reads some other checkpoint: a finding. Serving never
  saves, so SaveV2 and MergeV2Checkpoints are no finding unless something that runs
  reaches them;
* an **extra fetch** (a tensor a call adds beside the signature's outputs) runs what it
  depends on: :func:`require_safe` judges it per call, and every unsafe op it reaches
  needs the opt-in, saver and asset ops included (nothing is fed then).

Unsafe ops nothing reaches are still reported, with the lower severity "unreachable".
A vocabulary read (InitializeTableFromTextFile) run only by the init op, of a file name
that traces to the model's own asset (:mod:`explorer.safety.assets` decides which
tensors the loader feeds with the model's own files; :mod:`explorer.safety.trace` traces
the name, through the variable TF2 keeps it in), is expected: it goes to
``expected_asset_reads``, not findings.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.errors import UnsafeModelError
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.safety.assets import AssetFeeds, asset_feeds
from explorer.safety.index import SafetyGraph, Scope, data_inputs
from explorer.safety.ops import ASSET_READ_OPS, RESTORE_OPS, SAVE_OPS, UnsafeOp
from explorer.safety.trace import FeedTracer

if TYPE_CHECKING:
    from explorer.model.proto_types import NodeDef

INIT_OP = "init op"
RESTORE_OP = "restore op"
# Run at load by TF1 loaders; table_initializer is usually in main_op, but not always.
_INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "table_initializer")
EXTRA_FETCH = "extra fetch"
_CACHE_SIZE = 32
# Indexes kept for judging extra fetches: they can be large, so only a few.
_GRAPHS_KEPT = 2
_NOT_OWN_ASSET = (
    "; here its file name does not trace to an asset file the loader feeds from the "
    "model's own assets/ folder, or something else can change it"
)
_NOT_OWN_CHECKPOINT = (
    "; here its checkpoint prefix is not the saver's filename tensor (which the loader "
    "feeds with the model's variables/), so it reads some other checkpoint"
)


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
_graphs: OrderedDict[int, tuple[Any, SafetyGraph]] = OrderedDict()
_cache_lock = threading.Lock()
# The graph indexes fill lazily: one extra-fetch judgement at a time.
_fetch_lock = threading.Lock()


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
    graph = SafetyGraph(meta_graph.proto.graph_def)
    result = _scan(meta_graph, graph)
    with _cache_lock:
        # Holding the proto keeps its id from being reused by another object.
        _cache[key] = (meta_graph.proto, result)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        _keep_graph(key, meta_graph.proto, graph)
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


def require_safe(
    meta_graph: MetaGraphInfo, *, allow_unsafe: bool, extra_fetches: Sequence[str] = ()
) -> None:
    """Refuse to run a MetaGraph that can reach an unsafe op, unless the user opted in.

    Args:
        meta_graph: the MetaGraph about to be loaded and run.
        allow_unsafe: the user's explicit "I trust this model" / ``--allow-unsafe-ops``.
        extra_fetches: tensors the call fetches beside the signature's outputs: what
            they run needs the opt-in as much as what a signature runs.

    Raises:
        UnsafeModelError: a signature, the init op, the restore op or an extra fetch
            reaches an unsafe op and ``allow_unsafe`` is False; ``.ops`` names them.
    """
    if allow_unsafe:
        return
    result = scan_meta_graph(meta_graph)
    if not result.clean:
        raise UnsafeModelError(f.op for f in result.reachable_findings)
    if extra_fetches:
        reached = fetch_findings(meta_graph, extra_fetches)
        if reached:
            labels = {label for f in reached for label in f.reachable_from}
            fetches = [n for n in dict.fromkeys(extra_fetches) if f"{EXTRA_FETCH} {n}" in labels]
            raise UnsafeModelError((f.op for f in reached), reached_by=fetches)


def fetch_findings(
    meta_graph: MetaGraphInfo, fetches: Iterable[str]
) -> tuple[UnsafeOpFinding, ...]:
    """The unsafe ops that fetching ``fetches`` (tensor names) runs, none exempt.

    Args:
        meta_graph: a MetaGraph from :func:`explorer.model.reader.read_model`.
        fetches: top-level tensor names (``op:index`` or ``op``).

    Returns:
        One finding per unsafe node reached, ``reachable_from`` naming the fetches
        (``"extra fetch NAME"``); empty when they run nothing unsafe.
    """
    scan_meta_graph(meta_graph)
    key = id(meta_graph.proto)
    with _cache_lock:
        kept = _graphs.get(key)
    graph = kept[1] if kept is not None else SafetyGraph(meta_graph.proto.graph_def)
    with _fetch_lock:
        if not graph.unsafe_nodes():
            return ()
        reaches = {f"{EXTRA_FETCH} {name}": graph.reach([name]) for name in dict.fromkeys(fetches)}
        findings = [
            _finding(row, node, scope, labels)
            for scope, node, row in graph.unsafe_nodes()
            if (labels := _reached_by(reaches, scope, node.name))
        ]
    with _cache_lock:
        _keep_graph(key, meta_graph.proto, graph)
    return tuple(sorted(findings, key=lambda f: (f.function or "", f.node)))


def _keep_graph(key: int, proto: Any, graph: SafetyGraph) -> None:
    _graphs[key] = (proto, graph)
    _graphs.move_to_end(key)
    while len(_graphs) > _GRAPHS_KEPT:
        _graphs.popitem(last=False)


def _scan(meta_graph: MetaGraphInfo, graph: SafetyGraph) -> ScanResult:
    proto = meta_graph.proto
    candidates = graph.unsafe_nodes()
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
    assets: AssetFeeds | None = None
    own_assets: FeedTracer | None = None
    saver: FeedTracer | None = None

    findings: list[UnsafeOpFinding] = []
    asset_reads: list[UnsafeOpFinding] = []
    for function, node, row in candidates:
        signatures = _reached_by(by_signature, function, node.name)
        loads = _reached_by(at_load, function, node.name)
        labels = signatures + loads
        note = ""
        if node.op in RESTORE_OPS and not signatures and INIT_OP not in loads:
            if RESTORE_OP not in loads:
                continue  # a dormant saver nothing runs
            saver = saver or FeedTracer(graph, _fed({proto.saver_def.filename_tensor_name}))
            if _traces_input(saver, function, node, 0):
                continue  # the saver restoring the model's own variables
            note = _NOT_OWN_CHECKPOINT
        if node.op in SAVE_OPS and not labels:
            continue  # the save half of the saver: serving never runs it
        if node.op in ASSET_READ_OPS and not signatures and RESTORE_OP not in loads:
            assets = assets or asset_feeds(proto, meta_graph.model_dir)
            own_assets = own_assets or FeedTracer(graph, assets.own)
            if _traces_input(own_assets, function, node, 1):
                asset_reads.append(_finding(row, node, function, labels))
                continue
            note = _asset_note(graph, assets, function, node) if labels else ""
        findings.append(_finding(row, node, function, labels, note))

    findings.sort(key=lambda f: (not f.reachable, f.function or "", f.node))
    loaded = any(_reached_by(at_load, f.function, f.node) for f in findings)
    direct = {k for f in findings for k in _reached_by(by_signature, f.function, f.node)}
    affected = tuple(k for k in callable_keys if loaded or k in direct)
    return ScanResult(meta_graph.tag_set, tuple(findings), affected, tuple(asset_reads))


def _finding(
    row: UnsafeOp, node: NodeDef, function: Scope, labels: tuple[str, ...], note: str = ""
) -> UnsafeOpFinding:
    return UnsafeOpFinding(
        row.op, node.name, function, str(row.category), row.what_it_does + note, labels
    )


def _fed(names: Iterable[str]) -> frozenset[str]:
    return frozenset(f"{n}:0" if ":" not in n else n for n in names if n)


def _traces_input(tracer: FeedTracer, function: Scope, node: NodeDef, index: int) -> bool:
    data = data_inputs(node)
    return len(data) > index and tracer.traces(function, data[index])


def _asset_note(graph: SafetyGraph, assets: AssetFeeds, function: Scope, node: NodeDef) -> str:
    """Why a vocabulary read is not of the model's own asset, as precisely as known."""
    if assets.refused and _traces_input(
        FeedTracer(graph, frozenset(assets.refused)), function, node, 1
    ):
        reasons = sorted(set(assets.refused.values()))
        which = next(iter(assets.refused)) if len(assets.refused) == 1 else None
        source = f"the file of {which!r}" if which else "the file of a declared asset"
        return f"; here it reads {source}, not one of the model's own: {reasons[0]}" + (
            f" (and {len(reasons) - 1} more reasons)" if len(reasons) > 1 else ""
        )
    tracer = FeedTracer(graph, assets.own)
    _traces_input(tracer, function, node, 1)
    if tracer.doubts:
        return f"; here the file name is the model's asset, but {tracer.doubts[0]}"
    return _NOT_OWN_ASSET


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
