"""Models warm before their first call: loaded in the background, and the signature's
``Session::Run`` already optimised.

A model's first call pays for two things: loading the MetaGraph into a worker (TensorFlow's
import, the variables), and TensorFlow building the executors for that call's feeds and
fetches (pruning, Grappler's optimisations, every kernel made) — seconds on a large model,
against a fraction of a second for each call after. :func:`warm` does both ahead of time,
in a background thread: it loads the model (within the pool's bound of loaded models) and
has the worker prepare the signature's run (``explorer.run.session``: a callable made for
those feeds and fetches, which every later call with them reuses). Nothing runs the model:
preparing executes no op, so a stateful model (a counter, a random op) answers its first
real call exactly as TF Serving would. What a process's first run costs beyond that
(TensorFlow's kernels touched for the first time) each worker pays as it starts, on a graph
of its own (``explorer.run.kernel_warmup``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY, Kernels
from explorer.errors import ExplorerError, UnknownSignatureError
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run.pool import POOL, LoadedModel, load
from explorer.run.worker_settings import default_kernels
from explorer.safety.scan import scan_meta_graph

_KEPT = 64  # warm-ups remembered (reading many models must not grow it)


@dataclass(slots=True)
class _WarmUp:
    """One warm-up: whether it has ended, and whether it loaded the model."""

    done: threading.Event = field(default_factory=threading.Event)
    loaded: bool = False


_WARMING: dict[str, _WarmUp] = {}
_WARMING_LOCK = threading.Lock()


def warm(
    model_dir: str,
    meta_graph: MetaGraphInfo,
    *,
    allow_unsafe: bool = False,
    delay_s: float = 0.0,
    signature: str | None = None,
    kernels: Kernels | None = None,
) -> None:
    """Start loading a model into its worker in the background and prepare a signature's
    run, once per (model, signature, kernels), so the first Run does not wait for
    TensorFlow, the model or the graph's optimisation. A model that may not run yet
    (unsafe ops, no opt-in) only gets the shared worker started. Failures are kept for
    the first real call to report, in its own words. Never raises.

    Args:
        model_dir: the SavedModel folder.
        meta_graph: the MetaGraph to load.
        allow_unsafe: the user's opt-in for this model.
        delay_s: wait this long first: starting TensorFlow keeps a CPU busy for seconds,
            which would slow the browser drawing the page the user is waiting for.
        signature: the signature whose run to prepare (default ``serving_default``, else
            the first callable one).
        kernels: whose kernels the calls will run (default ``EXPLORER_KERNELS``).
    """
    try:
        chosen = kernels or default_kernels()
    except ExplorerError:
        return  # a bad EXPLORER_KERNELS: the call that needs it says so
    key = _key(model_dir, meta_graph, chosen, signature)
    with _WARMING_LOCK:
        before = _WARMING.get(key)
        # Once per model and signature, unless the model it loaded has gone since (evicted
        # by the bound, unloaded, or its worker ended): then it is warmed again. One that
        # could not load is not retried on every look; its call reports why.
        gone = (
            before is not None
            and before.done.is_set()
            and before.loaded
            and not _is_loaded(model_dir, meta_graph)
        )
        if before is not None and not gone:
            return
        warm_up = _WARMING[key] = _WarmUp()
        while len(_WARMING) > _KEPT:
            _WARMING.pop(next(iter(_WARMING)))

    def background() -> None:
        time.sleep(delay_s)
        try:
            if allow_unsafe or scan_meta_graph(meta_graph).clean:
                model, _ = load(model_dir, meta_graph, allow_unsafe=allow_unsafe, kernels=chosen)
                warm_up.loaded = True
                prepare_signature(model, _signature(meta_graph, signature))
            else:
                POOL.start_shared()
        except ExplorerError:
            pass  # the call that needs the model reports it, in its own words
        finally:
            warm_up.done.set()

    threading.Thread(target=background, name="explorer-warm", daemon=True).start()


def model_state(model_dir: str, meta_graph: MetaGraphInfo) -> Literal["loaded", "loading", "idle"]:
    """Whether a model is loaded in a worker, being loaded or prepared (by :func:`warm`),
    or neither."""
    prefix = _key(model_dir, meta_graph, "", None).rsplit("|", 2)[0] + "|"
    with _WARMING_LOCK:
        busy = any(k.startswith(prefix) and not w.done.is_set() for k, w in _WARMING.items())
    if busy:
        return "loading"
    return "loaded" if _is_loaded(model_dir, meta_graph) else "idle"


def _is_loaded(model_dir: str, meta_graph: MetaGraphInfo) -> bool:
    return (os.path.abspath(model_dir), tuple(meta_graph.tags)) in POOL.loaded()


def prepare_signature(model: LoadedModel, signature: SignatureInfo | None) -> None:
    """Have the worker build the run a Predict (or Classify/Regress) of ``signature``
    makes: every input fed by name, every output fetched by name, in the order the call
    fetches them (by alias). Signatures with sparse or ragged TensorInfos are left cold.
    Never raises an ExplorerError (a signature TensorFlow cannot prepare fails, in its own
    words, when it is called)."""
    if signature is None or signature.is_init_op:
        return
    tensors = (*signature.inputs, *signature.outputs)
    if any(t.encoding != "name" or not t.name for t in tensors):
        return
    feeds = [t.name or "" for t in signature.inputs]
    fetches = list(dict.fromkeys(t.name or "" for t in signature.outputs))
    with contextlib.suppress(ExplorerError):
        model.prepare(feeds, fetches)


def _signature(meta_graph: MetaGraphInfo, key: str | None) -> SignatureInfo | None:
    try:
        return meta_graph.signature(key or DEFAULT_SERVING_SIGNATURE_KEY)
    except UnknownSignatureError:
        callable_ones = meta_graph.callable_signatures
        return callable_ones[0] if callable_ones and key is None else None


def _key(model_dir: str, meta_graph: MetaGraphInfo, kernels: str, signature: str | None) -> str:
    model = f"{os.path.abspath(model_dir)}|{','.join(meta_graph.tags)}|{id(meta_graph.proto)}"
    return f"{model}|{kernels}|{signature or ''}"
