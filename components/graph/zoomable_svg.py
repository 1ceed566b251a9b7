"""A Graphviz SVG drawing with zoom, pan and clickable boxes, for graphs too big to read
at page width.

Mounted as a Streamlit components-v2 element (the HTML, CSS and JS of
``explorer/present/assets/graph_view.*``, no build step), so a click reaches Python:
``render_zoomable_svg`` calls ``on_click`` with the clicked box's Graphviz node name, or
an open cluster's tooltip when its label is clicked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

from explorer.present import assets

# One height for every drawing: a frame that followed the drawing's shape would move the
# page under the mouse each time a group opens or closes.
FRAME_PX = 560
_BAR_PX = 40  # the button bar above the frame


@functools.cache
def _component() -> Callable[..., Any]:
    # Registered once per process: Streamlit warns when a name is registered again.
    return st.components.v2.component(
        "signature_explorer.zoomable_svg",
        html=assets.text("graph_view.html"),
        css=assets.text("graph_view.css"),
        js=assets.text("graph_view.js"),
    )


def render_zoomable_svg(
    svg: str,
    *,
    key: str,
    on_click: Callable[[str], None] | None = None,
    selected: str | None = None,
    height: int | None = None,
) -> None:
    """Show ``svg`` fitted to the frame, with wheel zoom, drag to pan and zoom buttons.

    A click on a box calls ``on_click`` (before the rerun it causes) with the box's
    Graphviz node name; a click on an open cluster's label, with the cluster's tooltip.
    The box named ``selected`` is outlined. The frame is ``height`` pixels tall
    (``FRAME_PX`` by default) whatever the drawing's shape.
    """
    body = _svg_element(svg)
    frame = height or FRAME_PX

    def _clicked() -> None:
        value = st.session_state[key].get("clicked")
        if on_click is not None and isinstance(value, str) and value:
            on_click(value)

    _component()(
        key=key,
        data={"svg": body, "height": frame, "selected": selected},
        height=frame + _BAR_PX,
        on_clicked_change=_clicked,
    )


def page_html(svg: str, *, height: int | None = None) -> str:
    """A standalone page with the same drawing and script (what the graph benchmark times
    in chromium); clicks go nowhere."""
    body = _svg_element(svg)
    frame = height or FRAME_PX
    module = assets.text("graph_view.js").replace("export default function", "function mount", 1)
    return (
        f"<style>{assets.text('graph_view.css')}</style>{assets.text('graph_view.html')}"
        f"<script type=module>{module}\n"
        "mount({ parentElement: document.body, setTriggerValue: () => {}, "
        f"data: {{ svg: document.getElementById('se-svg').textContent, height: {frame} }} }});"
        f"</script><script type=text/plain id=se-svg>{body}</script>"
    )


def _svg_element(svg: str) -> str:
    # Graphviz writes an XML prolog and a DOCTYPE before <svg>; HTML needs neither.
    return svg[svg.find("<svg") :] if "<svg" in svg else svg
