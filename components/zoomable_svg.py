"""A Graphviz SVG drawing with zoom, pan and clickable boxes, for graphs too big to read
at page width.

Mounted as a Streamlit components-v2 element (inline HTML/CSS/JS, no build step), so a
click reaches Python: ``render_zoomable_svg`` calls ``on_click`` with the clicked box's
Graphviz node name, or an open cluster's tooltip when its label is clicked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

# One height for every drawing: a frame that followed the drawing's shape would move the
# page under the mouse each time a group opens or closes.
FRAME_PX = 560
_BAR_PX = 40  # the button bar above the frame

_HTML = """
<div class="se-graph">
  <div class="se-bar">
    <button data-zoom="in" title="Zoom in">+</button>
    <button data-zoom="out" title="Zoom out">&minus;</button>
    <button data-zoom="fit" title="Fit the whole graph">Fit</button>
    <button data-zoom="one" title="Actual size">100%</button>
    <span class="se-hint">ctrl + wheel or pinch: zoom &middot; drag: pan &middot; click a box
      to inspect or open it, a group's label to close it, a key to highlight its path</span>
  </div>
  <div class="se-view"><div class="se-stage"></div></div>
</div>
"""

_CSS = """
.se-bar { font: 13px sans-serif; margin-bottom: 4px; display: flex; align-items: center;
  gap: 4px; }
.se-bar button { font: inherit; min-width: 2.2em; padding: 2px 8px; border-radius: 6px;
  border: 1px solid #ccc; background: #fff; cursor: pointer; flex: none;
  white-space: nowrap; }
