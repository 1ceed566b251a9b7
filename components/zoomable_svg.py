"""An SVG drawing with zoom and pan, for graphs too big to read at page width."""

from __future__ import annotations

import re

import streamlit as st

_PAGE_WIDTH_PX = 1100
_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')

# Plain JS, no library: wheel zooms at the cursor, drag pans, buttons fit or reset.
_TEMPLATE = """
<div id="bar" style="font:13px sans-serif;margin-bottom:4px">
  <button id="zin">+</button> <button id="zout">&minus;</button>
  <button id="fit">Fit</button> <button id="one">100%</button>
  <span style="color:#666">&nbsp;wheel: zoom &middot; drag: pan</span>
</div>
<div id="view" style="overflow:hidden;border:1px solid #ddd;border-radius:6px;
  height:__HEIGHT__px;cursor:grab;background:#fff">
  <div id="stage" style="transform-origin:0 0">__SVG__</div>
</div>
<script>
const view = document.getElementById("view"), stage = document.getElementById("stage");
const svg = stage.querySelector("svg");
let scale = 1, x = 0, y = 0, drag = null;
function apply() { stage.style.transform = `translate(${x}px,${y}px) scale(${scale})`; }
function fit() {
  const box = svg.getBoundingClientRect(), w = box.width / scale, h = box.height / scale;
  if (!w || !h || !view.clientWidth) return;
  scale = Math.min(view.clientWidth / w, view.clientHeight / h, 1); x = 0; y = 0; apply();
}
function zoomAt(factor, cx, cy) {
  const next = Math.min(Math.max(scale * factor, 0.05), 8);
  x = cx - (cx - x) * next / scale; y = cy - (cy - y) * next / scale; scale = next; apply();
}
view.addEventListener("wheel", e => { e.preventDefault();
  const r = view.getBoundingClientRect();
  zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top); },
  {passive: false});
view.addEventListener("mousedown", e => { drag = [e.clientX - x, e.clientY - y];
  view.style.cursor = "grabbing"; });
window.addEventListener("mouseup", () => { drag = null; view.style.cursor = "grab"; });
window.addEventListener("mousemove", e => { if (drag) { x = e.clientX - drag[0];
  y = e.clientY - drag[1]; apply(); } });
const centre = f => zoomAt(f, view.clientWidth / 2, view.clientHeight / 2);
document.getElementById("zin").onclick = () => centre(1.25);
document.getElementById("zout").onclick = () => centre(0.8);
document.getElementById("fit").onclick = fit;
document.getElementById("one").onclick = () => { scale = 1; x = 0; y = 0; apply(); };
// The frame may sit in a hidden tab: fit when it first gets a size, not before.
let fitted = false;
new ResizeObserver(() => { if (!fitted && view.clientWidth) { fit(); fitted = true; } })
  .observe(view);
</script>
"""


def render_zoomable_svg(svg: str, *, height: int | None = None) -> None:
    """Show ``svg`` fitted to the frame, with wheel zoom, drag to pan, Fit and 100% buttons.

    Without ``height`` the frame follows the drawing's aspect ratio at a typical page width.
    """
    height = height or _fitting_height(svg)
    st.iframe(page_html(svg, height=height), height=height + 40)


def page_html(svg: str, *, height: int | None = None) -> str:
    """The zoomable page around ``svg`` (also what the graph benchmark times in chromium)."""
    body = svg[svg.find("<svg") :] if "<svg" in svg else svg
    frame = height or _fitting_height(body)
    return _TEMPLATE.replace("__HEIGHT__", str(frame)).replace("__SVG__", body)


def _fitting_height(svg: str) -> int:
    match = _SIZE.search(svg)
    if match is None:
        return 560
    width, height = float(match.group(1)), float(match.group(2))
    return int(min(720, max(240, _PAGE_WIDTH_PX * height / max(width, 1.0))))
