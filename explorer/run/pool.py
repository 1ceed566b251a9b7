"""The models loaded in worker processes: a bounded set, least recently used first out.

:func:`load` scans the MetaGraph (``require_safe``), stages it for a worker
(``explorer.run.staging``: the scanned bytes, the model's own files) and has the worker
load it; the :class:`LoadedModel` it returns runs feeds through that worker
(``explorer.run.supervisor``). Models that pass the scan share one worker per kind of
kernels; a model the user opted in to despite unsafe ops gets a worker of its own, which
sees nothing but that model. At most ``EXPLORER_WORKER_MODELS`` models stay loaded
(``explorer.run.worker_settings``): the least recently used one is unloaded (and its
dedicated worker ended) to make room. One load per model, however many callers ask.
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
from typing import Any

from explorer.constants import Kernels
from explorer.errors import ExecutionError, ExplorerError
from explorer.model.bounds import check_bounds
from explorer.model.info import MetaGraphInfo
from explorer.run import wire
from explorer.run.staging import content_key
from explorer.run.supervisor import WorkerProcess
from explorer.run.worker_io import check_feed, raise_for
from explorer.run.worker_settings import default_kernels, limits, max_models
from explorer.safety.scan import require_safe, scan_meta_graph

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
            check_feed(name, value)
        start = time.perf_counter()
        answer = self._ask(
            {"op": "run", "feeds": list(feeds), "fetches": list(fetches), "trace": trace},
            wire.arrays_of(list(feeds.values())),
            timeout_s=limits().call_timeout_s,
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

    def prepare(self, feeds: Sequence[str], fetches: Sequence[str]) -> bool:
        """Have the worker build the run for these feeds and fetches (TensorFlow's
        executors: pruning, Grappler, kernels) without running anything, so the first
        call with them costs what every later one does.

        Returns:
            True if it was built now, False if it was ready already.

        Raises:
            ExecutionError: TensorFlow cannot build that run (the call would fail too).
            WorkerEndedError: the worker crashed or outlived the time limit.
        """
        answer = self._ask(
            {"op": "prepare", "feeds": list(feeds), "fetches": list(fetches)},
            (),
            timeout_s=limits().load_timeout_s,
        )
        return bool(answer.header.get("made"))

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
            POOL.forget(self)
            raise ExecutionError(
                "This model's worker ended since it was loaded; run the call again to load "
                "it into a fresh one.",
                code="UNAVAILABLE",
            )
        answer = worker.request({**header, "key": self.key}, arrays, timeout_s=timeout_s)
        raise_for(answer, self)
        POOL.touch(self)
        return answer


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
    check_bounds(meta_graph)  # what would crash or exhaust TensorFlow, before anything
    require_safe(meta_graph, allow_unsafe=allow_unsafe)
    return POOL.load(os.path.abspath(model_dir), meta_graph, kernels or default_kernels())


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
        waiting = time.perf_counter()
        with gate:  # one load per model, however many callers ask at once
            with self._lock:
                model = self._models.get(key)
                if model is not None and model.worker is not None and model.worker.alive:
                    # Loaded by another caller (a warm-up) while this one waited: the
                    # wait is this call's load time.
                    return model, (time.perf_counter() - waiting) * 1000
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
                timeout_s=limits().load_timeout_s,
            )
            raise_for(answer, model)
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
                    worker = self._own[key] = WorkerProcess(f"model {key}", kernels, limits())
                return worker
            worker = self._shared.get(kernels)
            if worker is None or (worker.pid is not None and not worker.alive):
                if worker is not None:
                    self._forget_worker(worker)
                worker = self._shared[kernels] = WorkerProcess("shared", kernels, limits())
            return worker

    def start_shared(self) -> None:
        """Start the shared worker (TensorFlow's import) without loading a model."""
        with self._lock:
            worker = self._shared.get(default_kernels())
            if worker is None or (worker.pid is not None and not worker.alive):
                worker = self._shared[default_kernels()] = WorkerProcess(
                    "shared", default_kernels(), limits()
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
        while len(self._models) > max_models():
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


POOL = _Pool()
atexit.register(POOL.close)
