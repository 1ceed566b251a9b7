"""One worker process as the parent sees it: started (sandboxed where possible), asked over
its socket, watched, and ended cleanly when it crashes, outgrows its memory limit or
outlives a call's time limit.

Requests are multiplexed on one socket by id, so many threads call at once; a reader
thread hands each answer to its caller. A watchdog polls the memory of the worker's
process tree. When the worker ends for any reason, every call in flight fails with one
:class:`~explorer.errors.WorkerEndedError` that says what happened (with TensorFlow's last
words, e.g. ``Check failed: ...``) and what TF Serving would do; the next call starts a
fresh worker (the pool's job, ``explorer.run.runner``).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import IO, Any, Literal

from explorer.constants import Kernels
from explorer.errors import WorkerEndedError
from explorer.run import sandbox, wire
from explorer.run.staging import StagingArea
from explorer.run.worker_start import start_failure

_WATCH_S = 0.2
_TAIL_LINES = 200
# Lines of TensorFlow's own log that say why it died, in the order they are worth quoting.
_LAST_WORDS = re.compile(
    r"Check failed: .*|F\d{4} .*|Fatal Python error: .*|terminate called .*|what\(\): .*|"
    r"Segmentation fault.*|Aborted.*"
)
# absl/glog's line prefix: severity, date, time, thread, file:line.
_GLOG_PREFIX = re.compile(r"^[FEWI]\d{4} [\d:.]+\s+\d+ [^\]]*\] ")
CRASH_NOTE = (
    "TF Serving runs the same kernels in its own process: there, this request would crash "
    "the whole server and every model it serves, not just answer with an error."
)
MEMORY_NOTE = (
    "TF Serving has no memory limit of its own: there the server would grow until the "
    "machine runs out of memory."
)
TIMEOUT_NOTE = (
    "TF Serving has no time limit of its own: a client's deadline ends the wait, while the "
    "server keeps computing."
)


@dataclass(frozen=True, slots=True)
class Limits:
    """What a worker may use: its memory, and a call's or a load's wall-clock time."""

    memory_mb: int
    call_timeout_s: float
    load_timeout_s: float
    start_timeout_s: float = 180.0


class WorkerProcess:
    """One worker, started on first use; ``staging`` is the folder of models it can see."""

    def __init__(self, label: str, kernels: Kernels, limits: Limits) -> None:
        self.label = label
        self.kernels = kernels
        self.limits = limits
        self.staging = StagingArea()
        self._lock = threading.Lock()
        self._write = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[wire.Frame]] = {}
        self._tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None
        self._ready = threading.Event()
        self._ended: WorkerEndedError | None = None
        self._stop_reason: tuple[Literal["memory", "timeout"], str] | None = None
        self.pid: int | None = None
        # Where the staged models are, as the worker sees them.
        self.models_path = (
            sandbox.MODELS_MOUNT if sandbox.status().sandboxed else str(self.staging.root)
        )

    @property
    def alive(self) -> bool:
        return self._process is not None and self._ended is None

    def request(
        self, header: dict[str, Any], arrays: Sequence[Any] = (), *, timeout_s: float
    ) -> wire.Frame:
        """Send one request and wait for its answer.

        Raises:
            WorkerEndedError: the worker crashed, outgrew its memory or this call its time.
            DependencyError: the worker could not start: TensorFlow (or another package it
                imports) is not installed.
            WorkerStartError: the worker could not start for another reason (its sandbox's
                view, a crash or a slow start; the message says which).
        """
        self._start_once()
        future: Future[wire.Frame] = Future()
        with self._lock:
            if self._ended is not None:
                raise _fresh(self._ended)
            request_id = next(self._ids)
            self._pending[request_id] = future
        try:
            with self._write:
                assert self._channel is not None
                wire.send_frame(
                    self._channel, wire.Frame({**header, "id": request_id}, tuple(arrays))
                )
        except OSError:
            self._wait_for_end()
            raise self._end_error() from None
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout:
            what, limit = (
                ("load", "EXPLORER_LOAD_TIMEOUT_S")
                if header.get("op") == "load"
                else ("call", "EXPLORER_CALL_TIMEOUT_S")
            )
            self.stop(
                "timeout",
                f"The {what} took longer than {timeout_s:g} s ({limit}), so its worker was "
                "stopped.",
            )
            raise self._end_error() from None
        finally:
            with self._lock:
                self._pending.pop(request_id, None)

    def stop(self, reason: Literal["memory", "timeout"], message: str) -> None:
        """End the worker for a limit it broke; calls in flight fail with ``message``."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = (reason, message)
        self._kill()
        self._wait_for_end()

    def close(self) -> None:
        """End the worker (if any) and remove its staged models."""
        self._kill()
        if self._channel is not None:
            self._channel.close()
        self.staging.close()

    def rss_mb(self) -> float:
        """Resident memory of the worker's whole process tree, in MB."""
        return _tree_rss_kb(self.pid) / 1024 if self.pid else 0.0

    def start(self) -> None:
        """Start the worker now (it imports TensorFlow) rather than on the first request.

        Raises:
            DependencyError: a package the worker imports is not installed.
            WorkerStartError: the worker could not start for another reason.
        """
        self._start_once()

    # --- life cycle ----------------------------------------------------------------------

    def _start_once(self) -> None:
        with self._lock:
            if self._process is not None:
                return
            parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            env = _worker_env(self.kernels)
            argv, _ = sandbox.worker_command(self.staging.root, env=env)
            argv += ["--channel-fd", str(child_end.fileno())]
            process_env = {**os.environ, **env} if not sandbox.status().sandboxed else None
            self._process = subprocess.Popen(
                argv,
                pass_fds=(child_end.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=process_env,
                start_new_session=True,  # its own process group: one kill ends the tree
            )
            child_end.close()
            self._channel = parent_end
            self.pid = self._process.pid
        assert self._process.stderr is not None
        log = threading.Thread(target=self._read_log, args=(self._process.stderr,), daemon=True)
        log.start()
        threading.Thread(target=self._read_answers, daemon=True).start()
        threading.Thread(target=self._watch_memory, daemon=True).start()
        if not self._ready.wait(self.limits.start_timeout_s) or self._ended is not None:
            returncode = self._process.poll()
            self._kill()
            self._wait_for_end()
            log.join(timeout=5)  # its last words (they say why) are read to the end first
            raise start_failure(
                list(self._tail),
                returncode=returncode,
                waited_s=self.limits.start_timeout_s,
                sandboxed=sandbox.status().sandboxed,
            )

    def _read_answers(self) -> None:
        channel = self._channel
        assert channel is not None
        try:
            while (frame := wire.receive_frame(channel)) is not None:
                if frame.header.get("op") == "ready":
                    self._ready.set()
                    continue
                request_id = frame.header.get("id")
                with self._lock:
                    future = self._pending.get(request_id) if isinstance(request_id, int) else None
                if future is not None and not future.done():
                    future.set_result(frame)
        except (wire.WireError, OSError) as exc:
            self._tail.append(f"(the worker's answers broke off: {exc})")
        self._finish()

    def _finish(self) -> None:
        # The channel closed: the worker is gone (or going). Collect how it ended.
        process = self._process
        assert process is not None
        try:
            returncode = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
            returncode = process.wait()
        self._ready.set()
        error = self._describe_end(returncode)
        with self._lock:
            self._ended = error
            pending = list(self._pending.values())
        for future in pending:
            if not future.done():
                future.set_exception(_fresh(error))

    def _describe_end(self, returncode: int) -> WorkerEndedError:
        if self._stop_reason is not None:
            reason, message = self._stop_reason
            if reason == "memory":
                return WorkerEndedError(
                    message, reason="memory", note=MEMORY_NOTE, code="RESOURCE_EXHAUSTED"
                )
            return WorkerEndedError(
                message, reason="timeout", note=TIMEOUT_NOTE, code="DEADLINE_EXCEEDED"
            )
        signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
        how = f"signal {_signal_name(signum)}" if signum > 0 else f"exit status {returncode}"
        words = [
            _GLOG_PREFIX.sub("", m.group(0)).strip()
            for line in self._tail
            if (m := _LAST_WORDS.search(line))
        ]
        said = f": {'; '.join(dict.fromkeys(words[-3:]))}" if words else ""
        return WorkerEndedError(
            f"TensorFlow crashed while running this model ({how}){said}. Its worker was "
            "stopped; the next call starts a fresh one.",
            reason="crashed",
            note=CRASH_NOTE,
        )

    def _end_error(self) -> WorkerEndedError:
        with self._lock:
            if self._ended is not None:
                return _fresh(self._ended)
        return WorkerEndedError("The model's worker ended.", reason="crashed", note=CRASH_NOTE)

    def _wait_for_end(self) -> None:
        process = self._process
        if process is None:
            return
        deadline = time.monotonic() + 15
        while self._ended is None and time.monotonic() < deadline:
            time.sleep(0.02)

    def _kill(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        # The sandboxed worker runs in a session of its own (bwrap --new-session), so the
        # process group does not reach it: every descendant is killed by pid (the first is
        # the sandbox's PID-namespace init, whose end takes everything inside with it).
        for pid in descendants(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def _read_log(self, stream: IO[bytes]) -> None:
        # Kept, not shown: TensorFlow's start-up chatter is no one's business until a call
        # fails (then its last words are quoted). EXPLORER_TF_LOGS=1 passes it through.
        echo = bool(os.environ.get("EXPLORER_TF_LOGS"))
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._tail.append(line)
            if echo:
                sys.stderr.write(f"[worker] {line}\n")
        stream.close()

    def _watch_memory(self) -> None:
        limit_kb = self.limits.memory_mb * 1024
        while self._ended is None and self._process is not None and self._process.poll() is None:
            if self.pid and _tree_rss_kb(self.pid) > limit_kb:
                self.stop(
                    "memory",
                    f"The model's worker grew past its memory limit of "
                    f"{self.limits.memory_mb:,} MB (EXPLORER_WORKER_MEMORY_MB), so it was "
                    "stopped.",
                )
                return
            time.sleep(_WATCH_S)

    def log_tail(self, lines: int = 20) -> list[str]:
        """The worker's last lines of output (TensorFlow's log, what a model printed)."""
        return list(self._tail)[-lines:]


def _fresh(error: WorkerEndedError) -> WorkerEndedError:
    # One exception object per raise: threads raising a shared one would tangle its traceback.
    return WorkerEndedError(str(error), reason=error.reason, note=error.note, code=error.code)


def _worker_env(kernels: Kernels) -> dict[str, str]:
    env = {
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        # TF Serving's standard CPU build has no oneDNN; the pip wheel turns it on on x86.
        "TF_ENABLE_ONEDNN_OPTS": "1" if kernels == "mkl" else "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": "/usr/bin:/bin",
        # TensorFlow's own BFC allocator for CPU tensors: it keeps the memory a run freed for
        # the next one. The default one hands it back, so every run faults it in afresh
        # (MobileNetV2 at batch 8: ~30,000 page faults a call, a quarter of its CPU time).
        # Where a tensor's bytes live changes no value computed from them.
        "TF_CPU_ALLOCATOR_USE_BFC": "true",
    }
    for name in ("LANG", "LC_ALL", "OMP_NUM_THREADS", "TF_NUM_INTEROP_THREADS"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _tree_rss_kb(pid: int) -> int:
    total = 0
    for current in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue  # gone, or not Linux: nothing to add
    return total


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, parents before children (Linux's /proc; elsewhere
    none are found and the process group is what a kill reaches)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as kids:
                    children = [int(k) for k in kids.read().split()]
            except (OSError, ValueError):
                continue
            for child in children:
                if child not in found:
                    found.append(child)
                    stack.append(child)
    return found


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)
