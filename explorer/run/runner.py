"""Models run in worker processes, never in this one: load, run, and a bounded set of them.

:func:`load` scans the MetaGraph (``require_safe``), stages it for a worker
(``explorer.run.staging``: the scanned bytes, the model's own files) and has the worker
load it; the :class:`LoadedModel` it returns runs feeds through that worker
(``explorer.run.supervisor``). This process holds no TensorFlow session and never imports
TensorFlow.

Models that pass the scan share one worker; a model the user opted in to despite unsafe
ops gets a worker of its own, which sees nothing but that model. At most
``EXPLORER_WORKER_MODELS`` models (default 4) stay loaded: the least recently used one is
unloaded (and its dedicated worker ended) to make room. A worker that crashes, outgrows
``EXPLORER_WORKER_MEMORY_MB`` (default 8192) or runs a call past
``EXPLORER_CALL_TIMEOUT_S`` (default 60; loads ``EXPLORER_LOAD_TIMEOUT_S``, default 300)
ends alone: its calls fail with a WorkerEndedError and the next call starts a fresh one.
``EXPLORER_KERNELS=mkl`` runs TensorFlow's oneDNN kernels (TF Serving's ``--config=mkl``
builds) instead of TF Serving's standard CPU kernels.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from explorer.codec.tensor_proto import tensor_proto_to_array
from explorer.constants import Kernels
from explorer.errors import (
    ExecutionError,
    ExplorerError,
    InputError,
    ModelLoadError,
    UsageError,
)
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run import sandbox, wire
from explorer.run.staging import content_key
from explorer.run.supervisor import Limits, WorkerProcess
from explorer.safety.scan import require_safe, scan_meta_graph

ENV_MODELS = "EXPLORER_WORKER_MODELS"
ENV_MEMORY = "EXPLORER_WORKER_MEMORY_MB"
ENV_CALL_TIMEOUT = "EXPLORER_CALL_TIMEOUT_S"
ENV_LOAD_TIMEOUT = "EXPLORER_LOAD_TIMEOUT_S"
ENV_KERNELS = "EXPLORER_KERNELS"
_MAX_STRING_RANK = 32
_KEYS_KEPT = 64  # content keys remembered per proto (reading a model again must not grow it)


@dataclass(frozen=True, slots=True)
class RunOutput:
    """Fetched values (in fetch order) and what the call cost."""

    values: tuple[Any, ...]
    # Time spent loading the model for this call (0.0 when it was already loaded).
    load_ms: float
    # The Session run alone, as the worker timed it.
    run_ms: float
    # Carrying feeds to the worker and fetches back (the round trip less the run).
    transfer_ms: float = 0.0
    # Whose kernels ran it: TF Serving's standard CPU build or its mkl build.
    kernels: Kernels = "standard"
    # A traced run's serialized RunMetadata (its step stats); empty otherwise.
    trace: bytes = b""


class LoadedModel:
    """A model loaded in a worker: run it, ask what it holds."""

    def __init__(
        self, key: str, model_dir: str, tags: tuple[str, ...], staged: str, kernels: Kernels
    ) -> None:
        self.key = key
        self.model_dir = model_dir
        self.tags = tags
        self.kernels = kernels
        self.staged = staged  # its folder as the worker sees it (for error messages)
        self.worker: WorkerProcess | None = None

    def run(
        self, feeds: Mapping[str, Any], fetches: Sequence[str], *, trace: bool = False
    ) -> RunOutput:
        """Feed arrays by tensor name and fetch tensors by name, with C++ semantics.

        Args:
            feeds: tensor name → array.
            fetches: tensor names.
            trace: also return each kernel's step stats (``RunOptions.FULL_TRACE``).

        Returns:
            The fetched arrays in fetch order, the run's time and the transfer's, and when
            traced the serialized ``RunMetadata``.

        Raises:
            InputError: a feed TensorFlow's Python binding cannot take (string rank > 32).
            ExecutionError: the runtime refused the feeds or failed; its message and code.
            WorkerEndedError: the worker crashed, outgrew its memory or the time limit.
        """
        for name, value in feeds.items():
            _check_feed(name, value)
        start = time.perf_counter()
        answer = self._ask(
            {"op": "run", "feeds": list(feeds), "fetches": list(fetches), "trace": trace},
            wire.arrays_of(list(feeds.values())),
            timeout_s=_limits().call_timeout_s,
        )
        total_ms = (time.perf_counter() - start) * 1000
        run_ms = min(float(answer.header.get("run_ms", 0.0)), total_ms)
        values = answer.arrays
        if len(values) != len(fetches) + trace:
            raise RuntimeError("the worker answered with the wrong number of arrays")  # a bug
        traced = bytes(values[-1].reshape(-1)[0]) if trace else b""
        values = values[: len(fetches)]
        return RunOutput(values, 0.0, run_ms, total_ms - run_ms, self.kernels, traced)

    def op_defs(self, names: Sequence[str]) -> dict[str, bytes]:
        """Serialized OpDefs of these ops from TensorFlow's registry (the names it knows)."""
        if not names:
            return {}
        answer = self._ask({"op": "op_defs", "names": list(names)}, (), timeout_s=30.0)
        found = [str(n) for n in answer.header.get("names", [])]
        data = answer.arrays[0].reshape(-1) if answer.arrays else ()
        if len(found) != len(data):
            raise RuntimeError("the worker answered with the wrong number of OpDefs")  # a bug
        return {name: bytes(value) for name, value in zip(found, data, strict=True)}

    def has_tensor(self, name: str) -> bool:
        """Whether ``name`` (``op:index``, or ``op`` for index 0) is a tensor of the graph."""
        answer = self._ask({"op": "has_tensor", "name": name}, (), timeout_s=30.0)
        return bool(answer.header.get("found"))

    def _ask(
        self, header: dict[str, Any], arrays: Sequence[Any], *, timeout_s: float
    ) -> wire.Frame:
        worker = self.worker
        assert worker is not None
        if not worker.alive and worker.pid is not None:
            # Its worker ended since it was loaded: load it again (a fresh worker).
            _POOL.forget(self)
            raise ExecutionError(
                "This model's worker ended since it was loaded; run the call again to load "
                "it into a fresh one.",
                code="UNAVAILABLE",
            )
        answer = worker.request({**header, "key": self.key}, arrays, timeout_s=timeout_s)
        _raise_for(answer, self)
        _POOL.touch(self)
        return answer


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


