"""Remote calls on a live page: a worker thread the Stop button can abandon, and errors
titled by what kept the server from answering."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from components.error_panel import show_error
from components.text import md_text
from explorer.errors import (
    ExplorerError,
    MalformedReplyError,
    RemoteAddressError,
    RemoteCancelledError,
    RemoteConnectionError,
    RemoteError,
    RemoteTimeoutError,
    RemoteTLSError,
    UnknownModelError,
)

T = TypeVar("T")
_POLL_S = 0.2
_TITLES = (
    (RemoteConnectionError, "Cannot reach TF Serving"),
    (RemoteTimeoutError, "TF Serving did not answer in time"),
    (RemoteTLSError, "TLS failed"),
    (UnknownModelError, "No such model on the server"),
    (MalformedReplyError, "Not TF Serving's answer"),
    (RemoteCancelledError, "Cancelled"),
    (RemoteAddressError, "Cannot use these server settings"),
    (RemoteError, "TF Serving refused"),
)


def show_remote_error(err: ExplorerError) -> None:
    """An error box titled by what kept the server from answering; the page keeps working."""
    title = next((t for cls, t in _TITLES if isinstance(err, cls)), None)
    if title is None:
        show_error(err)
    else:
        st.error(f"**{title}.** {md_text(str(err))}")  # may quote the server's words


def call_with_cancel(call: Callable[[threading.Event], T], label: str) -> T:
    """Run ``call(cancel_event)`` on a worker thread while the page stays live.

    A Stop or rerun raises out of the polling loop; the ``finally`` then sets the event,
    and the remote call abandons its socket or gRPC future.
    """
    cancel = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call(cancel)
        except BaseException as exc:  # handed back to the script thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="remote-call", daemon=True)
    status = st.empty()
    start = time.monotonic()
    try:
        worker.start()
        while worker.is_alive():
            worker.join(_POLL_S)
            if worker.is_alive():
                elapsed = time.monotonic() - start
                status.caption(f"{md_text(label)}… {elapsed:.1f} s (Stop cancels)")
    finally:
        cancel.set()
        status.empty()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value
