"""The limits a model must stay within before TensorFlow is given it, and their check.

TensorFlow trusts the graphs it loads. A 1 KB SavedModel can crash it (a function that
calls itself, a call chain 20,000 deep, a 200,000-op chain: each a stack overflow, which
takes down every model TF Serving serves), or exhaust the machine (a million nodes: three
minutes and 7.4 GB to load; one 100-byte Const that TensorFlow expands to 5 GB).
:func:`check_bounds` measures the MetaGraph (``explorer.model.extent``: linear, without
TensorFlow, cached per parsed proto) and refuses it with a ModelLimitError that names the
limit, the value and how to raise it, before anything is loaded. Reading metadata checks
only what reading itself costs (``EXPLORER_MAX_PBTXT_BYTES``), so ``show`` stays as fast
as before.

Each limit is an environment variable; 0 turns it off. A call cycle is refused at any
setting: TensorFlow cannot run one.

=============================  =========  ============================================
``EXPLORER_MAX_MODEL_NODES``   500,000    nodes one run builds, function calls inlined
``EXPLORER_MAX_CALL_DEPTH``    100        nested function calls
``EXPLORER_MAX_GRAPH_DEPTH``   10,000     ops on the longest path of the inlined graph
``EXPLORER_MAX_CONSTANT_BYTES`` 2 GiB     constants and signature defaults, materialized
``EXPLORER_MAX_PBTXT_BYTES``   64 MiB     a saved_model.pbtxt to parse
=============================  =========  ============================================

The defaults leave room for real models: Keras' EfficientNetB7 (Keras 3's export) has
32,000 nodes, call depth 2, graph depth 1,814 and 0.6 MB of constants. TensorFlow crashed
here on a path of 30,000 to 40,000 ops, took 12 s to load a 400-deep call chain and
crashed on one 6,000 deep.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer.errors import ModelLimitError, UsageError
from explorer.model.extent import CallCycleError, GraphExtent, measure, written_nodes

if TYPE_CHECKING:
    from explorer.model.info import MetaGraphInfo

ENV_MAX_NODES = "EXPLORER_MAX_MODEL_NODES"
ENV_MAX_CALL_DEPTH = "EXPLORER_MAX_CALL_DEPTH"
ENV_MAX_GRAPH_DEPTH = "EXPLORER_MAX_GRAPH_DEPTH"
ENV_MAX_CONSTANT_BYTES = "EXPLORER_MAX_CONSTANT_BYTES"
ENV_MAX_PBTXT_BYTES = "EXPLORER_MAX_PBTXT_BYTES"

_CACHE_SIZE = 16
_CHAIN_SHOWN = 4  # functions of a long call chain or cycle named in a message


@dataclass(frozen=True, slots=True)
class ModelBounds:
    """The limits; 0 means no limit."""

    max_nodes: int = 500_000
    max_call_depth: int = 100
    max_graph_depth: int = 10_000
    max_constant_bytes: int = 2 * 1024**3
    max_pbtxt_bytes: int = 64 * 1024**2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ModelBounds:
        """The limits from their environment variables; unset ones keep the default.

        Raises:
            UsageError: a variable is set to something that is not a whole number ≥ 0.
        """
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            max_nodes=_env_limit(env, ENV_MAX_NODES, default.max_nodes),
            max_call_depth=_env_limit(env, ENV_MAX_CALL_DEPTH, default.max_call_depth),
            max_graph_depth=_env_limit(env, ENV_MAX_GRAPH_DEPTH, default.max_graph_depth),
            max_constant_bytes=_env_limit(env, ENV_MAX_CONSTANT_BYTES, default.max_constant_bytes),
            max_pbtxt_bytes=_env_limit(env, ENV_MAX_PBTXT_BYTES, default.max_pbtxt_bytes),
        )


def check_bounds(meta_graph: MetaGraphInfo, bounds: ModelBounds | None = None) -> GraphExtent:
    """Refuse a MetaGraph that would crash or exhaust TensorFlow, before it is loaded.

    Args:
        meta_graph: the MetaGraph about to be loaded.
        bounds: the limits; default :meth:`ModelBounds.from_env`, read at call time.

    Returns:
        What the MetaGraph measures (cached per parsed proto).

    Raises:
        ModelLimitError: a call cycle, or a limit passed; the message names the limit,
            the model's value and the environment variable that raises it.
        UsageError: a limit's environment variable is not a whole number.
    """
    bounds = ModelBounds.from_env() if bounds is None else bounds
    proto = meta_graph.proto
    written = written_nodes(proto)
    if bounds.max_nodes and written > bounds.max_nodes:
        # Counting costs nothing; measuring a graph this big would cost seconds.
        raise _over(
            f"{written:,} nodes", bounds.max_nodes, "nodes", ENV_MAX_NODES,
            "each node costs TensorFlow about 7 KB and 0.2 ms to load",
        )  # fmt: skip
    extent = _measured(meta_graph)
    if bounds.max_call_depth and extent.call_depth > bounds.max_call_depth:
        raise _over(
            f"function calls nested {extent.call_depth:,} deep "
            f"({_chain(extent.deepest_call)})",
            bounds.max_call_depth, "levels", ENV_MAX_CALL_DEPTH,
            "TensorFlow's function inlining slows sharply past a few hundred levels and "
            "crashes (a stack overflow) past a few thousand",
        )  # fmt: skip
    if bounds.max_nodes and extent.nodes > bounds.max_nodes:
        raise _over(
            f"{extent.nodes:,} nodes in one run of {extent.largest_run} once its function "
            f"calls are inlined ({extent.written_nodes:,} as written)",
            bounds.max_nodes, "nodes", ENV_MAX_NODES,
            "TensorFlow inlines every call before it runs a graph",
        )  # fmt: skip
    if bounds.max_constant_bytes and extent.constant_bytes > bounds.max_constant_bytes:
        raise _over(
            f"constants that take {_bytes(extent.constant_bytes)} once materialized; the "
            f"largest is {extent.largest_constant}, {_bytes(extent.largest_constant_bytes)}",
            bounds.max_constant_bytes, "bytes", ENV_MAX_CONSTANT_BYTES,
            "a TensorProto's shape is filled by repeating its last value, so a few stored "
            "bytes can ask TensorFlow for gigabytes",
        )  # fmt: skip
    if bounds.max_graph_depth and extent.graph_depth > bounds.max_graph_depth:
        raise _over(
            f"a path of {extent.graph_depth:,} ops through its graph (function calls "
            "inlined)",
            bounds.max_graph_depth, "ops", ENV_MAX_GRAPH_DEPTH,
            "TensorFlow's graph passes recurse along it and crash (a stack overflow) "
            "between 30,000 and 40,000",
        )  # fmt: skip
    return extent


def _measured(meta_graph: MetaGraphInfo) -> GraphExtent:
    key = id(meta_graph.proto)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key][1]
    try:
        extent = measure(meta_graph.proto)
    except CallCycleError as exc:
        cycle = exc.cycle
        what = (
            f'function "{cycle[0]}" calls itself'
            if len(cycle) == 2
            else "its functions call each other in a cycle"
        )
        raise ModelLimitError(
            f"Refusing to load this model: {what} ({_chain(cycle)}). A recursive call "
            "never ends: TensorFlow recurses until it crashes (a stack overflow), so no "
            f"setting allows it, not even {ENV_MAX_CALL_DEPTH}=0.",
            limit=ENV_MAX_CALL_DEPTH,
        ) from None
    with _cache_lock:
        # Holding the proto keeps its id from being reused by another object.
        _cache[key] = (meta_graph.proto, extent)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return extent


_cache: OrderedDict[int, tuple[Any, GraphExtent]] = OrderedDict()
_cache_lock = threading.Lock()


def _over(found: str, limit: int, unit: str, env: str, why: str) -> ModelLimitError:
    return ModelLimitError(
        f"Refusing to load this model: it has {found}, past the limit of {limit:,} {unit} "
        f"({env}); {why}. To load it anyway, raise {env} (0 turns the limit off).",
        limit=env,
    )


def _chain(names: tuple[str, ...]) -> str:
    if len(names) <= _CHAIN_SHOWN:
        return " → ".join(names)
    return (
        " → ".join(names[: _CHAIN_SHOWN - 1])
        + f" → … ({len(names) - _CHAIN_SHOWN} more) → {names[-1]}"
    )


def _bytes(count: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count} bytes"


def _env_limit(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise UsageError(
            f'{name}="{text}": expected a whole number (e.g. {default}; 0 turns the limit off).'
        )
    return value
