"""Models run in worker processes, never in this one: load, run, warm, and what is loaded.

The façade the rest of the explorer calls. Loading and the bounded set of loaded models
are ``explorer.run.pool``; warming a model before its first call is
``explorer.run.warmup``; the environment's settings are ``explorer.run.worker_settings``.
This process holds no TensorFlow session and never imports TensorFlow.

A worker that crashes, outgrows ``EXPLORER_WORKER_MEMORY_MB`` (default 8192) or runs a
call past ``EXPLORER_CALL_TIMEOUT_S`` (default 60; loads ``EXPLORER_LOAD_TIMEOUT_S``,
default 300) ends alone: its calls fail with a WorkerEndedError and the next call starts
a fresh one. At most ``EXPLORER_WORKER_MODELS`` models (default 4) stay loaded.
``EXPLORER_KERNELS=mkl`` runs TensorFlow's oneDNN kernels (TF Serving's ``--config=mkl``
builds) instead of TF Serving's standard CPU kernels.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from explorer.codec.tensor_proto import tensor_proto_to_array
from explorer.errors import ExecutionError, InputError
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run import sandbox
from explorer.run.pool import POOL, LoadedModel, RunOutput, load
from explorer.run.warmup import model_state, warm
from explorer.run.worker_settings import (
    ENV_CALL_TIMEOUT,
    ENV_KERNELS,
    ENV_LOAD_TIMEOUT,
    ENV_MEMORY,
    ENV_MODELS,
    default_kernels,
)

__all__ = [
    "ENV_CALL_TIMEOUT",
    "ENV_KERNELS",
    "ENV_LOAD_TIMEOUT",
    "ENV_MEMORY",
    "ENV_MODELS",
    "LoadedModel",
    "RunOutput",
    "default_kernels",
    "load",
    "loaded_models",
    "model_key",
    "model_state",
    "run",
    "sandbox_line",
    "signature_defaults",
    "unload",
    "warm",
    "worker_pids",
]


def run(
    model_dir: str,
    meta_graph: MetaGraphInfo,
    feeds: Mapping[str, Any],
    fetches: Sequence[str],
    *,
    allow_unsafe: bool = False,
) -> RunOutput:
    """Run one step of a model's graph: feed tensors by name, fetch tensors by name.

    Raises:
        UnsafeModelError: the model reaches unsafe ops and ``allow_unsafe`` is False.
        ModelLoadError: the model cannot be loaded.
        ExecutionError: running failed; TensorFlow's message and status code.
    """
    model, load_ms = load(model_dir, meta_graph, allow_unsafe=allow_unsafe)
    output = model.run(feeds, fetches)
    return RunOutput(output.values, load_ms, output.run_ms, output.transfer_ms, output.kernels)


def model_key(model_dir: str, meta_graph: MetaGraphInfo) -> str:
    """What identifies a model here: a digest of its graph's bytes, its folder and its
    tag-set. An opt-in is bound to this key, so it does not carry over to a rewritten
    saved_model.pb at the same path."""
    return POOL.key(os.path.abspath(model_dir), meta_graph)


def loaded_models() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(folder, tags) of every model loaded in a worker, least recently used first."""
    return POOL.loaded()


def unload(model_dir: str | None = None) -> None:
    """Unload models (all, or those read from one folder or its version folders); their
    staged files go too."""
    POOL.unload(None if model_dir is None else os.path.abspath(model_dir))


def sandbox_line() -> str:
    """One line saying whether models run in a sandbox here, for the app and the CLI."""
    return sandbox.status().line


def worker_pids() -> tuple[int, ...]:
    """Process ids of the running workers (for tests and the memory benchmark)."""
    return POOL.pids()


def signature_defaults(signature: SignatureInfo) -> dict[str, Any]:
    """The signature's ``defaults`` TensorProtos as arrays (TF Serving feeds them for
    inputs a Predict request leaves out), decoded without TensorFlow.

    Raises:
        ExecutionError: ``tensor parsing error: <alias>`` for an unreadable TensorProto.
    """
    if signature.proto is None or not signature.defaults:
        return {}
    arrays = {}
    for alias, proto in signature.proto.defaults.items():
        try:
            arrays[alias] = tensor_proto_to_array(proto)
        except InputError as exc:
            raise ExecutionError(f"tensor parsing error: {alias}") from exc
    return arrays
