"""Inputs that outlive their widgets: tables and uploads kept per run-panel scope.

Streamlit drops a widget's state when a run does not draw it (switching to another
signature and back would lose every typed value). Plain widgets use
``persist_state="session"`` (kept across pages too: Explore → Compare → Explore keeps the
request); ``st.data_editor`` and ``st.file_uploader`` have no such option,
so their last value is copied into ordinary session-state keys here and given back to a
fresh widget when it is drawn again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from components.text import md_code
from explorer.codec.arrays import read_npy
from explorer.codec.json_tensor import value_json
from explorer.codec.limits import ElementBudget
from explorer.errors import InputError

_NO_FILES: tuple[tuple[str, ...], list[tuple[str, bytes]]] = ((), [])


def kept_table(key: str, initial: Callable[[], pd.DataFrame], **editor: Any) -> pd.DataFrame:
    """An ``st.data_editor`` whose edits survive the editor not being drawn for a while.

    While the editor is on screen it is fed the same base frame (Streamlit replays the
    user's edits on top of it); when its state has been dropped, the last edited frame
    becomes the new base.
    """
    state = st.session_state
    widget = f"{key}.{state.get(key + '.generation', 0)}"
    if widget not in state or key + ".base" not in state:
        state[key + ".base"] = state.get(key + ".current", None)
        if state[key + ".base"] is None:
            state[key + ".base"] = initial()
    edited = st.data_editor(state[key + ".base"], key=widget, **editor)
    state[key + ".current"] = edited
    return edited


def reset_table(key: str) -> None:
    """Forget a kept table's edits: the next draw starts from its initial frame."""
    state = st.session_state
    state[key + ".generation"] = state.get(key + ".generation", 0) + 1
    state.pop(key + ".base", None)
    state.pop(key + ".current", None)


def read_tensor_file(name: str, data: bytes) -> Any:
    """A ``.npy`` (never pickled) or ``.json`` file as a JSON-able nested list or scalar.

    Raises:
        InputError: the file is not a readable array, or holds objects.
    """
    if name.lower().endswith(".npy"):
        # The element budget is checked from the header before anything is allocated.
        return value_json(read_npy(data, key=name, budget=ElementBudget(None)))
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read {name} as JSON: {exc}") from exc
    if isinstance(value, dict) and "b64" not in value:
        raise InputError(
            f"{name} holds a JSON object; expected a value or nested lists for one input."
        )
    return value


def kept_files(
    key: str,
    label: str,
    *,
    types: list[str],
    help_text: str,
    multiple: bool = False,
    store: str | None = None,
    adds: bool = False,
) -> list[tuple[str, bytes]]:
    """A file uploader whose files (name, bytes) are kept for the session: while the
    uploader holds files, they are used; drawn again after a while away (a tab, page, mode
    or signature switch empties it), the kept files stay in use, named beside a button that
    drops them, until the user drops them there or in the uploader.

    The files are dropped only when the user removes them from the uploader: it showed
    files, has been on screen since, and its change event says it is empty now. An
    uploader drawn afresh is empty too, stays empty on the runs after (its key is in the
    session state by then, so "drawn before and empty" is no sign), and its page may even
    report that emptiness as a change once it is mounted again.

    Args:
        store: the files' session key when several uploaders share them (default ``key``).
        adds: files dropped join the files in use when the drop began, rather than
            replacing them (a batch built up one drop at a time).
    """
    state = st.session_state
    kept = (store or key) + ".kept"
    anchor = key + ".anchor"  # adds: the files in use before this uploader's own
    showed = key + ".showed"  # the uploader, on screen since, has shown files of its own
    if key not in state:  # not drawn on the last run: a fresh, empty uploader
        state.pop(showed, None)
    uploaded = st.file_uploader(
        label,
        type=types,
        key=key,
        help=help_text,
        accept_multiple_files=multiple,
        on_change=_mark_changed,
        args=(key,),
    )
    # Set by the uploader's on_change: files added or removed (or a remounted uploader
    # reporting itself empty, which the check of ``showed`` below tells apart).
    changed = state.pop(key + ".changed", False)
    files = [f for f in (uploaded if isinstance(uploaded, list) else [uploaded]) if f is not None]
    if files:
        state[showed] = True
        before = state.get(anchor, _NO_FILES) if adds else _NO_FILES
        ids = before[0] + tuple(f.file_id for f in files)
        held = state.get(kept)
        if held is None or held[0] != ids:
            state[kept] = (ids, before[1] + [(f.name, f.getvalue()) for f in files])
        if before[1]:  # in use too, though the uploader does not list them
            names = ", ".join(md_code(name) for name, _ in before[1])
            st.caption(f"Also in the batch, dropped before: {names}")
        return list(state[kept][1])
    if changed and state.pop(showed, False):  # the user removed the files from the uploader
        if adds and state.get(anchor, _NO_FILES)[0]:
            state[kept] = state[anchor]
        else:
            state.pop(kept, None)
    held = state.get(kept)
    if held is not None:
        names = ", ".join(md_code(name) for name, _ in held[1])
        if st.button(f"Stop using {names}", key=key + ".forget"):
            state.pop(kept, None)
            held = None
    if adds:
        state[anchor] = held or _NO_FILES
    return list(held[1]) if held is not None else []


def _mark_changed(key: str) -> None:
    st.session_state[key + ".changed"] = True


def held_files(key: str) -> list[tuple[str, bytes]]:
    """The files a :func:`kept_files` uploader holds, without drawing it."""
    held = st.session_state.get(key + ".kept")
    return list(held[1]) if held is not None else []