.se-bar button:hover { border-color: #ff4b4b; color: #ff4b4b; }
.se-hint { color: #666; margin-left: 6px; flex: 1 1 0; min-width: 0; }
.se-view { overflow: hidden; border: 1px solid #ddd; border-radius: 6px; cursor: grab;
  background: #fff; height: 560px; }
.se-stage { transform-origin: 0 0; }
.se-stage g.node { cursor: pointer; outline: none; }
.se-stage g.node:focus-visible > g > a > :is(polygon, ellipse, path) { stroke: #1f5fa8;
  stroke-width: 3; }
.se-stage g.node:hover > g > a > :is(polygon, ellipse, path) { stroke-width: 3; }
.se-stage g.cluster text { cursor: pointer; text-decoration: underline dotted; }
.se-stage g.node.se-selected > g > a > :is(polygon, ellipse, path) { stroke: #ff4b4b;
  stroke-width: 4; }
"""

# Plain JS, no library. Streamlit calls the default export on every rerun with the latest
# data; the drawing is replaced only when the SVG itself changed. Each drawing's zoom and
# pan are kept in the tab's sessionStorage, so they survive reruns, a switch to another
# tab and back, and a closed group opened again. A plain wheel scrolls the page (the frame
# covers most of it); ctrl + wheel, which is also what a trackpad pinch sends, zooms.
_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".se-graph");
  if (!root) return;
  if (!root.seState) root.seState = start(root);
  root.seState.send = setTriggerValue;
  root.seState.show(data.svg, data.height, data.selected);
}

const READABLE = 0.45;  // the smallest first-view scale whose labels can still be read

function digest(text) {
  let h = 5381;
  for (let i = 0; i < text.length; i += 1) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return `se-view:${text.length}:${h.toString(36)}`;
}

function start(root) {
  const view = root.querySelector(".se-view"), stage = root.querySelector(".se-stage");
  const state = { svg: null, key: null, send: null, scale: 1, x: 0, y: 0, placed: false };
  let drag = null, moved = 0;
  const apply = () => {
    stage.style.transform = `translate(${state.x}px,${state.y}px) scale(${state.scale})`;
    if (state.placed && state.key) {
      try {
        sessionStorage.setItem(state.key, JSON.stringify([state.scale, state.x, state.y]));
      } catch (err) { /* storage full or off: the view is just not remembered */ }
    }
  };
  const natural = () => {
    const svg = stage.querySelector("svg");
    if (!svg || !view.clientWidth) return null;
    const box = svg.getBoundingClientRect();
    return box.width ? [box.width / state.scale, box.height / state.scale] : null;
  };
  // Whole drawing, centred; ``floor`` keeps a huge drawing readable (left end first).
  const place = (floor) => {
    const size = natural();
    if (!size) return false;
    const [w, h] = size, vw = view.clientWidth, vh = view.clientHeight;
    state.scale = Math.max(Math.min(vw / w, vh / h, 1), Math.min(floor, 1));
    state.x = w * state.scale < vw ? (vw - w * state.scale) / 2 : 0;
    state.y = h * state.scale < vh ? (vh - h * state.scale) / 2 : 0;
    state.placed = true; apply();
    return true;
  };
  // This drawing's remembered view; else the current one if the drawing kept its size (a
  // new highlight recolours it); else the first view.
  const restore = (keep) => {
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(state.key) || "null"); } catch (err) {}
    if (!natural()) return false;
    if (saved) [state.scale, state.x, state.y] = saved;
    else if (!keep) return place(READABLE);
    state.placed = true; apply();
    return true;
  };
  const size = (svg) => String((svg || "").slice(0, 400).match(/width="[^"]*" height="[^"]*"/));
  const zoomAt = (factor, cx, cy) => {
    const next = Math.min(Math.max(state.scale * factor, 0.05), 8);
    state.x = cx - (cx - state.x) * next / state.scale;
    state.y = cy - (cy - state.y) * next / state.scale;
    state.scale = next; apply();
  };
  state.show = (svg, height, selected) => {
    view.style.height = `${height}px`;
    if (svg !== state.svg) {
      const keep = state.placed && size(svg) === size(state.svg);
      state.svg = svg; state.key = digest(svg); state.placed = false;
      stage.innerHTML = svg;
      stage.querySelectorAll("g.node").forEach((g) => {  // reachable by Tab, Enter clicks
        const title = g.querySelector("title");
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        if (title) g.setAttribute("aria-label", title.textContent);
      });
      restore(keep);
    }
    stage.querySelectorAll("g.node").forEach((g) => {
      const title = g.querySelector("title");
      g.classList.toggle("se-selected", !!selected && !!title && title.textContent === selected);
    });
  };
  view.addEventListener("wheel", (e) => {
    if (!e.ctrlKey && !e.metaKey) return;  // let the page scroll
    e.preventDefault();
    const r = view.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  view.addEventListener("mousedown", (e) => {
    drag = [e.clientX - state.x, e.clientY - state.y, e.clientX, e.clientY]; moved = 0;
    view.style.cursor = "grabbing";
  });
  window.addEventListener("mouseup", () => { drag = null; view.style.cursor = "grab"; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    moved = Math.max(moved, Math.abs(e.clientX - drag[2]) + Math.abs(e.clientY - drag[3]));
    state.x = e.clientX - drag[0]; state.y = e.clientY - drag[1]; apply();
  });
  view.addEventListener("click", (e) => {
    if (moved > 4 || !state.send) return;  // the end of a pan, not a click
    const node = e.target.closest("g.node");
    if (node) {
      const title = node.querySelector("title");
      if (title) state.send("clicked", title.textContent);
      return;
    }
    const cluster = e.target.closest("g.cluster");
    if (cluster && e.target.tagName.toLowerCase() === "text") {
      const link = cluster.querySelector("a");
      const name = link && link.getAttribute("xlink:title");
      if (name) state.send("clicked", name);
    }
  });
  // Focus (Tab to a box) scrolls the frame to show it: turn that into our own pan, so
  // Fit and zoom keep working from one offset.
  view.addEventListener("scroll", () => {
    if (!view.scrollLeft && !view.scrollTop) return;
    state.x -= view.scrollLeft; state.y -= view.scrollTop;
    view.scrollLeft = 0; view.scrollTop = 0; apply();
  });
  view.addEventListener("keydown", (e) => {
    const node = e.target.closest && e.target.closest("g.node");
    if (node && (e.key === "Enter" || e.key === " ") && state.send) {
      e.preventDefault();
      const title = node.querySelector("title");
      if (title) state.send("clicked", title.textContent);
    }
  });
  const centre = (f) => zoomAt(f, view.clientWidth / 2, view.clientHeight / 2);
  const buttons = {
    in: () => centre(1.25), out: () => centre(0.8), fit: () => place(0),
    one: () => { state.scale = 1; state.x = 0; state.y = 0; apply(); },
  };
  root.querySelectorAll("button[data-zoom]").forEach((b) => {
    b.onclick = buttons[b.dataset.zoom];
  });
  // The element may sit in a hidden tab: place the drawing when it first gets a size.
  new ResizeObserver(() => { if (!state.placed && state.svg) restore(false); }).observe(view);
  return state;
}
"""


@functools.cache
def _component() -> Callable[..., Any]:
    # Registered once per process: Streamlit warns when a name is registered again.
    return st.components.v2.component(
        "signature_explorer.zoomable_svg", html=_HTML, css=_CSS, js=_JS
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
    module = _JS.replace("export default function", "function mount", 1)
    return (
        f"<style>{_CSS}</style>{_HTML}<script type=module>{module}\n"
        "mount({ parentElement: document.body, setTriggerValue: () => {}, "
        f"data: {{ svg: document.getElementById('se-svg').textContent, height: {frame} }} }});"
        f"</script><script type=text/plain id=se-svg>{body}</script>"
    )


def _svg_element(svg: str) -> str:
    # Graphviz writes an XML prolog and a DOCTYPE before <svg>; HTML needs neither.
    return svg[svg.find("<svg") :] if "<svg" in svg else svg