def load(
    model_dir: str,
    meta_graph: MetaGraphInfo,
    *,
    allow_unsafe: bool = False,
    kernels: Kernels | None = None,
) -> tuple[LoadedModel, float]:
    """The loaded model for (folder, graph, tags), loading it into a worker on first use.

    Args:
        model_dir: the SavedModel folder (its variables and assets are staged).
        meta_graph: the MetaGraph to load; scanned for unsafe ops, and what is loaded.
        allow_unsafe: load and run even if the model reaches unsafe ops.
        kernels: TF Serving's "standard" CPU kernels or its "mkl" build's (oneDNN);
            default ``EXPLORER_KERNELS``, else "standard". Each runs in its own worker.

    Returns:
        The model and the milliseconds spent loading it now (0.0 if it was loaded).

    Raises:
        UnsafeModelError: unsafe ops and no opt-in (checked on every call).
        ModelLimitError: the model is past a limit that protects the server.
        ModelSourceError: a data file of the model is a symlink or not a regular file.
        ModelLoadError: TensorFlow could not load the SavedModel.
        WorkerEndedError: the worker crashed or outlived the load's time limit.
    """
    require_safe(meta_graph, allow_unsafe=allow_unsafe)
    return _POOL.load(os.path.abspath(model_dir), meta_graph, kernels or default_kernels())


