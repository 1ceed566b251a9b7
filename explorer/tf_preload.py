"""Import TensorFlow in the background, so the first Run does not wait ~6 s for it.

Reading models never needs TensorFlow; only running a signature does. The app starts
this when its page is painted and shows the status; by the time a user presses Run,
``import tensorflow`` in the runner finds the module already loaded.
"""

from __future__ import annotations

import importlib
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None
_error: str | None = None


def start() -> None:
    """Begin importing TensorFlow on a daemon thread (once per process)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_import, name="tensorflow-preload", daemon=True)
            _thread.start()


def status() -> str:
    """``"not started"``, ``"loading"``, ``"ready"`` or ``"failed: <why>"``."""
    if _error is not None:
        return f"failed: {_error}"
    if _thread is None:
        return "not started"
    return "loading" if _thread.is_alive() else "ready"


def _import() -> None:
    global _error
    try:
        importlib.import_module("tensorflow")
    except Exception as exc:  # reported in the page; running will raise it properly
        _error = f"{type(exc).__name__}: {exc}"
