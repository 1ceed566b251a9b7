"""Looking inside a call: the tapped op outputs and the per-op profile it also returns.

TF Serving's answer is never touched: taps are fetched beside the signature's outputs
from a copy of the graph where each tapped tensor is an output (``tap_rewrite``), loaded
like any model (scanned first, into the worker), and the profile comes from the same run
traced with ``RunOptions.FULL_TRACE``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from explorer.errors import ExecutionError, WorkerEndedError
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run import runner
from explorer.run.call_tree import CallTree
from explorer.run.profile import Profile, from_run_metadata
from explorer.run.result import RunContext
from explorer.run.tap_rewrite import Rewritten, TapFetch, rewrite
from explorer.run.tap_values import TapValue
from explorer.run.taps import resolve
from explorer.serving.graph_cache import GraphCache


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a call returned besides its answer."""

    taps: tuple[TapValue, ...] = ()
    profile: Profile | None = None


class Inspector:
    """Prepares one call's taps and profile, then reads them from its run.

    Args:
        run: the call.
        model: the signature's model, loaded.

    Raises:
        TapError: a tap that names no op the signature runs or cannot be fetched.
        UnsafeModelError: as for the model itself (the rewritten graph is scanned too).
        ModelLoadError, WorkerEndedError: loading the rewritten graph failed.
    """

    def __init__(self, run: RunContext, model: runner.LoadedModel) -> None:
        self._run = run
        self.model = model
        self.load_ms = 0.0
        self.trace = run.options.profile
        self._rewritten: Rewritten | None = None
        if run.options.taps:
            self._rewritten, tapped = _tapped(run, model)
            self.model, self.load_ms = runner.load(
                run.model_dir,
                tapped,
                allow_unsafe=run.options.allow_unsafe,
                kernels=run.options.kernels,
            )

    def untapped(self, error: ExecutionError) -> ExecutionError:
        """The runtime's error as the model without taps names things: the copied
        functions' names (``<name>__tap``) back to the originals', so the text is what TF
        Serving would say. A worker's end is returned as it is."""
        if self._rewritten is None or isinstance(error, WorkerEndedError):
            return error
        message = str(error)
        # Longest first: one copy's name may start with another's.
        for copy, original in sorted(self._rewritten.copies, key=lambda c: -len(c[0])):
            message = message.replace(copy, original)
        if message == str(error):
            return error
        restored = ExecutionError(message, code=error.code)
        restored.explanation = error.explanation
        return restored

    @property
    def fetches(self) -> list[str]:
        """Top-level tensors to fetch after the call's own: each tap's value, then the
        flags saying whether its branch or loop ran."""
        if self._rewritten is None:
            return []
        return [n for f in self._rewritten.fetches for n in (f.tensor, *f.ran)]

    def read(self, values: list[Any], output: runner.RunOutput) -> Inspection:
        """The taps from their fetched ``values`` (in :attr:`fetches` order) and the
        profile from the traced run."""
        taps: list[TapValue] = []
        if self._rewritten is not None:
            position = 0
            for fetch in self._rewritten.fetches:
                count = 1 + len(fetch.ran)
                taps.append(_tap_value(fetch, values[position : position + count]))
                position += count
        profile = None
        if self.trace:
            tree = _call_tree(self._run.meta_graph, self._run.signature)
            profile = from_run_metadata(output.trace, tree, output.run_ms)
        return Inspection(tuple(taps), profile)


# Per graph, what a call prepares again for the same signature and taps: resolving and
# rewriting the graph (a copy of the whole MetaGraph), and the call tree a profile maps
# names onto. Kept, the same rewritten MetaGraph is the same loaded model, found by id.
_PREPARED: GraphCache[dict[tuple[str, tuple[str, ...]], tuple[Rewritten, MetaGraphInfo]]] = (
    GraphCache(lambda graph: {})
)
_TREES: GraphCache[dict[str, CallTree]] = GraphCache(lambda graph: {})


def _tapped(run: RunContext, model: runner.LoadedModel) -> tuple[Rewritten, MetaGraphInfo]:
    meta_graph, taps = run.meta_graph, tuple(run.options.taps)
    prepared = _PREPARED.get(meta_graph.proto)
    key = (run.signature.key, taps)
    if key not in prepared:
        sites = resolve(meta_graph, run.signature, taps, model.op_defs)
        rewritten = rewrite(meta_graph.proto, sites)
        prepared[key] = (rewritten, replace(meta_graph, proto=rewritten.proto))
    return prepared[key]


def _call_tree(meta_graph: MetaGraphInfo, signature: SignatureInfo) -> CallTree:
    trees = _TREES.get(meta_graph.proto)
    if signature.key not in trees:
        trees[signature.key] = CallTree(meta_graph.proto, signature)
    return trees[signature.key]


def _tap_value(fetch: TapFetch, values: list[Any]) -> TapValue:
    ran = all(bool(np.asarray(flag)) for flag in values[1:])
    return TapValue(fetch.site, np.asarray(values[0]) if ran else None)
