"""Import TensorFlow in the background, so the first Run does not wait ~6 s for it.

Reading models never needs TensorFlow; only running a signature does. The app starts
this when its page is painted and shows the status; by the time a user presses Run,
``import tensorflow`` in the runner finds the module already loaded.
"""

from __future__ import annotations

import importlib
import threading
import time

_lock = threading.Lock()
_thread: threading.Thread | None = None
_error: str | None = None


def start(*, delay_s: float = 0.0) -> None:
    """Begin importing TensorFlow on a daemon thread (once per process).

    Args:
        delay_s: wait this long first. The import keeps a CPU busy for seconds; started
            at once it slows the browser drawing the page the user is waiting for.
    """
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(
                target=_import, args=(delay_s,), name="tensorflow-preload", daemon=True
            )
            _thread.start()


def status() -> str:
    """``"not started"``, ``"loading"``, ``"ready"`` or ``"failed: <why>"``."""
    if _error is not None:
        return f"failed: {_error}"
    if _thread is None:
        return "not started"
    return "loading" if _thread.is_alive() else "ready"


def _import(delay_s: float) -> None:
    global _error
    time.sleep(delay_s)
    try:
        importlib.import_module("tensorflow")
    except Exception as exc:  # reported in the page; running will raise it properly
        _error = f"{type(exc).__name__}: {exc}"