def warm(
    model_dir: str,
    meta_graph: MetaGraphInfo,
    *,
    allow_unsafe: bool = False,
    delay_s: float = 0.0,
) -> None:
    """Start loading a model into its worker in the background (once), so the first Run
    does not wait for TensorFlow and the model. A model that may not run yet (unsafe ops,
    no opt-in) only gets the shared worker started. Failures are kept for the first real
    call to report, in its own words. Never raises.

    Args:
        model_dir: the SavedModel folder.
        meta_graph: the MetaGraph to load.
        allow_unsafe: the user's opt-in for this model.
        delay_s: wait this long first: starting TensorFlow keeps a CPU busy for seconds,
            which would slow the browser drawing the page the user is waiting for.
    """
    key = f"{os.path.abspath(model_dir)}|{','.join(meta_graph.tags)}|{id(meta_graph.proto)}"
    with _WARMING_LOCK:
        if key in _WARMING:
            return
        _WARMING[key] = threading.Event()
        while len(_WARMING) > _KEYS_KEPT:
            _WARMING.pop(next(iter(_WARMING)))
        done = _WARMING[key]

    def background() -> None:
        time.sleep(delay_s)
        try:
            if allow_unsafe or scan_meta_graph(meta_graph).clean:
                load(model_dir, meta_graph, allow_unsafe=allow_unsafe)
            else:
                _POOL.start_shared()
        except ExplorerError:
            pass  # the call that needs the model reports it, in its own words
        finally:
            done.set()

    threading.Thread(target=background, name="explorer-warm", daemon=True).start()


def model_state(model_dir: str, meta_graph: MetaGraphInfo) -> Literal["loaded", "loading", "idle"]:
    """Whether a model is loaded in a worker, being loaded (by :func:`warm`), or neither."""
    directory, tags = os.path.abspath(model_dir), tuple(meta_graph.tags)
    if (directory, tags) in loaded_models():
        return "loaded"
    key = f"{directory}|{','.join(tags)}|{id(meta_graph.proto)}"
    with _WARMING_LOCK:
        event = _WARMING.get(key)
    return "loading" if event is not None and not event.is_set() else "idle"


def model_key(model_dir: str, meta_graph: MetaGraphInfo) -> str:
    """What identifies a model here: a digest of its graph's bytes, its folder and its
    tag-set. An opt-in is bound to this key, so it does not carry over to a rewritten
    saved_model.pb at the same path."""
    return _POOL.key(os.path.abspath(model_dir), meta_graph)


