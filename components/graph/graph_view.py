"""The signature graph's drawing as a Streamlit components-v2 element.

The browser side is ``explorer/present/assets/graph_view.*`` (no build step, shared with
notebooks): it draws a laid-out scene with zoom and pan, and beside it the zoom bar, an
overview of the whole drawing and the node inspector. The frame fills the window below its
top (between 380 and 1100 px), so the drawing and the inspector are seen without
scrolling. Python gets three events back: ``clicked`` (a box, or an open group's title),
``goto`` (a link in the inspector) and ``action`` (an inspector row's action, such as a
tap), each as ``{"id": ..., "t": ...}``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

from explorer.present import assets

# The frame's height follows the window, never the drawing: a frame that followed the
# drawing's shape would move the page under the mouse each time a group opens or closes.
FRAME_HEIGHT = "page"


@functools.cache
def _component() -> Callable[..., Any]:
    # Registered once per process: Streamlit warns when a name is registered again.
    return st.components.v2.component(
        "signature_explorer.graph_view",
        html=assets.text("graph_view.html"),
        css=assets.text("graph_view.css"),
        js=assets.text("graph_view.js"),
    )


def render_graph_view(
    data: dict[str, Any],
    *,
    key: str,
    on_click: Callable[[str], None],
    on_goto: Callable[[str], None],
    on_action: Callable[[str], None] | None = None,
    height: int | str = FRAME_HEIGHT,
) -> None:
    """Mount the drawing with ``data`` (see ``graph_view.js``); ``on_click``, ``on_goto``
    and ``on_action`` (an inspector row's action) get the element id or the action, before
    the rerun the event causes. ``height`` is the frame's in px, or "page" (the window below
    the frame's top)."""

    def _event(name: str, handler: Callable[[str], None]) -> Callable[[], None]:
        def _changed() -> None:
            value = st.session_state[key].get(name)
            target = value.get("id") if isinstance(value, dict) else value
            if isinstance(target, str) and target:
                handler(target)

        return _changed

    _component()(
        key=key,
        data={**data, "height": height},
        height="content",
        on_clicked_change=_event("clicked", on_click),
        on_goto_change=_event("goto", on_goto),
        on_action_change=_event("action", on_action or (lambda _: None)),
    )
