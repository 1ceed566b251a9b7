"""The worker process: loads models and runs them, serving the parent over one socket.

``python -m explorer.run.worker --channel-fd N`` (started by ``explorer.run.supervisor``,
inside a sandbox where the OS allows one). Requests arrive as ``explorer.run.wire``
frames and are served concurrently on a thread pool, so eight callers run in parallel;
each answer carries the request's id. A request that crashes TensorFlow takes this
process down, and only this process: the parent reports it and starts a fresh one.

Requests (header ``op``): ``load`` {key, dir, tags}, ``run`` {key, feeds, fetches, trace}
with the feed arrays (traced: the serialized RunMetadata follows the fetches as one more
string array), ``prepare`` {key, feeds, fetches} (build that run's executors, run
nothing), ``has_tensor`` {key, name}, ``unload`` {key}, ``op_defs`` {names} (OpDefs from
TensorFlow's registry, one string array). Answers: ``ok`` true with the result, or ``ok``
false with ``error`` {kind, message, code}.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from explorer.errors import ExecutionError, ModelLoadError
from explorer.run import wire
from explorer.run.kernel_warmup import warm_kernels
from explorer.run.session import Session, op_defs, tensorflow

_THREADS = 32  # concurrent requests served; TensorFlow's own pools do the heavy work


class Worker:
    """The loaded sessions and the request loop."""

    def __init__(self, channel: socket.socket) -> None:
        self.channel = channel
        self.sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._write = threading.Lock()

    def serve(self) -> None:
        """Answer requests until the parent closes the channel."""
        tf = tensorflow()
        try:
            warm_kernels(tf)  # a model's first run then costs about what later ones do
        except tf.errors.OpError as exc:  # TensorFlow's refusal here: models may still run
            sys.stderr.write(f"worker: the kernel warm-up failed: {type(exc).__name__}: {exc}\n")
        self._send({"op": "ready", "pid": os.getpid(), "tensorflow": tf.__version__})
        pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="request")
        while True:
            frame = wire.receive_frame(self.channel)
            if frame is None:
                # The parent is gone (it exited, was killed, or closed the channel): nobody
                # is left to answer, so a load or run still going must not keep this
                # process alive (main() ends it without waiting for them).
                pool.shutdown(wait=False, cancel_futures=True)
                return
            pool.submit(self._answer, frame)

    def _answer(self, frame: wire.Frame) -> None:
        header = frame.header
        handlers: dict[str, Callable[[dict[str, Any], tuple[Any, ...]], wire.Frame]] = {
            "load": self._load,
            "run": self._run,
            "has_tensor": self._has_tensor,
            "unload": self._unload,
            "op_defs": self._op_defs,
            "prepare": self._prepare,
        }
        try:
            handler = handlers[header["op"]]
            answer = handler(header, frame.arrays)
        except ModelLoadError as exc:
            answer = _error(header, "load", str(exc), "")
        except ExecutionError as exc:
            answer = _error(header, "execution", str(exc), exc.code)
        except Exception as exc:  # a bug here: reported as one, never as the model's answer
            answer = _error(header, "bug", f"{type(exc).__name__}: {exc}", "")
        try:
            self._send({**answer.header, "id": header.get("id")}, answer.arrays)
        except wire.WireError as exc:  # an answer this wire cannot carry: a bug, said so
            self._send(
                {**_error(header, "bug", f"WireError: {exc}", "").header, "id": header.get("id")}
            )

    def _load(self, header: dict[str, Any], _: tuple[Any, ...]) -> wire.Frame:
        key = str(header["key"])
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per model, however many callers ask at once
            if key in self.sessions:
                return wire.Frame({"ok": True, "load_ms": 0.0})
            start = time.perf_counter()
            try:
                session = Session(str(header["dir"]), tuple(header["tags"]))
            except ModelLoadError:
                raise
            except Exception as exc:
                # TensorFlow's Python loader raises assorted types for a malformed model:
                # that is the model's doing, reported as a load failure.
                raise ModelLoadError(
                    f"Cannot load {header['dir']}: TensorFlow's loader failed "
                    f"({type(exc).__name__}: {exc})."
                ) from exc
            with self._lock:
                self.sessions[key] = session
            return wire.Frame({"ok": True, "load_ms": (time.perf_counter() - start) * 1000})

    def _run(self, header: dict[str, Any], arrays: tuple[Any, ...]) -> wire.Frame:
        session = self._session(header)
        feeds = dict(zip(header["feeds"], arrays, strict=True))
        start = time.perf_counter()
        if header.get("trace"):
            values, metadata = session.run_traced(feeds, list(header["fetches"]))
            values = [*values, np.array([metadata], dtype=object)]
        else:
            values = session.run(feeds, list(header["fetches"]))
        run_ms = (time.perf_counter() - start) * 1000
        return wire.Frame({"ok": True, "run_ms": run_ms}, wire.arrays_of(values))

    def _op_defs(self, header: dict[str, Any], _: tuple[Any, ...]) -> wire.Frame:
        found = op_defs([str(n) for n in header["names"]])
        return wire.Frame(
            {"ok": True, "names": list(found)}, (np.array(list(found.values()), dtype=object),)
        )

    def _prepare(self, header: dict[str, Any], _: tuple[Any, ...]) -> wire.Frame:
        start = time.perf_counter()
        made = self._session(header).prepare(list(header["feeds"]), list(header["fetches"]))
        elapsed = (time.perf_counter() - start) * 1000
        return wire.Frame({"ok": True, "made": made, "prepare_ms": elapsed})

    def _has_tensor(self, header: dict[str, Any], _: tuple[Any, ...]) -> wire.Frame:
        found = self._session(header).has_tensor(str(header["name"]))
        return wire.Frame({"ok": True, "found": found})

    def _unload(self, header: dict[str, Any], _: tuple[Any, ...]) -> wire.Frame:
        with self._lock:
            session = self.sessions.pop(str(header["key"]), None)
        if session is not None:
            session.close()
        return wire.Frame({"ok": True})

    def _session(self, header: dict[str, Any]) -> Session:
        with self._lock:
            session = self.sessions.get(str(header["key"]))
        if session is None:
            raise KeyError(f"model {header['key']} is not loaded in this worker")
        return session

    def _send(self, header: dict[str, Any], arrays: tuple[Any, ...] = ()) -> None:
        with self._write:
            wire.send_frame(self.channel, wire.Frame(header, arrays))


def _error(header: dict[str, Any], kind: str, message: str, code: str) -> wire.Frame:
    return wire.Frame({"ok": False, "error": {"kind": kind, "message": message, "code": code}})


def main(argv: list[str] | None = None) -> int:
    """Serve the parent on the inherited socket ``--channel-fd``."""
    parser = argparse.ArgumentParser(prog="python -m explorer.run.worker")
    parser.add_argument("--channel-fd", type=int, required=True)
    args = parser.parse_args(argv)
    # Whatever a model prints (PrintV2, a py_func) goes to stderr, which the parent keeps
    # as the worker's log: stdout is not the channel, but nothing should land there either.
    os.dup2(2, 1)
    channel = socket.socket(fileno=args.channel_fd)
    try:
        Worker(channel).serve()
    except wire.WireError as exc:
        sys.stderr.write(f"worker: the channel broke: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # Not sys.exit: it would wait for request threads still inside TensorFlow (a hostile
    # model's endless loop), and the parent that asked is gone.
    os._exit(code)