def loaded_models() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(folder, tags) of every model loaded in a worker, least recently used first."""
    return _POOL.loaded()


def unload(model_dir: str | None = None) -> None:
    """Unload models (all, or those read from one folder or its version folders); their
    staged files go too."""
    _POOL.unload(None if model_dir is None else os.path.abspath(model_dir))


def sandbox_line() -> str:
    """One line saying whether models run in a sandbox here, for the app and the CLI."""
    return sandbox.status().line


def worker_pids() -> tuple[int, ...]:
    """Process ids of the running workers (for tests and the memory benchmark)."""
    return _POOL.pids()


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


class _Pool:
    """The workers, the models loaded in them, and the least-recently-used order."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._shared: dict[Kernels, WorkerProcess] = {}
        self._own: dict[str, WorkerProcess] = {}  # content key → a dedicated worker
        self._keys: OrderedDict[int, tuple[Any, str]] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}
        self._staged_names: dict[str, str] = {}  # content key → its folder in the staging

    def load(
        self, model_dir: str, meta_graph: MetaGraphInfo, kernels: Kernels
    ) -> tuple[LoadedModel, float]:
        key = f"{kernels}:{self.key(model_dir, meta_graph)}"
        with self._lock:
            model = self._models.get(key)
            if model is not None and model.worker is not None and model.worker.alive:
                self._models.move_to_end(key)
                return model, 0.0
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per model, however many callers ask at once
            with self._lock:
                model = self._models.get(key)
                if model is not None and model.worker is not None and model.worker.alive:
                    return model, 0.0
                self._models.pop(key, None)
            return self._load_new(key, model_dir, meta_graph, kernels)

    def _load_new(
        self, key: str, model_dir: str, meta_graph: MetaGraphInfo, kernels: Kernels
    ) -> tuple[LoadedModel, float]:
        start = time.perf_counter()
        self._drop_gone()
        worker = self._worker_for(key, meta_graph, kernels)
        name = worker.staging.stage(model_dir, meta_graph)
        staged = f"{worker.models_path}/{name}"
        model = LoadedModel(key, model_dir, tuple(meta_graph.tags), staged, kernels)
        model.worker = worker
        try:
            answer = worker.request(
                {"op": "load", "key": key, "dir": staged, "tags": model.tags},
                timeout_s=_limits().load_timeout_s,
            )
            _raise_for(answer, model)
        except BaseException:
            worker.staging.remove(name)
            if worker is self._own.get(key):
                self._own.pop(key).close()
            raise
        with self._lock:
            self._models[key] = model
            self._staged_names[key] = name
            evicted = self._over_capacity()
        for old in evicted:
            self._drop(old)
        return model, (time.perf_counter() - start) * 1000

    def _worker_for(self, key: str, meta_graph: MetaGraphInfo, kernels: Kernels) -> WorkerProcess:
        with self._lock:
            if not scan_meta_graph(meta_graph).clean:
                # Opted in despite unsafe ops: alone in a sandbox that sees only itself.
                worker = self._own.get(key)
                if worker is None or (worker.pid is not None and not worker.alive):
                    worker = self._own[key] = WorkerProcess(f"model {key}", kernels, _limits())
                return worker
            worker = self._shared.get(kernels)
            if worker is None or (worker.pid is not None and not worker.alive):
                if worker is not None:
                    self._forget_worker(worker)
                worker = self._shared[kernels] = WorkerProcess("shared", kernels, _limits())
            return worker

    def start_shared(self) -> None:
        """Start the shared worker (TensorFlow's import) without loading a model."""
        with self._lock:
            worker = self._shared.get(default_kernels())
            if worker is None or (worker.pid is not None and not worker.alive):
                worker = self._shared[default_kernels()] = WorkerProcess(
                    "shared", default_kernels(), _limits()
                )
        worker.start()

    def touch(self, model: LoadedModel) -> None:
        with self._lock:
            if model.key in self._models:
                self._models.move_to_end(model.key)

    def forget(self, model: LoadedModel) -> None:
        with self._lock:
            if self._models.get(model.key) is model:
                del self._models[model.key]

    def loaded(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        with self._lock:
            return tuple(
                (m.model_dir, m.tags)
                for m in self._models.values()
                if m.worker is not None and m.worker.alive
            )

    def pids(self) -> tuple[int, ...]:
        with self._lock:
            workers = [*self._shared.values(), *self._own.values()]
        return tuple(w.pid for w in workers if w.pid is not None and w.alive)

    def unload(self, model_dir: str | None) -> None:
        with self._lock:
            chosen = [
                m
                for m in self._models.values()
                if model_dir is None
                or m.model_dir == model_dir
                or m.model_dir.startswith(model_dir + os.sep)
            ]
            for model in chosen:
                del self._models[model.key]
        for model in chosen:
            self._drop(model)

    def close(self) -> None:
        with self._lock:
            workers = [*self._shared.values(), *self._own.values()]
            self._shared.clear()
            self._own.clear()
            self._models.clear()
        for worker in workers:
            worker.close()

    def _drop_gone(self) -> None:
        # A model whose folder was removed (an upload whose session ended) goes too.
        with self._lock:
            gone = [m for m in self._models.values() if not os.path.isdir(m.model_dir)]
            for model in gone:
                del self._models[model.key]
        for model in gone:
            self._drop(model)

    def _over_capacity(self) -> list[LoadedModel]:
        evicted = []
        while len(self._models) > _max_models():
            _, oldest = self._models.popitem(last=False)
            evicted.append(oldest)
        return evicted

    def _drop(self, model: LoadedModel) -> None:
        worker = model.worker
        if worker is None:
            return
        own = self._own.get(model.key)
        if own is worker:
            with self._lock:
                self._own.pop(model.key, None)
            worker.close()
            return
        if worker.alive:
            with contextlib.suppress(ExplorerError):  # it ended meanwhile: nothing to unload
                worker.request({"op": "unload", "key": model.key}, timeout_s=30.0)
        name = self._staged_names.pop(model.key, None)
        if name is not None:
            worker.staging.remove(name)

    def _forget_worker(self, worker: WorkerProcess) -> None:
        for key in [k for k, m in self._models.items() if m.worker is worker]:
            del self._models[key]
        worker.close()

    def key(self, model_dir: str, meta_graph: MetaGraphInfo) -> str:
        # Hashing a large graph costs milliseconds: once per proto (kept alive with it).
        ident = id(meta_graph.proto)
        with self._lock:
            kept = self._keys.get(ident)
            if kept is not None and kept[0] is meta_graph.proto and kept[1].startswith(model_dir):
                return kept[1].split("|", 1)[1]
        key = content_key(model_dir, meta_graph)
        with self._lock:
            self._keys[ident] = (meta_graph.proto, f"{model_dir}|{key}")
            while len(self._keys) > _KEYS_KEPT:
                self._keys.popitem(last=False)
        return key


def _raise_for(answer: wire.Frame, model: LoadedModel) -> None:
    header = answer.header
    if header.get("ok") is True:
        return
    error = header.get("error")
    if not isinstance(error, dict):
        raise RuntimeError(f"the worker sent a malformed answer: {header!r}")  # a bug
    message = str(error.get("message", "")).replace(model.staged, model.model_dir)
    kind = error.get("kind")
    if kind == "load":
        raise ModelLoadError(message)
    if kind == "execution":
        raise ExecutionError(message, code=str(error.get("code") or "UNKNOWN"))
    raise RuntimeError(f"the worker failed (a bug in Signature Explorer): {message}")


def _check_feed(name: str, value: Any) -> None:
    # TensorFlow's Python binding converts string arrays with a fixed 32-entry shape
    # buffer: a string feed of rank 33 or more crashes the process (TF Serving's C++ is
    # fine with it), so it is refused before it reaches the worker.
    ndim = getattr(value, "ndim", 0)
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if ndim > _MAX_STRING_RANK and kind in ("O", "S", "U"):
        raise InputError(
            f"Feed {name}: a string tensor of rank {ndim}; at most {_MAX_STRING_RANK} "
            "dimensions can be fed here (TensorFlow's Python binding crashes past that).",
            key=name,
        )
    if isinstance(value, np.ndarray) and value.dtype == object:
        # TensorFlow's conversion of an object array takes bytes and str only; its error
        # for anything else, as it came from the Session in this process before.
        for item in value.flat:
            if not isinstance(item, (bytes, str)):
                kind = type(item).__name__
                raise ExecutionError(f"Unsupported object type {kind}", code="INTERNAL")


def _limits() -> Limits:
    return Limits(
        memory_mb=_env_int(ENV_MEMORY, 8192),
        call_timeout_s=_env_float(ENV_CALL_TIMEOUT, 60.0),
        load_timeout_s=_env_float(ENV_LOAD_TIMEOUT, 300.0),
    )


def _max_models() -> int:
    return _env_int(ENV_MODELS, 4)


def default_kernels() -> Kernels:
    """``EXPLORER_KERNELS`` ("standard" or "mkl"), else TF Serving's standard kernels.

    Raises:
        UsageError: any other value.
    """
    value = os.environ.get(ENV_KERNELS, "standard").strip().lower() or "standard"
    if value not in ("standard", "mkl"):
        raise UsageError(
            f'{ENV_KERNELS}="{value}": expected "standard" (TF Serving\'s CPU build) or "mkl" '
            "(its --config=mkl build, with oneDNN)."
        )
    kernels: Literal["standard", "mkl"] = "mkl" if value == "mkl" else "standard"
    return kernels


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f'{name}="{text}": expected a whole number.') from None
    if value < 1:
        raise UsageError(f'{name}="{text}": expected a number of at least 1.')
    return value


def _env_float(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f'{name}="{text}": expected a number of seconds.') from None
    if not value > 0:
        raise UsageError(f'{name}="{text}": expected a positive number of seconds.')
    return value


_POOL = _Pool()
atexit.register(_POOL.close)
# warm() calls under way or done, by (folder, tags, proto): each model is warmed once.
_WARMING: dict[str, threading.Event] = {}
_WARMING_LOCK = threading.Lock()
